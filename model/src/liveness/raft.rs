//! Raft's fairness and liveness properties (specs/raft.md, "Liveness").
//!
//! The model is symmetric in its servers, so a property about "a leader" or "a follower" is
//! stated for S0 (or about every server from S0's point of view): any violation by another
//! server is a violation by S0 after renaming.

use super::{class, LivenessProperty};
use crate::raft::{Action, RaftModel, RaftState, Role, ServerId};
use raftspec_engine::liveness::{Fair, Fairness, LeadsTo};

/// No leader of `s`'s term or a later one exists: nothing resets `s`'s election timer, so it
/// must fire (a leader's heartbeats keep its followers' timers from firing: stable leader).
fn timer_must_fire(st: &RaftState, s: ServerId) -> bool {
    let term = st.servers[s as usize].term;
    !st.servers
        .iter()
        .any(|o| o.role == Role::Leader && o.term >= term)
}

impl Fair for RaftModel {
    fn fairness(&self, st: &RaftState, action: &Action) -> Fairness {
        match action {
            Action::Deliver(m) => Fairness::Weak(class(0, m)),
            Action::HeartbeatTimeout(s) => Fairness::Weak(class(1, s)),
            Action::RequestVote(s, to) => Fairness::Weak(class(3, &(s, to))),
            Action::AppendEntries(s, to) => Fairness::Weak(class(4, &(s, to))),
            Action::ElectionTimeout(s) if timer_must_fire(st, *s) => Fairness::Weak(class(2, s)),
            Action::ElectionTimeout(_) | Action::ClientRequest(..) => Fairness::Unfair,
            Action::Drop(_) | Action::Duplicate(_) | Action::Restart(_) => Fairness::Fault,
        }
    }

    /// An election timeout the term bound forbids, where it would be fair.
    fn cut_classes(&self, st: &RaftState, out: &mut Vec<u64>) {
        for (s, srv) in st.servers.iter().enumerate() {
            let s = s as ServerId;
            if srv.role != Role::Leader
                && srv.term >= self.bounds.max_term
                && self.election_timer_runs(srv.role)
                && timer_must_fire(st, s)
            {
                out.push(class(2, &s));
            }
        }
    }
}

/// The server a property is about (S0 in the checks; any other by symmetry).
fn server<const S: usize>(st: &RaftState) -> &crate::raft::Server {
    &st.servers[S]
}

fn some_leader(_: &RaftModel, st: &RaftState) -> bool {
    st.servers.iter().any(|s| s.role == Role::Leader)
}

fn leads<const S: usize>(_: &RaftModel, st: &RaftState) -> bool {
    server::<S>(st).role == Role::Leader
}

/// Server S leads and holds an entry of its own term that it has not committed.
fn holds_uncommitted_value<const S: usize>(_: &RaftModel, st: &RaftState) -> bool {
    let l = server::<S>(st);
    l.role == Role::Leader
        && l.log[l.commit_index as usize..]
            .iter()
            .any(|e| e.term == l.term)
}

fn committed_all_or_replaced<const S: usize>(_: &RaftModel, st: &RaftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || l.commit_index >= l.last_index()
}

fn logs_match_or_replaced<const S: usize>(_: &RaftModel, st: &RaftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.log.starts_with(&l.log))
}

fn commits_known_or_replaced<const S: usize>(_: &RaftModel, st: &RaftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.commit_index >= l.commit_index)
}

/// The properties about server `S` (the checks use S0).
pub fn properties_about<const S: usize>() -> Vec<LivenessProperty<RaftModel>> {
    vec![
        LivenessProperty {
            claim: "eventually some server is leader",
            leads_to: LeadsTo::eventually("LeaderElected", some_leader),
        },
        LivenessProperty {
            claim: "a leader holding an uncommitted entry of its term commits it, or stops leading",
            leads_to: LeadsTo::new(
                "ValueCommitted",
                holds_uncommitted_value::<S>,
                committed_all_or_replaced::<S>,
            ),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's log comes to start with the leader's log",
            leads_to: LeadsTo::new("FollowersCatchUp", leads::<S>, logs_match_or_replaced::<S>),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's commit index reaches the leader's",
            leads_to: LeadsTo::new(
                "FollowersLearnCommit",
                leads::<S>,
                commits_known_or_replaced::<S>,
            ),
        },
    ]
}
