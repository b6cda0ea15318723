//! Raft (push): the leader sends AppendEntries and tracks nextIndex/matchIndex.
//! Rules follow the Raft paper (Figure 2, §5) and Ongaro's raft.tla; see specs/raft.md.

mod actions;
mod encode;
mod pack;
mod production;
mod properties;
mod raftrs;
mod state;
mod symmetry;
mod view;

pub use actions::Action;
pub use state::*;

use crate::bounds::Bounds;
use crate::bugs::Bug;
use crate::latch::Latches;
use crate::network::NetworkStep;
use arrayvec::ArrayVec;
use stateright::{Model, Property};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct RaftModel {
    pub bounds: Bounds,
    pub bug: Option<Bug>,
    latches: Arc<Latches>,
}

impl RaftModel {
    pub fn new(bounds: Bounds, bug: Option<Bug>) -> Self {
        RaftModel {
            bounds,
            bug,
            latches: Latches::unarmed(),
        }
    }

    /// Whether a server in this role has a running election timer (bug candidate-no-retry:
    /// a candidate does not re-arm it).
    pub(crate) fn election_timer_runs(&self, role: Role) -> bool {
        !(self.bug == Some(Bug::CandidateNoRetry) && role == Role::Candidate)
    }

    fn servers(&self) -> impl Iterator<Item = ServerId> {
        0..self.bounds.servers
    }

    fn peers(&self, s: ServerId) -> impl Iterator<Item = ServerId> {
        (0..self.bounds.servers).filter(move |&p| p != s)
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
            if st
                .network
                .has_room_for(&self.append_request(srv, s, to), &self.bounds.network)
            {
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

impl Model for RaftModel {
    type State = RaftState;
    type Action = Action;

    fn init_states(&self) -> Vec<RaftState> {
        vec![RaftState {
            servers: self.servers().map(|_| Server::new()).collect(),
            network: Default::default(),
            restarts: 0,
            drops: 0,
            committed: ArrayVec::new(),
            commit_conflict: false,
            marker: 0,
        }]
    }

    fn actions(&self, st: &RaftState, out: &mut Vec<Action>) {
        let b = &self.bounds;
        out.extend(
            st.network
                .steps(&b.network, st.drops)
                .map(|(step, m)| match step {
                    NetworkStep::Deliver => Action::Deliver(m.clone()),
                    NetworkStep::Drop => Action::Drop(m.clone()),
                    NetworkStep::Duplicate => Action::Duplicate(m.clone()),
                }),
        );
        for s in self.servers() {
            let srv = &st.servers[s as usize];
            match srv.role {
                Role::Follower | Role::Candidate => {
                    if srv.term < b.max_term && self.election_timer_runs(srv.role) {
                        out.push(Action::ElectionTimeout(s))
                    }
                    // BUG (replicate-before-elected): the replication timer is armed on
                    // becoming candidate, not leader.
                    if srv.role == Role::Candidate && self.bug == Some(Bug::ReplicateBeforeElected)
                    {
                        self.replication_actions(st, s, out);
                    }
                    if srv.role == Role::Candidate && b.options.per_peer {
                        self.vote_request_actions(st, s, out);
                    }
                    // BUG (candidate-accepts-writes): no role check on client requests.
                    if srv.role == Role::Candidate
                        && self.bug == Some(Bug::CandidateAcceptsWrites)
                        && srv.log.len() < b.max_log as usize
                    {
                        out.extend((1..=b.values).map(|v| Action::ClientRequest(s, v)));
                    }
                }
                Role::Leader => {
                    self.replication_actions(st, s, out);
                    if srv.log.len() < b.max_log as usize {
                        for v in 1..=b.values {
                            out.push(Action::ClientRequest(s, v));
                        }
                    }
                }
            }
            if st.restarts < b.max_restarts {
                out.push(Action::Restart(s));
            }
        }
    }

    fn next_state(&self, last: &RaftState, action: Action) -> Option<RaftState> {
        let mut st = last.clone();
        st.marker = 0;
        match &action {
            Action::Deliver(m) => self.deliver(&mut st, m),
            Action::Drop(m) => {
                st.network.take(m);
                if self.bounds.network.counts_drops() {
                    st.drops += 1;
                }
            }
            Action::Duplicate(m) => st.network.duplicate(m),
            Action::ElectionTimeout(s) => self.timeout(&mut st, *s),
            Action::HeartbeatTimeout(s) => self.heartbeat(&mut st, *s),
            Action::RequestVote(s, to) => self.request_vote(&mut st, *s, *to),
            Action::AppendEntries(s, to) => self.append_entries(&mut st, *s, *to),
            Action::ClientRequest(s, v) => self.client_request(&mut st, *s, *v),
            Action::Restart(s) => self.restart(&mut st, *s),
        }
        Self::mark_transition_properties(last, &action, &mut st);
        Some(st)
    }

    fn within_boundary(&self, st: &RaftState) -> bool {
        st.network.len() <= self.bounds.network.max_in_flight as usize
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all()
    }

    fn format_action(&self, action: &Action) -> String {
        crate::describe::raft_action(action)
    }
}
