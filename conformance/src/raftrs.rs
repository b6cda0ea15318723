//! The adapter for tikv/raft-rs (crate `raft` 0.7): three `RawNode`s on `MemStorage`, driven
//! one event at a time (feature `raft-rs`). specs/adapters.md walks through it.
//!
//! - An election timeout is `campaign()`, a heartbeat timeout `ping()`, a client request
//!   `propose()`, a delivery `step(msg)`; `tick()` is never called, so raft-rs's randomized
//!   timers never matter. After every event the full Ready loop runs: persist entries and
//!   HardState, collect the messages, `advance`, persist the commit index, collect the light
//!   ready's messages, `advance_apply`.
//! - A restart builds a new `RawNode` on the same storage (what was persisted survives).
//! - A panic inside raft-rs is caught and becomes a divergence (`NodeFailure::Stopped`).
//! - raft-rs numbers peers from 1 (0 is its "none"): model server i is raft-rs peer i + 1.
//! - Values: a client value v is the one-byte payload [v]; the leader's empty entry is the
//!   model's value 0 (option `leader_noop`).

use crate::driver::{
    Detail, Event, Inexpressible, LogEntry, Node, NodeFailure, NodeId, NodeState, Payload,
    Reaction, Role, Timer,
};
use crate::raft::bounded;
use raft::eraftpb::{Entry as RsEntry, EntryType, Message as RsMessage, MessageType};
use raft::storage::MemStorage;
use raft::{Config, ProgressState, RawNode, StateRole};
use raftspec_model::options::Options;
use raftspec_model::raft::{
    AppendEntries, AppendEntriesReject, AppendEntriesResponse, Entries, Entry, Heartbeat,
    HeartbeatResponse, Msg, RequestVote, RequestVoteResponse,
};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Bugs injected into the wrapper around raft-rs (not into raft-rs): the harness must kill
/// each one (`raftspec conform raft --impl raft-rs --mutants all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsMutant {
    /// The vote in HardState is never written to storage.
    VoteNotPersisted,
    /// A Ready's entries are never written to storage (lost on restart).
    EntriesNotPersisted,
    /// The light ready's commit index is never written to storage.
    CommitNotPersisted,
    /// The wrapper drops every heartbeat instead of stepping it.
    HeartbeatDropped,
    /// The wrapper sends only `Ready::messages`, never `Ready::persisted_messages` (where
    /// raft-rs 0.7 puts what may leave only after persistence: a follower's responses, votes).
    PersistedMessagesLost,
}

impl RsMutant {
    pub const ALL: [RsMutant; 5] = [
        RsMutant::VoteNotPersisted,
        RsMutant::EntriesNotPersisted,
        RsMutant::CommitNotPersisted,
        RsMutant::HeartbeatDropped,
        RsMutant::PersistedMessagesLost,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RsMutant::VoteNotPersisted => "raft-rs:vote-not-persisted",
            RsMutant::EntriesNotPersisted => "raft-rs:entries-not-persisted",
            RsMutant::CommitNotPersisted => "raft-rs:commit-not-persisted",
            RsMutant::HeartbeatDropped => "raft-rs:heartbeat-dropped",
            RsMutant::PersistedMessagesLost => "raft-rs:persisted-messages-lost",
        }
    }

    pub fn parse(s: &str) -> Option<RsMutant> {
        RsMutant::ALL.into_iter().find(|m| m.name() == s)
    }
}

impl fmt::Display for RsMutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a raft-rs node stopped.
#[derive(Debug, thiserror::Error)]
pub enum RsFailure {
    #[error("raft-rs panicked: {0}")]
    Panic(String),
    #[error("raft-rs returned an error: {0}")]
    Error(String),
    #[error("the node panicked earlier and cannot take steps")]
    Dead,
}

