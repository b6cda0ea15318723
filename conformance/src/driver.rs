//! The driver API: what an implementation provides so that model traces can drive it.
//!
//! An implementation plugs in one node at a time through [`Node`]: feed it an [`Event`], get back
//! the messages it sent, read its abstract [`NodeState`], crash and restart it from what it
//! persisted. Messages stay in the implementation's own type; the node says what each one means
//! in the protocol's vocabulary ([`Node::abstract_message`], the model's message type), which is
//! how the harness matches a message the model delivers with a message the implementation sent.
//!
//! The shape follows quint-connect's driver (a step function plus a state projection), with
//! the network kept by the harness: the implementation never needs to know a model exists.
//! [`crate::adapters`] holds the adapters for raftspec's own cores; another Raft library needs
//! one `impl Node` of the same size.

use raftspec_impl::core::{Persist, PersistentState};
use raftspec_impl::storage::{sim::SimStorage, Crash};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A server id as the models number them: `0..servers`.
pub type NodeId = u8;

/// Timers the protocols know. A node ignores the ones that do not apply to its role; the
/// models fire only those that do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    /// Follower/candidate (KRaft: also unattached, voted, resigned, and a follower's fetch
    /// timeout when it gives up on its leader): start an election.
    Election,
    /// Raft leader: send AppendEntries to every peer.
    Heartbeat,
    /// KRaft follower: send a Fetch to the leader.
    Fetch,
    /// KRaft leader: resign unless a majority fetched since the last check.
    CheckQuorum,
    /// KRaft leader: resend BeginQuorumEpoch to voters that have not fetched yet.
    BeginQuorumEpoch,
}

/// One input to one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<M> {
    /// A message from a peer.
    Receive { from: NodeId, msg: M },
    /// A timer fired.
    Timer(Timer),
    /// A client asks this node to append a value (the models' values are small integers; an
    /// adapter encodes them as its payload).
    ClientRequest(u8),
}

/// Roles of both variants (Raft uses the first three).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
    Unattached,
    Voted,
    Resigned,
    Prospective,
}

/// What a log entry carries, abstractly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Payload {
    /// A client value.
    Value(u8),
    /// KRaft's LeaderChange control record (its epoch names the leader: one per epoch).
    LeaderChange,
    /// Anything the model cannot carry (always a difference).
    Opaque(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogEntry {
    /// Raft term / KRaft epoch the entry was created in.
    pub term: u64,
    pub payload: Payload,
}

impl fmt::Display for LogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.payload {
            Payload::Value(v) => write!(f, "(t{},v{})", self.term, v),
            Payload::LeaderChange => write!(f, "(e{},LeaderChange)", self.term),
            Payload::Opaque(b) => write!(f, "(t{},bytes {:?})", self.term, b),
        }
    }
}

/// Variant-specific detail of a node's state (leader bookkeeping, a candidate's votes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Detail {
    /// A position (log index, offset), or none.
    Position(Option<u64>),
    /// A set of servers.
    Servers(Vec<NodeId>),
    /// A position per server (None: not known yet).
    PerServer(Vec<(NodeId, Option<u64>)>),
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Position(None) => f.write_str("none"),
            Detail::Position(Some(p)) => write!(f, "{p}"),
            Detail::Servers(s) => {
                let s: Vec<String> = s.iter().map(|i| format!("S{i}")).collect();
                write!(f, "{{{}}}", s.join(", "))
            }
            Detail::PerServer(p) => {
                let s: Vec<String> = p
                    .iter()
                    .map(|(i, v)| match v {
                        Some(v) => format!("S{i}: {v}"),
                        None => format!("S{i}: none"),
                    })
                    .collect();
                write!(f, "{{{}}}", s.join(", "))
            }
        }
    }
}

