//! `raftspec bench`: benchmarks. `bench cluster` measures the real implementation: push (Raft)
//! against pull (KRaft), on local clusters of real processes.

use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use raftspec_impl::client::Client;
use raftspec_impl::local::LocalCluster;
use raftspec_impl::node::Mode;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: BenchTarget,
}

#[derive(Subcommand, Debug)]
pub enum BenchTarget {
    /// The implementation: committed writes/s, commit latency, messages, bytes and leader CPU
    /// per committed entry, for each mode and cluster size.
    Cluster(ClusterBench),
    /// The checking engines side by side (raftspec's and stateright's): states/s, bytes per
    /// state, thread scaling, symmetry, spilling; as ratios measured in one run.
    #[command(alias = "model")]
    Engine(super::bench_engine::EngineBench),
    /// The timely engine on 1 to P local processes: states/s, bytes on the wire per unique
    /// state, memory per process, and a projection (specs/distributed.md).
    Distributed(super::bench_dist::DistBench),
    /// `raftspec hunt`'s time to find every catalog bug at the deep profile's bounds.
    Hunt(super::bench_dist::HuntBench),
}

#[derive(Args, Debug)]
pub struct ClusterBench {
    /// Modes to measure.
    #[arg(long, value_delimiter = ',', default_value = "raft,kraft")]
    pub modes: Vec<Mode>,
    /// Cluster sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "3,5")]
    pub nodes: Vec<usize>,
    /// Measured seconds per configuration (after a warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent client threads, each with one write in flight.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Bytes per value.
    #[arg(long, default_value_t = 16)]
    pub value_size: usize,
    /// Write the table into this Markdown file, under "## Measured on the implementation"
    /// (replacing that section only), e.g. specs/push-vs-pull.md.
    #[arg(long)]
    pub record: Option<PathBuf>,
}

pub fn run(a: BenchArgs) -> Result<Outcome> {
    match a.target {
        BenchTarget::Cluster(c) => cluster(c),
        BenchTarget::Engine(m) => super::bench_engine::run(m),
        BenchTarget::Distributed(d) => super::bench_dist::distributed(d),
        BenchTarget::Hunt(h) => super::bench_dist::hunt_bench(h),
    }
}

struct Row {
    mode: Mode,
    nodes: usize,
    writes_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    msgs_per_entry: f64,
    bytes_per_entry: f64,
    leader_cpu_us_per_entry: f64,
    acked: u64,
    leader_changed: bool,
}

fn cluster(a: ClusterBench) -> Result<Outcome> {
    if a.clients == 0 || a.seconds == 0 || a.nodes.iter().any(|&n| !(1..=9).contains(&n)) {
        bail!("--clients and --seconds must be positive, --nodes between 1 and 9");
    }
    let exe = std::env::current_exe().context("locating the raftspec binary")?;
    let mut rows = Vec::new();
    for &n in &a.nodes {
        for &mode in &a.modes {
            eprintln!(
                "bench: {mode}, {n} nodes, {} s, {} clients",
                a.seconds, a.clients
            );
            rows.push(measure(&exe, mode, n, &a)?);
        }
    }
    let table = render(&rows, &a);
    println!("{table}");
    if let Some(path) = &a.record {
        record(path, &table).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("recorded in {}", path.display());
    }
    Ok(Outcome::Pass)
}

fn sum(statuses: &[(usize, Value)], field: &str) -> u64 {
    statuses
        .iter()
        .map(|(_, s)| s[field].as_u64().unwrap_or(0))
        .sum()
}

fn field(statuses: &[(usize, Value)], i: usize, f: &str) -> u64 {
    statuses
        .iter()
        .find(|(j, _)| *j == i)
        .and_then(|(_, s)| s[f].as_u64())
        .unwrap_or(0)
}

