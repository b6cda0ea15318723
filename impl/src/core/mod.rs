//! Sans-I/O consensus cores: deterministic state machines that take one input and return what
//! to persist and what to send. No clocks, no randomness, no I/O: timers are inputs, and a
//! restart is a constructor from the persisted state.
//!
//! Positions: both cores keep the log as a `Vec<Entry>`. Raft numbers entries from 1 (index i is
//! `log[i - 1]`), KRaft from offset 0 (offset o is `log[o]`). Raft's commit index and KRaft's high
//! watermark therefore both equal "the number of committed entries", which is what the node
//! layer uses to apply entries without caring about the variant.

/// `mutant!(self, Name)` is true iff the `mutants` feature is on and the core was configured
/// with that mutant. Without the feature it is the constant `false`.
macro_rules! mutant {
    ($cfg:expr, $m:ident) => {{
        #[cfg(feature = "mutants")]
        {
            $cfg.mutant == Some($crate::core::Mutant::$m)
        }
        #[cfg(not(feature = "mutants"))]
        {
            false
        }
    }};
}
pub(crate) use mutant;

/// `mutated!(self.cfg)` is true iff the `mutants` feature is on and the core was configured
/// with any mutant: the core's `debug_assert!` rules are then allowed to break.
macro_rules! mutated {
    ($cfg:expr) => {{
        #[cfg(feature = "mutants")]
        {
            $cfg.mutant.is_some()
        }
        #[cfg(not(feature = "mutants"))]
        {
            false
        }
    }};
}

/// `cov!(Name)`: counts a hit of coverage mark `Name` (a no-op without feature `mutants`).
macro_rules! cov {
    ($m:ident) => {
        $crate::core::cov::hit($crate::core::cov::Mark::$m)
    };
}

pub mod cov;
mod durable;
mod frame;
pub mod kraft;
#[cfg(feature = "mutants")]
mod mutants;
pub mod raft;
#[cfg(test)]
mod testnet;

#[cfg(feature = "mutants")]
pub use mutants::Mutant;

use serde::{Deserialize, Serialize};

/// A server id. The model numbers servers `0..n`; production uses the same.
pub type NodeId = u64;

/// One log entry: the term (epoch) it was created in and what it carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub term: u64,
    pub data: EntryData,
}

/// What an entry carries. Raft only ever uses `Command`; KRaft leaders start their epoch with a
/// `LeaderChange` control record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryData {
    /// Opaque bytes for the state machine above (the KV layer encodes its commands here).
    Command(#[serde(with = "hex_bytes")] Vec<u8>),
    /// KRaft control record appended by a new leader at its epoch start offset.
    LeaderChange { leader: NodeId },
}

impl Entry {
    pub fn command(term: u64, payload: impl Into<Vec<u8>>) -> Entry {
        Entry {
            term,
            data: EntryData::Command(payload.into()),
        }
    }
}

/// What survives a crash: term/epoch, vote, (KRaft: known leader) and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardState {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    /// KRaft persists the elected leader in its quorum-state file (as Kafka does); Raft leaves
    /// it `None`.
    pub leader: Option<NodeId>,
}

/// The whole persisted state a core is rebuilt from on restart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersistentState {
    pub hard_state: HardState,
    pub log: Vec<Entry>,
}

/// Timers. Each core ignores the ones that do not apply to its current role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Timer {
    /// Raft follower/candidate; KRaft unattached/voted/candidate/follower (the fetch timeout)/
    /// resigned: start an election.
    ElectionTimeout,
    /// Raft leader: send AppendEntries to every peer.
    HeartbeatTimeout,
    /// KRaft follower: send a Fetch to the leader.
    FetchTimeout,
    /// KRaft leader: resign unless a majority fetched since the last check.
    CheckQuorumTimeout,
    /// KRaft leader: resend BeginQuorumEpoch to voters that have not fetched in this epoch.
    BeginQuorumEpochTimeout,
}

/// One input to a core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input<M> {
    /// A message from a peer.
    Receive { from: NodeId, msg: M },
    /// A timer fired.
    Timer(Timer),
    /// A client proposal (opaque bytes).
    Propose(Vec<u8>),
}

/// What the driver must make durable before it sends any of the messages of the same step.
/// Order: truncate, then append, then write the hard state, then fsync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persist {
    /// Keep only the first `n` entries.
    pub truncate_to: Option<u64>,
    /// Entries to append at the (possibly truncated) end.
    pub append: Vec<Entry>,
    /// A new term/vote/leader to write atomically.
    pub hard_state: Option<HardState>,
}

