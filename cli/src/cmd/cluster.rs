//! `raftspec cluster`: start a local cluster of node processes on loopback and stay in the
//! foreground until Ctrl-C (the nodes die with it).

use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use raftspec_impl::local::{LocalCluster, DEFAULT_PORT_BASE, MANIFEST};
use raftspec_impl::node::Mode;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Protocol: raft (push) or kraft (pull).
    #[arg(long)]
    pub mode: Mode,
    /// Number of nodes (1-9).
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Directory for the nodes' data, logs and cluster.json.
    #[arg(long, default_value = "raftspec-cluster")]
    pub dir: PathBuf,
    /// Peers listen on PORT_BASE+i, HTTP on PORT_BASE+100+i; 0 picks free ports.
    #[arg(long, default_value_t = DEFAULT_PORT_BASE)]
    pub port_base: u16,
}

pub fn run(a: ClusterArgs) -> Result<Outcome> {
    if !(1..=9).contains(&a.nodes) {
        bail!("--nodes must be between 1 and 9");
    }
    // HTTP ports go up to PORT_BASE+100+nodes-1; they must not wrap past 65535.
    let highest = a.port_base as u32 + 100 + a.nodes as u32 - 1;
    if a.port_base != 0 && (a.port_base < 1024 || highest > u16::MAX as u32) {
        bail!(
            "--port-base must be 0 (free ports) or between 1024 and {}",
            u16::MAX as u32 - 100 - (a.nodes as u32 - 1)
        );
    }
    let exe = std::env::current_exe().context("locating the raftspec binary")?;
    let base = (a.port_base != 0).then_some(a.port_base);
    let mut c = LocalCluster::new(&exe, a.mode, a.nodes, &a.dir, base)
        .with_context(|| format!("preparing {}", a.dir.display()))?;
    c.die_with_parent = true;
    c.start_all().context("starting the nodes")?;
    println!(
        "{} cluster of {} nodes in {}",
        a.mode,
        a.nodes,
        a.dir.display()
    );
    for (i, s) in c.nodes.iter().enumerate() {
        println!(
            "  node {}  pid {:>7}  http {}  peers {}  log {}",
            s.id,
            c.pid(i).map(|p| p.to_string()).unwrap_or_default(),
            s.url(),
            s.peer,
            s.log.display()
        );
    }
    println!("endpoints written to {}", a.dir.join(MANIFEST).display());
    println!(
        "try: raftspec kv put a 1 --dir {0}; raftspec kv get a --dir {0}",
        a.dir.display()
    );
    println!("Ctrl-C stops the cluster.");
    match c.wait_for_leader(Duration::from_secs(10)) {
        Some(l) => println!("leader: node {l}"),
        None => eprintln!("no leader yet after 10 s; see the node logs"),
    }
    supervise(&mut c)
}

/// Restart nodes that crashed (killed by a signal), at most once a second each; a node that
/// exited by itself (a refusal to start, say) stays down with its reason in its log.
fn supervise(c: &mut LocalCluster) -> Result<Outcome> {
    use std::os::unix::process::ExitStatusExt;
    loop {
        std::thread::sleep(Duration::from_millis(1000));
        for (i, status) in c.reap_exited() {
            if let Some(sig) = status.signal() {
                eprintln!("node {i} killed by signal {sig}; restarting it");
                if let Err(e) = c.start(i) {
                    eprintln!("node {i}: restart failed: {e}");
                }
            } else {
                eprintln!(
                    "node {i} exited ({status}); see {} and restart it with `raftspec node`",
                    c.nodes[i].log.display()
                );
            }
        }
        c.write_manifest().ok();
    }
}
