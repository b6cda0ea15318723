//! One runnable node: a core, its storage, the transport, timers and the HTTP API.
//!
//! Threads: the driver ([`driver`]) owns the core, the storage and the KV state and is the only
//! one that touches them; transport threads and HTTP workers talk to it through one channel.

pub mod driver;
pub mod gate;
pub mod http;

use crate::core::NodeId;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Raft,
    Kraft,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Raft => "raft",
            Mode::Kraft => "kraft",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mode name that is neither `raft` nor `kraft`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?} (expected raft or kraft)")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        match s {
            "raft" => Ok(Mode::Raft),
            "kraft" => Ok(Mode::Kraft),
            _ => Err(UnknownMode(s.to_string())),
        }
    }
}

/// Where a cluster member listens: its peer port, and its HTTP address if known (for
/// redirecting clients to the leader).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub peer: SocketAddr,
    pub http: Option<SocketAddr>,
}

/// What is wrong with a member list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MembersError {
    #[error("peer {0:?}: expected ID=PEER_ADDR[/HTTP_ADDR]")]
    Syntax(String),
    #[error("peer {item:?}: {id:?} is not a node id")]
    BadId { item: String, id: String },
    #[error("peer {item:?}: {addr:?} is not an IP:PORT address")]
    BadAddress { item: String, addr: String },
    #[error("node id {0} appears twice in the peer list")]
    Duplicate(NodeId),
    #[error("the peer list is empty")]
    Empty,
}

/// Parse a member list: `ID=PEER_ADDR[/HTTP_ADDR],...`, e.g.
/// `0=127.0.0.1:7000/127.0.0.1:8000,1=127.0.0.1:7001/127.0.0.1:8001`.
pub fn parse_members(s: &str) -> Result<BTreeMap<NodeId, Member>, MembersError> {
    let mut out = BTreeMap::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (id, addrs) = item
            .split_once('=')
            .ok_or_else(|| MembersError::Syntax(item.to_string()))?;
        let id: NodeId = id.trim().parse().map_err(|_| MembersError::BadId {
            item: item.to_string(),
            id: id.to_string(),
        })?;
        let (peer, http) = match addrs.split_once('/') {
            Some((p, h)) => (p, Some(h)),
            None => (addrs, None),
        };
        let parse = |a: &str| -> Result<SocketAddr, MembersError> {
            a.trim().parse().map_err(|_| MembersError::BadAddress {
                item: item.to_string(),
                addr: a.to_string(),
            })
        };
        let m = Member {
            peer: parse(peer)?,
            http: http.map(parse).transpose()?,
        };
        if out.insert(id, m).is_some() {
            return Err(MembersError::Duplicate(id));
        }
    }
    if out.is_empty() {
        return Err(MembersError::Empty);
    }
    Ok(out)
}

