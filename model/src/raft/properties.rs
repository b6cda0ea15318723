//! Raft's safety properties (`Always`) and the witnesses (`Sometimes`) that keep a pass from
//! being vacuous. Names as in ../shared/protocols.md.

use super::state::*;
use super::RaftModel;
use crate::protocol::{
    committed_reach_majority, election_safety, entry_terms_not_above_current, leader_completeness,
    leader_elected, log_matching, log_terms_monotonic, state_machine_safety,
};
use stateright::Property;

pub(crate) fn all() -> Vec<Property<RaftModel>> {
    type S = RaftState;
    type M = RaftModel;
    vec![
        Property::always("ElectionSafety", |m: &M, s: &S| {
            m.latches.holds(0, || election_safety(s))
        }),
        Property::always("LeaderAppendOnly", |m: &M, s: &S| {
            m.latches
                .holds(1, || s.marker & marker::LEADER_LOG_REWRITTEN == 0)
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
        Property::always("MonotonicCommitIndex", |m: &M, s: &S| {
            m.latches
                .holds(6, || s.marker & marker::COMMIT_REGRESSED == 0)
        }),
        Property::always("CommitIndexInLog", |m: &M, s: &S| {
            m.latches.holds(12, || commit_index_in_log(s))
        }),
        Property::always("EntryTermsNotAboveCurrent", |m: &M, s: &S| {
            m.latches.holds(13, || entry_terms_not_above_current(s))
        }),
        Property::always("LogTermsMonotonic", |m: &M, s: &S| {
            m.latches.holds(14, || log_terms_monotonic(s))
        }),
        Property::always("LeaderIndicesInRange", |m: &M, s: &S| {
            m.latches.holds(15, || leader_indices_in_range(s))
        }),
        Property::sometimes("LeaderElected", |m: &M, s: &S| {
            m.latches.first(7, || leader_elected(s))
        }),
        Property::sometimes("EntryCommitted", |m: &M, s: &S| {
            m.latches.first(8, || !s.committed.is_empty())
        }),
        Property::sometimes("LeaderReplacedAfterCommit", |m: &M, s: &S| {
            m.latches.first(9, || {
                s.committed.first().is_some_and(|c| {
                    s.servers
                        .iter()
                        .any(|v| v.role == Role::Leader && v.term > c.in_term)
                })
            })
        }),
        Property::sometimes("ConflictingSuffixTruncated", |m: &M, s: &S| {
            m.latches.first(10, || s.marker & marker::TRUNCATED != 0)
        }),
        Property::sometimes("RestartedAfterVote", |m: &M, s: &S| {
            m.latches
                .first(11, || s.marker & marker::RESTARTED_AFTER_VOTE != 0)
        }),
    ]
}

/// No server's commit index is past the end of its own log (it cannot have applied entries it
/// does not hold). [`Server::committed_prefix`] clamps such an index to avoid a panic; this
/// property is what reports it.
pub(crate) fn commit_index_in_log(s: &RaftState) -> bool {
    s.servers.iter().all(|v| v.commit_index <= v.last_index())
}

/// A leader's nextIndex for every server is within 1..=lastIndex+1, and its matchIndex never
/// past its own last index (a follower matches only entries this leader sent in its term, and
/// a leader's log only grows within its term).
pub(crate) fn leader_indices_in_range(s: &RaftState) -> bool {
    let n = s.servers.len();
    s.servers
        .iter()
        .filter(|v| v.role == Role::Leader)
        .all(|l| {
            let last = l.last_index();
            l.next_index[..n].iter().all(|&x| 1 <= x && x <= last + 1)
                && l.match_index[..n].iter().all(|&x| x <= last)
        })
}
