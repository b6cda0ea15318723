//! Raft's protocol steps, one function each, named as the paper and raft.tla name them.
//! Every step is an event an implementation can be fed; consequences (winning the election on
//! the last vote, advancing the commit index on an acknowledgement) happen inside the step.

use super::state::*;
use super::RaftModel;
use crate::bugs::Bug;
use crate::logs::batch_from;
use serde::{Deserialize, Serialize};

/// One step of the system. Network-only actions (`Drop`, `Duplicate`) touch no server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum Action {
    /// The destination server receives one copy of the message.
    Deliver(Msg),
    /// The network loses one copy of the message.
    Drop(Msg),
    /// The network makes one more copy of the message.
    Duplicate(Msg),
    /// A follower's or candidate's election timer fires.
    ElectionTimeout(ServerId),
    /// A leader's heartbeat/replication timer fires.
    HeartbeatTimeout(ServerId),
    /// Per-peer sends (option): a candidate asks one peer for its vote (raft.tla RequestVote(i, j)).
    RequestVote(ServerId, ServerId),
    /// Per-peer sends (option): a leader sends one peer AppendEntries (raft.tla
    /// AppendEntries(i, j)).
    AppendEntries(ServerId, ServerId),
    /// A client asks the server to append a value.
    ClientRequest(ServerId, Value),
    /// The server crashes and starts again from its persisted state (term, vote, log). One
    /// atomic step, as in raft.tla: a down server does nothing that delaying its messages
    /// does not already cover.
    Restart(ServerId),
}

impl Action {
    /// Every message handler and timer step, and the restart (see `spec::protocol_steps`).
    pub const PROTOCOL_STEPS: &'static [&'static str] = &[
        "Timeout",
        "AppendEntries",
        "HandleRequestVoteRequest",
        "HandleRequestVoteResponse",
        "HandleAppendEntriesRequest",
        "HandleAppendEntriesResponse",
        "Restart",
        "ClientRequest",
    ];

    /// The protocol name of the step (ITF `action_taken`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Deliver(m) => match m {
                Msg::RequestVote(_) => "HandleRequestVoteRequest",
                Msg::RequestVoteResponse(_) => "HandleRequestVoteResponse",
                Msg::AppendEntries(_) => "HandleAppendEntriesRequest",
                Msg::AppendEntriesResponse(_) | Msg::AppendEntriesReject(_) => {
                    "HandleAppendEntriesResponse"
                }
                Msg::Heartbeat(_) => "HandleHeartbeat",
                Msg::HeartbeatResponse(_) => "HandleHeartbeatResponse",
            },
            Action::Drop(_) => "DropMessage",
            Action::Duplicate(_) => "DuplicateMessage",
            Action::ElectionTimeout(_) => "Timeout",
            Action::HeartbeatTimeout(_) | Action::AppendEntries(..) => "AppendEntries",
            Action::RequestVote(..) => "RequestVote",
            Action::ClientRequest(..) => "ClientRequest",
            Action::Restart(_) => "Restart",
        }
    }
}

impl RaftModel {
    /// Any RPC with a higher term: adopt it, become follower, forget the vote (Figure 2, "All Servers").
    pub(crate) fn update_term(st: &mut RaftState, s: ServerId, term: Term) {
        let srv = &mut st.servers[s as usize];
        if term > srv.term {
            srv.term = term;
            srv.role = Role::Follower;
            srv.voted_for = None;
            srv.votes_granted = 0;
            srv.votes_rejected = 0;
            srv.leader = None;
        }
    }

