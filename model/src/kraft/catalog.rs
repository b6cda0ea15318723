//! KRaft's rows of the bug catalog: each bug, the property that catches it and the bounds
//! within which the checker finds it (measured; specs/kraft.md has the figures).

use crate::bounds::{Bounds, NetworkSemantics};
use crate::bugs::{rows, Bug, CatalogEntry, Row};
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
        options: Default::default(),
    }
}

/// KRaft's rows: bug, step, rule, property, bounds.
const ROWS: &[Row] = &[
    (
        Bug::HwAtEpochStart,
        "HandleFetchRequest",
        "the leader advances the HW once a majority reaches epochStartOffset, one short of its LeaderChange record (KAFKA-12619)",
        "LeaderCompleteness",
        || bounds(4, 0, 0, 3),
    ),
    (
        Bug::FollowerHwUnclamped,
        "HandleFetchResponse",
        "a follower sets HW = leader HW without clamping it to its own log end offset",
        "StateMachineSafety",
        || bounds(1, 1, 0, 3),
    ),
    (
        Bug::VoteNoLogCheck,
        "HandleVoteRequest",
        "a vote is granted without comparing (lastOffsetEpoch, lastOffset)",
        "LeaderCompleteness",
        || bounds(2, 1, 0, 3),
    ),
    (
        Bug::VoteNotPersisted,
        "Restart",
        "votedFor is not written to the quorum-state file, so a restarted voter votes again in the same epoch",
        "ElectionSafety",
        || bounds(1, 0, 1, 4),
    ),
    (
        Bug::DoubleVote,
        "HandleVoteRequest",
        "a Voted server grants its vote to a second candidate of the same epoch",
        "ElectionSafety",
        || bounds(1, 0, 0, 4),
    ),
    (
        Bug::CommitRegress,
        "HandleVoteResponse",
        "a new leader exposes LeaderState's empty high watermark (0) instead of keeping the HW it had",
        "MonotonicHighWatermark",
        || bounds(2, 0, 0, 3),
    ),
    (
        Bug::StaleVoteCounted,
        "HandleVoteResponse",
        "a candidate counts a granted vote of an older epoch (maybeHandleCommonResponse's epoch check skipped)",
        "ElectionSafety",
        || Bounds {
            network: NetworkSemantics {
                drop: true,
                max_drops: Some(2),
                ..bounds(2, 0, 0, 3).network
            },
            ..bounds(2, 0, 0, 3)
        },
    ),
    (
        Bug::TimeoutKeepsTerm,
        "ElectionTimeout",
        "transitionToCandidate keeps the epoch instead of moving to epoch+1",
        "NoIllegalState",
        || bounds(1, 0, 0, 3),
    ),
    (
        Bug::BeginQuorumStaleEpoch,
        "HandleBeginQuorumEpochRequest",
        "a BeginQuorumEpoch of an epoch below the receiver's is obeyed instead of fenced",
        "NoIllegalState",
        || bounds(2, 0, 0, 3),
    ),
    (
        Bug::EndQuorumStaleEpoch,
        "HandleEndQuorumEpochRequest",
        "an EndQuorumEpoch of an epoch below the receiver's is obeyed instead of fenced",
        "NoIllegalState",
        || bounds(2, 0, 0, 3),
    ),
    (
        Bug::FetchWrongLastEpoch,
        "SendFetchRequest",
        "a follower sends its current epoch as lastFetchedEpoch instead of its last record's epoch",
        "CommittedEntriesReachMajority",
        || bounds(2, 1, 0, 3),
    ),
    (
        Bug::ResignClearsVote,
        "CheckQuorumTimeout",
        "a resigning leader clears its persisted vote, so it may vote again in the epoch it led",
        "NoIllegalState",
        || bounds(1, 0, 0, 3),
    ),
    (
        Bug::CandidateAcceptsWrites,
        "ClientRequest",
        "a candidate appends a client record as if it led its epoch (appendAsLeader's role check is missing)",
        "LogMatching",
        || bounds(1, 1, 0, 4),
    ),
];

/// The KRaft catalog rows.
pub fn catalog() -> Vec<CatalogEntry> {
    rows(Variant::Kraft, ROWS)
}
