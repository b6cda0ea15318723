//! Raft state: what each server holds, what travels on the network, and the history the
//! properties need. Small integers and fixed-size arrays only, so states hash and clone cheaply.

use crate::bounds::{MAX_LOG, MAX_SERVERS};
use crate::network::Envelope;
use arrayvec::ArrayVec;
use serde::{Deserialize, Serialize};

pub type ServerId = u8;
pub type Term = u8;
/// 1-based log index; 0 means "before the first entry".
pub type Index = u8;
pub type Value = u8;

/// A log entry: the term it was created in and the client value it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    pub value: Value,
}

impl crate::protocol::LogEntry for Entry {
    fn entry_term(&self) -> Term {
        self.term
    }
}

pub type Log = ArrayVec<Entry, MAX_LOG>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// One server. `term`, `voted_for` and `log` are persisted; everything else is volatile.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Server {
    pub term: Term,
    pub voted_for: Option<ServerId>,
    pub log: Log,
    pub role: Role,
    pub commit_index: Index,
    /// Candidate: bit i set when server i granted its vote.
    pub votes_granted: u8,
    /// Leader: next index to send to each server.
    pub next_index: [Index; MAX_SERVERS],
    /// Leader: highest index known to be replicated on each server.
    pub match_index: [Index; MAX_SERVERS],
    /// The leader this server knows in its term (raft-rs `leader_id`; tracked only under the
    /// options that read it, else always None).
    pub leader: Option<ServerId>,
    /// Candidate: bit i set when server i denied its vote (option `lost_election_steps_down`).
    pub votes_rejected: u8,
    /// Leader: each peer's flow-control state, one of [`progress`] (option `flow_control`).
    pub progress: [u8; MAX_SERVERS],
}

/// A leader's flow-control state for one peer (raft-rs `Progress`, option `flow_control`).
pub mod progress {
    /// Probing, no probe outstanding: the next append may be sent.
    pub const PROBE: u8 = 0;
    /// Probing with a probe outstanding (`paused`): nothing more is sent until it is answered
    /// (or a heartbeat response resumes it).
    pub const PAUSED: u8 = 1;
    /// Replicating: appends are pipelined, nextIndex advanced optimistically on each send.
    pub const REPLICATE: u8 = 2;
}

impl Server {
    pub fn new() -> Self {
        Server {
            term: 0,
            voted_for: None,
            log: Log::new(),
            role: Role::Follower,
            commit_index: 0,
            votes_granted: 0,
            next_index: [1; MAX_SERVERS],
            match_index: [0; MAX_SERVERS],
            leader: None,
            votes_rejected: 0,
            progress: [progress::PROBE; MAX_SERVERS],
        }
    }

    pub fn last_index(&self) -> Index {
        self.log.len() as Index
    }

    pub fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    /// Term of the entry at 1-based `index` (0 for index 0), None past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == 0 {
            Some(0)
        } else {
            self.log.get(index as usize - 1).map(|e| e.term)
        }
    }

    /// The entries this server has applied: its log up to its commit index. A commit index
    /// past the log end would make the slice panic, so it is clamped here; the property
    /// `CommitIndexInLog` reports such a state.
    pub fn committed_prefix(&self) -> &[Entry] {
        &self.log[..(self.commit_index as usize).min(self.log.len())]
    }
}

impl crate::protocol::Node for Server {
    type Entry = Entry;
    fn current_term(&self) -> Term {
        self.term
    }
    fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
    fn entries(&self) -> &[Entry] {
        &self.log
    }
    fn applied(&self) -> Option<&[Entry]> {
        Some(self.committed_prefix())
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

/// Entries carried by one AppendEntries (at most `Options::batch`; one by default, as raft.tla).
pub type Entries = ArrayVec<Entry, { crate::options::MAX_BATCH }>;

/// RequestVote(term, candidateId = from, lastLogTerm, lastLogIndex) (Figure 2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestVote {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub last_log_term: Term,
    pub last_log_index: Index,
    /// raft-rs (option `commit_by_vote`): the sender's commit index and the term of the
    /// entry there; 0 otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commit: Index,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commit_term: Term,
}

/// RequestVote reply: the voter's term and whether it granted its vote.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestVoteResponse {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub granted: bool,
    /// raft-rs (option `commit_by_vote`): a denial carries the voter's commit index and
    /// the term of the entry there; 0 otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commit: Index,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commit_term: Term,
}

/// AppendEntries(term, leaderId = from, prevLogIndex, prevLogTerm, entries, leaderCommit).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppendEntries {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub prev_log_index: Index,
    pub prev_log_term: Term,
    pub entries: Entries,
    pub leader_commit: Index,
}

