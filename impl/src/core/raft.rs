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
//! - `Config::leader_noop` (production): a new leader appends a no-op entry of its term.
//!
//! Shape (as etcd-io/raft's `raft.go`): [`Core::step`] normalises the term once (a higher term
//! makes the server a follower of that term; a message of a lower term gets the answer Figure 2
//! gives it, or none), then hands the input to the step function of the current role,
//! `step_leader`, `step_candidate` or `step_follower`.

use super::durable::DurableLog;
use super::frame::{self, Framed, Snapshot, VoteWrite, Words};
use super::{
    majority, voter_set, Core, Entry, HardState, Input, Output, PersistentState, Proposal,
};
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
    /// A new leader appends an entry with this payload at once, so that its predecessors'
    /// entries commit without waiting for a client (Raft paper section 8). The model's
    /// leaders append none; a real node appends the KV layer's no-op command.
    pub leader_noop: Option<Vec<u8>>,
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
            leader_noop: None,
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
            leader_noop: Some(crate::kv::Command::Noop.encode()),
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
    /// The log (`log.entries()[i - 1]` is index `i`) and what of it the driver must persist.
    log: DurableLog,
    role: Role,
    leader: Option<NodeId>,
    commit: u64,
    votes: BTreeSet<NodeId>,
    next_index: BTreeMap<NodeId, u64>,
    match_index: BTreeMap<NodeId, u64>,
}

/// An AppendEntries' fields after the term check.
struct Append {
    prev_log_index: u64,
    prev_log_term: u64,
    entries: Vec<Entry>,
    leader_commit: u64,
}

impl RaftCore {
    /// A fresh server: term 0, no vote, empty log.
    pub fn new(id: NodeId, voters: &[NodeId], cfg: Config) -> RaftCore {
        RaftCore::restore(id, voters, cfg, PersistentState::default())
    }

