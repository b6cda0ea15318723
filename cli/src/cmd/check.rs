//! `raftspec check`: exhaustive model checking with verdicts, counterexamples and ITF traces.

use crate::args::{parse_bug, parse_variants, BoundsArgs};
use crate::Outcome;
use anyhow::{Context, Result};
use clap::Args;
use raftspec_model::check::{check, CheckOptions, CheckReport, Stop, Verdict};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::Trace;
use raftspec_model::{bugs, Spec};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// raft, kraft, or all.
    #[arg(default_value = "all")]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Inject a bug from the catalog (`raftspec bugs`); its bounds are used unless overridden.
    #[arg(long)]
    pub bug: Option<String>,
    /// Treat servers as interchangeable (symmetry reduction; uses DFS, so counterexamples
    /// may be longer than the shortest).
    #[arg(long)]
    pub symmetry: bool,
    /// Checker threads (more than 1 may lengthen counterexamples).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Directory for ITF traces of counterexamples.
    #[arg(long, default_value = "traces")]
    pub trace_out: PathBuf,
}

pub fn run(a: CheckArgs) -> Result<Outcome> {
    let bug = parse_bug(a.bug.as_deref())?;
    let mut variants = parse_variants(&a.variant)?;
    if let Some(b) = bug {
        variants.retain(|v| bugs::entry(*v, b).is_some());
        anyhow::ensure!(
            !variants.is_empty(),
            "bug {b} is not in the catalog of variant {}",
            a.variant
        );
    }
    anyhow::ensure!(a.threads >= 1, "--threads must be at least 1");
    // Resolve every variant's bounds before running anything: bad input fails fast.
    let mut plans = Vec::new();
    for v in variants {
        let bounds = a.bounds.resolve(v, bug)?;
        anyhow::ensure!(
            !a.symmetry || bounds.network.reorder,
            "--symmetry needs a reordering network (drop --fifo)"
        );
        plans.push((v, bounds));
    }
    let mut reports = Vec::new();
    let mut all_passed = true;
    for (v, bounds) in plans {
        let (report, traces) = with_spec(v, bounds, bug, Run { args: &a })?;
        all_passed &= report.passed();
        if !a.json {
            print_report(&report, &traces, &a);
        }
        reports.push(report);
    }
    if a.json {
        let mut out = if reports.len() == 1 {
            serde_json::to_value(&reports[0])?
        } else {
            serde_json::json!({ "passed": all_passed, "results": reports })
        };
        if let Some(mb) = peak_memory_mb() {
            out["peak_memory_mb"] = serde_json::json!(mb);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if all_passed {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

struct Run<'a> {
    args: &'a CheckArgs,
}

/// A counterexample as written to disk.
struct Written {
    trace: Trace,
    file: PathBuf,
}

impl SpecVisitor for Run<'_> {
    type Output = Result<(CheckReport, Vec<Written>)>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let a = self.args;
        if !a.json {
            eprintln!(
                "checking {} ({}): {}",
                spec.variant(),
                spec.bug()
                    .map_or("no bug".to_string(), |b| format!("bug {b}")),
                spec.bounds()
            );
        }
        let tty = std::io::stderr().is_terminal();
        let mut progress = |unique: usize, total: usize, depth: usize, secs: f64| {
            let line = format!(
                "  … {unique} unique states ({total} total), depth {depth}, {secs:.0} s, {:.0} states/s",
                unique as f64 / secs.max(1e-9)
            );
            if tty {
                eprint!("\r{line}   ");
                let _ = std::io::stderr().flush();
            } else if (secs.round() as u64).is_multiple_of(10) {
                eprintln!("{line}");
            }
        };
        let opts = CheckOptions {
            threads: a.threads,
            symmetry: a.symmetry,
            stop: Stop::AtFirstViolation,
            progress: if a.json { None } else { Some(&mut progress) },
        };
        let outcome = check(spec, opts);
        if !a.json && tty {
            eprint!("\r{:100}\r", "");
        }
        let mut written = Vec::new();
        for t in outcome.counterexamples {
            let file = write_trace(&a.trace_out, &t)?;
            written.push(Written { trace: t, file });
        }
        Ok((outcome.report, written))
    }
}

fn write_trace(dir: &Path, t: &Trace) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create trace directory {}", dir.display()))?;
    let name = format!(
        "{}{}-{}.itf.json",
        t.variant,
        t.bug.map_or(String::new(), |b| format!("-{b}")),
        t.property.as_deref().unwrap_or("trace")
    );
    let file = dir.join(name);
    std::fs::write(&file, t.to_itf_string())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

/// The command that serves a checked model in the Explorer (same variant, bounds and bug).
pub fn explore_command(r: &CheckReport) -> String {
    let b = &r.bounds;
    let mut cmd = format!(
        "raftspec explore {} --servers {} --max-term {} --max-log {} --values {} --max-restarts {} --max-copies {} --max-in-flight {}",
        r.variant, b.servers, b.max_term, b.max_log, b.values, b.max_restarts, b.network.max_copies, b.network.max_in_flight
    );
    if !b.network.drop {
        cmd.push_str(" --no-drop");
    }
    if !b.network.reorder {
        cmd.push_str(" --fifo");
    }
    if let Some(bug) = &r.bug {
        cmd.push_str(&format!(" --bug {bug}"));
    }
    cmd
}

fn print_report(r: &CheckReport, traces: &[Written], a: &CheckArgs) {
    println!(
        "== {} {}",
        r.variant,
        r.bug
            .as_ref()
            .map_or("(no bug injected)".to_string(), |b| format!("with bug {b}"))
    );
    println!("bounds:     {}", r.bounds);
    println!(
        "search:     {} engine, {} thread(s), symmetry {}",
        r.engine,
        r.threads,
        if r.symmetry { "on" } else { "off" }
    );
    println!(
        "explored:   {} unique states, {} total, max depth {}, {:.2} s, {:.0} states/s{}",
        r.unique_states,
        r.total_states,
        r.max_depth,
        r.seconds,
        r.states_per_second,
        if r.complete {
            " (complete)"
        } else {
            " (stopped at first violation)"
        }
    );
    println!("properties:");
    let width = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &r.properties {
        let (mark, text) = match p.verdict {
            Verdict::Holds => ("ok  ", "holds".to_string()),
            Verdict::Witnessed => (
                "ok  ",
                format!("witnessed in {} steps", p.steps.unwrap_or(0)),
            ),
            Verdict::Violated => (
                "FAIL",
                format!("VIOLATED in {} steps", p.steps.unwrap_or(0)),
            ),
            Verdict::Missing => (
                "FAIL",
                "MISSING: never reached (a pass would be vacuous)".into(),
            ),
            Verdict::Unchecked => ("--  ", "unchecked (run stopped at a violation)".into()),
        };
        println!("  {mark} {:width$}  {:9} {text}", p.name, p.expectation);
    }
    for w in traces {
        let t = &w.trace;
        let path = t.path.as_deref().unwrap_or("");
        println!();
        println!(
            "counterexample: {} violated after {} steps",
            t.property.as_deref().unwrap_or("?"),
            t.steps.len() - 1
        );
        print!("{}", t.render());
        println!("  path:     {path}");
        println!("  trace:    {}", w.file.display());
        println!(
            "  explore:  {}   then open http://127.0.0.1:3000/#/steps/{path}",
            explore_command(r)
        );
    }
    let violated: Vec<&str> = r.violated().map(|p| p.name.as_str()).collect();
    let missing: Vec<&str> = r
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Missing)
        .map(|p| p.name.as_str())
        .collect();
    if r.passed() {
        println!("result:     PASS: every property holds, every witness reached");
    } else {
        println!(
            "result:     FAIL: violated [{}] missing witnesses [{}]",
            violated.join(", "),
            missing.join(", ")
        );
    }
    let _ = a;
    println!();
}

/// Peak resident memory of this process (Linux `VmHWM`), for `bench model`.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
