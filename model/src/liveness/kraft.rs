//! KRaft's fairness and liveness properties (specs/kraft.md, "Liveness").
//!
//! The model is symmetric in its servers, so a property about "a leader" or "a follower" is
//! stated for S0: any violation by another server is a violation by S0 after renaming.

use super::{class, LivenessProperty};
use crate::kraft::{
    Action, FetchResponse, FetchResult, KraftModel, KraftState, Msg, Role, Server, ServerId,
};
use raftspec_engine::liveness::{Fair, Fairness, LeadsTo};

/// The live leader `s` follows: its leader, if that server is Leader of `s`'s epoch.
fn live_leader(st: &KraftState, s: ServerId) -> Option<&Server> {
    let srv = &st.servers[s as usize];
    let l = &st.servers[srv.leader? as usize];
    (srv.role == Role::Follower && l.role == Role::Leader && l.epoch == srv.epoch).then_some(l)
}

/// Only a Follower that fetches from a live leader has its election (fetch) timer reset; every
/// other server's timer must fire eventually (stable leader).
fn timer_must_fire(st: &KraftState, s: ServerId) -> bool {
    live_leader(st, s).is_none()
}

impl Fair for KraftModel {
    fn fairness(&self, st: &KraftState, action: &Action) -> Fairness {
        match action {
            Action::Deliver(m) => Fairness::Weak(class(0, m)),
            Action::SendFetch(s) => Fairness::Weak(class(1, s)),
            Action::SendVoteRequest(s, to) => Fairness::Weak(class(3, &(s, to))),
            Action::SendBeginQuorumEpoch(s, to) => Fairness::Weak(class(4, &(s, to))),
            Action::ElectionTimeout(s) if timer_must_fire(st, *s) => Fairness::Weak(class(2, s)),
            Action::ElectionTimeout(_)
            | Action::ClientRequest(..)
            | Action::CheckQuorumTimeout(_) => Fairness::Unfair,
            Action::Drop(_) | Action::Duplicate(_) | Action::Restart(_) => Fairness::Fault,
        }
    }

    /// An election timeout the epoch bound forbids, where it would be fair.
    fn cut_classes(&self, st: &KraftState, out: &mut Vec<u64>) {
        for (s, srv) in st.servers.iter().enumerate() {
            let s = s as ServerId;
            if srv.role != Role::Leader
                && srv.epoch >= self.bounds.max_term
                && self.election_timer_runs(srv.role)
                && timer_must_fire(st, s)
            {
                out.push(class(2, &s));
            }
        }
    }
}

/// The server a property is about (S0 in the checks; any other by symmetry).
fn server<const S: usize>(st: &KraftState) -> &Server {
    &st.servers[S]
}

fn some_leader(_: &KraftModel, st: &KraftState) -> bool {
    st.servers.iter().any(|s| s.role == Role::Leader)
}

fn leads<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    server::<S>(st).role == Role::Leader
}

/// Server S leads and holds a record of its own epoch above its HW.
fn holds_uncommitted_value<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    let l = server::<S>(st);
    l.role == Role::Leader && l.log[l.hw as usize..].iter().any(|e| e.epoch == l.epoch)
}

fn committed_all_or_replaced<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || l.hw >= l.leo()
}

fn logs_match_or_replaced<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.log == l.log)
}

fn hw_known_or_replaced<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    let l = server::<S>(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.hw >= l.hw)
}

/// A DivergingEpoch answer to server S is in flight.
fn told_diverging<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    st.network.in_flight.iter().any(|(m, _)| {
        matches!(
            m,
            Msg::FetchResponse(FetchResponse {
                to,
                result: FetchResult::DivergingEpoch { .. },
                ..
            }) if *to as usize == S
        )
    })
}

/// Server S's log is a prefix of its live leader's (its next fetch succeeds), or it has no live
/// leader to fetch from.
fn on_leaders_log<const S: usize>(_: &KraftModel, st: &KraftState) -> bool {
    match live_leader(st, S as ServerId) {
        Some(l) => l.log.starts_with(&server::<S>(st).log),
        None => true,
    }
}

/// The properties about server `S` (the checks use S0).
pub fn properties_about<const S: usize>() -> Vec<LivenessProperty<KraftModel>> {
    vec![
        LivenessProperty {
            claim: "eventually some server is leader",
            leads_to: LeadsTo::eventually("LeaderElected", some_leader),
        },
        LivenessProperty {
            claim: "a leader holding an uncommitted record of its epoch commits it, or stops leading",
            leads_to: LeadsTo::new(
                "ValueCommitted",
                holds_uncommitted_value::<S>,
                committed_all_or_replaced::<S>,
            ),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's log becomes equal to the leader's",
            leads_to: LeadsTo::new(
                "FollowersCatchUp",
                leads::<S>,
                logs_match_or_replaced::<S>,
            ),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's HW reaches the leader's",
            leads_to: LeadsTo::new(
                "FollowersLearnCommit",
                leads::<S>,
                hw_known_or_replaced::<S>,
            ),
        },
        LivenessProperty {
            claim: "a follower told DivergingEpoch gets back on its leader's log (fetches successfully)",
            leads_to: LeadsTo::new(
                "DivergenceResolved",
                told_diverging::<S>,
                on_leaders_log::<S>,
            ),
        },
    ]
}
