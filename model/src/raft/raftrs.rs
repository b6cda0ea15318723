//! The raft-rs options of the Raft model (tikv/raft-rs 0.7, `src/raft.rs` and
//! `src/tracker/progress.rs`): the steps raft-rs takes where the Raft paper leaves a choice.
//! Each function is one rule, named after the raft-rs function it follows; each runs only under
//! its option (see `crate::options::Options`), so the default model never reaches them.

use super::state::*;
use super::RaftModel;
use crate::bugs::Bug;

impl RaftModel {
    /// Whether servers track the leader of their term (raft-rs `leader_id`), which the
    /// option `vote_needs_no_leader` reads.
    pub(crate) fn tracks_leader(&self) -> bool {
        self.bounds.options.vote_needs_no_leader
    }

    /// Sets the leader `s` knows, where servers track it.
    pub(crate) fn note_leader(&self, st: &mut RaftState, s: ServerId, leader: Option<ServerId>) {
        if self.tracks_leader() {
            st.servers[s as usize].leader = leader;
        }
    }

    /// commit_info: the commit index and the term of the entry there, which raft-rs vote
    /// requests and denials carry (option `commit_by_vote`; (0, 0) without it).
    pub(crate) fn rs_commit_info(&self, srv: &Server) -> (Index, Term) {
        if !self.bounds.options.commit_by_vote {
            return (0, 0);
        }
        let c = srv.commit_index;
        (c, srv.term_at(c).unwrap_or(0))
    }

    /// maybe_commit_by_vote: a follower or candidate whose log holds the entry a vote message
    /// names as committed (same index, same term) commits up to it.
    pub(crate) fn rs_commit_by_vote(
        &self,
        st: &mut RaftState,
        s: ServerId,
        commit: Index,
        commit_term: Term,
    ) {
        let srv = &mut st.servers[s as usize];
        if commit == 0 || commit_term == 0 || commit <= srv.commit_index || srv.role == Role::Leader
        {
            return;
        }
        if srv.term_at(commit) == Some(commit_term) {
            srv.commit_index = commit;
        }
    }

    /// maybe_send_append: the entry at nextIndex (none past the log's end, and then only if
    /// `allow_empty`), unless flow control pauses the peer. Sending an entry pauses a probing
    /// peer and advances a replicating peer's nextIndex (`Progress::update_state`).
    pub(crate) fn rs_send_append(
        &self,
        st: &mut RaftState,
        s: ServerId,
        to: ServerId,
        allow_empty: bool,
    ) -> bool {
        let flow = self.bounds.options.flow_control;
        let srv = &st.servers[s as usize];
        let t = to as usize;
        if flow && srv.progress[t] == progress::PAUSED {
            return false;
        }
        let prev_log_index = srv.next_index[t] - 1;
        let mut entries = Entries::new();
        if let Some(e) = srv.log.get(prev_log_index as usize) {
            entries.push(*e);
        }
        if entries.is_empty() && !allow_empty {
            return false;
        }
        let m = Msg::AppendEntries(AppendEntries {
            from: s,
            to,
            term: srv.term,
            prev_log_index,
            prev_log_term: srv.term_at(prev_log_index).unwrap_or(0),
            entries: entries.clone(),
            leader_commit: srv.commit_index,
        });
        if flow && !entries.is_empty() {
            let srv = &mut st.servers[s as usize];
            if srv.progress[t] == progress::REPLICATE {
                srv.next_index[t] = prev_log_index + 2; // optimistic_update(last sent)
            } else {
                srv.progress[t] = progress::PAUSED; // a probe is outstanding
            }
        }
        self.send(st, m);
        true
    }

    /// bcast_append: one append (or an empty one, carrying the commit index) to every peer.
    pub(crate) fn rs_bcast_append(&self, st: &mut RaftState, s: ServerId) {
        for to in self.peers(s) {
            self.rs_send_append(st, s, to, true);
        }
    }

    /// send_append_aggressively: every remaining entry, one message each, while flow control
    /// lets them go (without flow control nothing advances nextIndex: at most one).
    fn rs_send_aggressively(&self, st: &mut RaftState, s: ServerId, to: ServerId) {
        while self.rs_send_append(st, s, to, false) && self.bounds.options.flow_control {}
    }

