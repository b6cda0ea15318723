//! The liveness part of the bug catalog: bugs no safety property catches (the test suite
//! checks that every safety property still holds with them), each found by a liveness
//! property within the bounds listed here (measured; specs/raft.md and specs/kraft.md).

use crate::bounds::{Bounds, NetworkSemantics};
use crate::bugs::Bug;
use crate::spec::Variant;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct LivenessEntry {
    pub bug: Bug,
    pub variant: Variant,
    /// The protocol rule the bug breaks.
    pub rule: &'static str,
    /// The liveness property the checker must report violated.
    pub property: &'static str,
    pub bounds: Bounds,
}

/// The bounds `check --liveness` uses when none are given. The state graph is kept in memory
/// whole, so restarts are left out (Raft's safety defaults allow one). Raft gets four messages
/// in flight (room for a split vote); KRaft three, as in its safety defaults (four is several
/// times the states).
pub fn default_bounds(variant: Variant) -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts: 0,
        network: NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight: variant.info().liveness_in_flight,
            max_drops: None,
        },
        options: Default::default(),
    }
}

/// The default bounds with at most `in_flight` messages in flight: the smallest that reach a bug.
fn with_in_flight(v: Variant, in_flight: u8) -> Bounds {
    let mut b = default_bounds(v);
    b.network.max_in_flight = in_flight;
    b
}

/// KRaft without client values: the LeaderChange records alone diverge and commit.
fn kraft_no_values() -> Bounds {
    let mut b = with_in_flight(Variant::Kraft, 3);
    b.max_log = 0;
    b
}

/// Room for three candidates' requests at once (a three-way split vote) in one term, no
/// client values. With the correct model the split vote is ended only by the term bound.
fn split_vote_bounds(v: Variant) -> Bounds {
    let mut b = with_in_flight(v, 4);
    b.max_term = 1;
    b.max_log = 0;
    b
}

pub fn catalog() -> Vec<LivenessEntry> {
    let row = |bug, variant, rule, property, bounds| LivenessEntry {
        bug,
        variant,
        rule,
        property,
        bounds,
    };
    use Variant::{Kraft, Raft};
    vec![
        row(
            Bug::CommitNeedsEntries,
            Raft,
            "a follower advances commitIndex only on an AppendEntries that carries entries, so an idle cluster never tells it the last commit",
            "FollowersLearnCommit",
            with_in_flight(Raft, 2),
        ),
        row(
            Bug::RejectIgnored,
            Raft,
            "a leader does not decrement nextIndex when AppendEntries is rejected (§5.3), so it re-sends the same probe forever",
            "FollowersCatchUp",
            with_in_flight(Raft, 3),
        ),
        row(
            Bug::CommitOnlyOnAppend,
            Raft,
            "a leader recomputes commitIndex only when it appends an entry, never on an acknowledgement",
            "ValueCommitted",
            with_in_flight(Raft, 2),
        ),
        row(
            Bug::CandidateNoRetry,
            Raft,
            "a candidate does not restart its election timer (§5.2), so a split vote is never retried",
            "LeaderElected",
            split_vote_bounds(Raft),
        ),
        row(
            Bug::DivergingRefetch,
            Kraft,
            "a follower ignores a DivergingEpoch answer instead of truncating, so it fetches the same offset forever",
            "DivergenceResolved",
            kraft_no_values(),
        ),
        row(
            Bug::HwOnlyWithRecords,
            Kraft,
            "the leader sends its high watermark only in a Fetch response that carries records, so a caught-up follower never learns it",
            "FollowersLearnCommit",
            kraft_no_values(),
        ),
        row(
            Bug::CommitOnlyOnAppend,
            Kraft,
            "a leader recomputes its high watermark only when it appends a record, never on a follower's fetch",
            "ValueCommitted",
            kraft_no_values(),
        ),
        row(
            Bug::CandidateNoRetry,
            Kraft,
            "a candidate does not restart its election timer (KIP-595: it retries after a backoff), so a split vote is never retried",
            "LeaderElected",
            split_vote_bounds(Kraft),
        ),
    ]
}

/// The row for one liveness bug in one variant.
pub fn entry(variant: Variant, bug: Bug) -> Option<LivenessEntry> {
    catalog()
        .into_iter()
        .find(|r| r.variant == variant && r.bug == bug)
}
