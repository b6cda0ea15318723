//! Raft (push replication), Figure 2 of the Raft paper and `raft.tla`, as a sans-I/O core.
//!
//! Indices are 1-based: index `i` is `log[i - 1]`, index 0 is the empty prefix with term 0.
//! Every rule below is stated in `specs/implementation.md`; the event granularity matches the
//! model: an election timeout starts an election, a heartbeat timeout makes a leader send one
//! AppendEntries to every peer, and everything that follows from a message (becoming leader on
//! the last vote, advancing the commit index on an ack) happens inside the step that handles it.
//!
//! Choices not fixed by Figure 2:
//! - A leader receiving an AppendEntries of its own term ignores it (raft.tla enables no action
//!   for it; it cannot happen without two leaders in one term).
//! - `Config::pipeline` (production): after sending entries the leader moves nextIndex past them
//!   at once instead of waiting for the ack, so a stream of heartbeats does not resend unacked
//!   entries. `Config::reject_hint` (production): a failed AppendEntriesResponse carries the
//!   follower's last index so the leader can skip back in one step. Both are off in
//!   `Config::model()`, where nextIndex changes exactly as in Figure 2.

use super::{majority, Core, Entry, HardState, Input, Output, PersistentState, Proposal};
use super::{NodeId, Role, Summary, Timer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(feature = "mutants")]
use super::Mutant;

/// Knobs that let the same core run at the model's granularity or at production speed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// At most this many entries per AppendEntries (the model sends one).
    pub max_entries_per_message: usize,
    /// A new leader sends AppendEntries right away instead of waiting for its heartbeat timer.
    pub send_on_election: bool,
    /// Optimistic nextIndex after sending entries (see the module comment).
    pub pipeline: bool,
    /// Failed AppendEntriesResponse carries the follower's last index.
    pub reject_hint: bool,
    /// An injected bug (feature `mutants`).
    #[cfg(feature = "mutants")]
    pub mutant: Option<Mutant>,
}

impl Config {
    /// The model's granularity: one entry per message, no eager sends, Figure 2 nextIndex.
    pub fn model() -> Config {
        Config {
            max_entries_per_message: 1,
            send_on_election: false,
            pipeline: false,
            reject_hint: false,
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }

    /// What a real node uses.
    pub fn production() -> Config {
        Config {
            max_entries_per_message: 512,
            send_on_election: true,
            pipeline: true,
            reject_hint: true,
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }
}

/// Raft messages. The sender is given by `Input::Receive::from`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Message {
    RequestVote {
        term: u64,
        last_log_term: u64,
        last_log_index: u64,
    },
    RequestVoteResponse {
        term: u64,
        granted: bool,
    },
    AppendEntries {
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    },
    AppendEntriesResponse {
        term: u64,
        success: bool,
        match_index: u64,
        /// Production only (`Config::reject_hint`): on failure, the follower's last index.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_log_index: Option<u64>,
    },
}

impl Message {
    pub fn term(&self) -> u64 {
        match self {
            Message::RequestVote { term, .. }
            | Message::RequestVoteResponse { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::AppendEntriesResponse { term, .. } => *term,
        }
    }
}

/// The abstract state the conformance harness compares after every step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RaftView {
    pub term: u64,
    pub role: Role,
    pub voted_for: Option<NodeId>,
    pub log: Vec<Entry>,
    pub commit_index: u64,
    pub leader: Option<NodeId>,
    /// Leader only (empty otherwise): per peer.
    pub next_index: BTreeMap<NodeId, u64>,
    pub match_index: BTreeMap<NodeId, u64>,
    /// Candidate only (empty otherwise): who granted, self included.
    pub votes_granted: BTreeSet<NodeId>,
}

/// One Raft server.
#[derive(Clone, Debug)]
pub struct RaftCore {
    id: NodeId,
    voters: Vec<NodeId>,
    cfg: Config,
    term: u64,
    voted_for: Option<NodeId>,
    log: Vec<Entry>,
    role: Role,
    leader: Option<NodeId>,
    commit: u64,
    votes: BTreeSet<NodeId>,
    next_index: BTreeMap<NodeId, u64>,
    match_index: BTreeMap<NodeId, u64>,
    /// The hard state last handed to the driver to persist: what a restart gets back.
    durable: HardState,
    /// First log position changed in the current step (for `Persist`).
    dirty_from: Option<usize>,
}

impl RaftCore {
    /// A fresh server: term 0, no vote, empty log.
    pub fn new(id: NodeId, voters: &[NodeId], cfg: Config) -> RaftCore {
        RaftCore::restore(id, voters, cfg, PersistentState::default())
    }