/// AppendEntries reply: the follower's term, success, and the index it now matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppendEntriesResponse {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub success: bool,
    pub match_index: Index,
}

/// raft-rs MsgHeartbeat (option `separate_heartbeats`): no entries, no log position, the
/// commit index capped at what the receiver is known to hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Heartbeat {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub commit: Index,
}

/// raft-rs MsgHeartbeatResponse (option `separate_heartbeats`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
}

/// raft-rs's rejecting MsgAppendResponse (option `reject_hint`): the rejected prevLogIndex
/// and a hint where the logs may agree: the receiver's last index at or below it whose
/// term is at most the request's prevLogTerm, and that term.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppendEntriesReject {
    pub from: ServerId,
    pub to: ServerId,
    pub term: Term,
    pub rejected: Index,
    pub hint_index: Index,
    pub hint_term: Term,
}

/// A message in flight: one of the typed messages above (serialized as the tagged struct).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum Msg {
    RequestVote(RequestVote),
    RequestVoteResponse(RequestVoteResponse),
    AppendEntries(AppendEntries),
    AppendEntriesResponse(AppendEntriesResponse),
    Heartbeat(Heartbeat),
    HeartbeatResponse(HeartbeatResponse),
    AppendEntriesReject(AppendEntriesReject),
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl Msg {
    pub fn term(&self) -> Term {
        match self {
            Msg::RequestVote(RequestVote { term, .. })
            | Msg::RequestVoteResponse(RequestVoteResponse { term, .. })
            | Msg::AppendEntries(AppendEntries { term, .. })
            | Msg::AppendEntriesResponse(AppendEntriesResponse { term, .. })
            | Msg::Heartbeat(Heartbeat { term, .. })
            | Msg::HeartbeatResponse(HeartbeatResponse { term, .. })
            | Msg::AppendEntriesReject(AppendEntriesReject { term, .. }) => *term,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Msg::RequestVote(_) => "RequestVote",
            Msg::RequestVoteResponse(_) => "RequestVoteResponse",
            Msg::AppendEntries(_) => "AppendEntries",
            Msg::AppendEntriesResponse(_) => "AppendEntriesResponse",
            Msg::Heartbeat(_) => "Heartbeat",
            Msg::HeartbeatResponse(_) => "HeartbeatResponse",
            Msg::AppendEntriesReject(_) => "AppendEntriesReject",
        }
    }
}

impl Envelope for Msg {
    fn from(&self) -> u8 {
        match self {
            Msg::RequestVote(RequestVote { from, .. })
            | Msg::RequestVoteResponse(RequestVoteResponse { from, .. })
            | Msg::AppendEntries(AppendEntries { from, .. })
            | Msg::AppendEntriesResponse(AppendEntriesResponse { from, .. })
            | Msg::Heartbeat(Heartbeat { from, .. })
            | Msg::HeartbeatResponse(HeartbeatResponse { from, .. })
            | Msg::AppendEntriesReject(AppendEntriesReject { from, .. }) => *from,
        }
    }
    fn to(&self) -> u8 {
        match self {
            Msg::RequestVote(RequestVote { to, .. })
            | Msg::RequestVoteResponse(RequestVoteResponse { to, .. })
            | Msg::AppendEntries(AppendEntries { to, .. })
            | Msg::AppendEntriesResponse(AppendEntriesResponse { to, .. })
            | Msg::Heartbeat(Heartbeat { to, .. })
            | Msg::HeartbeatResponse(HeartbeatResponse { to, .. })
            | Msg::AppendEntriesReject(AppendEntriesReject { to, .. }) => *to,
        }
    }
}

/// An entry some leader acknowledged to a client, and the term of that leader.
pub type Committed = crate::protocol::Committed<Entry>;

/// What the last step did that a state alone cannot show. Reset by every step, so it splits
/// only the states a marked step leads to, never whole subtrees.
pub mod marker {
    /// A follower deleted a conflicting suffix of its log.
    pub const TRUNCATED: u8 = 1;
    /// A server restarted with a vote on record.
    pub const RESTARTED_AFTER_VOTE: u8 = 2;
    /// A server that did not restart lowered its commit index.
    pub const COMMIT_REGRESSED: u8 = 4;
    /// A server that stayed leader in the same term removed or changed an entry of its log.
    pub const LEADER_LOG_REWRITTEN: u8 = 8;
}

/// A Raft state: the shared frame over Raft's servers, messages and history.
pub type RaftState = crate::protocol::Cluster<super::Raft>;

impl crate::protocol::Parts for super::Raft {
    const VARIANT: crate::spec::Variant = crate::spec::Variant::Raft;
    type Server = Server;
    type Entry = Entry;
    type Msg = Msg;
    type Action = super::Action;
}
