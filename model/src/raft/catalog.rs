//! Raft's rows of the bug catalog: each bug, the step it lives in, the property that catches
//! it and the bounds within which the checker finds it (measured; specs/raft.md has the
//! figures).

use crate::bounds::{Bounds, NetworkSemantics};
use crate::bugs::{rows, Bug, CatalogEntry, Row};
use crate::spec::Variant;

fn net(drop: bool, reorder: bool, max_copies: u8) -> NetworkSemantics {
    NetworkSemantics {
        drop,
        reorder,
        max_copies,
        max_in_flight: 4,
        max_drops: None,
    }
}

fn bounds(servers: u8, max_term: u8, max_log: u8, max_restarts: u8, n: NetworkSemantics) -> Bounds {
    Bounds {
        servers,
        max_term,
        max_log,
        values: 1,
        max_restarts,
        network: n,
        options: Default::default(),
    }
}

/// Raft's rows: bug, step, rule, property, bounds.
const ROWS: &[Row] = &[
    (
        Bug::Figure8,
        "HandleAppendEntriesResponse",
        "a leader commits an entry of an older term by counting replicas (no current-term check)",
        "LeaderCompleteness",
        || Bounds {
            network: NetworkSemantics {
                max_in_flight: 3,
                ..net(false, true, 1)
            },
            ..bounds(3, 4, 1, 0, net(false, true, 1))
        },
    ),
    (
        Bug::VoteNoLogCheck,
        "HandleRequestVoteRequest",
        "a vote is granted without comparing (lastLogTerm, lastLogIndex)",
        "LeaderCompleteness",
        || bounds(3, 2, 1, 0, net(false, true, 1)),
    ),
    (
        Bug::VoteNotPersisted,
        "Restart",
        "votedFor is not persisted, so a restarted server votes again in the same term",
        "ElectionSafety",
        || bounds(3, 1, 0, 1, net(false, true, 1)),
    ),
    (
        Bug::DoubleVote,
        "HandleRequestVoteRequest",
        "a server grants votes to two candidates in one term",
        "ElectionSafety",
        || bounds(3, 1, 0, 0, net(false, true, 1)),
    ),
    (
        Bug::TruncateOnStaleAppend,
        "HandleAppendEntriesRequest",
        "a follower truncates its log after prevLogIndex + entries on a stale or duplicate AppendEntries",
        "CommittedEntriesReachMajority",
        || bounds(3, 1, 2, 0, net(false, true, 2)),
    ),
    (
        Bug::CommitRegress,
        "HandleAppendEntriesRequest",
        "a follower sets commitIndex = min(leaderCommit, last new index) even when that is lower",
        "MonotonicCommitIndex",
        || bounds(3, 1, 1, 0, net(false, true, 2)),
    ),
    (
        Bug::StaleVoteCounted,
        "HandleRequestVoteResponse",
        "a candidate counts a granted vote of an older term (the stale-response check is missing)",
        "ElectionSafety",
        || bounds(3, 2, 0, 0, net(false, true, 1)),
    ),
    (
        Bug::TimeoutKeepsTerm,
        "Timeout",
        "a timed-out server stands for election without moving to term+1",
        "ElectionSafety",
        || bounds(3, 1, 0, 0, net(false, true, 1)),
    ),
    (
        Bug::ReplicateBeforeElected,
        "AppendEntries",
        "the replication timer is armed on becoming candidate: a candidate sends AppendEntries for its term",
        "StateMachineSafety",
        || Bounds {
            network: NetworkSemantics {
                max_in_flight: 3,
                ..net(false, true, 1)
            },
            ..bounds(3, 3, 1, 0, net(false, true, 1))
        },
    ),
    (
        Bug::CandidateAcceptsWrites,
        "ClientRequest",
        "a candidate appends a client value as if it led its term (the role check is missing)",
        "LogMatching",
        || Bounds {
            values: 2,
            ..bounds(3, 1, 1, 0, net(false, true, 1))
        },
    ),
];

/// The Raft catalog rows.
pub fn catalog() -> Vec<CatalogEntry> {
    rows(Variant::Raft, ROWS)
}
