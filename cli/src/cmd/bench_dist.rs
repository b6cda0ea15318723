//! `raftspec bench distributed` (the timely engine on 1..P local processes) and
//! `raftspec bench hunt` (hunt's time to find every catalog bug at the deep profile's bounds).

use crate::args::{threads, Profile};
use crate::Outcome;
use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use raftspec_engine::hunt::{hunt, HuntOptions};
use raftspec_model::pack::SpecCodec;
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::{bugs, Spec};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Args, Debug)]
pub struct DistBench {
    /// The check to measure: variant and bound flags, as given to `raftspec check`.
    #[arg(long, default_value = "kraft")]
    pub check: String,
    /// Measure 1 to this many local processes.
    #[arg(long, default_value_t = 4)]
    pub max_processes: usize,
    /// Timely workers per process.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// States of the space to project to (3 to 9 billion for term 3, log 2, two values).
    #[arg(long, default_value_t = 6e9)]
    pub project_states: f64,
    /// Cores of each machine in the projection.
    #[arg(long, default_value_t = 16)]
    pub project_cores: usize,
    /// Write the table into this Markdown file, under "## Measured: distributed checking".
    #[arg(long)]
    pub record: Option<PathBuf>,
}

/// One measured configuration.
struct Row {
    setup: String,
    processes: usize,
    unique: u64,
    seconds: f64,
    remote_bytes: u64,
    cache_skips: u64,
    sent_states: u64,
    memory: Vec<u64>,
}

fn run_check(exe: &Path, check: &[&str], extra: &[String]) -> Result<Value> {
    let dir = std::env::temp_dir().join(format!("raftspec-bench-dist-{}", std::process::id()));
    let out = Command::new(exe)
        .arg("check")
        .args(check)
        .args(extra)
        .arg("--json")
        .arg("--trace-out")
        .arg(&dir)
        .output()
        .context("cannot run raftspec check")?;
    let _ = std::fs::remove_dir_all(&dir);
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "raftspec check {} failed: {}",
        check.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let doc: Value =
        serde_json::from_slice(&out.stdout).context("raftspec check printed no JSON")?;
    // The one JSON shape (specs/json.md): the single run's report is the first.
    Ok(doc["reports"][0].clone())
}

fn row(setup: String, processes: usize, v: &Value) -> Row {
    let d = &v["distributed"];
    let u = |x: &Value| x.as_u64().unwrap_or(0);
    let memory = match d["peak_memory_per_process"].as_array() {
        Some(a) => a.iter().map(u).collect(),
        None => vec![u(&v["peak_memory_bytes"])],
    };
    Row {
        setup,
        processes,
        unique: u(&v["unique_states"]),
        seconds: v["seconds"].as_f64().unwrap_or(0.0),
        remote_bytes: u(&d["remote_bytes"]),
        cache_skips: u(&d["cache_skips"]),
        sent_states: u(&d["sent_states"]),
        memory,
    }
}

pub fn distributed(a: DistBench) -> Result<Outcome> {
    ensure!(
        (1..=16).contains(&a.max_processes),
        "--max-processes must be between 1 and 16"
    );
    ensure!(
        (1..=64).contains(&a.workers),
        "--workers must be between 1 and 64"
    );
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let check: Vec<&str> = a.check.split_whitespace().collect();
    ensure!(!check.is_empty(), "--check needs a variant");
    let mut rows = Vec::new();
    eprintln!(
        "measuring raftspec check {} on the single-machine engine",
        a.check
    );
    let base = run_check(&exe, &check, &["--threads".into(), "1".into()])?;
    rows.push(row("raftspec engine, 1 thread".into(), 1, &base));
    for p in 1..=a.max_processes {
        eprintln!(
            "measuring on {p} local process(es) x {} worker(s)",
            a.workers
        );
        let extra = vec![
            "--engine".to_string(),
            "timely".into(),
            "--workers".into(),
            a.workers.to_string(),
            "--processes".into(),
            p.to_string(),
        ];
        let v = run_check(&exe, &check, &extra)?;
        ensure!(
            v["unique_states"] == base["unique_states"]
                && v["total_states"] == base["total_states"],
            "the timely run on {p} processes counted differently from the single-machine engine"
        );
        rows.push(row(
            format!("timely, {p} process(es) x {} worker(s)", a.workers),
            p,
            &v,
        ));
    }
    let table = render(&rows, &a);
    print!("{table}");
    if let Some(f) = &a.record {
        record(f, "## Measured: distributed checking", &table)?;
    }
    Ok(Outcome::Pass)
}

