//! `raftspec chaos`: a Jepsen-style nemesis against a real local cluster on loopback. Clients
//! write and read while faults (kill -9, SIGSTOP pauses, partitions through per-link proxies,
//! one-way partitions, delays, a full or slow disk) hit random nodes, the leader half of the time; then everything
//! heals, every acknowledged write is read back, and the register histories are checked for
//! linearizability. Exit 0 if nothing acknowledged was lost and every history is
//! linearizable, 1 otherwise.

mod nemesis;
mod proxy;
mod workload;

use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use nemesis::{Fault, Nemesis};
use raftspec_impl::client::Client;
use raftspec_impl::local::LocalCluster;
use raftspec_impl::node::{format_members, Member, Mode};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use workload::{Call, Rng, Tally};

#[derive(Args, Debug)]
pub struct ChaosArgs {
    /// Protocol: raft (push) or kraft (pull).
    #[arg(long)]
    pub mode: Mode,
    /// How long to inject faults: e.g. 60s, 2m, 90 (seconds).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Number of nodes (3-5).
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Faults to inject, comma-separated (default: all).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "kill,pause,partition,one-way,delay,disk-full,disk-slow"
    )]
    pub faults: Vec<Fault>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 3)]
    pub clients: u64,
    /// Seed of the fault schedule (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Directory for the nodes' data and logs (default: a fresh one under the temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 60s, 2m, 90)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use s or m)")),
    };
    if !(1..=3600).contains(&secs) {
        return Err(format!("{s:?}: between 1 second and 1 hour"));
    }
    Ok(Duration::from_secs(secs))
}

/// A cluster whose nodes reach each other only through proxies.
fn start_cluster(a: &ChaosArgs, dir: &std::path::Path) -> Result<(LocalCluster, Vec<proxy::Link>)> {
    let exe = std::env::current_exe().context("locating the raftspec binary")?;
    let mut c = LocalCluster::new(&exe, a.mode, a.nodes, dir, None)
        .with_context(|| format!("preparing {}", dir.display()))?;
    c.die_with_parent = true;
    let cluster_id = format!("chaos-{}-{}", a.mode, std::process::id());
    let faults = dir.join("faults").to_string_lossy().into_owned();
    c.node_args = [
        "--fault-dir",
        &faults,
        "--heartbeat-ms",
        "50",
        "--election-ms",
        "300",
        "--cluster-id",
        &cluster_id,
    ]
    .map(String::from)
    .to_vec();
    let real = c.members();
    let mut links = Vec::new();
    for i in 0..a.nodes {
        let mut view: BTreeMap<u64, Member> = real.clone();
        for (j, m) in view.iter_mut() {
            if *j as usize != i {
                let link = proxy::Link::start(i, *j as usize, m.peer)?;
                m.peer = link.listen;
                links.push(link);
            }
        }
        c.peers_override[i] = Some(format_members(&view));
    }
    c.start_all().context("starting the nodes")?;
    if c.wait_for_leader(Duration::from_secs(20)).is_none() {
        bail!(
            "no leader within 20 s; see the node logs in {}",
            dir.display()
        );
    }
    Ok((c, links))
}

#[derive(Default)]
struct Schedule {
    injected: BTreeMap<String, u32>,
}

/// Inject faults until `until`: one at a time, held for 0.5-2.5 s, then healed.
fn run_nemesis(
    c: &mut LocalCluster,
    n: &mut Nemesis,
    faults: &[Fault],
    until: Instant,
) -> Result<Schedule> {
    let mut s = Schedule::default();
    let mut round = 0usize;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(300 + n.rng.below(1200)));
        let fault = faults[round % faults.len()];
        let leader = if round.is_multiple_of(2) {
            c.leader()
        } else {
            None
        };
        let victim = leader.unwrap_or_else(|| n.rng.below(c.nodes.len() as u64) as usize);
        let whom = if leader.is_some() { "leader" } else { "any" };
        round += 1;
        n.inject(c, fault, victim);
        *s.injected
            .entry(format!("{fault:?} ({whom})").to_lowercase())
            .or_default() += 1;
        std::thread::sleep(Duration::from_millis(500 + n.rng.below(2000)));
        n.heal_all(c).context("healing")?;
    }
    Ok(s)
}