    /// bcast_heartbeat: a Heartbeat to every peer, commit = min(matchIndex, commitIndex), so a
    /// follower is never told to commit past what it is known to hold.
    pub(crate) fn rs_heartbeat(&self, st: &mut RaftState, s: ServerId) {
        for to in self.peers(s) {
            let srv = &st.servers[s as usize];
            let m = Msg::Heartbeat(Heartbeat {
                from: s,
                to,
                term: srv.term,
                commit: srv.match_index[to as usize].min(srv.commit_index),
            });
            self.send(st, m);
        }
    }

    /// handle_heartbeat: a current leader's heartbeat makes a candidate follow, names the
    /// leader, raises the commit index to the one carried (commit_to: never lowers it), and
    /// is answered. A lower-term one is ignored (`silent_lower_term`) or answered with the
    /// receiver's term.
    pub(crate) fn rs_handle_heartbeat(&self, st: &mut RaftState, m: &Heartbeat) {
        let &Heartbeat {
            from,
            to,
            term,
            commit,
        } = m;
        Self::update_term(st, to, term);
        let srv = &mut st.servers[to as usize];
        if term < srv.term && self.bounds.options.silent_lower_term {
            return;
        }
        if term == srv.term {
            if srv.role == Role::Candidate {
                srv.role = Role::Follower;
                srv.votes_granted = 0;
                srv.votes_rejected = 0;
            }
            if commit > srv.commit_index {
                srv.commit_index = commit; // raft-rs panics past its last index
            }
            self.note_leader(st, to, Some(from));
        }
        let reply = Msg::HeartbeatResponse(HeartbeatResponse {
            from: to,
            to: from,
            term: st.servers[to as usize].term,
        });
        self.send(st, reply);
    }

    /// handle_heartbeat_response: the peer answered, so a paused probe resumes; a peer whose
    /// matchIndex is behind the leader's log gets an append.
    pub(crate) fn rs_handle_heartbeat_response(&self, st: &mut RaftState, m: &HeartbeatResponse) {
        let &HeartbeatResponse { from, to, term } = m;
        Self::update_term(st, to, term);
        let srv = &mut st.servers[to as usize];
        if term < srv.term || srv.role != Role::Leader {
            return;
        }
        let f = from as usize;
        if srv.progress[f] == progress::PAUSED {
            srv.progress[f] = progress::PROBE; // Progress::resume
        }
        if srv.match_index[f] < srv.last_index() {
            self.rs_send_append(st, to, from, true);
        }
    }

    /// handle_append_entries (option `ack_below_commit`): an append whose prevLogIndex is
    /// below the commit index is answered with success at the commit index, nothing else.
    pub(crate) fn rs_ack_below_commit(
        &self,
        srv: &Server,
        from: ServerId,
        to: ServerId,
        prev: Index,
    ) -> Option<Msg> {
        (self.bounds.options.ack_below_commit && prev < srv.commit_index).then_some(
            Msg::AppendEntriesResponse(AppendEntriesResponse {
                from: to,
                to: from,
                term: srv.term,
                success: true,
                match_index: srv.commit_index,
            }),
        )
    }

    /// handle_append_entries, rejecting: the rejected prevLogIndex, and as hint the
    /// receiver's last index at or below min(prevLogIndex, lastIndex) whose term is at most
    /// prevLogTerm, with that term (`find_conflict_by_term`).
    pub(crate) fn rs_reject_with_hint(
        srv: &Server,
        from: ServerId,
        to: ServerId,
        prev: Index,
        prev_term: Term,
    ) -> Msg {
        let (hint_index, hint_term) =
            Self::find_conflict_by_term(srv, prev.min(srv.last_index()), prev_term);
        Msg::AppendEntriesReject(AppendEntriesReject {
            from: to,
            to: from,
            term: srv.term,
            rejected: prev,
            hint_index,
            hint_term,
        })
    }

    /// find_conflict_by_term: the last index at or below `index` whose term is at most
    /// `term`, and that term (index 0, term 0 at worst). An index past the log is returned
    /// as is, with term 0.
    fn find_conflict_by_term(srv: &Server, index: Index, term: Term) -> (Index, Term) {
        let mut i = index;
        loop {
            match srv.term_at(i) {
                Some(t) if t > term => i -= 1,
                Some(t) => return (i, t),
                None => return (i, 0),
            }
        }
    }