    /// A server restarted from what it persisted: follower, commit index 0.
    pub fn restore(id: NodeId, voters: &[NodeId], cfg: Config, ps: PersistentState) -> RaftCore {
        let mut voters = voters.to_vec();
        if !voters.contains(&id) {
            voters.push(id);
        }
        voters.sort_unstable();
        voters.dedup();
        RaftCore {
            id,
            voters,
            cfg,
            term: ps.hard_state.term,
            voted_for: ps.hard_state.voted_for,
            log: ps.log,
            role: Role::Follower,
            leader: None,
            commit: 0,
            votes: BTreeSet::new(),
            next_index: BTreeMap::new(),
            match_index: BTreeMap::new(),
            durable: HardState {
                term: ps.hard_state.term,
                voted_for: ps.hard_state.voted_for,
                leader: None,
            },
            dirty_from: None,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// What a crash right now would leave on disk (all emitted `Persist`s applied).
    pub fn persistent_state(&self) -> PersistentState {
        PersistentState {
            hard_state: self.durable.clone(),
            log: self.log.clone(),
        }
    }

    pub fn view(&self) -> RaftView {
        let leader_only = self.role == Role::Leader;
        RaftView {
            term: self.term,
            role: self.role,
            voted_for: self.voted_for,
            log: self.log.clone(),
            commit_index: self.commit,
            leader: self.leader,
            next_index: if leader_only {
                self.next_index.clone()
            } else {
                BTreeMap::new()
            },
            match_index: if leader_only {
                self.match_index.clone()
            } else {
                BTreeMap::new()
            },
            votes_granted: if self.role == Role::Candidate {
                self.votes.clone()
            } else {
                BTreeSet::new()
            },
        }
    }

    pub fn term(&self) -> u64 {
        self.term
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        let me = self.id;
        self.voters.iter().copied().filter(move |&v| v != me)
    }

    fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    /// Term of the entry at `index` (1-based); index 0 has term 0.
    fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.log.get(index as usize - 1).map(|e| e.term)
        }
    }

    fn mark_dirty(&mut self, pos: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(pos, |d| d.min(pos)));
    }

    fn truncate(&mut self, len: usize) {
        if len < self.log.len() {
            self.log.truncate(len);
            self.mark_dirty(len);
        }
    }

    fn push(&mut self, e: Entry) {
        self.mark_dirty(self.log.len());
        self.log.push(e);
    }

    /// Any message with a higher term: adopt it, become follower, forget the vote.
    fn adopt_term(&mut self, term: u64) {
        self.term = term;
        self.voted_for = None;
        self.role = Role::Follower;
        self.leader = None;
        self.votes.clear();
    }