    /// Timeout: start an election for term+1, vote for yourself, ask everyone for votes (§5.2;
    /// with per-peer sends, RequestVote asks them one step each).
    pub(crate) fn timeout(&self, st: &mut RaftState, s: ServerId) {
        let srv = &mut st.servers[s as usize];
        if self.bug != Some(Bug::TimeoutKeepsTerm) {
            srv.term += 1;
        } // BUG (timeout-keeps-term): votes for itself again in the term it may have voted in
        srv.role = Role::Candidate;
        srv.voted_for = Some(s);
        srv.votes_granted = 1 << s;
        srv.votes_rejected = 0;
        srv.leader = None;
        self.become_leader_if_elected(st, s);
        if !self.bounds.options.per_peer {
            for to in self.peers(s) {
                self.request_vote(st, s, to);
            }
        }
    }

    /// The RequestVote a candidate sends `to`: its term and last log position (§5.2, §5.4.1).
    pub(crate) fn vote_request(&self, srv: &Server, s: ServerId, to: ServerId) -> Msg {
        let (commit, commit_term) = self.rs_commit_info(srv);
        Msg::RequestVote(RequestVote {
            from: s,
            to,
            term: srv.term,
            last_log_term: srv.last_term(),
            last_log_index: srv.last_index(),
            commit,
            commit_term,
        })
    }

    /// RequestVote(i, j): the candidate asks one peer for its vote.
    pub(crate) fn request_vote(&self, st: &mut RaftState, s: ServerId, to: ServerId) {
        let m = self.vote_request(&st.servers[s as usize], s, to);
        self.send(st, m);
    }

    /// BecomeLeader: a candidate with votes from a majority leads; nextIndex = last+1, matchIndex = 0.
    fn become_leader_if_elected(&self, st: &mut RaftState, s: ServerId) {
        let srv = &mut st.servers[s as usize];
        if srv.role == Role::Candidate
            && srv.votes_granted.count_ones() as usize >= self.bounds.majority()
        {
            srv.role = Role::Leader;
            let next = srv.last_index() + 1;
            srv.next_index = [next; crate::bounds::MAX_SERVERS];
            srv.match_index = [0; crate::bounds::MAX_SERVERS];
            srv.progress = [progress::PROBE; crate::bounds::MAX_SERVERS];
            if self.bounds.options.leader_noop {
                let term = srv.term;
                srv.log.push(Entry { term, value: 0 }); // raft-rs: an empty entry
            }
            self.note_leader(st, s, Some(s));
            self.advance_commit_index(st, s);
            if self.bounds.options.eager_append {
                self.rs_bcast_append(st, s);
            }
            self.pr_send_on_election(st, s);
        }
    }

    /// AppendEntries: the leader sends each peer the entries from its nextIndex on (at most
    /// `batch`; one as raft.tla) with prevLogIndex/prevLogTerm and its commitIndex (§5.3).
    pub(crate) fn heartbeat(&self, st: &mut RaftState, s: ServerId) {
        if self.bounds.options.separate_heartbeats {
            return self.rs_heartbeat(st, s);
        }
        for to in self.peers(s) {
            self.append_entries(st, s, to);
        }
    }

    /// The AppendEntries a leader sends `to` now (§5.3).
    pub(crate) fn append_request(&self, srv: &Server, s: ServerId, to: ServerId) -> AppendEntries {
        let prev_log_index = srv.next_index[to as usize] - 1;
        let batch = self.bounds.options.batch;
        let entries: Entries = batch_from(&srv.log, prev_log_index as usize, batch);
        AppendEntries {
            from: s,
            to,
            term: srv.term,
            prev_log_index,
            prev_log_term: srv.term_at(prev_log_index).unwrap_or(0),
            entries,
            leader_commit: srv.commit_index,
        }
    }

    /// AppendEntries(i, j): the leader sends one peer what it is missing.
    pub(crate) fn append_entries(&self, st: &mut RaftState, s: ServerId, to: ServerId) {
        let m = self.append_request(&st.servers[s as usize], s, to);
        self.pr_pipeline_sent(st, s, &m);
        self.send(st, Msg::AppendEntries(m));
    }

