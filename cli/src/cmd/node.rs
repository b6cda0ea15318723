//! `raftspec node`: run one node of a Raft or KRaft cluster in the foreground.

use crate::Outcome;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use raftspec_impl::node::{self, Mode, NodeConfig, NodeError, Timing};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// This node's id (must appear in --peers).
    #[arg(long)]
    pub id: u64,
    /// Protocol: raft (push) or kraft (pull).
    #[arg(long)]
    pub mode: Mode,
    /// Every member, this node included: ID=PEER_ADDR[/HTTP_ADDR],... e.g.
    /// 0=127.0.0.1:7100/127.0.0.1:7200,1=127.0.0.1:7101/127.0.0.1:7201
    #[arg(long)]
    pub peers: String,
    /// Data directory (created if absent; refused if it belongs to something else).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Address of the HTTP client API.
    #[arg(long)]
    pub http: SocketAddr,
    /// Raft heartbeat interval (ms).
    #[arg(long, default_value_t = 50)]
    pub heartbeat_ms: u64,
    /// Minimum election (KRaft: fetch) timeout in ms; the maximum is twice this.
    #[arg(long, default_value_t = 400)]
    pub election_ms: u64,
    /// The cluster's id, recorded in the data directory and checked on every start
    /// (default: derived from the mode and the peer list).
    #[arg(long)]
    pub cluster_id: Option<String>,
    /// Rebuild this node from its peers after its data was lost: only on an empty or absent
    /// --data-dir. The node neither votes nor campaigns until it has heard from every other
    /// member and caught up with a leader, and never votes in a term it may have voted in
    /// before (see specs/implementation.md, "Storage").
    #[arg(long)]
    pub rejoin_empty: bool,
    /// File holding the cluster's shared secret (at least 16 bytes; surrounding whitespace
    /// is ignored). Every peer frame is authenticated with HMAC-SHA256 under it; frames from
    /// nodes without it are refused and counted (`peer_frames_refused` in /status). Without
    /// it, frames are keyed by the cluster id only, which keeps other clusters out but does
    /// not authenticate.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Fault injection for `raftspec chaos`: disk faults are read from DIR/node-ID/{full,slow}.
    #[arg(long, hide = true)]
    pub fault_dir: Option<PathBuf>,
}

fn read_secret(path: &std::path::Path) -> Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow!("--secret-file {}: {e}", path.display()))?;
    let secret = bytes.trim_ascii().to_vec();
    if secret.len() < 16 {
        bail!(
            "--secret-file {}: the secret must be at least 16 bytes, found {}",
            path.display(),
            secret.len()
        );
    }
    Ok(secret)
}

pub fn run(a: NodeArgs) -> Result<Outcome> {
    raftspec_impl::local::die_with_parent_if_asked();
    let mut members = node::parse_members(&a.peers).map_err(|e| anyhow!("--peers: {e}"))?;
    let me = members
        .get_mut(&a.id)
        .ok_or_else(|| anyhow!("--peers: node id {} is not in the list", a.id))?;
    me.http = Some(a.http);
    if a.heartbeat_ms == 0 || a.election_ms <= a.heartbeat_ms {
        bail!("--election-ms must be larger than --heartbeat-ms, and both above 0");
    }
    let timing = Timing {
        heartbeat: Duration::from_millis(a.heartbeat_ms),
        election_min: Duration::from_millis(a.election_ms),
        election_max: Duration::from_millis(a.election_ms * 2),
        check_quorum: Duration::from_millis(a.election_ms * 3),
        ..Timing::default()
    };
    let cluster = match a.cluster_id {
        Some(c) if c.trim().is_empty() || c.len() > 256 => {
            bail!("--cluster-id must be 1-256 characters")
        }
        Some(c) => c,
        None => node::default_cluster_id(a.mode, &members),
    };
    let secret = a.secret_file.as_deref().map(read_secret).transpose()?;
    let cfg = NodeConfig {
        fault_dir: a.fault_dir.map(|d| d.join(format!("node-{}", a.id))),
        secret,
        cluster,
        rejoin_empty: a.rejoin_empty,
        id: a.id,
        mode: a.mode,
        members,
        data_dir: a.data_dir,
        http: a.http,
        timing,
    };
    match node::run(cfg) {
        Ok(()) => Ok(Outcome::Pass),
        Err(NodeError::Usage(m)) => bail!("{m}"),
        Err(e) => bail!("node stopped: {e}"),
    }
}