/// The abstract state of one node: what the model and the implementation must agree on after
/// every step.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct NodeState {
    /// Raft term / KRaft epoch.
    pub term: u64,
    pub role: Role,
    pub voted_for: Option<NodeId>,
    pub log: Vec<LogEntry>,
    /// Raft commitIndex / KRaft high watermark: the number of committed entries.
    pub commit: u64,
    /// The leader this node knows of. `None` when this side does not track it (the Raft
    /// model does not), and then it is not compared.
    pub leader: Option<Option<NodeId>>,
    /// Variant-specific fields by name; a field is compared when both sides report it.
    pub detail: BTreeMap<&'static str, Detail>,
}

/// The first field in which two node states differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    pub field: String,
    pub expected: String,
    pub actual: String,
}

fn show_opt(v: Option<NodeId>) -> String {
    v.map_or_else(|| "none".to_string(), |i| format!("S{i}"))
}

fn show_log(log: &[LogEntry]) -> String {
    let cells: Vec<String> = log.iter().map(|e| e.to_string()).collect();
    format!("[{}]", cells.join(", "))
}

impl fmt::Display for NodeState {
    /// One line: term, role, vote, log, commit, known leader (where tracked), details.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "term {}, {:?}, votedFor {}, log {}, commit {}",
            self.term,
            self.role,
            show_opt(self.voted_for),
            show_log(&self.log),
            self.commit
        )?;
        if let Some(l) = self.leader {
            write!(f, ", leader {}", show_opt(l))?;
        }
        for (k, v) in &self.detail {
            write!(f, ", {k} {v}")?;
        }
        Ok(())
    }
}

impl NodeState {
    /// Compares `actual` with `self` (the expected state) field by field, in the order
    /// term, role, votedFor, log, commit, leader, then the detail fields both report.
    pub fn first_difference(&self, actual: &NodeState) -> Option<FieldDiff> {
        let d = |field: &str, e: String, a: String| {
            Some(FieldDiff {
                field: field.to_string(),
                expected: e,
                actual: a,
            })
        };
        if self.term != actual.term {
            return d("term", self.term.to_string(), actual.term.to_string());
        }
        if self.role != actual.role {
            return d(
                "role",
                format!("{:?}", self.role),
                format!("{:?}", actual.role),
            );
        }
        if self.voted_for != actual.voted_for {
            return d(
                "votedFor",
                show_opt(self.voted_for),
                show_opt(actual.voted_for),
            );
        }
        if self.log != actual.log {
            return d("log", show_log(&self.log), show_log(&actual.log));
        }
        if self.commit != actual.commit {
            return d("commit", self.commit.to_string(), actual.commit.to_string());
        }
        if let (Some(e), Some(a)) = (self.leader, actual.leader) {
            if e != a {
                return d("leader", show_opt(e), show_opt(a));
            }
        }
        for (k, e) in &self.detail {
            if let Some(a) = actual.detail.get(k) {
                if e != a {
                    return d(k, e.to_string(), a.to_string());
                }
            }
        }
        None
    }
}

/// What a node did in one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction<M> {
    /// Messages sent, as (destination, message).
    pub sent: Vec<(NodeId, M)>,
    /// The node asks for its election timer to restart (it heard from its leader, granted a
    /// vote or started an election): replay checks it against the protocol's timer rule, the
    /// recorder restarts the timer.
    pub reset_election_timer: bool,
}

impl<M> Reaction<M> {
    pub fn sent(sent: Vec<(NodeId, M)>) -> Self {
        Reaction {
            sent,
            reset_election_timer: false,
        }
    }
}

/// An error an adapter carries through from the implementation (its own fatal error, a
/// message it cannot decode).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a node did not take a step.
#[derive(Debug, thiserror::Error)]
pub enum NodeFailure {
    /// The node stopped itself (a fatal invariant): always a divergence.
    #[error(transparent)]
    Stopped(BoxError),
    /// The storage under the node refused a write or a recovery.
    #[error("storage: {0}")]
    Storage(String),
    /// The event names a timer the protocol does not have.
    #[error("{protocol} has no {timer:?} timer")]
    NoSuchTimer {
        protocol: &'static str,
        timer: Timer,
    },
}

