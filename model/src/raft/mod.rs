//! Raft (push): the leader sends AppendEntries and tracks nextIndex/matchIndex.
//! Rules follow the Raft paper (Figure 2, §5) and Ongaro's raft.tla; see specs/raft.md.

mod actions;
mod encode;
mod properties;
mod state;
mod symmetry;

pub use actions::Action;
pub use state::*;

use crate::bounds::Bounds;
use crate::bugs::Bug;
use arrayvec::ArrayVec;
use stateright::{Model, Property};

#[derive(Clone, Debug)]
pub struct RaftModel {
    pub bounds: Bounds,
    pub bug: Option<Bug>,
}

impl RaftModel {
    pub fn new(bounds: Bounds, bug: Option<Bug>) -> Self {
        RaftModel { bounds, bug }
    }

    fn servers(&self) -> impl Iterator<Item = ServerId> {
        0..self.bounds.servers
    }

    fn peers(&self, s: ServerId) -> impl Iterator<Item = ServerId> {
        (0..self.bounds.servers).filter(move |&p| p != s)
    }

    /// Properties that are judged on the marker of the step that led here; comparing the
    /// states before and after keeps them out of every individual protocol step.
    fn mark_transition_properties(before: &RaftState, after: &mut RaftState) {
        for (b, a) in before.servers.iter().zip(after.servers.iter()) {
            if b.is_up() && a.is_up() && a.commit_index < b.commit_index {
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
            crashes: 0,
            committed: ArrayVec::new(),
            commit_conflict: false,
            marker: 0,
        }]
    }

    fn actions(&self, st: &RaftState, out: &mut Vec<Action>) {
        let b = &self.bounds;
        for (m, copies) in st.network.deliverable(&b.network) {
            let to = crate::network::Envelope::to(m);
            if st.servers[to as usize].is_up() {
                out.push(Action::Deliver(m.clone()));
            }
            if b.network.drop {
                out.push(Action::Drop(m.clone()));
            }
            if copies < b.network.max_copies {
                out.push(Action::Duplicate(m.clone()));
            }
        }
        for s in self.servers() {
            let srv = &st.servers[s as usize];
            match srv.role {
                Role::Follower | Role::Candidate if srv.term < b.max_term => {
                    out.push(Action::ElectionTimeout(s))
                }
                Role::Leader => {
                    if b.servers > 1 {
                        out.push(Action::HeartbeatTimeout(s));
                    }
                    if srv.log.len() < b.max_log as usize {
                        for v in 1..=b.values {
                            out.push(Action::ClientRequest(s, v));
                        }
                    }
                }
                _ => {}
            }
            if srv.is_up() && st.crashes < b.max_restarts {
                out.push(Action::Crash(s));
            }
            if !srv.is_up() {
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
            }
            Action::Duplicate(m) => st.network.duplicate(m),
            Action::ElectionTimeout(s) => self.timeout(&mut st, *s),
            Action::HeartbeatTimeout(s) => self.heartbeat(&mut st, *s),
            Action::ClientRequest(s, v) => self.client_request(&mut st, *s, *v),
            Action::Crash(s) => self.crash(&mut st, *s),
            Action::Restart(s) => self.restart(&mut st, *s),
        }
        Self::mark_transition_properties(last, &mut st);
        Some(st)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all()
    }

    fn format_action(&self, action: &Action) -> String {
        crate::describe::raft_action(action)
    }
}