    fn handle(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.on_election_timeout(out),
            Input::Timer(Timer::HeartbeatTimeout) => {
                if self.role == Role::Leader {
                    self.broadcast_append(out);
                }
            }
            Input::Timer(_) => {}
            Input::Propose(payload) => self.on_propose(payload, out),
            Input::Receive { from, msg } => {
                if !self.voters.contains(&from) || from == self.id {
                    return;
                }
                if msg.term() > self.term {
                    self.adopt_term(msg.term());
                }
                match msg {
                    Message::RequestVote {
                        term,
                        last_log_term,
                        last_log_index,
                    } => self.on_request_vote(from, term, last_log_term, last_log_index, out),
                    Message::RequestVoteResponse { term, granted } => {
                        self.on_vote_response(from, term, granted, out)
                    }
                    Message::AppendEntries {
                        term,
                        prev_log_index,
                        prev_log_term,
                        entries,
                        leader_commit,
                    } => self.on_append(
                        from,
                        term,
                        prev_log_index,
                        prev_log_term,
                        entries,
                        leader_commit,
                        out,
                    ),
                    Message::AppendEntriesResponse {
                        term,
                        success,
                        match_index,
                        last_log_index,
                    } => self.on_append_response(
                        from,
                        term,
                        success,
                        match_index,
                        last_log_index,
                        out,
                    ),
                }
            }
        }
    }

    fn on_election_timeout(&mut self, out: &mut Output<Message>) {
        if self.role == Role::Leader {
            return;
        }
        self.term += 1;
        self.voted_for = Some(self.id);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        out.reset_election_timer = true;
        if self.votes.len() >= majority(self.voters.len()) {
            self.become_leader(out);
            return;
        }
        let msg = Message::RequestVote {
            term: self.term,
            last_log_term: self.last_term(),
            last_log_index: self.last_index(),
        };
        for p in self.peers().collect::<Vec<_>>() {
            out.send.push((p, msg.clone()));
        }
    }

    fn on_request_vote(
        &mut self,
        from: NodeId,
        term: u64,
        last_log_term: u64,
        last_log_index: u64,
        out: &mut Output<Message>,
    ) {
        let log_ok = mutant!(self.cfg, RaftVoteNoLogCheck)
            || (last_log_term, last_log_index) >= (self.last_term(), self.last_index());
        let free = self.voted_for.is_none()
            || self.voted_for == Some(from)
            || mutant!(self.cfg, RaftDoubleVote);
        let granted = term == self.term && free && log_ok;
        if granted {
            self.voted_for = Some(from);
            out.reset_election_timer = true;
        }
        out.send.push((
            from,
            Message::RequestVoteResponse {
                term: self.term,
                granted,
            },
        ));
    }

    fn on_vote_response(
        &mut self,
        from: NodeId,
        term: u64,
        granted: bool,
        out: &mut Output<Message>,
    ) {
        if term < self.term || self.role != Role::Candidate || !granted {
            return;
        }
        self.votes.insert(from);
        if self.votes.len() >= majority(self.voters.len()) {
            self.become_leader(out);
        }
    }

    fn become_leader(&mut self, out: &mut Output<Message>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.votes.clear();
        let next = self.last_index() + 1;
        self.next_index = self.peers().map(|p| (p, next)).collect();
        self.match_index = self.peers().map(|p| (p, 0)).collect();
        // A single server has its majority already: entries of this term commit at once.
        self.advance_commit();
        if self.cfg.send_on_election {
            self.broadcast_append(out);
        }
    }

    fn broadcast_append(&mut self, out: &mut Output<Message>) {
        for p in self.peers().collect::<Vec<_>>() {
            self.send_append(p, out);
        }
    }

    fn send_append(&mut self, to: NodeId, out: &mut Output<Message>) {
        let next = self.next_index.get(&to).copied().unwrap_or(1).max(1);
        let prev = (next - 1).min(self.last_index());
        let prev_term = self.term_at(prev).unwrap_or(0);
        let end = (prev as usize)
            .saturating_add(self.cfg.max_entries_per_message)
            .min(self.log.len());
        let entries = self.log[prev as usize..end].to_vec();
        if self.cfg.pipeline && !entries.is_empty() {
            self.next_index.insert(to, end as u64 + 1);
        }
        out.send.push((
            to,
            Message::AppendEntries {
                term: self.term,
                prev_log_index: prev,
                prev_log_term: prev_term,
                entries,
                leader_commit: self.commit,
            },
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
        out: &mut Output<Message>,
    ) {
        let reject = |me: &Self, out: &mut Output<Message>| {
            out.send.push((
                from,
                Message::AppendEntriesResponse {
                    term: me.term,
                    success: false,
                    match_index: 0,
                    last_log_index: me.cfg.reject_hint.then(|| me.last_index()),
                },
            ));
        };
        if term < self.term {
            reject(self, out);
            return;
        }
        match self.role {
            Role::Leader => return,
            Role::Candidate => {
                self.role = Role::Follower;
                self.votes.clear();
            }
            _ => {}
        }
        self.leader = Some(from);
        out.reset_election_timer = true;
        if self.term_at(prev_log_index) != Some(prev_log_term) {
            reject(self, out);
            return;
        }
        let n = entries.len() as u64;
        if mutant!(self.cfg, RaftTruncateOnDuplicateAppend) && !entries.is_empty() {
            self.truncate(prev_log_index as usize);
        }
        for (k, e) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + k as u64;
            match self.term_at(index) {
                Some(t) if t == e.term => {}
                Some(_) => {
                    // Conflict: the suffix from here on is not the leader's; drop it.
                    self.truncate(index as usize - 1);
                    self.push(e);
                }
                None => self.push(e),
            }
        }
        let last_new = prev_log_index + n;
        if mutant!(self.cfg, RaftCommitRegress) {
            self.commit = leader_commit.min(last_new);
        } else if leader_commit > self.commit {
            self.commit = self.commit.max(leader_commit.min(last_new));
        }
        out.send.push((
            from,
            Message::AppendEntriesResponse {
                term: self.term,
                success: true,
                match_index: last_new,
                last_log_index: None,
            },
        ));
    }

    fn on_append_response(
        &mut self,
        from: NodeId,
        term: u64,
        success: bool,
        match_index: u64,
        hint: Option<u64>,
        _out: &mut Output<Message>,
    ) {
        if term < self.term || self.role != Role::Leader {
            return;
        }
        if success {
            let m = self.match_index.entry(from).or_insert(0);
            *m = (*m).max(match_index);
            let after = *m + 1;
            let next = self.next_index.entry(from).or_insert(1);
            *next = if self.cfg.pipeline {
                (*next).max(after)
            } else {
                after
            };
            self.advance_commit();
        } else {
            let next = self.next_index.entry(from).or_insert(1);
            let mut n = next.saturating_sub(1).max(1);
            if let Some(h) = hint {
                n = n.min(h + 1).max(1);
            }
            *next = n;
        }
    }

    /// Highest N with a majority of matchIndex >= N (self counts with its last index) and
    /// log[N].term == currentTerm.
    fn advance_commit(&mut self) {
        let need = majority(self.voters.len());
        let mut n = self.last_index();
        while n > self.commit {
            let t = self.term_at(n).unwrap_or(0);
            if t == self.term || mutant!(self.cfg, RaftCommitAnyTerm) {
                let acks = 1 + self.match_index.values().filter(|&&m| m >= n).count();
                if acks >= need {
                    self.commit = n;
                    return;
                }
            } else if t < self.term {
                // Terms only grow along the log: nothing lower down is of the current term.
                return;
            }
            n -= 1;
        }
    }

    fn on_propose(&mut self, payload: Vec<u8>, out: &mut Output<Message>) {
        if self.role != Role::Leader {
            out.proposal = Some(Proposal::NotLeader {
                leader: self.leader,
            });
            return;
        }
        self.push(Entry::command(self.term, payload));
        out.proposal = Some(Proposal::Accepted {
            position: self.last_index() - 1,
            term: self.term,
        });
        self.advance_commit();
    }
}

impl Core for RaftCore {
    type Message = Message;

    fn step(&mut self, input: Input<Message>) -> Output<Message> {
        let mut out = Output::default();
        let start_len = self.log.len();
        let start_commit = self.commit;
        self.dirty_from = None;
        self.handle(input, &mut out);
        if let Some(from) = self.dirty_from.take() {
            let from = from.min(self.log.len());
            if from < start_len {
                out.persist.truncate_to = Some(from as u64);
            }
            out.persist.append = self.log[from..].to_vec();
        }
        let voted_for = if mutant!(self.cfg, RaftVoteNotPersisted) {
            None
        } else {
            self.voted_for
        };
        let hs = HardState {
            term: self.term,
            voted_for,
            leader: None,
        };
        if hs != self.durable {
            self.durable = hs.clone();
            out.persist.hard_state = Some(hs);
        }
        if self.commit != start_commit {
            out.committed = Some(self.commit);
        }
        out
    }

    fn summary(&self) -> Summary {
        Summary {
            id: self.id,
            role: self.role,
            term: self.term,
            leader: self.leader,
            log_len: self.last_index(),
            committed: self.commit,
        }
    }

    fn log(&self) -> &[Entry] {
        &self.log
    }
}

#[cfg(test)]
mod tests;