/// One raft-rs node at the model's granularity.
pub struct RaftRsNode {
    id: NodeId,
    storage: MemStorage,
    node: Option<RawNode<MemStorage>>,
    /// The model options whose vocabulary the adapter speaks (reject hints or not).
    options: Options,
    mutant: Option<RsMutant>,
}

fn logger() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// raft-rs peer id of model server `i`, and back.
fn rs_id(i: NodeId) -> u64 {
    i as u64 + 1
}

fn model_id(id: u64) -> Option<NodeId> {
    (id != 0).then(|| NodeId::try_from(id - 1).unwrap_or(NodeId::MAX))
}

impl RaftRsNode {
    /// Node `id` of a cluster of `servers`, fresh storage.
    pub fn new(id: NodeId, servers: u8, options: Options, mutant: Option<RsMutant>) -> Self {
        let voters: Vec<u64> = (0..servers).map(rs_id).collect();
        let storage = MemStorage::new_with_conf_state((voters, vec![]));
        let mut n = RaftRsNode {
            id,
            storage,
            node: None,
            options,
            mutant,
        };
        n.start();
        n
    }

    fn start(&mut self) {
        let cfg = Config::new(rs_id(self.id)); // default: no pre-vote, no check-quorum
        let storage = self.storage.clone();
        self.node = catch_unwind(AssertUnwindSafe(|| RawNode::new(&cfg, storage, &logger())))
            .ok()
            .and_then(Result::ok);
    }

    /// The full Ready loop: persist, collect messages, advance, until nothing is ready.
    fn drain(&mut self, out: &mut Vec<RsMessage>) {
        let (Some(n), m) = (self.node.as_mut(), self.mutant) else {
            return;
        };
        while n.has_ready() {
            let mut rd = n.ready();
            out.extend(rd.take_messages());
            if !rd.entries().is_empty() && m != Some(RsMutant::EntriesNotPersisted) {
                self.storage.wl().append(rd.entries()).expect("append");
            }
            if let Some(hs) = rd.hs() {
                let mut hs = hs.clone();
                if m == Some(RsMutant::VoteNotPersisted) {
                    hs.vote = self.storage.rl().hard_state().vote;
                }
                if m == Some(RsMutant::CommitNotPersisted) {
                    hs.commit = self.storage.rl().hard_state().commit;
                }
                self.storage.wl().set_hardstate(hs);
            }
            if m != Some(RsMutant::PersistedMessagesLost) {
                out.extend(rd.take_persisted_messages());
            }
            let mut light = n.advance(rd);
            if let Some(c) = light.commit_index() {
                if m != Some(RsMutant::CommitNotPersisted) {
                    self.storage.wl().mut_hard_state().commit = c;
                }
            }
            out.extend(light.take_messages());
            n.advance_apply();
        }
    }

    /// Feeds one event to raft-rs (a refused proposal is not an error: nothing happens).
    fn feed(&mut self, event: Event<RsMessage>) -> Result<(), RsFailure> {
        let n = self.node.as_mut().ok_or(RsFailure::Dead)?;
        let r = match event {
            Event::Timer(Timer::Election) => n.campaign(),
            Event::Timer(_) => {
                n.ping();
                Ok(())
            }
            Event::ClientRequest(v) => match n.propose(vec![], vec![v]) {
                Err(raft::Error::ProposalDropped) => Ok(()),
                r => r,
            },
            Event::Receive { msg, .. } => {
                if self.mutant == Some(RsMutant::HeartbeatDropped)
                    && msg.get_msg_type() == MessageType::MsgHeartbeat
                {
                    return Ok(());
                }
                n.step(msg)
            }
        };
        r.map_err(|e| RsFailure::Error(e.to_string()))
    }

    /// A vote message's commit information: in the model's vocabulary only under the option
    /// `commit_by_vote`; without it, a non-zero value is a field the model cannot carry.
    fn commit_field(&self, what: &'static str, v: u64) -> Result<u8, Inexpressible> {
        match (self.options.commit_by_vote, v) {
            (true, v) => small(what, v),
            (false, 0) => Ok(0),
            (false, _) => Err(Inexpressible::NotInModel(
                "a vote message carries commit information: the model needs the option commit_by_vote",
            )),
        }
    }