impl NodeFailure {
    pub fn storage(e: impl std::fmt::Display) -> NodeFailure {
        NodeFailure::Storage(e.to_string())
    }
}

/// The disk of a harness node of raftspec's cores: the real storage code on a simulated disk
/// (with the target's storage mutant, if any). Every step's `Persist` is applied and synced
/// before its messages go out; a restart is a power loss that recovers only what was synced.
pub(crate) struct HarnessDisk {
    storage: SimStorage,
    crashes: u64,
}

impl HarnessDisk {
    #[allow(unused_variables)]
    pub(crate) fn new<C: MutantOf>(mode: &str, id: NodeId, cfg: &C) -> HarnessDisk {
        let storage = SimStorage::new(mode, id as u64);
        #[cfg(feature = "mutants")]
        let storage = storage.with_mutant(cfg.mutant());
        HarnessDisk {
            storage,
            crashes: 0,
        }
    }

    /// Persist before send, as the node does.
    pub(crate) fn persist(&mut self, p: &Persist) -> Result<(), NodeFailure> {
        self.storage.apply(p).map_err(NodeFailure::storage)?;
        self.storage.sync().map_err(NodeFailure::storage)
    }

    /// Power loss (unsynced writes partly kept, the last possibly torn), then recovery.
    pub(crate) fn power_loss(&mut self) -> Result<PersistentState, NodeFailure> {
        self.crashes += 1;
        let seed = self.crashes;
        self.storage
            .crash(Crash::Torn { seed })
            .map_err(NodeFailure::storage)
    }
}

/// The mutant a core configuration carries (none without feature `mutants`).
/// One of raftspec's own cores as the harness builds, steps and restores it.
pub trait HarnessCore: raftspec_impl::core::Core + Sized {
    type Config: Clone + MutantOf;
    /// The storage mode (`raft`, `kraft`).
    const MODE: &'static str;
    fn create(id: u64, voters: &[u64], cfg: Self::Config) -> Self;
    fn restore(id: u64, voters: &[u64], cfg: Self::Config, ps: PersistentState) -> Self;
    fn core_id(&self) -> u64;
}

/// One of raftspec's cores as a node of the harness: the core, its voters and configuration,
/// and the simulated disk it persists to.
pub struct CoreNode<C: HarnessCore> {
    pub(crate) core: C,
    voters: Vec<u64>,
    cfg: C::Config,
    disk: HarnessDisk,
}

impl<C: HarnessCore> CoreNode<C> {
    /// The abstract state every core reports alike (term, role, known leader and commit from
    /// `Core::summary`, the log from `Core::log`), with the core's vote, a candidate's granted
    /// votes, and (asked only of a leader) the leader's own detail.
    pub(crate) fn abstract_state(
        &self,
        voted_for: Option<u64>,
        votes_granted: &std::collections::BTreeSet<u64>,
        leader_detail: impl FnOnce() -> Vec<(&'static str, Detail)>,
    ) -> NodeState {
        use crate::raft::{abstract_entry, id_of, impl_role, servers_detail};
        use raftspec_impl::core::Role as ImplRole;
        let s = self.core.summary();
        let detail = match s.role {
            ImplRole::Leader => leader_detail().into_iter().collect(),
            ImplRole::Candidate => {
                BTreeMap::from([("votesGranted", servers_detail(votes_granted))])
            }
            _ => BTreeMap::new(),
        };
        NodeState {
            term: s.term,
            role: impl_role(s.role),
            voted_for: voted_for.map(id_of),
            log: self.core.log().iter().map(abstract_entry).collect(),
            commit: s.committed,
            leader: Some(s.leader.map(id_of)),
            detail,
        }
    }
}

impl<C: HarnessCore> CoreNode<C> {
    /// Node `id` of a cluster of `servers`, with the given core configuration.
    pub fn new(id: NodeId, servers: u8, cfg: C::Config) -> Self {
        let voters: Vec<u64> = (0..servers as u64).collect();
        CoreNode {
            core: C::create(id as u64, &voters, cfg.clone()),
            voters,
            disk: HarnessDisk::new(C::MODE, id, &cfg),
            cfg,
        }
    }