    /// handle_append_response, rejected: the leader probes where the hint says the logs may
    /// agree (its own find_conflict_by_term on the hint), unless the rejection is stale
    /// (`Progress::maybe_decr_to`); a replicating peer goes back to probing; then an append.
    pub(crate) fn rs_handle_reject(&self, st: &mut RaftState, m: &AppendEntriesReject) {
        let &AppendEntriesReject {
            from,
            to,
            term,
            rejected,
            hint_index,
            hint_term,
        } = m;
        Self::update_term(st, to, term);
        let srv = &st.servers[to as usize];
        if term < srv.term || srv.role != Role::Leader {
            return;
        }
        let probe = if hint_term > 0 {
            Self::find_conflict_by_term(srv, hint_index, hint_term).0
        } else {
            hint_index
        };
        if self.bug == Some(Bug::RejectIgnored) || !self.rs_decrease(st, to, from, rejected, probe)
        {
            return; // (BUG reject-ignored, liveness: the leader never backs off.)
        }
        if self.bounds.options.eager_append {
            self.rs_send_append(st, to, from, true);
        }
    }

    /// Progress::maybe_decr_to (then become_probe): false if the rejection is stale.
    fn rs_decrease(
        &self,
        st: &mut RaftState,
        s: ServerId,
        peer: ServerId,
        rejected: Index,
        probe: Index,
    ) -> bool {
        let srv = &mut st.servers[s as usize];
        let p = peer as usize;
        if srv.progress[p] == progress::REPLICATE {
            if rejected <= srv.match_index[p] {
                return false;
            }
            srv.next_index[p] = srv.match_index[p] + 1;
            srv.progress[p] = progress::PROBE;
            return true;
        }
        if srv.next_index[p] - 1 != rejected {
            return false;
        }
        srv.next_index[p] = rejected.min(probe + 1).max(1);
        srv.progress[p] = progress::PROBE; // resume
        true
    }

    /// handle_append_response, accepted (options `flow_control` / `eager_append`): an
    /// acknowledgement that raises nothing is ignored (`Progress::maybe_update`); otherwise a
    /// probing peer starts replicating, the commit index advances (and is broadcast), a
    /// peer that was paused gets the next append, and every remaining entry is sent.
    pub(crate) fn rs_handle_ack(
        &self,
        st: &mut RaftState,
        s: ServerId,
        peer: ServerId,
        index: Index,
    ) {
        let flow = self.bounds.options.flow_control;
        let srv = &mut st.servers[s as usize];
        let p = peer as usize;
        let old_paused = flow && srv.progress[p] == progress::PAUSED;
        if srv.match_index[p] >= index {
            if flow {
                srv.next_index[p] = srv.next_index[p].max(index + 1);
            }
            return;
        }
        srv.match_index[p] = index;
        if flow {
            srv.next_index[p] = srv.next_index[p].max(index + 1);
            if srv.progress[p] != progress::REPLICATE {
                srv.progress[p] = progress::REPLICATE; // become_replicate
                srv.next_index[p] = index + 1;
            }
        } else {
            srv.next_index[p] = index + 1;
        }
        let before = srv.commit_index;
        if self.bug != Some(Bug::CommitOnlyOnAppend) {
            self.advance_commit_index(st, s);
        }
        if !self.bounds.options.eager_append {
            return;
        }
        if st.servers[s as usize].commit_index > before {
            self.rs_bcast_append(st, s);
        } else if old_paused {
            self.rs_send_append(st, s, peer, true);
        }
        self.rs_send_aggressively(st, s, peer);
    }

    /// raft-rs `poll`: a candidate records the first answer of each voter; denied by so many
    /// that a majority can no longer grant, it steps down to follower in the same term.
    pub(crate) fn rs_count_denial(&self, st: &mut RaftState, s: ServerId, from: ServerId) {
        let srv = &mut st.servers[s as usize];
        let bit = 1 << from;
        if (srv.votes_granted | srv.votes_rejected) & bit != 0 {
            return;
        }
        srv.votes_rejected |= bit;
        let denied = srv.votes_rejected.count_ones() as usize;
        if denied > self.bounds.servers as usize - self.bounds.majority() {
            srv.role = Role::Follower;
            srv.votes_granted = 0;
            srv.votes_rejected = 0;
        }
    }
}
