//! KRaft's fairness and liveness properties (specs/kraft.md, "Liveness").
//!
//! The model is symmetric in its servers, so a property about "a leader" or "a follower" is
//! stated for S0: any violation by another server is a violation by S0 after renaming.

use super::{class, LivenessProperty};
use crate::kraft::{Action, FetchResult, KraftModel, KraftState, Msg, Role, Server, ServerId};
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

fn s0(st: &KraftState) -> &Server {
    &st.servers[0]
}

fn some_leader(_: &KraftModel, st: &KraftState) -> bool {
    st.servers.iter().any(|s| s.role == Role::Leader)
}

fn s0_leads(_: &KraftModel, st: &KraftState) -> bool {
    s0(st).role == Role::Leader
}

/// S0 leads and holds a record of its own epoch above its HW.
fn s0_holds_uncommitted_value(_: &KraftModel, st: &KraftState) -> bool {
    let l = s0(st);
    l.role == Role::Leader && l.log[l.hw as usize..].iter().any(|e| e.epoch == l.epoch)
}

fn s0_committed_all_or_replaced(_: &KraftModel, st: &KraftState) -> bool {
    let l = s0(st);
    l.role != Role::Leader || l.hw >= l.leo()
}

fn logs_match_s0_or_replaced(_: &KraftModel, st: &KraftState) -> bool {
    let l = s0(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.log == l.log)
}

fn hw_known_or_replaced(_: &KraftModel, st: &KraftState) -> bool {
    let l = s0(st);
    l.role != Role::Leader || st.servers.iter().all(|s| s.hw >= l.hw)
}

/// A DivergingEpoch answer to S0 is in flight.
fn s0_told_diverging(_: &KraftModel, st: &KraftState) -> bool {
    st.network.in_flight.iter().any(|(m, _)| {
        matches!(
            m,
            Msg::FetchResponse {
                to: 0,
                result: FetchResult::DivergingEpoch { .. },
                ..
            }
        )
    })
}

/// S0's log is a prefix of its live leader's (its next fetch succeeds), or it has no live
/// leader to fetch from.
fn s0_on_leaders_log(_: &KraftModel, st: &KraftState) -> bool {
    match live_leader(st, 0) {
        Some(l) => l.log.starts_with(&s0(st).log),
        None => true,
    }
}

pub(super) fn properties() -> Vec<LivenessProperty<KraftModel>> {
    vec![
        LivenessProperty {
            claim: "eventually some server is leader",
            leads_to: LeadsTo::eventually("LeaderElected", some_leader),
        },
        LivenessProperty {
            claim: "a leader holding an uncommitted record of its epoch commits it, or stops leading",
            leads_to: LeadsTo::new(
                "ValueCommitted",
                s0_holds_uncommitted_value,
                s0_committed_all_or_replaced,
            ),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's log becomes equal to the leader's",
            leads_to: LeadsTo::new(
                "FollowersCatchUp",
                s0_leads,
                logs_match_s0_or_replaced,
            ),
        },
        LivenessProperty {
            claim: "while a leader leads, every server's HW reaches the leader's",
            leads_to: LeadsTo::new(
                "FollowersLearnCommit",
                s0_leads,
                hw_known_or_replaced,
            ),
        },
        LivenessProperty {
            claim: "a follower told DivergingEpoch gets back on its leader's log (fetches successfully)",
            leads_to: LeadsTo::new(
                "DivergenceResolved",
                s0_told_diverging,
                s0_on_leaders_log,
            ),
        },
    ]
}