fn render(rows: &[Row], a: &DistBench) -> String {
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "`raftspec bench distributed --check \"{}\"` (local processes on loopback, {} core(s)):\n",
        a.check,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let _ = writeln!(s, "| setup | unique states | seconds | states/s | wire bytes / unique state | duplicates kept off the wire by the cache | peak memory per process (MiB) |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for r in rows {
        let mem: Vec<String> = r.memory.iter().map(|&m| format!("{:.0}", mib(m))).collect();
        let skipped = r.cache_skips as f64 / (r.cache_skips + r.sent_states).max(1) as f64;
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.0} | {:.1} | {:.0}% | {} |",
            r.setup,
            r.unique,
            r.seconds,
            r.unique as f64 / r.seconds.max(1e-9),
            r.remote_bytes as f64 / r.unique.max(1) as f64,
            100.0 * skipped,
            mem.join(" / ")
        );
    }
    if let Some(last) = rows.iter().rev().find(|r| r.processes > 1) {
        let _ = writeln!(s, "\n{}", projection(last, a));
    }
    s
}

/// What the largest measured run implies for a space of `a.project_states` on machines of
/// `a.project_cores` cores, if the rate per busy core and the bytes per state stay what they
/// were (an assumption: a larger run has more levels, larger ones, and a fuller network).
fn projection(r: &Row, a: &DistBench) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let busy = (r.processes * a.workers).min(cores).max(1);
    let per_core = r.unique as f64 / r.seconds.max(1e-9) / busy as f64;
    let memory_per_state = r.memory.iter().sum::<u64>() as f64 / r.unique.max(1) as f64;
    let wire_per_state = r.remote_bytes as f64 / r.unique.max(1) as f64;
    let states = a.project_states;
    let mut s = format!(
        "Projection for {states:.1e} states on machines of {} cores, from the {}-process run ({per_core:.0} states/s per busy core, {memory_per_state:.0} bytes of peak memory per state, {wire_per_state:.0} wire bytes per state):\n\n| machines | hours | memory per machine (GiB) | wire per machine (GiB) |\n|---|---|---|---|\n",
        a.project_cores, r.processes
    );
    for n in [1.0f64, 3.0, 8.0, 32.0] {
        let _ = writeln!(
            s,
            "| {n} | {:.1} | {:.0} | {:.0} |",
            states / (per_core * a.project_cores as f64 * n) / 3600.0,
            states * memory_per_state / n / (1u64 << 30) as f64,
            states * wire_per_state / n / (1u64 << 30) as f64
        );
    }
    s
}

/// Replaces (or appends) a `## ` section of a Markdown file.
fn record(path: &Path, heading: &str, table: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let section = format!("{heading}\n\n{}", table.trim_end());
    let new = match old.find(heading) {
        Some(start) => {
            let rest = &old[start + heading.len()..];
            match rest.find("\n## ") {
                Some(i) => format!("{}{section}\n\n{}", &old[..start], &rest[i + 1..]),
                None => format!("{}{section}\n", &old[..start]),
            }
        }
        None => format!("{}\n\n{section}\n", old.trim_end()),
    };
    std::fs::write(path, new).with_context(|| format!("cannot write {}", path.display()))
}