impl Persist {
    pub fn is_empty(&self) -> bool {
        self.truncate_to.is_none() && self.append.is_empty() && self.hard_state.is_none()
    }
}

/// Why a core refuses to go on: the driver must stop the node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fatal {
    /// KRaft: a DivergingEpoch would drop entries below the high watermark.
    #[error(
        "leader {leader} asks to truncate to offset {target}, below the high watermark {high_watermark}"
    )]
    TruncateBelowHighWatermark {
        leader: NodeId,
        target: u64,
        high_watermark: u64,
    },
}

/// The outcome of a client proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proposal {
    /// Appended at this position (0-based, i.e. the entry's place in the log vector) in `term`.
    /// It is committed once the commit count exceeds `position` and the entry there still has
    /// `term`.
    Accepted { position: u64, term: u64 },
    /// Not the leader; the known leader, if any.
    NotLeader { leader: Option<NodeId> },
}

/// Everything one step produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output<M> {
    pub persist: Persist,
    /// Messages to send once `persist` is durable.
    pub send: Vec<(NodeId, M)>,
    /// The commit count (Raft commitIndex, KRaft HW) if this step raised it.
    pub committed: Option<u64>,
    /// The driver should restart its election (KRaft: fetch) timer: the current leader was
    /// heard from, a vote was granted, or an election started.
    pub reset_election_timer: bool,
    /// KRaft: an EndQuorumEpoch named this node; the driver may shorten its election timer in
    /// proportion to `rank` (0 = first choice).
    pub elect_soon: Option<usize>,
    /// KRaft follower: the previous fetch completed, a production driver may fetch again now.
    pub fetch_again: bool,
    /// The answer to a `Propose` input.
    pub proposal: Option<Proposal>,
    /// An invariant the core refuses to break (e.g. truncating below the high watermark).
    /// The driver must stop the node.
    pub fatal: Option<Fatal>,
}

impl<M> Default for Output<M> {
    fn default() -> Self {
        Output {
            persist: Persist::default(),
            send: Vec::new(),
            committed: None,
            reset_election_timer: false,
            elect_soon: None,
            fetch_again: false,
            proposal: None,
            fatal: None,
        }
    }
}

/// The role as the driver and `/status` see it (both variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
    /// KRaft only.
    Unattached,
    /// KRaft only.
    Voted,
    /// KRaft only.
    Resigned,
}

/// A variant-independent summary, for the node layer and `/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub id: NodeId,
    pub role: Role,
    pub term: u64,
    pub leader: Option<NodeId>,
    pub log_len: u64,
    pub committed: u64,
}

/// The interface the node layer drives. The conformance harness uses the concrete cores.
pub trait Core: Send + 'static {
    type Message: Clone + std::fmt::Debug + Serialize + for<'de> Deserialize<'de> + Send + 'static;
    fn step(&mut self, input: Input<Self::Message>) -> Output<Self::Message>;
    fn summary(&self) -> Summary;
    fn log(&self) -> &[Entry];
    /// The timers the core arms in its current role, in the order a driver should fire them
    /// when several are due at once. A driver runs exactly these (a timer of another role is
    /// ignored by the core anyway).
    fn timers(&self) -> &'static [Timer];
    /// A production driver may hold this message back for a while instead of stepping it at
    /// once (KRaft long-poll: a caught-up follower's fetch that carries no new acknowledgement).
    /// Delaying a message is always safe: the network may delay it too.
    fn may_defer(&self, _from: NodeId, _msg: &Self::Message) -> bool {
        false
    }
}

/// Majority size for `n` voters.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// The voters, this server among them, sorted and without repeats.
pub(crate) fn voter_set(id: NodeId, voters: &[NodeId]) -> Vec<NodeId> {
    let mut voters = voters.to_vec();
    if !voters.contains(&id) {
        voters.push(id);
    }
    voters.sort_unstable();
    voters.dedup();
    voters
}

/// Payload bytes as a hex string on the wire: readable, and 2 bytes per byte instead of the
/// 2-4 of a JSON number array.
mod hex_bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s.len() % 2 != 0 {
            return Err(D::Error::custom("odd-length hex string"));
        }
        fn nibble(c: u8) -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            }
        }
        s.as_bytes()
            .chunks(2)
            .map(|p| match (nibble(p[0]), nibble(p[1])) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                _ => Err(D::Error::custom("invalid hex digit")),
            })
            .collect()
    }
}
