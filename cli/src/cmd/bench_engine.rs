//! `raftspec bench engine`: raftspec's engine and stateright's side by side, in one run, on
//! each variant's default bounds (or the bounds given): states/s, bytes per state, thread
//! scaling, symmetry and spilling, reported as ratios (these machines are noisy; never absolute
//! targets in tests). Every configuration runs in a fresh process, so its memory is its own.

use crate::args::BoundsArgs;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use raftspec_model::Variant;
use serde::Serialize;
use serde_json::Value;
use std::process::Command;

#[derive(Args, Debug)]
pub struct EngineBench {
    #[arg(default_value = "all", help = crate::args::variant_help(true))]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Threads for the parallel configurations (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Run {
    label: String,
    engine: String,
    threads: usize,
    symmetry: bool,
    unique_states: u64,
    total_states: u64,
    seconds: f64,
    states_per_second: f64,
    peak_memory_bytes: u64,
    bytes_per_state: f64,
    spilled_bytes: u64,
}

#[derive(Serialize)]
struct Ratios {
    /// raftspec / stateright unique states per second, one thread.
    speed_1_thread: f64,
    /// The same at the parallel thread count.
    speed_n_threads: f64,
    /// Parallel over one thread, per engine.
    raftspec_thread_scaling: f64,
    stateright_thread_scaling: f64,
    /// stateright / raftspec bytes per unique state (everything in memory).
    memory: f64,
    /// Unique states without symmetry over with it (at most n!).
    symmetry_reduction: f64,
    /// Symmetric counts at one and at n threads are equal.
    symmetric_counts_identical: bool,
}

#[derive(Serialize)]
struct VariantBench {
    variant: Variant,
    bounds: String,
    threads: usize,
    runs: Vec<Run>,
    ratios: Ratios,
}

/// One configuration in a fresh process.
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
    let doc: Value = serde_json::from_slice(&out.stdout)?;
    let r = &doc["reports"][0];
    let num = |k: &str| r[k].as_f64().unwrap_or(0.0);
    Ok(Run {
        label: label.to_string(),
        engine: r["engine"].as_str().unwrap_or("?").to_string(),
        threads: num("threads") as usize,
        symmetry: r["symmetry"].as_bool().unwrap_or(false),
        unique_states: num("unique_states") as u64,
        total_states: num("total_states") as u64,
        seconds: num("seconds"),
        states_per_second: num("states_per_second"),
        peak_memory_bytes: num("peak_memory_bytes") as u64,
        bytes_per_state: num("bytes_per_state"),
        spilled_bytes: num("spilled_bytes") as u64,
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
    opt("max-drops", b.max_drops);
    if b.drop {
        f.push("--drop".into());
    }
    if b.no_drop {
        f.push("--no-drop".into());
    }
    if b.fifo {
        f.push("--fifo".into());
    }
    if let Some(p) = b.profile {
        f.push("--profile".into());
        f.push(p.name().into());
    }
    f
}

fn bench_variant(v: Variant, a: &EngineBench, threads: usize) -> Result<VariantBench> {
    let flags = bound_flags(&a.bounds);
    let bounds = a.bounds.resolve(v, None)?;
    let n = threads.to_string();
    let runs = vec![
        measure(
            v,
            &flags,
            &["--engine", "stateright"],
            "stateright, 1 thread",
        )?,
        measure(v, &flags, &[], "raftspec, 1 thread")?,
        measure(
            v,
            &flags,
            &["--engine", "stateright", "--threads", &n],
            &format!("stateright, {n} threads"),
        )?,
        measure(
            v,
            &flags,
            &["--threads", &n],
            &format!("raftspec, {n} threads"),
        )?,
        measure(v, &flags, &["--symmetry"], "raftspec + symmetry, 1 thread")?,
        measure(
            v,
            &flags,
            &["--symmetry", "--threads", &n],
            &format!("raftspec + symmetry, {n} threads"),
        )?,
        measure(
            v,
            &flags,
            &["--memory-limit", "1"],
            "raftspec, all spilled, 1 thread",
        )?,
    ];
    let rate = |i: usize| runs[i].states_per_second;
    let ratios = Ratios {
        speed_1_thread: rate(1) / rate(0),
        speed_n_threads: rate(3) / rate(2),
        raftspec_thread_scaling: rate(3) / rate(1),
        stateright_thread_scaling: rate(2) / rate(0),
        memory: runs[0].bytes_per_state / runs[1].bytes_per_state,
        symmetry_reduction: runs[1].unique_states as f64 / runs[4].unique_states as f64,
        symmetric_counts_identical: runs[4].unique_states == runs[5].unique_states
            && runs[4].total_states == runs[5].total_states,
    };
    Ok(VariantBench {
        variant: v,
        bounds: bounds.to_string(),
        threads,
        runs,
        ratios,
    })
}

fn print_table(b: &VariantBench) {
    println!("== {}: {}", b.variant, b.bounds);
    println!(
        "  {:34} {:>11} {:>8} {:>10} {:>9} {:>9} {:>10}",
        "configuration", "states", "seconds", "states/s", "peak MiB", "bytes/st", "spilled MiB"
    );
    for r in &b.runs {
        println!(
            "  {:34} {:>11} {:>8.2} {:>10.0} {:>9.0} {:>9.1} {:>10.0}",
            r.label,
            r.unique_states,
            r.seconds,
            r.states_per_second,
            r.peak_memory_bytes as f64 / (1 << 20) as f64,
            r.bytes_per_state,
            r.spilled_bytes as f64 / (1 << 20) as f64
        );
    }
    let r = &b.ratios;
    println!(
        "  raftspec vs stateright: {:.2}x states/s on 1 thread, {:.2}x on {} threads, {:.2}x less memory per state",
        r.speed_1_thread, r.speed_n_threads, b.threads, r.memory
    );
    println!(
        "  thread scaling ({} threads): raftspec {:.2}x, stateright {:.2}x",
        b.threads, r.raftspec_thread_scaling, r.stateright_thread_scaling
    );
    println!(
        "  symmetry: {:.2}x fewer states; counts at 1 and {} threads {}",
        r.symmetry_reduction,
        b.threads,
        if r.symmetric_counts_identical {
            "identical"
        } else {
            "DIFFER"
        }
    );
    println!();
}

pub fn run(a: EngineBench) -> Result<Outcome> {
    let variants = crate::args::parse_variants(&a.variant)?;
    let threads = crate::args::threads(a.threads)?;
    let mut out = Vec::new();
    for v in variants {
        let b = bench_variant(v, &a, threads)?;
        if !a.json {
            print_table(&b);
        }
        out.push(b);
    }
    if a.json {
        let reports = out
            .iter()
            .map(|b| crate::json::report(b, b.ratios.symmetric_counts_identical))
            .collect::<Result<Vec<_>>>()?;
        crate::json::Doc::reports("bench engine", reports).print()?;
    }
    let identical = out.iter().all(|b| b.ratios.symmetric_counts_identical);
    Ok(if identical {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}