    /// ClientRequest: only a leader appends (currentTerm, v) to its log (§5.3).
    pub(crate) fn client_request(&self, st: &mut RaftState, s: ServerId, value: Value) {
        let srv = &mut st.servers[s as usize];
        let term = srv.term;
        srv.log.push(Entry { term, value });
        if self.bounds.options.eager_append {
            self.rs_bcast_append(st, s); // raft-rs: replicate at once
        }
        self.advance_commit_index(st, s);
    }

    /// HandleRequestVoteRequest: grant iff the term is current, no other vote was cast in it,
    /// and the candidate's (lastLogTerm, lastLogIndex) is at least ours (§5.2, §5.4.1).
    fn handle_request_vote(&self, st: &mut RaftState, m: &RequestVote) {
        let &RequestVote {
            from,
            to,
            term,
            last_log_term,
            last_log_index,
            commit,
            commit_term,
        } = m;
        Self::update_term(st, to, term);
        let srv = &mut st.servers[to as usize];
        if term < srv.term && self.bounds.options.silent_lower_term {
            return; // raft-rs: a lower-term request gets no reply
        }
        let log_ok = self.bug == Some(Bug::VoteNoLogCheck)
            || (last_log_term, last_log_index) >= (srv.last_term(), srv.last_index());
        let vote_free = self.bug == Some(Bug::DoubleVote)
            || srv.voted_for.is_none()
            || srv.voted_for == Some(from);
        // raft-rs can_vote: a server that knows its term's leader votes only to repeat a vote.
        let leaderless = !self.bounds.options.vote_needs_no_leader
            || srv.leader.is_none()
            || srv.voted_for == Some(from);
        let granted = term == srv.term && log_ok && vote_free && leaderless;
        if granted {
            srv.voted_for = Some(from);
        }
        let (my_commit, my_commit_term) = match granted {
            true => (0, 0),
            false => self.rs_commit_info(srv),
        };
        let reply = Msg::RequestVoteResponse(RequestVoteResponse {
            from: to,
            to: from,
            term: srv.term,
            granted,
            commit: my_commit,
            commit_term: my_commit_term,
        });
        self.send(st, reply);
        if !granted {
            self.rs_commit_by_vote(st, to, commit, commit_term);
        }
    }

    /// HandleRequestVoteResponse: a candidate counts a granted vote of its own term (§5.2).
    fn handle_request_vote_response(&self, st: &mut RaftState, m: &RequestVoteResponse) {
        let &RequestVoteResponse {
            from,
            to,
            term,
            granted,
            commit,
            commit_term,
        } = m;
        Self::update_term(st, to, term);
        let srv = &mut st.servers[to as usize];
        let stale = term < srv.term && self.bug != Some(Bug::StaleVoteCounted);
        if stale || srv.role != Role::Candidate {
            return; // stale responses are dropped (BUG stale-vote-counted: counted)
        }
        self.rs_commit_by_vote(st, to, commit, commit_term);
        let srv = &mut st.servers[to as usize];
        if !granted {
            if self.bounds.options.lost_election_steps_down {
                self.rs_count_denial(st, to, from);
            }
            return;
        }
        if self.bounds.options.lost_election_steps_down && srv.votes_rejected & (1 << from) != 0 {
            return; // raft-rs records a voter's first answer only
        }
        srv.votes_granted |= 1 << from;
        self.become_leader_if_elected(st, to);
    }

