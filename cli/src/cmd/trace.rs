//! `raftspec trace`: read an ITF trace (a counterexample, a conformance divergence, another
//! tool's trace, e.g. Quint's, with ITF's `#bigint`/`#set`/`#map`/`#tup` decoded) and show it: numbered steps on stdout, and the message sequence diagram as SVG.

use crate::Outcome;
use anyhow::{Context, Result};
use clap::Args;
use raftspec_model::itf::ItfDoc;
use raftspec_model::liveness::LassoTrace;
use raftspec_model::trace::{ForeignTrace, Trace};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// An ITF trace file (`*.itf.json`), e.g. one written by `raftspec check`.
    pub file: PathBuf,
    /// Write the trace as a message sequence diagram (SVG) to this file.
    #[arg(long, value_name = "OUT.svg")]
    pub svg: Option<PathBuf>,
    /// Do not print the numbered steps.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: TraceArgs) -> Result<Outcome> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("{}: {e}", a.file.display());
    let doc = ItfDoc::parse(&text).map_err(|e| bad(&e))?;
    if doc.meta_str("variant").is_none() {
        return foreign(&a, &doc);
    }
    let trace = Trace::from_doc(&doc).map_err(|e| bad(&e))?;
    // A liveness counterexample (ITF with a `loop`) is shown with its cycle marked.
    let lasso =
        LassoTrace::from_itf(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    if !a.quiet {
        println!(
            "{} trace{}{}: {} steps",
            trace.variant,
            trace
                .bug
                .map_or(String::new(), |b| format!(" with bug {b}")),
            trace
                .property
                .as_deref()
                .map_or(String::new(), |p| format!(" ({p})")),
            trace.steps.len() - 1
        );
        println!("bounds: {}", trace.bounds);
        match &lasso {
            Some(l) => print!("{}", l.render()),
            None => print!("{}", trace.render()),
        }
        if let Some(p) = &trace.path {
            println!("path: {p}");
        }
    }
    if let Some(out) = &a.svg {
        let drawn = lasso.as_ref().map_or_else(
            || raftspec_view::render(&trace),
            raftspec_view::render_lasso,
        );
        write_svg(out, &drawn)?;
    }
    Ok(Outcome::Pass)
}

/// Another model's trace (e.g. Quint's): its steps, and the diagram drawn from the fields the
/// drawing knows (`servers`, `network`, `src`/`dst`, ...).
fn foreign(a: &TraceArgs, doc: &ItfDoc) -> Result<Outcome> {
    let t =
        ForeignTrace::from_doc(doc).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    if !a.quiet {
        println!(
            "ITF trace by {}: {} steps (not a raftspec model: shown, not replayable)",
            t.source,
            t.steps.len() - 1
        );
        print!("{}", t.render());
    }
    if let Some(out) = &a.svg {
        write_svg(out, &raftspec_view::render(&t.drawable()))?;
    }
    Ok(Outcome::Pass)
}

fn write_svg(out: &std::path::Path, drawn: &str) -> Result<()> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(out, drawn).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