    /// A MsgAppendResponse: a rejection with raft-rs's hint (option `reject_hint`), or the
    /// model's plain AppendEntriesResponse.
    fn append_response(
        &self,
        from: NodeId,
        to: NodeId,
        term: u8,
        m: &RsMessage,
    ) -> Result<Msg, Inexpressible> {
        if m.reject && self.options.reject_hint {
            return Ok(Msg::AppendEntriesReject(AppendEntriesReject {
                from,
                to,
                term,
                rejected: small("index", m.index)?,
                hint_index: small("reject_hint", m.reject_hint)?,
                hint_term: small("log_term", m.log_term)?,
            }));
        }
        let match_index = if m.reject {
            0
        } else {
            small("index", m.index)?
        };
        Ok(Msg::AppendEntriesResponse(AppendEntriesResponse {
            from,
            to,
            term,
            success: !m.reject,
            match_index,
        }))
    }

    fn raft(&self) -> Option<&raft::Raft<MemStorage>> {
        self.node.as_ref().map(|n| &n.raft)
    }
}

fn abstract_entry(e: &RsEntry) -> LogEntry {
    let payload = match (e.get_entry_type(), e.data.as_ref()) {
        (EntryType::EntryNormal, []) => Payload::Value(0),
        (EntryType::EntryNormal, [v]) => Payload::Value(*v),
        (_, d) => Payload::Opaque(d.to_vec()),
    };
    LogEntry {
        term: e.term,
        payload,
    }
}

fn small(what: &'static str, value: u64) -> Result<u8, Inexpressible> {
    u8::try_from(value).map_err(|_| Inexpressible::TooLarge { what, value })
}

fn model_entry(e: &RsEntry) -> Result<Entry, Inexpressible> {
    match abstract_entry(e).payload {
        Payload::Value(value) => Ok(Entry {
            term: small("entry term", e.term)?,
            value,
        }),
        payload => Err(Inexpressible::NotAValue {
            what: "entry",
            payload,
        }),
    }
}

fn progress_code(p: &raft::Progress) -> u64 {
    match (p.state, p.paused) {
        (ProgressState::Replicate, _) => 2,
        (ProgressState::Probe, true) => 1,
        _ => 0,
    }
}

impl Node for RaftRsNode {
    type Message = RsMessage;
    type Abstract = Msg;

