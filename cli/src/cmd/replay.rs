//! `raftspec replay FILE`: an ITF trace checked against the model, then replayed against the
//! implementation.

use crate::Outcome;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use raftspec_conformance::conform::{replay_trace, CoreConfig, Target};
use raftspec_conformance::record::is_recording;
use raftspec_conformance::replay::Divergence;
use raftspec_conformance::sources::TraceProblem;
use raftspec_model::trace::Trace;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// An ITF trace (raftspec's, or another tool's with the same variables and
    /// `action_taken`/`action_args`, `#meta.variant` and `#meta.bounds`).
    pub file: PathBuf,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// On a divergence, write the trace up to it to this ITF file.
    #[arg(long)]
    pub trace_out: Option<PathBuf>,
    /// The implementation: `raftspec` (the default) or `raft-rs` (tikv/raft-rs 0.7, a Raft
    /// trace; needs `--features raft-rs`).
    #[arg(long = "impl", value_name = "NAME")]
    pub implementation: Option<String>,
    /// The configuration of raftspec's cores: `model` (the default) or `production` (for a
    /// trace of `conform --config production`, whose options are the production flavor's).
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
}

/// Reads an ITF file: unreadable or malformed input is one line and exit 2.
pub fn read_trace(file: &PathBuf) -> Result<Trace> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Trace::from_itf(&text).map_err(|e| anyhow!("{}: {e}", file.display()))
}

/// What replaying a trace found: the model rejects a step (why), or it allows every step and
/// the implementation conforms (steps replayed) or diverges.
type Replayed = std::result::Result<std::result::Result<usize, Box<Divergence>>, String>;

pub fn run(a: ReplayArgs) -> Result<Outcome> {
    let trace = read_trace(&a.file)?;
    anyhow::ensure!(
        !is_recording(&trace),
        "{}: a recorded run, not a model trace: check it with `raftspec validate`",
        a.file.display()
    );
    let steps = trace.steps.len() - 1;
    let config = match a.config.as_deref() {
        None => CoreConfig::Model,
        Some(n) => CoreConfig::parse(n)
            .ok_or_else(|| anyhow!("unknown config {n:?}: expected model or production"))?,
    };
    let target = target(&a, &trace, config)?;
    let result = match replay_trace(&trace, &target) {
        Err(TraceProblem::NotATrace(why)) => bail!("{}: {why}", a.file.display()),
        Err(TraceProblem::Rejected(why)) => Err(why),
        Ok(r) => Ok(r),
    };
    let (passed, out) = summary(&a, steps, &result);
    if let (Some(file), Ok(Err(d))) = (&a.trace_out, &result) {
        std::fs::write(file, d.prefix.to_itf_string())
            .with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("wrote the diverging trace to {}", file.display());
    }
    if a.json {
        let mut out = out;
        out["passed"] = json!(passed);
        if let (Some(file), Ok(Err(_))) = (&a.trace_out, &result) {
            out["trace"] = json!(file);
        }
        crate::json::Doc::reports("replay", vec![out]).print()?;
    } else {
        print_human(&a, &trace, steps, &result);
    }
    Ok(if passed { Outcome::Pass } else { Outcome::Fail })
}

/// The implementation `--impl` names (raft-rs only for a Raft trace).
/// The implementation to replay against. The options are the trace's own (`#meta.bounds`);
/// only the cores' config is chosen.
fn target(a: &ReplayArgs, trace: &Trace, config: CoreConfig) -> Result<Target> {
    Ok(match a.implementation.as_deref() {
        None | Some("raftspec") => Target {
            config,
            ..Target::correct()
        },
        Some("raft-rs") => {
            anyhow::ensure!(
                trace.variant.info().raft_rs,
                "--impl raft-rs implements {} (the trace is {})",
                crate::args::raft_rs_variants(),
                trace.variant
            );
            super::conform::raft_rs_target(None)?
        }
        Some(other) => bail!("unknown implementation {other:?}: expected raftspec or raft-rs"),
    })
}

/// Whether the replay passed, and its JSON report.
fn summary(a: &ReplayArgs, steps: usize, result: &Replayed) -> (bool, Value) {
    match result {
        // The model itself rejects a step: reported like a divergence, at that step.
        Err(why) => (
            false,
            json!({"file": a.file, "steps": steps, "model": "rejects", "reason": why}),
        ),
        Ok(Ok(n)) => (
            true,
            json!({"file": a.file, "steps": n, "model": "accepts", "implementation": "conforms"}),
        ),
        Ok(Err(d)) => (
            false,
            json!({"file": a.file, "steps": steps, "model": "accepts", "implementation": "diverges", "divergence": d.to_json()}),
        ),
    }
}

/// The human report: the trace, then the model's and the implementation's verdicts.
fn print_human(a: &ReplayArgs, trace: &Trace, steps: usize, result: &Replayed) {
    println!(
        "== replay {} ({}, {steps} steps{})",
        a.file.display(),
        trace.variant,
        trace
            .bug
            .map(|b| format!(", model with bug {b}"))
            .unwrap_or_default()
    );
    match result {
        Err(why) => println!("result:  the model does not allow this trace: {why}"),
        Ok(Ok(_)) => println!(
            "result:  CONFORMS: the model allows every step and the implementation follows it"
        ),
        Ok(Err(d)) => {
            println!("model:   allows every step");
            println!("result:  DIVERGES");
            print!("{d}");
        }
    }
}