    /// HandleAppendEntriesRequest: reject a stale term or a log without (prevLogIndex,
    /// prevLogTerm); otherwise delete only conflicting entries, append what is missing, and set
    /// commitIndex = min(leaderCommit, index of last new entry) if that is higher (§5.3).
    fn handle_append_entries(&self, st: &mut RaftState, m: &AppendEntries) {
        let AppendEntries {
            from,
            to,
            term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
        } = m;
        let (from, to, prev) = (*from, *to, *prev_log_index);
        Self::update_term(st, to, *term);
        let srv = &mut st.servers[to as usize];
        let reject = |srv: &Server| {
            Msg::AppendEntriesResponse(AppendEntriesResponse {
                from: to,
                to: from,
                term: srv.term,
                success: false,
                match_index: self.pr_refusal_hint(srv, prev),
            })
        };
        if *term < srv.term {
            if self.bounds.options.silent_lower_term {
                return; // raft-rs: a lower-term request gets no reply
            }
            let r = reject(srv);
            return self.send(st, r);
        }
        if srv.role == Role::Candidate {
            srv.role = Role::Follower; // a leader exists for this term
            srv.votes_granted = 0;
            srv.votes_rejected = 0;
        }
        self.note_leader(st, to, Some(from));
        if let Some(r) = self.rs_ack_below_commit(&st.servers[to as usize], from, to, prev) {
            return self.send(st, r); // raft-rs: the committed prefix is acknowledged as is
        }
        let srv = &mut st.servers[to as usize];
        if srv.term_at(prev) != Some(*prev_log_term) {
            let r = match self.bounds.options.reject_hint {
                true => Self::rs_reject_with_hint(srv, from, to, prev, *prev_log_term),
                false => reject(srv),
            };
            return self.send(st, r);
        }
        let last_new = self.accept_entries(st, to, prev, entries, *leader_commit);
        let term = st.servers[to as usize].term;
        let reply = Msg::AppendEntriesResponse(AppendEntriesResponse {
            from: to,
            to: from,
            term,
            success: true,
            match_index: last_new,
        });
        self.send(st, reply);
    }

    /// The accepting half of HandleAppendEntriesRequest: delete only conflicting entries,
    /// append what is missing, and set commitIndex = min(leaderCommit, index of last new
    /// entry) if that is higher. Returns the index of the last new entry.
    fn accept_entries(
        &self,
        st: &mut RaftState,
        to: ServerId,
        prev: Index,
        entries: &[Entry],
        leader_commit: Index,
    ) -> Index {
        let srv = &mut st.servers[to as usize];
        for (k, e) in entries.iter().enumerate() {
            let at = prev as usize + k; // 0-based slot of this entry
            match srv.log.get(at) {
                Some(mine) if mine.term == e.term => {}
                Some(_) => {
                    srv.log.truncate(at);
                    srv.log.push(*e);
                    st.marker |= marker::TRUNCATED;
                }
                None => srv.log.push(*e),
            }
        }
        let last_new = prev + entries.len() as Index;
        if self.bug == Some(Bug::TruncateOnStaleAppend) && srv.log.len() > last_new as usize {
            srv.log.truncate(last_new as usize); // BUG: treats the message as the whole log
        }
        if self.bug == Some(Bug::CommitRegress) {
            srv.commit_index = (leader_commit).min(last_new); // BUG: may go down
        } else if self.bug == Some(Bug::CommitNeedsEntries) && entries.is_empty() {
            // BUG (liveness): commitIndex is only advanced by a message that carries entries.
        } else if leader_commit > srv.commit_index {
            srv.commit_index = srv.commit_index.max((leader_commit).min(last_new));
        }
        last_new
    }

    /// HandleAppendEntriesResponse: on success raise matchIndex/nextIndex and try to commit;
    /// on failure step nextIndex back by one (§5.3).
    fn handle_append_entries_response(&self, st: &mut RaftState, m: &AppendEntriesResponse) {
        let &AppendEntriesResponse {
            from,
            to,
            term,
            success,
            match_index,
        } = m;
        Self::update_term(st, to, term);
        let srv = &mut st.servers[to as usize];
        if term < srv.term || srv.role != Role::Leader {
            return;
        }
        let f = from as usize;
        let o = &self.bounds.options;
        if success && (o.flow_control || o.eager_append) {
            return self.rs_handle_ack(st, to, from, match_index);
        }
        if !success && o.flow_control {
            srv.progress[f] = progress::PROBE;
        }
        if self.pr_handles_responses() {
            return self.pr_handle_response(st, to, from, success, match_index);
        }
        if success {
            srv.match_index[f] = srv.match_index[f].max(match_index);
            srv.next_index[f] = srv.match_index[f] + 1;
            if self.bug != Some(Bug::CommitOnlyOnAppend) {
                // (BUG commit-only-on-append, liveness: acknowledgements never commit.)
                self.advance_commit_index(st, to);
            }
        } else if self.bug != Some(Bug::RejectIgnored) {
            // (BUG reject-ignored, liveness: the leader never backs off and re-probes forever.)
            srv.next_index[f] = srv.next_index[f].saturating_sub(1).max(1);
        }
    }