    fn step(&mut self, event: Event<RsMessage>) -> Result<Reaction<RsMessage>, NodeFailure> {
        let r = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<RsMessage>, RsFailure> {
            self.feed(event)?;
            let mut out = Vec::new();
            self.drain(&mut out);
            Ok(out)
        }));
        let sent = match r {
            Ok(Ok(sent)) => sent,
            Ok(Err(e)) => return Err(NodeFailure::Stopped(Box::new(e))),
            Err(p) => {
                self.node = None;
                return Err(NodeFailure::Stopped(Box::new(RsFailure::Panic(
                    panic_text(p),
                ))));
            }
        };
        let sent = sent
            .into_iter()
            .map(|m| (model_id(m.to).unwrap_or(NodeId::MAX), m))
            .collect();
        Ok(Reaction {
            sent,
            reset_election_timer: false,
        })
    }

    fn restart(&mut self) -> Result<(), NodeFailure> {
        self.node = None;
        self.start();
        Ok(())
    }

    fn state(&self) -> NodeState {
        let Some(r) = self.raft() else {
            // A node that panicked: a state no model state has.
            return NodeState {
                term: u64::MAX,
                role: Role::Follower,
                voted_for: None,
                log: Vec::new(),
                commit: u64::MAX,
                leader: None,
                detail: BTreeMap::new(),
            };
        };
        let mut detail = BTreeMap::new();
        let role = match r.state {
            StateRole::Leader => Role::Leader,
            StateRole::Candidate => Role::Candidate,
            StateRole::PreCandidate => Role::Prospective,
            StateRole::Follower => Role::Follower,
        };
        if role == Role::Leader {
            let peers = || r.prs().iter().filter(|(id, _)| **id != rs_id(self.id));
            let per = |f: &dyn Fn(&raft::Progress) -> u64| {
                let mut v: Vec<(NodeId, Option<u64>)> = peers()
                    .map(|(id, p)| (model_id(*id).unwrap_or(NodeId::MAX), Some(f(p))))
                    .collect();
                v.sort();
                Detail::PerServer(v)
            };
            detail.insert("nextIndex", per(&|p| p.next_idx));
            detail.insert("matchIndex", per(&|p| p.matched));
            if self.options.flow_control {
                detail.insert("progress", per(&progress_code));
            }
        }
        NodeState {
            term: r.term,
            role,
            voted_for: model_id(r.vote),
            log: r
                .raft_log
                .all_entries()
                .iter()
                .map(abstract_entry)
                .collect(),
            commit: r.raft_log.committed,
            leader: Some(model_id(r.leader_id)),
            detail,
        }
    }

    fn timers(&self) -> Vec<Timer> {
        match self.raft().map(|r| r.state) {
            Some(StateRole::Leader) => vec![Timer::Heartbeat],
            _ => vec![Timer::Election],
        }
    }

    /// raft-rs is driven by ticks: it restarts no timer one could observe.
    fn reports_timer_resets(&self) -> bool {
        false
    }

    fn abstract_message(
        &self,
        from: NodeId,
        to: NodeId,
        m: &RsMessage,
    ) -> Result<Msg, Inexpressible> {
        let term = small("term", m.term)?;
        Ok(match m.get_msg_type() {
            MessageType::MsgRequestVote => Msg::RequestVote(RequestVote {
                from,
                to,
                term,
                last_log_term: small("log_term", m.log_term)?,
                last_log_index: small("index", m.index)?,
                commit: self.commit_field("commit", m.commit)?,
                commit_term: self.commit_field("commit_term", m.commit_term)?,
            }),
            MessageType::MsgRequestVoteResponse => Msg::RequestVoteResponse(RequestVoteResponse {
                from,
                to,
                term,
                granted: !m.reject,
                commit: self.commit_field("commit", m.commit)?,
                commit_term: self.commit_field("commit_term", m.commit_term)?,
            }),
            MessageType::MsgAppend => {
                let max = Entries::new().capacity();
                let entries = bounded("MsgAppend", "entries", &m.entries, max, model_entry)?;
                Msg::AppendEntries(AppendEntries {
                    from,
                    to,
                    term,
                    prev_log_index: small("index", m.index)?,
                    prev_log_term: small("log_term", m.log_term)?,
                    entries,
                    leader_commit: small("commit", m.commit)?,
                })
            }
            MessageType::MsgAppendResponse => self.append_response(from, to, term, m)?,
            MessageType::MsgHeartbeat if self.options.separate_heartbeats => {
                Msg::Heartbeat(Heartbeat {
                    from,
                    to,
                    term,
                    commit: small("commit", m.commit)?,
                })
            }
            MessageType::MsgHeartbeatResponse if self.options.separate_heartbeats => {
                Msg::HeartbeatResponse(HeartbeatResponse { from, to, term })
            }
            MessageType::MsgHeartbeat | MessageType::MsgHeartbeatResponse => {
                return Err(Inexpressible::NotInModel(
                    "a heartbeat message: the model needs the option separate_heartbeats",
                ))
            }
            _ => {
                return Err(Inexpressible::NotInModel(
                    "a raft-rs message type the Raft model does not have",
                ))
            }
        })
    }
}
