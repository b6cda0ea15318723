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
    loop {
        std::thread::sleep(Duration::from_millis(500));
        for (i, why) in c.reap_exited() {
            eprintln!(
                "node {i} exited ({why}); restart it with the command in {}",
                a.dir.display()
            );
            c.write_manifest().ok();
        }
    }
}
