//! Raft (push): the leader sends AppendEntries and tracks nextIndex/matchIndex.
//! Rules follow the Raft paper (Figure 2, §5) and Ongaro's raft.tla; see specs/raft.md.

mod actions;
mod catalog;
mod encode;
mod pack;
mod production;
mod properties;
mod raftrs;
mod state;
mod symmetry;
mod view;

pub use actions::Action;
pub use catalog::catalog;
pub use state::*;

use crate::bugs::Bug;
use crate::protocol::{Protocol, ProtocolModel};
use stateright::Property;

/// Raft as a [`Protocol`]: the marker the shared model skeleton is instantiated with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Raft;

/// The Raft model: the shared skeleton over Raft's steps.
pub type RaftModel = ProtocolModel<Raft>;

impl RaftModel {
    /// Whether a server in this role has a running election timer (bug candidate-no-retry:
    /// a candidate does not re-arm it).
    pub(crate) fn election_timer_runs(&self, role: Role) -> bool {
        !(self.bug == Some(Bug::CandidateNoRetry) && role == Role::Candidate)
    }

    /// The leader's replication steps: one heartbeat to all, or (per-peer sends) one
    /// AppendEntries per peer that would put something new in flight.
    fn replication_actions(&self, st: &RaftState, s: ServerId, out: &mut Vec<Action>) {
        if !self.bounds.options.per_peer {
            if self.bounds.servers > 1 {
                out.push(Action::HeartbeatTimeout(s));
            }
            return;
        }
        let srv = &st.servers[s as usize];
        for to in self.peers(s) {
            if st.network.has_room_for(
                &Msg::AppendEntries(self.append_request(srv, s, to)),
                &self.bounds.network,
            ) {
                out.push(Action::AppendEntries(s, to));
            }
        }
    }

    /// A candidate's RequestVote(i, j) for each peer whose vote it lacks, if the request would
    /// put something new in flight (re-sending is how a lost request is retried).
    fn vote_request_actions(&self, st: &RaftState, s: ServerId, out: &mut Vec<Action>) {
        let srv = &st.servers[s as usize];
        for to in self.peers(s) {
            if srv.votes_granted & (1 << to) == 0
                && st
                    .network
                    .has_room_for(&self.vote_request(srv, s, to), &self.bounds.network)
            {
                out.push(Action::RequestVote(s, to));
            }
        }
    }

    /// Properties that are judged on the marker of the step that led here; comparing the
    /// states before and after keeps them out of every individual protocol step.
    fn mark_transition_properties(before: &RaftState, action: &Action, after: &mut RaftState) {
        let restarted = match action {
            Action::Restart(s) => Some(*s as usize),
            _ => None,
        };
        for (i, (b, a)) in before.servers.iter().zip(after.servers.iter()).enumerate() {
            if Some(i) != restarted && a.commit_index < b.commit_index {
                after.marker |= state::marker::COMMIT_REGRESSED;
            }
            if b.role == Role::Leader
                && a.role == Role::Leader
                && a.term == b.term
                && !a.log.starts_with(&b.log)
            {
                after.marker |= state::marker::LEADER_LOG_REWRITTEN;
            }
        }
    }
}

impl Protocol for Raft {
    crate::protocol::network_and_restart_actions!();

    fn server_actions(m: &RaftModel, st: &RaftState, s: ServerId, out: &mut Vec<Action>) {
        let b = &m.bounds;
        let srv = &st.servers[s as usize];
        let candidate = srv.role == Role::Candidate;
        if srv.role != Role::Leader && srv.term < b.max_term && m.election_timer_runs(srv.role) {
            out.push(Action::ElectionTimeout(s))
        }
        // BUG (replicate-before-elected): the replication timer is armed on becoming
        // candidate, not leader.
        if srv.role == Role::Leader || (candidate && m.has(Bug::ReplicateBeforeElected)) {
            m.replication_actions(st, s, out);
        }
        if candidate && b.options.per_peer {
            m.vote_request_actions(st, s, out);
        }
        // BUG (candidate-accepts-writes): no role check on client requests.
        let writable =
            srv.role == Role::Leader || (candidate && m.has(Bug::CandidateAcceptsWrites));
        if writable && srv.log.len() < b.max_log as usize {
            out.extend((1..=b.values).map(|v| Action::ClientRequest(s, v)));
        }
    }

    fn deliver(m: &RaftModel, st: &mut RaftState, msg: &Msg) {
        m.deliver(st, msg)
    }

    fn step(m: &RaftModel, st: &mut RaftState, a: &Action) {
        match *a {
            Action::ElectionTimeout(s) => m.timeout(st, s),
            Action::HeartbeatTimeout(s) => m.heartbeat(st, s),
            Action::RequestVote(s, to) => m.request_vote(st, s, to),
            Action::AppendEntries(s, to) => m.append_entries(st, s, to),
            Action::ClientRequest(s, v) => m.client_request(st, s, v),
            Action::Restart(s) => m.restart(st, s),
            Action::Deliver(_) | Action::Drop(_) | Action::Duplicate(_) => {
                unreachable!("network steps are the skeleton's")
            }
        }
    }

    fn finish_step(before: &RaftState, a: &Action, after: &mut RaftState) {
        RaftModel::mark_transition_properties(before, a, after)
    }

    fn properties() -> Vec<Property<RaftModel>> {
        properties::all()
    }

    fn format_action(a: &Action) -> String {
        crate::describe::raft_action(a)
    }

    fn action_name(a: &Action) -> &'static str {
        a.name()
    }
}
