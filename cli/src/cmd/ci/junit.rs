//! JUnit XML: one test suite per entry, one test case per property, suite, catalog bug (and the
//! entry's `pins` and `time budget` cases).

use super::run::{EntryResult, Report};
use std::fmt::Write;

/// The report as JUnit XML.
pub fn render(report: &Report) -> String {
    let tests: usize = report.entries.iter().map(|e| e.cases.len()).sum();
    let failures: usize = report.entries.iter().map(failures).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"raftspec ci\" tests=\"{tests}\" failures=\"{failures}\" time=\"{:.3}\">",
        report.seconds
    );
    for e in &report.entries {
        suite(&mut x, e);
    }
    x.push_str("</testsuites>\n");
    x
}

fn failures(e: &EntryResult) -> usize {
    e.cases.iter().filter(|c| c.status == "fail").count()
}

fn suite(x: &mut String, e: &EntryResult) {
    let skipped = e.cases.iter().filter(|c| c.status == "skip").count();
    let _ = writeln!(
        x,
        "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        e.kind,
        escape(&e.name),
        e.cases.len(),
        failures(e),
        if e.cached { 0.0 } else { e.seconds }
    );
    let class = escape(&format!("raftspec.{}.{}", e.kind, e.name));
    let time = if e.cases.is_empty() || e.cached {
        0.0
    } else {
        e.seconds / e.cases.len() as f64
    };
    for c in &e.cases {
        let head = format!(
            "    <testcase classname=\"{class}\" name=\"{}\" time=\"{time:.3}\"",
            escape(&c.name)
        );
        let msg = escape(c.message.as_deref().unwrap_or(""));
        match c.status.as_str() {
            "fail" => {
                let _ = writeln!(
                    x,
                    "{head}>\n      <failure message=\"{msg}\">{msg}</failure>\n    </testcase>"
                );
            }
            "skip" => {
                let _ = writeln!(
                    x,
                    "{head}>\n      <skipped message=\"{msg}\"/>\n    </testcase>"
                );
            }
            _ => {
                let _ = writeln!(x, "{head}/>");
            }
        }
    }
    if e.cached {
        let _ = writeln!(
            x,
            "    <system-out>cached: sources and bounds unchanged, not re-run</system-out>"
        );
    }
    x.push_str("  </testsuite>\n");
}

/// Text safe in XML content and in double-quoted attributes (characters XML 1.0 cannot hold
/// are replaced).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}"
        );
    }
}
