//! The Markdown summary: one table row per entry, then the failures, fit for
//! `$GITHUB_STEP_SUMMARY`.

use super::run::{EntryResult, Report};
use std::fmt::Write;

pub fn render(r: &Report) -> String {
    let failed = r.entries.iter().filter(|e| !e.passed).count();
    let cached = r.entries.iter().filter(|e| e.cached).count();
    let mut md = format!(
        "## raftspec ci: {}\n\n{} entries, {} failed, {} cached, {:.1} s ({})\n\n",
        if r.passed { "✅ PASS" } else { "❌ FAIL" },
        r.entries.len(),
        failed,
        cached,
        r.seconds,
        r.manifest
    );
    md.push_str(
        "| | Entry | Kind | Variant | Cases | States (unique / generated) | Depth | Time / budget | Details |\n",
    );
    md.push_str("|---|---|---|---|---:|---:|---:|---:|---|\n");
    for e in &r.entries {
        row(&mut md, e);
    }
    let failing: Vec<&EntryResult> = r.entries.iter().filter(|e| !e.passed).collect();
    if !failing.is_empty() {
        md.push_str("\n### Failures\n\n");
        for e in failing {
            for f in &e.failures {
                let _ = writeln!(md, "- **{}**: {}", cell(&e.name), cell(f));
            }
        }
    }
    for n in &r.notes {
        let _ = writeln!(md, "\n> {}", cell(n));
    }
    md.push('\n');
    md
}

fn row(md: &mut String, e: &EntryResult) {
    let mark = if e.passed { "✅" } else { "❌" };
    let (states, depth) = match &e.figures {
        Some(f) => (
            format!("{} / {}", f.unique, f.generated),
            f.depth.to_string(),
        ),
        None => ("".into(), "".into()),
    };
    let cases = e.cases.iter().filter(|c| c.status == "pass").count();
    let result = format!("{cases}/{} pass", e.cases.len());
    let time = if e.cached {
        format!("cached ({:.1} s) / {} s", e.seconds, e.budget)
    } else {
        format!("{:.1} s / {} s", e.seconds, e.budget)
    };
    let _ = writeln!(
        md,
        "| {mark} | {} | {} | {} | {result} | {states} | {depth} | {time} | {} |",
        cell(&e.name),
        e.kind,
        e.variant.name(),
        cell(&e.detail),
    );
}

/// Text safe in a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