#[derive(Args, Debug)]
pub struct HuntBench {
    /// Seconds a hunt may take per bug and profile run.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Walker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only these bugs (comma-separated names; default: the whole catalog).
    #[arg(long, value_delimiter = ',')]
    pub bugs: Vec<String>,
    /// Write the table into this Markdown file, under "## Measured: hunt's time to find".
    #[arg(long)]
    pub record: Option<PathBuf>,
}

/// What one hunt found first.
struct Found {
    property: &'static str,
    seconds: f64,
    walk_steps: usize,
    steps: usize,
    walks: u64,
}

struct HuntFirst<'a> {
    a: &'a HuntBench,
    threads: usize,
}

impl SpecVisitor for HuntFirst<'_> {
    type Output = Option<Found>;

    fn visit<S: Spec>(self, spec: S) -> Option<Found> {
        let classify = |x: &S::Action| spec.action_name(x);
        let opts = HuntOptions {
            seconds: self.a.seconds,
            threads: self.threads,
            seed: self.a.seed,
            max_depth: 200,
            classify: &classify,
            stop_at_violation: true,
            shrink_states: 200_000,
        };
        let r = hunt(
            &spec,
            &raftspec_engine::Packed(SpecCodec::<S>::new(false, false)),
            &opts,
        );
        let f = r
            .findings
            .into_iter()
            .filter(|f| f.expectation == stateright::Expectation::Always)
            .min_by(|x, y| x.first_seconds.total_cmp(&y.first_seconds))?;
        Some(Found {
            property: f.property,
            seconds: f.first_seconds,
            walk_steps: f.walk_steps,
            steps: f.path.into_actions().len(),
            walks: r.walks,
        })
    }
}

pub fn hunt_bench(a: HuntBench) -> Result<Outcome> {
    ensure!(
        a.seconds > 0.0 && a.seconds <= 3600.0,
        "--seconds must be between 0 and 3600"
    );
    let threads = threads(a.threads)?;
    let mut rows = bugs::catalog();
    if !a.bugs.is_empty() {
        for b in &a.bugs {
            if !rows.iter().any(|r| r.bug.name() == b) {
                bail!("unknown bug {b:?} (see raftspec bugs)");
            }
        }
        rows.retain(|r| a.bugs.iter().any(|b| b == r.bug.name()));
    }
    let mut s = format!(
        "`raftspec bench hunt --seconds {} --seed {}` ({threads} walker thread(s); walks of at most 200 steps; each bug at the runs of the deep profile in order, until one finds it):\n\n| variant | bug | must violate | deep run | time to find (s) | walks | shortest walk | shrunk to |\n|---|---|---|---|---|---|---|---|\n",
        a.seconds, a.seed
    );
    let mut all = true;
    for entry in &rows {
        let mut cells = None;
        for run in Profile::Deep.runs(entry.variant) {
            eprintln!(
                "hunting {} {} at deep run {}",
                entry.variant, entry.bug, run.name
            );
            let visitor = HuntFirst { a: &a, threads };
            if let Some(f) = with_spec(entry.variant, run.bounds, Some(entry.bug), visitor) {
                let prop = match f.property == entry.property {
                    true => entry.property.to_string(),
                    false => format!("{} (found {})", entry.property, f.property),
                };
                cells = Some(format!(
                    "| {} | {} | {prop} | {} | {:.2} | {} | {} | {} |",
                    entry.variant, entry.bug, run.name, f.seconds, f.walks, f.walk_steps, f.steps
                ));
                break;
            }
        }
        let line = cells.unwrap_or_else(|| {
            all = false;
            format!(
                "| {} | {} | {} | both | not found in {} s | | | |",
                entry.variant, entry.bug, entry.property, a.seconds
            )
        });
        println!("{line}");
        let _ = writeln!(s, "{line}");
    }
    if let Some(f) = &a.record {
        record(f, "## Measured: hunt's time to find", &s)?;
    }
    Ok(if all { Outcome::Pass } else { Outcome::Fail })
}