    pub fn core(&self) -> &C {
        &self.core
    }

    /// Steps the core on one input: a fatal condition stops the node; what it persists goes to
    /// disk before what it sends is added to `r`.
    pub(crate) fn feed(
        &mut self,
        input: raftspec_impl::core::Input<C::Message>,
        r: &mut Reaction<C::Message>,
    ) -> Result<(), NodeFailure> {
        let out = self.core.step(input);
        if let Some(f) = out.fatal {
            return Err(NodeFailure::Stopped(Box::new(f)));
        }
        self.disk.persist(&out.persist)?;
        r.sent.extend(
            out.send
                .into_iter()
                .map(|(to, m)| (crate::raft::id_of(to), m)),
        );
        r.reset_election_timer |= out.reset_election_timer;
        Ok(())
    }

    /// A crash: the disk loses what was not synced, the core comes back from what it holds.
    pub(crate) fn restart_core(&mut self) -> Result<(), NodeFailure> {
        let ps = self.disk.power_loss()?;
        self.core = C::restore(self.core.core_id(), &self.voters, self.cfg.clone(), ps);
        Ok(())
    }
}

/// The mutant a core configuration injects into its storage (feature `mutants`).
pub trait MutantOf {
    #[cfg(feature = "mutants")]
    fn mutant(&self) -> Option<raftspec_impl::core::Mutant>;
}

impl MutantOf for raftspec_impl::core::raft::Config {
    #[cfg(feature = "mutants")]
    fn mutant(&self) -> Option<raftspec_impl::core::Mutant> {
        self.mutant
    }
}

impl MutantOf for raftspec_impl::core::kraft::Config {
    #[cfg(feature = "mutants")]
    fn mutant(&self) -> Option<raftspec_impl::core::Mutant> {
        self.mutant
    }
}

/// Why a message an implementation sent has no counterpart in the model's vocabulary.
#[derive(Debug, thiserror::Error)]
pub enum Inexpressible {
    /// A number the model's small integers cannot hold.
    #[error("{what} {value} does not fit the model (at most 255)")]
    TooLarge { what: &'static str, value: u64 },
    /// More items in one message than the model sends at once.
    #[error("{message} carries {count} {items}; the model sends at most {max}")]
    TooMany {
        message: &'static str,
        items: &'static str,
        count: usize,
        max: usize,
    },
    /// An entry whose payload is not one of the model's values.
    #[error("{what} payload {payload:?} is not a model value")]
    NotAValue {
        what: &'static str,
        payload: Payload,
    },
    /// A leader's message that names another server as the leader.
    #[error("{message} from S{from} names leader {leader}")]
    ForeignLeader {
        message: &'static str,
        from: NodeId,
        leader: u64,
    },
    /// A field or a response the model does not have.
    #[error("{0}")]
    NotInModel(&'static str),
    /// The adapter's own reason (e.g. a message it cannot decode).
    #[error(transparent)]
    Other(BoxError),
}

/// One node of an implementation under test.
///
/// `Abstract` is the protocol's message type as the model writes it (for Raft,
/// `raftspec_model::raft::Msg`): the vocabulary in which a model delivery and an implementation
/// send are matched.
pub trait Node {
    /// The implementation's own message type.
    type Message: Clone + fmt::Debug;
    /// The model's message type.
    type Abstract: Clone + PartialEq + fmt::Debug;

    /// Feeds one event; returns the messages the node sent, as (destination, message).
    /// `Err` means the node stopped itself (a fatal invariant), which is always a divergence.
    fn step(&mut self, event: Event<Self::Message>)
        -> Result<Reaction<Self::Message>, NodeFailure>;

    /// Crash and start again from what the node had persisted (one atomic step); an error if
    /// what is on disk cannot be recovered (always a divergence).
    fn restart(&mut self) -> Result<(), NodeFailure>;

    /// The node's abstract state now.
    fn state(&self) -> NodeState;

    /// The timers the node arms in its current role: replay compares them with the model's
    /// timers of the node's role (timers in the abstraction); the recorder runs them.
    fn timers(&self) -> Vec<Timer>;

    /// Whether `Reaction::reset_election_timer` says when the node restarts its election
    /// timer. An implementation driven by ticks (no timer restarts to observe) answers false,
    /// and replay then does not check the timer rule's restarts.
    fn reports_timer_resets(&self) -> bool {
        true
    }

    /// What a message this node sent means in the model's vocabulary; `Err` when the model
    /// cannot express it (e.g. more entries than the model sends at once).
    fn abstract_message(
        &self,
        from: NodeId,
        to: NodeId,
        msg: &Self::Message,
    ) -> Result<Self::Abstract, Inexpressible>;
}

fn itf_opt<T: Serialize>(v: Option<T>) -> serde_json::Value {
    match v {
        Some(x) => serde_json::json!({"tag": "Some", "value": x}),
        None => serde_json::json!({"tag": "None", "value": {"#tup": []}}),
    }
}

impl Detail {
    fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Detail::Position(p) => itf_opt(*p),
            Detail::Servers(s) => json!(s),
            Detail::PerServer(p) => json!(p
                .iter()
                .map(|(s, v)| json!({"server": s, "value": itf_opt(*v)}))
                .collect::<Vec<_>>()),
        }
    }
}

impl LogEntry {
    fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match &self.payload {
            Payload::Value(v) => json!({"term": self.term, "value": v}),
            Payload::LeaderChange => json!({"term": self.term, "leaderChange": true}),
            Payload::Opaque(b) => json!({"term": self.term, "bytes": b}),
        }
    }
}