    /// A server restarted from what it persisted: follower, commit index 0.
    pub fn restore(id: NodeId, voters: &[NodeId], cfg: Config, ps: PersistentState) -> RaftCore {
        let voters = voter_set(id, voters);
        let hs = HardState {
            term: ps.hard_state.term,
            voted_for: ps.hard_state.voted_for,
            leader: None,
        };
        RaftCore {
            id,
            voters,
            cfg,
            term: hs.term,
            voted_for: hs.voted_for,
            log: DurableLog::new(ps.log, hs),
            role: Role::Follower,
            leader: None,
            commit: 0,
            votes: BTreeSet::new(),
            next_index: BTreeMap::new(),
            match_index: BTreeMap::new(),
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
        self.log.persistent_state()
    }

    pub fn view(&self) -> RaftView {
        let leader_only = self.role == Role::Leader;
        RaftView {
            term: self.term,
            role: self.role,
            voted_for: self.voted_for,
            log: self.log.entries().to_vec(),
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

    /// Votes (replicas) that make a majority of the voters.
    fn quorum(&self) -> usize {
        if mutant!(self.cfg, RaftQuorumRoundsDown) {
            return self.voters.len().div_ceil(2);
        }
        majority(self.voters.len())
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        let me = self.id;
        self.voters.iter().copied().filter(move |&v| v != me)
    }

    fn last_index(&self) -> u64 {
        self.log.len()
    }

    fn last_term(&self) -> u64 {
        self.log.last_term()
    }

    /// Term of the entry at `index` (1-based); index 0 has term 0.
    fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.log.term_at_pos(index as usize - 1)
        }
    }

    fn truncate(&mut self, len: usize) {
        self.log.truncate(len, self.commit, mutated!(self.cfg));
    }

    /// Any message with a higher term: adopt it, become follower, forget the vote.
    fn become_follower(&mut self, term: u64) {
        self.term = term;
        self.voted_for = None;
        self.role = Role::Follower;
        self.leader = None;
        self.votes.clear();
    }

    /// etcd's `Step`: filter, normalise the term, then the role's step function.
    fn step_input(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        if let Input::Receive { from, msg } = &input {
            if !self.voters.contains(from) || *from == self.id {
                return;
            }
            let response = matches!(
                msg,
                Message::RequestVoteResponse { .. } | Message::AppendEntriesResponse { .. }
            );
            if msg.term() > self.term && response && mutant!(self.cfg, RaftIgnoresNewerResponse) {
                return;
            }
            if msg.term() > self.term {
                self.become_follower(msg.term());
                cov!(RaftNewerTermStepDown);
            } else if msg.term() < self.term {
                return self.step_stale(*from, msg, out);
            }
        }
        match self.role {
            Role::Leader => self.step_leader(input, out),
            Role::Candidate => self.step_candidate(input, out),
            _ => self.step_follower(input, out),
        }
    }

    /// A message of an older term: refuse a vote or an AppendEntries, ignore a response.
    fn step_stale(&mut self, from: NodeId, msg: &Message, out: &mut Output<Message>) {
        if let Some(handled) = self.step_stale_mutant(from, msg, out) {
            return handled;
        }
        match msg {
            Message::RequestVote { .. } => {
                cov!(RaftStaleRequestRefused);
                self.answer_vote(from, false, out)
            }
            Message::AppendEntries {
                prev_log_index,
                term,
                ..
            } => {
                cov!(RaftStaleRequestRefused);
                self.reject_append(from, *prev_log_index, Some(*term), out)
            }
            Message::RequestVoteResponse { .. } | Message::AppendEntriesResponse { .. } => {
                cov!(RaftStaleResponseIgnored)
            }
        }
    }

    /// Injected bugs that handle a message of an older term as a current one.
    fn step_stale_mutant(
        &mut self,
        from: NodeId,
        msg: &Message,
        out: &mut Output<Message>,
    ) -> Option<()> {
        match msg {
            Message::RequestVoteResponse { granted: true, .. }
                if self.role == Role::Candidate && mutant!(self.cfg, RaftCountsStaleVote) =>
            {
                self.votes.insert(from);
                if self.votes.len() >= self.quorum() {
                    self.become_leader(out);
                }
                Some(())
            }
            Message::AppendEntries { .. }
                if self.role == Role::Follower && mutant!(self.cfg, RaftAcceptsStaleAppend) =>
            {
                self.step_common(from, msg.clone(), out);
                Some(())
            }
            _ => None,
        }
    }

    fn step_follower(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Follower);
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.campaign(out),
            Input::Timer(_) => {}
            Input::Propose(_) => self.refuse_proposal(out),
            Input::Receive { from, msg } => self.step_common(from, msg, out),
        }
    }

    fn step_candidate(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Candidate);
        debug_assert!(mutated!(self.cfg) || self.voted_for == Some(self.id));
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.campaign(out),
            Input::Timer(_) => {}
            Input::Propose(_) => self.refuse_proposal(out),
            Input::Receive {
                from,
                msg: Message::RequestVoteResponse { granted, .. },
            } => {
                if granted {
                    cov!(RaftVoteCounted);
                    self.votes.insert(from);
                    if self.votes.len() >= self.quorum() {
                        self.become_leader(out);
                    }
                } else {
                    cov!(RaftVoteRefusalIgnored);
                }
            }
            Input::Receive {
                msg: Message::AppendEntries { .. },
                ..
            } if mutant!(self.cfg, RaftCandidateIgnoresAppend) => {}
            Input::Receive {
                from,
                msg: msg @ Message::AppendEntries { .. },
            } => {
                // A leader of this term exists: follow it.
                cov!(RaftCandidateStepsDown);
                self.role = Role::Follower;
                self.votes.clear();
                self.step_common(from, msg, out);
            }
            Input::Receive { from, msg } => self.step_common(from, msg, out),
        }
    }

    fn step_leader(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Leader);
        debug_assert_eq!(self.leader, Some(self.id));
        match input {
            Input::Timer(Timer::HeartbeatTimeout) => {
                cov!(RaftHeartbeat);
                self.broadcast_append(out)
            }
            Input::Timer(_) => {}
            Input::Propose(payload) => {
                cov!(RaftPropose);
                let position = self.append_own(payload);
                out.proposal = Some(Proposal::Accepted {
                    position,
                    term: self.term,
                });
            }
            Input::Receive { from, msg } => match msg {
                Message::RequestVote {
                    last_log_term,
                    last_log_index,
                    ..
                } => self.on_request_vote(from, last_log_term, last_log_index, out),
                Message::AppendEntriesResponse {
                    success,
                    match_index,
                    last_log_index,
                    ..
                } => self.on_append_response(from, success, match_index, last_log_index),
                // Another leader in this term cannot exist; raft.tla enables nothing here.
                Message::AppendEntries { .. } | Message::RequestVoteResponse { .. } => {}
            },
        }
    }

    /// Messages of the current term a follower handles, and a candidate that is not counting
    /// a vote.
    fn step_common(&mut self, from: NodeId, msg: Message, out: &mut Output<Message>) {
        match msg {
            Message::RequestVote {
                last_log_term,
                last_log_index,
                ..
            } => self.on_request_vote(from, last_log_term, last_log_index, out),
            Message::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ..
            } => self.on_append(
                from,
                Append {
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                },
                out,
            ),
            Message::RequestVoteResponse { .. } | Message::AppendEntriesResponse { .. } => {}
        }
    }

    fn refuse_proposal(&self, out: &mut Output<Message>) {
        cov!(RaftProposeRefused);
        out.proposal = Some(Proposal::NotLeader {
            leader: self.leader,
        });
    }

    /// Election timeout of a follower or candidate: a new term, a vote for self.
    fn campaign(&mut self, out: &mut Output<Message>) {
        cov!(RaftCampaign);
        self.term += 1;
        self.voted_for = Some(self.id);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        out.reset_election_timer = true;
        if self.votes.len() >= self.quorum() {
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

    /// A RequestVote of the current term.
    fn on_request_vote(
        &mut self,
        from: NodeId,
        last_log_term: u64,
        last_log_index: u64,
        out: &mut Output<Message>,
    ) {
        let log_ok = mutant!(self.cfg, RaftVoteNoLogCheck)
            || (last_log_term, last_log_index) >= (self.last_term(), self.last_index());
        let free = self.voted_for.is_none()
            || self.voted_for == Some(from)
            || mutant!(self.cfg, RaftDoubleVote);
        let granted = free && log_ok;
        match (free, log_ok) {
            (true, true) => cov!(RaftVoteGranted),
            (false, _) => cov!(RaftVoteRefusedVoted),
            (true, false) => cov!(RaftVoteRefusedLog),
        }
        if granted {
            self.voted_for = Some(from);
            out.reset_election_timer = true;
        }
        self.answer_vote(from, granted, out);
    }

    fn answer_vote(&self, to: NodeId, granted: bool, out: &mut Output<Message>) {
        out.send.push((
            to,
            Message::RequestVoteResponse {
                term: self.term,
                granted,
            },
        ));
    }

    fn become_leader(&mut self, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Candidate);
        cov!(RaftBecomeLeader);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.votes.clear();
        let next = self.last_index() + 1;
        self.next_index = self.peers().map(|p| (p, next)).collect();
        self.match_index = self.peers().map(|p| (p, 0)).collect();
        if let Some(noop) = self.cfg.leader_noop.clone() {
            // Also commits at once in a single-server cluster.
            self.append_own(noop);
        } else {
            // A single server has its majority already: entries of this term commit at once.
            self.advance_commit();
        }
        if self.cfg.send_on_election {
            self.broadcast_append(out);
        }
    }

    /// Leader: appends an entry of its term, returns its 0-based position.
    fn append_own(&mut self, payload: Vec<u8>) -> u64 {
        self.log.push(Entry::command(self.term, payload));
        self.advance_commit();
        self.last_index() - 1
    }

    fn broadcast_append(&mut self, out: &mut Output<Message>) {
        let mut peers: Vec<NodeId> = self.peers().collect();
        if mutant!(self.cfg, RaftHeartbeatSkipsPeer) {
            peers.pop();
        }
        for p in peers {
            self.send_append(p, out);
        }
    }

    fn send_append(&mut self, to: NodeId, out: &mut Output<Message>) {
        let next = self.next_index.get(&to).copied().unwrap_or(1).max(1);
        let prev = (next - 1).min(self.last_index());
        let prev_term = self.term_at(prev).unwrap_or(0);
        let end = (prev as usize).saturating_add(self.cfg.max_entries_per_message);
        let entries = self.log.slice(prev as usize, end);
        if self.cfg.pipeline && !entries.is_empty() {
            self.next_index.insert(to, prev + entries.len() as u64 + 1);
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

    /// Refuses an AppendEntries whose entry at `prev_log_index` does not match. The hint
    /// (production) is the highest index that may still match: below the refused
    /// `prev_log_index` and within this log. It must be below `prev_log_index`, or a leader
    /// whose nextIndex ran ahead (pipelining) backs off to the refused position again and
    /// again (issue 16's idle-repair bug).
    fn reject_append(
        &self,
        to: NodeId,
        prev_log_index: u64,
        stale_term: Option<u64>,
        out: &mut Output<Message>,
    ) {
        let hint = match mutant!(self.cfg, RaftHintAtRefusedIndex) {
            true => self.last_index().min(prev_log_index),
            false => self.last_index().min(prev_log_index.saturating_sub(1)),
        };
        let term = match stale_term {
            Some(t) if mutant!(self.cfg, RaftRefusalWithStaleTerm) => t,
            _ => self.term,
        };
        out.send.push((
            to,
            Message::AppendEntriesResponse {
                term,
                success: false,
                match_index: 0,
                last_log_index: self.cfg.reject_hint.then_some(hint),
            },
        ));
    }

    /// An AppendEntries of the current term, received as follower.
    fn on_append(&mut self, from: NodeId, a: Append, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Follower);
        self.leader = Some(from);
        out.reset_election_timer = !mutant!(self.cfg, RaftNoTimerResetOnAppend);
        if self.term_at(a.prev_log_index) != Some(a.prev_log_term) {
            cov!(RaftAppendRejected);
            return self.reject_append(from, a.prev_log_index, None, out);
        }
        let n = a.entries.len() as u64;
        if mutant!(self.cfg, RaftTruncateOnDuplicateAppend) && !a.entries.is_empty() {
            self.truncate(a.prev_log_index as usize);
        }
        for (k, e) in a.entries.into_iter().enumerate() {
            let index = a.prev_log_index + 1 + k as u64;
            let first_only = k > 0 && mutant!(self.cfg, RaftBatchChecksFirstOnly);
            match self.term_at(index) {
                Some(t) if t == e.term || first_only => cov!(RaftAppendDuplicate),
                Some(_) => {
                    cov!(RaftAppendConflict);
                    // Conflict: the suffix from here on is not the leader's; drop it.
                    self.truncate(index as usize - 1);
                    self.log.push(e);
                }
                None => {
                    cov!(RaftAppendNew);
                    self.log.push(e)
                }
            }
        }
        let last_new = a.prev_log_index + n;
        // Only entries up to the last new one are known to match the leader's.
        let known = if mutant!(self.cfg, RaftCommitToLastIndex) {
            self.last_index()
        } else {
            last_new
        };
        if mutant!(self.cfg, RaftCommitRegress) {
            self.commit = a.leader_commit.min(known);
        } else if a.leader_commit > self.commit {
            let before = self.commit;
            self.commit = self.commit.max(a.leader_commit.min(known));
            if self.commit > before {
                cov!(RaftFollowerCommit);
            }
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

    /// An AppendEntriesResponse of the current term, received as leader.
    fn on_append_response(&mut self, from: NodeId, success: bool, matched: u64, hint: Option<u64>) {
        if success {
            cov!(RaftAckSuccess);
            let m = self.match_index.entry(from).or_insert(0);
            *m = if mutant!(self.cfg, RaftMatchIndexRegress) {
                matched
            } else {
                (*m).max(matched)
            };
            let after = *m + 1;
            let next = self.next_index.entry(from).or_insert(1);
            *next = if self.cfg.pipeline {
                (*next).max(after)
            } else {
                after
            };
            self.advance_commit();
        } else {
            cov!(RaftAckBackoff);
            let mut matched = self.match_index.get(&from).copied().unwrap_or(0);
            if let Some(h) = hint.filter(|&h| h < matched) {
                // The follower's log ends below what it acknowledged: it lost its log and was
                // rebuilt (`node --rejoin-empty`, which keeps it from voting until it caught
                // up). Peer links deliver in order, so this is no stale refusal: start over.
                matched = h;
                self.match_index.insert(from, h);
            }
            let next = self.next_index.entry(from).or_insert(1);
            let mut n = next.saturating_sub(1).max(1);
            match hint {
                Some(h) => n = n.min(h + 1).max(1),
                // nextIndex ran ahead of what was refused: probe from the last match (etcd).
                None if self.cfg.pipeline => n = matched + 1,
                None => {}
            }
            if self.cfg.pipeline && !mutant!(self.cfg, RaftPipelineBacksBelowMatch) {
                // Entries up to matchIndex are known to match: never resend them.
                n = n.max(matched + 1);
            }
            if !mutant!(self.cfg, RaftNoBackoff) {
                *next = n;
            }
        }
    }

    /// Highest N with a majority of matchIndex >= N (self counts with its last index) and
    /// log[N].term == currentTerm.
    fn advance_commit(&mut self) {
        let need = self.quorum();
        let mut n = self.last_index();
        while n > self.commit {
            let t = self.term_at(n).unwrap_or(0);
            if t == self.term || mutant!(self.cfg, RaftCommitAnyTerm) {
                let acks = 1 + self.match_index.values().filter(|&&m| m >= n).count();
                if acks >= need {
                    cov!(RaftLeaderCommit);
                    self.commit = n;
                    return;
                }
            } else if t < self.term {
                cov!(RaftOlderTermNotCounted);
                // Terms only grow along the log: nothing lower down is of the current term.
                return;
            }
            n -= 1;
        }
    }
}

impl Framed for RaftCore {
    type Message = Message;

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            term: self.term,
            voted_for: self.voted_for,
            committed: self.commit,
        }
    }

    fn durable_log(&mut self) -> &mut DurableLog {
        &mut self.log
    }

    fn persisted_leader(&self) -> Option<NodeId> {
        None
    }

    fn vote_write(&self) -> VoteWrite {
        let never = mutant!(self.cfg, RaftVoteNotPersisted);
        VoteWrite::chosen(never, mutant!(self.cfg, RaftVotePersistedAfterSend))
    }

    fn check_step(&self, before: &Snapshot) {
        if mutated!(self.cfg) {
            return;
        }
        // Persist before send: the step's `Persist` holds every term and vote its messages
        // may reflect, so a driver that writes it before sending never sends ahead of disk.
        debug_assert_eq!(
            (
                self.log.durable_hard_state().term,
                self.log.durable_hard_state().voted_for
            ),
            (self.term, self.voted_for),
            "the step's messages depend on a term or vote not in its Persist"
        );
        let words = Words {
            term: "term",
            commit: "commit index",
        };
        frame::check_common(before, &self.snapshot(), self.last_index(), words);
        debug_assert_eq!(
            self.role == Role::Leader,
            self.leader == Some(self.id),
            "a leader, and only a leader, knows itself as leader"
        );
    }
}

/// Timers a Raft server arms, by role.
const LEADER_TIMERS: &[Timer] = &[Timer::HeartbeatTimeout];
const OTHER_TIMERS: &[Timer] = &[Timer::ElectionTimeout];

impl Core for RaftCore {
    type Message = Message;

    fn step(&mut self, input: Input<Message>) -> Output<Message> {
        frame::step(self, input, Self::step_input)
    }

    fn summary(&self) -> Summary {
        let now = self.snapshot();
        now.summary(self.id, self.role, self.leader, self.last_index())
    }

    fn log(&self) -> &[Entry] {
        self.log.entries()
    }

    fn timers(&self) -> &'static [Timer] {
        if self.role == Role::Leader && mutant!(self.cfg, RaftLeaderKeepsElectionTimer) {
            &[Timer::HeartbeatTimeout, Timer::ElectionTimeout]
        } else if self.role == Role::Leader {
            LEADER_TIMERS
        } else {
            OTHER_TIMERS
        }
    }
}

#[cfg(test)]
mod tests;
