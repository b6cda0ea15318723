//! `raftspec record` runs a real cluster of the implementation and records it;
//! `raftspec validate FILE` checks a recorded run against the model.

use crate::cmd::replay::read_trace;
use crate::Outcome;
use anyhow::{anyhow, Context, Result};
use clap::Args;
use raftspec_conformance::conform::{record_run, validate_recording, Target, Validated};
use raftspec_conformance::record::RecordOptions;
use raftspec_model::trace::Trace;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// A recorded run (`raftspec record ... --out FILE`).
    pub file: PathBuf,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    #[arg(help = crate::args::variant_help(false))]
    pub variant: String,
    /// Where to write the recorded run (ITF JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Client requests (1-6).
    #[arg(long, default_value_t = 4)]
    pub requests: u8,
    /// Crash-restarts of the leader during the run (default: raft 1, kraft 0: restarting a
    /// KRaft leader is a known difference between model and implementation).
    #[arg(long)]
    pub restarts: Option<u8>,
    /// Seed of the timers' jitter.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: ValidateArgs) -> Result<Outcome> {
    let rec = read_trace(&a.file)?;
    let v = validate_recording(&rec, &Target::correct())
        .map_err(|e| anyhow!("{}: {e}", a.file.display()))?;
    report("validate", &a.file, &rec, &v, a.json)
}

pub fn run_record(a: RecordArgs) -> Result<Outcome> {
    let variant = crate::args::parse_variant(&a.variant)?;
    anyhow::ensure!(
        (1..=6).contains(&a.requests),
        "--requests must be between 1 and 6"
    );
    let restarts = a.restarts.unwrap_or(variant.info().record_restarts);
    anyhow::ensure!(restarts <= 6, "--restarts must be at most 6");
    let opts = RecordOptions {
        requests: a.requests,
        restarts,
        seed: a.seed,
        ..RecordOptions::default()
    };
    let rec = record_run(variant, &opts, &Target::correct(), &mut |s| {
        eprintln!("{s}")
    })
    .map_err(|e| anyhow!("recording failed: {e}"))?;
    std::fs::write(&a.out, rec.to_itf_string())
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    eprintln!("wrote {}", a.out.display());
    let v = validate_recording(&rec, &Target::correct())?;
    report("record", &a.out, &rec, &v, a.json)
}

fn report(
    command: &str,
    file: &PathBuf,
    rec: &Trace,
    v: &Validated,
    as_json: bool,
) -> Result<Outcome> {
    let round_trip_ok = matches!(v.round_trip, Some(Ok(_)));
    let passed = v.validation.is_ok() && round_trip_ok;
    if as_json {
        let out = match &v.validation {
            Ok(ok) => json!({
                "file": file,
                "variant": rec.variant,
                "valid": true,
                "steps": ok.steps,
                "stutters": ok.stutters,
                "model_steps": ok.model_trace.steps.len() - 1,
                "round_trip": match &v.round_trip {
                    Some(Ok(n)) => json!({"conforms": true, "steps": n}),
                    Some(Err(d)) => json!({"conforms": false, "divergence": d.to_json()}),
                    None => json!(null),
                },
            }),
            Err(d) => json!({
                "file": file,
                "variant": rec.variant,
                "valid": false,
                "divergence": d.to_json(),
            }),
        };
        let mut out = out;
        out["passed"] = json!(passed);
        crate::json::Doc::reports(command, vec![out]).print()?;
    } else {
        println!(
            "== validate {} ({} recorded steps of a {} cluster, bounds {})",
            file.display(),
            rec.steps.len() - 1,
            rec.variant,
            rec.bounds
        );
        match &v.validation {
            Ok(ok) => {
                println!(
                    "model:      every step is a model transition with the recorded states ({} steps, {} stutter(s): deliveries of messages the model had discarded as dead)",
                    ok.steps, ok.stutters
                );
                match &v.round_trip {
                    Some(Ok(n)) => println!(
                        "round trip: the model trace ({n} steps) replays on fresh implementation nodes"
                    ),
                    Some(Err(d)) => {
                        println!("round trip: DIVERGES");
                        print!("{d}");
                    }
                    None => {}
                }
                if passed {
                    println!("result:     VALID");
                }
            }
            Err(d) => {
                println!("result:     the model REJECTS the recorded run");
                print!("{d}");
            }
        }
    }
    Ok(if passed { Outcome::Pass } else { Outcome::Fail })
}