/// Fields every recorded node state must have.
pub const CORE_FIELDS: [&str; 5] = ["term", "role", "votedFor", "log", "commit"];

impl NodeState {
    /// The state as an ITF-style record (no nulls; options as `{"tag": "Some"|"None"}`).
    /// An untracked leader is left out, as is every detail the side does not report.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let mut m = serde_json::Map::new();
        m.insert("term".into(), json!(self.term));
        m.insert("role".into(), json!(self.role));
        m.insert("votedFor".into(), itf_opt(self.voted_for));
        m.insert(
            "log".into(),
            json!(self.log.iter().map(LogEntry::to_json).collect::<Vec<_>>()),
        );
        m.insert("commit".into(), json!(self.commit));
        if let Some(l) = self.leader {
            m.insert("leader".into(), itf_opt(l));
        }
        for (k, d) in &self.detail {
            m.insert((*k).to_string(), d.to_json());
        }
        serde_json::Value::Object(m)
    }
}

/// [`NodeState::first_difference`] on the JSON forms: every core field must be present in
/// `actual`; any other field of `expected` is compared when `actual` has it.
pub fn first_difference_json(
    expected: &serde_json::Value,
    actual: &serde_json::Value,
) -> Option<FieldDiff> {
    let show = |v: Option<&serde_json::Value>| match v {
        None => "(missing)".to_string(),
        Some(v) => v.to_string(),
    };
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        return Some(FieldDiff {
            field: "state".into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    };
    let keys = CORE_FIELDS.iter().map(|k| k.to_string()).chain(
        e.keys()
            .filter(|k| !CORE_FIELDS.contains(&k.as_str()))
            .cloned(),
    );
    for k in keys {
        let (x, y) = (e.get(&k), a.get(&k));
        let core = CORE_FIELDS.contains(&k.as_str());
        if x != y && (core || y.is_some()) {
            return Some(FieldDiff {
                field: k.clone(),
                expected: show(x),
                actual: show(y),
            });
        }
    }
    None
}
