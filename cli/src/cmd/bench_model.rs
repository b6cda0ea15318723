//! `raftspec bench model`: how fast and how lean the checker is on each variant, measured in
//! one run as ratios (BFS on 1 thread is the baseline), never as absolute targets in tests.

use crate::args::BoundsArgs;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use raftspec_model::Variant;
use serde_json::Value;
use std::process::Command;

#[derive(Args, Debug)]
pub struct ModelBench {
    /// raft, kraft, or all.
    #[arg(default_value = "all")]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Threads for the parallel configuration.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

struct Run {
    label: String,
    unique: u64,
    seconds: f64,
    peak_mb: f64,
}

/// One configuration in a fresh process, so that its peak memory is its own.
fn measure(variant: Variant, bounds: &[String], extra: &[&str], label: &str) -> Result<Run> {
    let exe = std::env::current_exe().context("cannot find the raftspec binary")?;
    let out = Command::new(exe)
        .args(["check", variant.name(), "--json"])
        .args(bounds)
        .args(extra)
        .output()
        .context("cannot run raftspec check")?;
    if out.status.code() != Some(0) {
        bail!(
            "{label}: check did not pass: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let r: Value = serde_json::from_slice(&out.stdout)?;
    Ok(Run {
        label: label.to_string(),
        unique: r["unique_states"].as_u64().unwrap_or(0),
        seconds: r["seconds"].as_f64().unwrap_or(0.0),
        peak_mb: r["peak_memory_mb"].as_f64().unwrap_or(f64::NAN),
    })
}

fn bound_flags(b: &BoundsArgs) -> Vec<String> {
    let mut f = Vec::new();
    let mut opt = |name: &str, v: Option<u8>| {
        if let Some(v) = v {
            f.push(format!("--{name}"));
            f.push(v.to_string());
        }
    };
    opt("servers", b.servers);
    opt("max-term", b.max_term);
    opt("max-log", b.max_log);
    opt("values", b.values);
    opt("max-restarts", b.max_restarts);
    opt("max-copies", b.max_copies);
    opt("max-in-flight", b.max_in_flight);
    if b.no_drop {
        f.push("--no-drop".into());
    }
    if b.fifo {
        f.push("--fifo".into());
    }
    f
}

pub fn run(a: ModelBench) -> Result<Outcome> {
    let variants = crate::args::parse_variants(&a.variant)?;
    let flags = bound_flags(&a.bounds);
    let threads = a.threads.to_string();
    for v in variants {
        let bounds = a.bounds.resolve(v, None)?;
        println!("== {v}: {bounds}");
        let runs = [
            measure(v, &flags, &[], "bfs, 1 thread")?,
            measure(
                v,
                &flags,
                &["--threads", &threads],
                &format!("bfs, {threads} threads"),
            )?,
            measure(v, &flags, &["--symmetry"], "dfs + symmetry, 1 thread")?,
        ];
        let base = &runs[0];
        let base_rate = base.unique as f64 / base.seconds;
        println!(
            "  {:26} {:>12} {:>9} {:>12} {:>10} {:>11} {:>10}",
            "configuration", "states", "seconds", "states/s", "vs bfs-1", "peak MB", "bytes/st"
        );
        for r in &runs {
            let rate = r.unique as f64 / r.seconds;
            println!(
                "  {:26} {:>12} {:>9.2} {:>12.0} {:>9.2}x {:>11.0} {:>10.0}",
                r.label,
                r.unique,
                r.seconds,
                rate,
                rate / base_rate,
                r.peak_mb,
                r.peak_mb * 1e6 / r.unique as f64
            );
        }
        println!(
            "  symmetry: {:.2}x fewer states, {:.2}x the wall time of bfs-1; {} threads: {:.2}x the throughput",
            base.unique as f64 / runs[2].unique as f64,
            runs[2].seconds / base.seconds,
            threads,
            (runs[1].unique as f64 / runs[1].seconds) / base_rate
        );
    }
    Ok(Outcome::Pass)
}
