//! KRaft's rows of the bug catalog: each bug, the property that catches it and the bounds
//! within which the checker finds it (measured; specs/kraft.md has the figures).

use crate::bounds::{Bounds, NetworkSemantics};
use crate::bugs::{Bug, CatalogEntry};
use crate::spec::Variant;

fn bounds(max_term: u8, max_log: u8, max_restarts: u8, max_in_flight: u8) -> Bounds {
    Bounds {
        servers: 3,
        max_term,
        max_log,
        values: 1,
        max_restarts,
        network: NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight,
            max_drops: None,
        },
    }
}

/// The KRaft catalog rows.
pub fn catalog() -> Vec<CatalogEntry> {
    let row = |bug, rule, property, bounds| CatalogEntry {
        bug,
        variant: Variant::Kraft,
        rule,
        property,
        bounds,
    };
    vec![
        row(
            Bug::HwAtEpochStart,
            "the leader advances the HW once a majority reaches epochStartOffset, one short of its LeaderChange record (KAFKA-12619)",
            "LeaderCompleteness",
            bounds(4, 0, 0, 3),
        ),
        row(
            Bug::FollowerHwUnclamped,
            "a follower sets HW = leader HW without clamping it to its own log end offset",
            "StateMachineSafety",
            bounds(1, 1, 0, 3),
        ),
        row(
            Bug::VoteNoLogCheck,
            "a vote is granted without comparing (lastOffsetEpoch, lastOffset)",
            "LeaderCompleteness",
            bounds(2, 1, 0, 3),
        ),
        row(
            Bug::VoteNotPersisted,
            "votedFor is not written to the quorum-state file, so a restarted voter votes again in the same epoch",
            "ElectionSafety",
            bounds(1, 0, 1, 4),
        ),
        row(
            Bug::DoubleVote,
            "a Voted server grants its vote to a second candidate of the same epoch",
            "ElectionSafety",
            bounds(1, 0, 0, 4),
        ),
        row(
            Bug::CommitRegress,
            "a new leader exposes LeaderState's empty high watermark (0) instead of keeping the HW it had",
            "MonotonicHighWatermark",
            bounds(2, 0, 0, 3),
        ),
    ]
}
