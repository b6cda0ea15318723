//! KRaft's safety properties (`Always`) and the witnesses (`Sometimes`) that keep a pass from
//! being vacuous. Names as in ../shared/protocols.md.

use super::state::*;
use super::KraftModel;
use crate::protocol::{
    committed_reach_majority, election_safety, entry_terms_not_above_current, leader_completeness,
    leader_elected, log_matching, log_terms_monotonic, state_machine_safety,
};
use stateright::Property;

pub(crate) fn all() -> Vec<Property<KraftModel>> {
    type S = KraftState;
    type M = KraftModel;
    vec![
        Property::always("ElectionSafety", |m: &M, s: &S| {
            m.latches.holds(0, || election_safety(s))
        }),
        Property::always("ElectionSafetyView", |m: &M, s: &S| {
            m.latches.holds(1, || leader_views_agree(s))
        }),
        Property::always("LogMatching", |m: &M, s: &S| {
            m.latches.holds(2, || log_matching(s))
        }),
        Property::always("LeaderCompleteness", |m: &M, s: &S| {
            m.latches.holds(3, || leader_completeness(s))
        }),
        Property::always("StateMachineSafety", |m: &M, s: &S| {
            m.latches.holds(4, || state_machine_safety(s))
        }),
        Property::always("CommittedEntriesReachMajority", |m: &M, s: &S| {
            m.latches
                .holds(5, || committed_reach_majority(s, m.bounds.majority()))
        }),
        Property::always("MonotonicHighWatermark", |m: &M, s: &S| {
            m.latches.holds(6, || s.marker & marker::HW_REGRESSED == 0)
        }),
        Property::always("NoIllegalState", |m: &M, s: &S| {
            m.latches.holds(7, || s.marker & marker::ILLEGAL == 0)
        }),
        Property::always("HighWatermarkInLog", |m: &M, s: &S| {
            m.latches.holds(13, || high_watermark_in_log(s))
        }),
        Property::always("EntryEpochsNotAboveCurrent", |m: &M, s: &S| {
            m.latches.holds(14, || entry_terms_not_above_current(s))
        }),
        Property::always("LogEpochsMonotonic", |m: &M, s: &S| {
            m.latches.holds(15, || log_terms_monotonic(s))
        }),
        Property::always("LeaderOffsetsInLog", |m: &M, s: &S| {
            m.latches.holds(16, || leader_offsets_in_log(s))
        }),
        Property::sometimes("LeaderElected", |m: &M, s: &S| {
            m.latches.first(8, || leader_elected(s))
        }),
        Property::sometimes("EntryCommitted", |m: &M, s: &S| {
            m.latches
                .first(9, || s.committed.iter().any(|c| c.entry.is_data()))
        }),
        Property::sometimes("TruncatedAfterDivergingEpoch", |m: &M, s: &S| {
            m.latches.first(10, || s.marker & marker::TRUNCATED != 0)
        }),
        Property::sometimes("FetchFenced", |m: &M, s: &S| {
            m.latches.first(11, || s.marker & marker::FETCH_FENCED != 0)
        }),
        Property::sometimes("LeaderResignedAndReplaced", |m: &M, s: &S| {
            m.latches
                .first(12, || s.marker & marker::REPLACED_RESIGNED != 0)
        }),
    ]
}

/// No two servers at one epoch believe in different leaders (a Leader or Resigned server
/// believes in itself, a Follower in the leader it fetches from).
fn leader_views_agree(s: &KraftState) -> bool {
    s.servers.iter().enumerate().all(|(i, a)| {
        s.servers[i + 1..].iter().all(|b| {
            a.epoch != b.epoch || a.leader.is_none() || b.leader.is_none() || a.leader == b.leader
        })
    })
}

/// No server's HW is past its own log end offset (it cannot have committed records it does
/// not hold).
pub(crate) fn high_watermark_in_log(s: &KraftState) -> bool {
    s.servers.iter().all(|v| v.hw <= v.leo())
}

/// A leader's epoch start offset holds its own LeaderChange record (so epochStartOffset < LEO),
/// and no voter's end offset it tracks is past its own LEO (a valid Fetch never asks beyond
/// the leader's log, and a leader's log only grows within its epoch).
pub(crate) fn leader_offsets_in_log(s: &KraftState) -> bool {
    let n = s.servers.len();
    s.servers
        .iter()
        .filter(|v| v.role == Role::Leader)
        .all(|l| {
            l.log.get(l.epoch_start as usize)
                == Some(&Entry {
                    epoch: l.epoch,
                    value: LEADER_CHANGE,
                })
                && l.end_offsets[..n].iter().all(|&o| o <= l.leo())
        })
}
