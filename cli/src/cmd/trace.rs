//! `raftspec trace`: read an ITF trace (a counterexample, a conformance divergence, another
//! tool's trace) and show it: numbered steps on stdout, and the message sequence diagram as SVG.

use crate::Outcome;
use anyhow::{Context, Result};
use clap::Args;
use raftspec_model::liveness::LassoTrace;
use raftspec_model::trace::Trace;
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
    let trace = Trace::from_itf(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
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
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let drawn = lasso.as_ref().map_or_else(
            || raftspec_view::render(&trace),
            raftspec_view::render_lasso,
        );
        std::fs::write(out, drawn).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(Outcome::Pass)
}