/// One row: a fresh local cluster of `n` nodes in `mode`, warmed up, then `a.clients` writers
/// for `a.seconds`; the leader's counters before and after give the per-entry costs.
fn measure(exe: &Path, mode: Mode, n: usize, a: &ClusterBench) -> Result<Row> {
    let dir =
        std::env::temp_dir().join(format!("raftspec-bench-{}-{mode}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = LocalCluster::new(exe, mode, n, &dir, None)?;
    c.die_with_parent = true;
    c.start_all()?;
    let leader = c
        .wait_for_leader(Duration::from_secs(20))
        .context("no leader elected within 20 s")?;
    let endpoints = leader_first(&c, leader);
    warm_up(&endpoints)?;
    let before = c.statuses();
    let load = write_load(&endpoints, a);
    let after = c.statuses();
    let leader_after = c.leader();
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
    let leader_costs = Costs {
        before: &before,
        after: &after,
        leader,
    };
    Ok(leader_costs.row(mode, n, load, leader_after != Some(leader)))
}

/// The cluster's node URLs, the leader's first.
fn leader_first(c: &LocalCluster, leader: usize) -> Vec<String> {
    let leader_url = c.nodes[leader].url();
    let mut endpoints = vec![leader_url.clone()];
    endpoints.extend(c.urls().into_iter().filter(|u| *u != leader_url));
    endpoints
}

/// Warm up: connections, the leader's first entries, page cache.
fn warm_up(endpoints: &[String]) -> Result<()> {
    let mut w = Client::new(endpoints, true);
    for i in 0..50 {
        w.put(&format!("warm-{i}"), "x")
            .context("warm-up write failed")?;
    }
    Ok(())
}

/// What the writers did: each acknowledged write's latency (sorted), and the seconds they ran.
struct Load {
    latencies: Vec<Duration>,
    seconds: f64,
}

/// `a.clients` threads writing `a.value_size`-byte values as fast as they are acknowledged,
/// for `a.seconds`.
fn write_load(endpoints: &[String], a: &ClusterBench) -> Load {
    let value: String = "v".repeat(a.value_size);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..a.clients)
        .map(|t| {
            let (endpoints, value, stop) = (endpoints.to_vec(), value.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut c = Client::new(&endpoints, true);
                let mut lat = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    if c.put(&format!("c{t}-{i}"), &value).is_ok() {
                        lat.push(t0.elapsed());
                    }
                    i += 1;
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(a.seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    latencies.sort();
    Load { latencies, seconds }
}

/// The `p` quantile of sorted latencies, in milliseconds (NaN if there are none).
fn percentile_ms(lat: &[Duration], p: f64) -> f64 {
    if lat.is_empty() {
        return f64::NAN;
    }
    let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
    lat[i].as_secs_f64() * 1000.0
}

/// The nodes' counters before and after the load, and which node led.
struct Costs<'a> {
    before: &'a [(usize, Value)],
    after: &'a [(usize, Value)],
    leader: usize,
}

impl Costs<'_> {
    /// How much a cluster-wide counter grew.
    fn all(&self, f: &str) -> u64 {
        sum(self.after, f).saturating_sub(sum(self.before, f))
    }

    /// How much the leader's counter grew.
    fn leader(&self, f: &str) -> u64 {
        field(self.after, self.leader, f).saturating_sub(field(self.before, self.leader, f))
    }

    fn row(&self, mode: Mode, nodes: usize, load: Load, leader_changed: bool) -> Row {
        let entries = self.leader("commit").max(1) as f64;
        let lat = &load.latencies;
        Row {
            mode,
            nodes,
            writes_per_s: lat.len() as f64 / load.seconds,
            p50_ms: percentile_ms(lat, 0.50),
            p99_ms: percentile_ms(lat, 0.99),
            msgs_per_entry: self.all("msgs_sent") as f64 / entries,
            bytes_per_entry: self.all("bytes_sent") as f64 / entries,
            leader_cpu_us_per_entry: self.leader("cpu_us") as f64 / entries,
            acked: lat.len() as u64,
            leader_changed,
        }
    }
}

fn render(rows: &[Row], a: &ClusterBench) -> String {
    let mut s = String::new();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(
        s,
        "`raftspec bench cluster --seconds {} --clients {} --value-size {}` on {cores} cores, \
         loopback, one process per node, fsync on every batch:\n",
        a.seconds, a.clients, a.value_size
    );
    let _ = writeln!(
        s,
        "| mode | nodes | committed writes/s | p50 ms | p99 ms | msgs/entry | bytes/entry | leader CPU µs/entry | acked writes |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} ({}) | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {}{} |",
            r.mode,
            if r.mode == Mode::Raft { "push" } else { "pull" },
            r.nodes,
            r.writes_per_s,
            r.p50_ms,
            r.p99_ms,
            r.msgs_per_entry,
            r.bytes_per_entry,
            r.leader_cpu_us_per_entry,
            r.acked,
            if r.leader_changed {
                " (leader changed)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "\nmsgs and bytes: sent by all nodes (frames incl. headers), per entry committed by the \
         leader during the run; leader CPU: getrusage of the leader process."
    );
    s
}

const HEADING: &str = "## Measured on the implementation";

/// Replace (or append) the "Measured on the implementation" section of a Markdown file.
fn record(path: &Path, table: &str) -> std::io::Result<()> {
    let old =
        std::fs::read_to_string(path).unwrap_or_else(|_| "# Push (Raft) vs pull (KRaft)\n".into());
    let section = format!("{HEADING}\n\n{}", table.trim_end());
    let new = match old.find(HEADING) {
        Some(start) => {
            let rest = &old[start + HEADING.len()..];
            let end = rest.find("\n## ").map(|i| start + HEADING.len() + i + 1);
            match end {
                Some(e) => format!("{}{section}\n\n{}", &old[..start], &old[e..]),
                None => format!("{}{section}\n", &old[..start]),
            }
        }
        None => format!("{}\n\n{section}\n", old.trim_end()),
    };
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    std::fs::write(path, new)
}