    /// AdvanceCommitIndex: the highest N stored on a majority whose entry is of the current
    /// term (§5.3, §5.4.2: older terms commit only indirectly).
    pub(crate) fn advance_commit_index(&self, st: &mut RaftState, s: ServerId) {
        let srv = &st.servers[s as usize];
        let majority = self.bounds.majority();
        let mut new_commit = srv.commit_index;
        for n in (srv.commit_index + 1..=srv.last_index()).rev() {
            let acks = 1 + self
                .peers(s)
                .filter(|&j| srv.match_index[j as usize] >= n)
                .count();
            let current_term = srv.log[n as usize - 1].term == srv.term;
            if acks >= majority && (current_term || self.bug == Some(Bug::Figure8)) {
                new_commit = n;
                break;
            }
        }
        if new_commit > srv.commit_index {
            let (old, term) = (srv.commit_index, srv.term);
            for i in old..new_commit {
                let entry = st.servers[s as usize].log[i as usize];
                Self::record_commit(st, i as usize, entry, term);
            }
            st.servers[s as usize].commit_index = new_commit;
        }
    }

    /// History: remember what a leader acknowledged to clients, and any disagreement.
    fn record_commit(st: &mut RaftState, slot: usize, entry: Entry, in_term: Term) {
        match st.committed.get(slot) {
            Some(c) if c.entry != entry => st.commit_conflict = true,
            Some(_) => {}
            None if slot == st.committed.len() => st.committed.push(Committed { entry, in_term }),
            None => st.commit_conflict = true, // a gap: an earlier index was never committed
        }
    }

    /// Deliver: the destination handles one copy of a message in flight (taken off the
    /// network by the skeleton).
    pub(crate) fn deliver(&self, st: &mut RaftState, m: &Msg) {
        match m {
            Msg::RequestVote(m) => self.handle_request_vote(st, m),
            Msg::RequestVoteResponse(m) => self.handle_request_vote_response(st, m),
            Msg::AppendEntries(m) => self.handle_append_entries(st, m),
            Msg::AppendEntriesResponse(m) => self.handle_append_entries_response(st, m),
            Msg::AppendEntriesReject(m) => self.rs_handle_reject(st, m),
            Msg::Heartbeat(m) => self.rs_handle_heartbeat(st, m),
            Msg::HeartbeatResponse(m) => self.rs_handle_heartbeat_response(st, m),
        }
    }

    /// Restart: everything volatile is lost; a follower with exactly the persisted term, vote
    /// and log comes back.
    pub(crate) fn restart(&self, st: &mut RaftState, s: ServerId) {
        let srv = &mut st.servers[s as usize];
        if srv.voted_for.is_some() {
            st.marker |= marker::RESTARTED_AFTER_VOTE;
        }
        let voted_for = if self.bug == Some(Bug::VoteNotPersisted) {
            None // BUG: the vote was never written to disk
        } else {
            srv.voted_for
        };
        *srv = Server {
            term: srv.term,
            voted_for,
            log: srv.log.clone(),
            // raft-rs persists the commit index (HardState.commit)
            commit_index: if self.bounds.options.persist_commit {
                srv.commit_index
            } else {
                0
            },
            ..Server::new()
        };
        st.restarts += 1;
    }
}