pub fn run(a: ChaosArgs) -> Result<Outcome> {
    if !(3..=5).contains(&a.nodes) {
        bail!("--nodes must be between 3 and 5");
    }
    if a.faults.is_empty() || !(1..=16).contains(&a.clients) {
        bail!("--faults must name at least one fault and --clients be 1-16");
    }
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("raftspec-chaos-{}-{}", a.mode, std::process::id()))
    });
    let _ = std::fs::remove_dir_all(dir.join("node-0")); // a previous run's data is not ours
    let (mut c, links) = start_cluster(&a, &dir)?;
    println!(
        "chaos: {} cluster of {} nodes in {}, faults {:?}, {} clients, seed {seed}, {:?}",
        a.mode,
        a.nodes,
        dir.display(),
        a.faults,
        a.clients,
        a.duration
    );
    println!("network faults go through per-link proxies, disk faults through the nodes' --fault-dir hooks");
    let stop = Arc::new(AtomicBool::new(false));
    let urls = c.urls();
    let clients: Vec<_> = (0..a.clients)
        .map(|t| {
            let (urls, stop) = (urls.clone(), stop.clone());
            std::thread::spawn(move || workload::client(t, seed, urls, stop))
        })
        .collect();
    let mut nemesis = Nemesis {
        links,
        rng: Rng(seed | 1),
        fault_dir: dir.join("faults"),
    };
    let schedule = run_nemesis(&mut c, &mut nemesis, &a.faults, Instant::now() + a.duration);
    stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = clients
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let schedule = schedule?;
    nemesis.heal_all(&mut c)?;
    let verdict = check(&c, &tallies, &schedule)?;
    Ok(verdict)
}

/// Read back every acknowledged write and check the register histories; print the summary.
fn check(c: &LocalCluster, tallies: &[Tally], schedule: &Schedule) -> Result<Outcome> {
    if c.wait_for_leader(Duration::from_secs(30)).is_none() {
        bail!("no leader 30 s after the faults stopped");
    }
    let mut reader = Client::new(&c.urls(), false);
    reader.deadline = Duration::from_secs(20);
    let acked: Vec<&(String, String)> = tallies.iter().flat_map(|t| &t.acked).collect();
    let mut lost = Vec::new();
    for (k, v) in &acked {
        match reader.get(k) {
            Ok(Some(got)) if got == *v => {}
            other => lost.push(format!("{k}: wrote {v}, read {other:?}")),
        }
    }
    let mut by_key: BTreeMap<String, Vec<Call>> = BTreeMap::new();
    for call in tallies.iter().flat_map(|t| t.calls.iter().cloned()) {
        by_key.entry(call.key.clone()).or_default().push(call);
    }
    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
    println!("faults injected: {:?}", schedule.injected);
    println!(
        "operations: {} attempted, {} acknowledged unique writes, {} register ops, {} outcome unknown, {} failed (not executed)",
        sum(|t| t.attempted),
        acked.len(),
        by_key.values().map(Vec::len).sum::<usize>(),
        sum(|t| t.indeterminate),
        sum(|t| t.failed)
    );
    println!("lost acknowledged writes: {}", lost.len());
    for l in lost.iter().take(10) {
        println!("  {l}");
    }
    let mut all_linear = true;
    for (k, calls) in &by_key {
        let v = workload::linearizable(calls);
        let ok = v == Ok(true);
        all_linear &= ok;
        println!(
            "history of {k}: {} ops, {}",
            calls.len(),
            match v {
                Ok(true) => "linearizable".to_string(),
                Ok(false) => "NOT linearizable".to_string(),
                Err(e) => format!("checker error: {e}"),
            }
        );
        if !ok {
            for call in calls.iter().take(40) {
                println!("    {call:?}");
            }
        }
    }
    let pass = lost.is_empty() && all_linear && !acked.is_empty();
    println!("result: {}", if pass { "PASS" } else { "FAIL" });
    Ok(if pass { Outcome::Pass } else { Outcome::Fail })
}
