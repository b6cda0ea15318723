//! Raft state: what each server holds, what travels on the network, and the history the
//! properties need. Small integers and fixed-size arrays only, so states hash and clone cheaply.

use crate::bounds::{MAX_LOG, MAX_SERVERS};
use crate::network::{Envelope, Network};
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

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

/// Entries carried by one AppendEntries (at most `Options::batch`; one by default, as raft.tla).
pub type Entries = ArrayVec<Entry, { crate::options::MAX_BATCH }>;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum Msg {
    RequestVote {
        from: ServerId,
        to: ServerId,
        term: Term,
        last_log_term: Term,
        last_log_index: Index,
    },
    RequestVoteResponse {
        from: ServerId,
        to: ServerId,
        term: Term,
        granted: bool,
    },
    AppendEntries {
        from: ServerId,
        to: ServerId,
        term: Term,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Entries,
        leader_commit: Index,
    },
    AppendEntriesResponse {
        from: ServerId,
        to: ServerId,
        term: Term,
        success: bool,
        match_index: Index,
    },
}

impl Msg {
    pub fn term(&self) -> Term {
        match self {
            Msg::RequestVote { term, .. }
            | Msg::RequestVoteResponse { term, .. }
            | Msg::AppendEntries { term, .. }
            | Msg::AppendEntriesResponse { term, .. } => *term,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Msg::RequestVote { .. } => "RequestVote",
            Msg::RequestVoteResponse { .. } => "RequestVoteResponse",
            Msg::AppendEntries { .. } => "AppendEntries",
            Msg::AppendEntriesResponse { .. } => "AppendEntriesResponse",
        }
    }
}

impl Envelope for Msg {
    fn from(&self) -> u8 {
        match self {
            Msg::RequestVote { from, .. }
            | Msg::RequestVoteResponse { from, .. }
            | Msg::AppendEntries { from, .. }
            | Msg::AppendEntriesResponse { from, .. } => *from,
        }
    }
    fn to(&self) -> u8 {
        match self {
            Msg::RequestVote { to, .. }
            | Msg::RequestVoteResponse { to, .. }
            | Msg::AppendEntries { to, .. }
            | Msg::AppendEntriesResponse { to, .. } => *to,
        }
    }
}

/// An entry that some leader acknowledged to a client, and the term of the leader that did so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Committed {
    pub entry: Entry,
    pub in_term: Term,
}

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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftState {
    pub servers: ArrayVec<Server, MAX_SERVERS>,
    pub network: Network<Msg>,
    /// Restarts so far (bounds the search only).
    pub restarts: u8,
    /// Messages lost so far (bounds the search only; counted only under `--max-drops`).
    pub drops: u8,
    /// History: committed entries by index (index i at position i-1); first commit wins.
    pub committed: ArrayVec<Committed, MAX_LOG>,
    /// History: two different entries were ever committed at one index.
    pub commit_conflict: bool,
    /// Bits from [`marker`] describing the last step.
    pub marker: u8,
}