/// Render a member list in the form [`parse_members`] reads.
pub fn format_members(members: &BTreeMap<NodeId, Member>) -> String {
    members
        .iter()
        .map(|(id, m)| match m.http {
            Some(h) => format!("{id}={}/{h}", m.peer),
            None => format!("{id}={}", m.peer),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Timer settings of a production node.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Raft leader heartbeat; KRaft BeginQuorumEpoch resend.
    pub heartbeat: Duration,
    /// Election (KRaft: fetch) timeout, drawn uniformly from [min, max).
    pub election_min: Duration,
    pub election_max: Duration,
    /// KRaft: how long the leader may hold a caught-up follower's fetch (long poll).
    pub fetch_max_wait: Duration,
    /// KRaft follower: refetch if no answer within this time.
    pub fetch_retry: Duration,
    /// KRaft leader: check-quorum period.
    pub check_quorum: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            heartbeat: Duration::from_millis(50),
            election_min: Duration::from_millis(400),
            election_max: Duration::from_millis(800),
            fetch_max_wait: Duration::from_millis(50),
            fetch_retry: Duration::from_millis(200),
            check_quorum: Duration::from_millis(1200),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub id: NodeId,
    pub mode: Mode,
    /// Every voter, this node included.
    pub members: BTreeMap<NodeId, Member>,
    pub data_dir: PathBuf,
    pub http: SocketAddr,
    pub timing: Timing,
    /// The cluster's identity, checked against the data directory (and, with a secret,
    /// bound into every peer frame's authentication).
    pub cluster: String,
    /// Rebuild this node from its peers on an empty data directory (see
    /// [`crate::storage::Rejoin`] for the voting rule that keeps this safe).
    pub rejoin_empty: bool,
    /// The cluster's shared secret: every peer frame carries an HMAC-SHA256 under it (and
    /// the cluster id). Without one, frames are keyed by the cluster id alone.
    pub secret: Option<Vec<u8>>,
    /// Chaos runs only: a directory whose `full` / `slow` files inject disk faults.
    pub fault_dir: Option<PathBuf>,
}

/// The default cluster id: derived from the member list, so that a data directory is refused
/// by a cluster with other members.
pub fn default_cluster_id(mode: Mode, members: &BTreeMap<NodeId, Member>) -> String {
    let peers: Vec<String> = members
        .iter()
        .map(|(id, m)| format!("{id}={}", m.peer))
        .collect();
    let canon = format!("{mode}:{}", peers.join(","));
    format!("{mode}-{:08x}", crc32fast::hash(canon.as_bytes()))
}

/// Why a node stopped or could not start. `Usage` errors (bad configuration, a data directory
/// that is not ours) are the caller's to report with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("{0}")]
    Usage(String),
    #[error("storage: {0}")]
    Storage(crate::storage::StorageError),
    /// The core refused to go on.
    #[error(transparent)]
    Core(#[from] crate::core::Fatal),
    #[error("event channel closed")]
    ChannelClosed,
}

/// Open the node's storage; a damaged or foreign directory is a usage error that says what to
/// do about it.
fn open_storage(
    cfg: &NodeConfig,
) -> Result<
    (
        crate::storage::Storage,
        crate::core::PersistentState,
        crate::storage::Recovery,
    ),
    NodeError,
> {
    use crate::storage::{FsDisk, Identity, Storage, StorageError};
    let ident = Identity {
        mode: cfg.mode.as_str().to_string(),
        id: cfg.id,
        cluster: cfg.cluster.clone(),
    };
    let opened = FsDisk::open(&cfg.data_dir).and_then(|d| {
        let disk = d.with_faults(cfg.fault_dir.clone());
        Storage::open(Box::new(disk), &ident, cfg.rejoin_empty)
    });
    opened.map_err(|e| match e {
        StorageError::NotOurs(m) => NodeError::Usage(m),
        StorageError::Corrupt(m) => NodeError::Usage(format!(
            "refusing to start: {} is damaged: {m}. Nothing was changed. Restore the \
             directory from a backup, or rebuild this node from its peers: move the \
             directory away and start with --rejoin-empty",
            cfg.data_dir.display()
        )),
        e => NodeError::Storage(e),
    })
}

/// Run a node until a fatal error. Never returns `Ok` in normal operation.
pub fn run(cfg: NodeConfig) -> Result<(), NodeError> {
    let me = own_member(&cfg)?;
    let peer_listener = std::net::TcpListener::bind(me.peer)
        .map_err(|e| NodeError::Usage(format!("cannot listen on {} for peers: {e}", me.peer)))?;
    let http = std::net::TcpListener::bind(cfg.http)
        .map_err(|e| NodeError::Usage(format!("cannot listen on {} for HTTP: {e}", cfg.http)))?;
    let (storage, persisted, recovery) = open_storage(&cfg)?;
    announce(&cfg, me, &persisted, &recovery, storage.rejoin());
    let voters: Vec<NodeId> = cfg.members.keys().copied().collect();
    match cfg.mode {
        Mode::Raft => {
            let core = crate::core::raft::RaftCore::restore(
                cfg.id,
                &voters,
                crate::core::raft::Config::production(),
                persisted,
            );
            driver::Driver::start(cfg, core, storage, peer_listener, http)
        }
        Mode::Kraft => {
            let core = crate::core::kraft::KraftCore::restore(
                cfg.id,
                &voters,
                crate::core::kraft::Config::production(),
                persisted,
            );
            driver::Driver::start(cfg, core, storage, peer_listener, http)
        }
    }
}

/// This node's entry in the member list (its absence is a usage error).
fn own_member(cfg: &NodeConfig) -> Result<&Member, NodeError> {
    cfg.members.get(&cfg.id).ok_or_else(|| {
        NodeError::Usage(format!(
            "node id {} is not in the peer list ({})",
            cfg.id,
            cfg.members
                .keys()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// Says on stderr what the node starts from (its data, what recovery did, where it listens)
/// and what it will not do yet (no authentication; a rebuilt node's voting rule).
fn announce(
    cfg: &NodeConfig,
    me: &Member,
    persisted: &crate::core::PersistentState,
    recovery: &crate::storage::Recovery,
    rejoin: Option<crate::storage::Rejoin>,
) {
    eprintln!(
        "node {}: {} mode, data {} ({}), {} entries recovered{}, term {}, peers on {}, http on {}",
        cfg.id,
        cfg.mode,
        cfg.data_dir.display(),
        if recovery.created { "new" } else { "existing" },
        recovery.entries,
        if recovery.torn_bytes_cut > 0 {
            format!(
                " (cut a torn final record of {} bytes)",
                recovery.torn_bytes_cut
            )
        } else {
            String::new()
        },
        persisted.hard_state.term,
        me.peer,
        cfg.http
    );
    if cfg.secret.is_none() {
        eprintln!(
            "node {}: no --secret-file: peers are not authenticated",
            cfg.id
        );
    }
    if let Some(r) = rejoin {
        match r.vote_floor {
            None => eprintln!(
                "node {}: rebuilt with --rejoin-empty: neither votes nor campaigns until it has \
                 heard from every member and caught up with a leader",
                cfg.id
            ),
            Some(f) => eprintln!(
                "node {}: rebuilt node: votes only in terms above {f}",
                cfg.id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_lists_round_trip_and_reject_garbage() {
        let s = "0=127.0.0.1:7000/127.0.0.1:8000,1=127.0.0.1:7001";
        let m = parse_members(s).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(format_members(&m), s);
        assert!(parse_members("").is_err());
        assert!(parse_members("x=1.2.3.4:5").is_err());
        assert!(parse_members("0=nowhere").is_err());
        assert!(parse_members("0=127.0.0.1:1,0=127.0.0.1:2").is_err());
    }
}
