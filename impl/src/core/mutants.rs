//! Injected bugs, selectable at run time by name (feature `mutants` only). Each one breaks one
//! protocol rule; the conformance harness must tell every one of them from the correct core.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutant {
    // Raft
    /// Grant a vote without comparing (lastLogTerm, lastLogIndex).
    RaftVoteNoLogCheck,
    /// Commit by counting replicas without requiring log[N].term == currentTerm (figure 8).
    RaftCommitAnyTerm,
    /// On AppendEntries, drop everything after prevLogIndex before appending, even a
    /// matching suffix.
    RaftTruncateOnDuplicateAppend,
    /// The vote is not written to the hard state: lost on restart.
    RaftVoteNotPersisted,
    /// Grant a vote even after voting for another candidate in this term.
    RaftDoubleVote,
    /// Follower sets commitIndex = min(leaderCommit, last new) even when that is lower.
    RaftCommitRegress,
    // KRaft
    /// HW advances once a majority reaches epochStartOffset (>= instead of >; KAFKA-12619).
    KraftHwAtEpochStart,
    /// The leader answers fetches from an older epoch as if they were current.
    KraftAcceptStaleFetch,
    /// Grant a vote without comparing (lastOffsetEpoch, lastOffset).
    KraftVoteNoLogCheck,
    /// The vote is not written to the quorum state: lost on restart.
    KraftVoteNotPersisted,
    /// Follower sets HW = leader HW without clamping to its log end offset.
    KraftFollowerHwUnclamped,
    /// Follower ignores DivergingEpoch instead of truncating.
    KraftNoTruncateOnDiverging,
    /// Grant a vote even after voting for another candidate in this epoch.
    KraftDoubleVote,
}

const NAMES: &[(&str, Mutant)] = &[
    ("raft:vote-no-log-check", Mutant::RaftVoteNoLogCheck),
    ("raft:commit-any-term", Mutant::RaftCommitAnyTerm),
    (
        "raft:truncate-on-duplicate-append",
        Mutant::RaftTruncateOnDuplicateAppend,
    ),
    ("raft:vote-not-persisted", Mutant::RaftVoteNotPersisted),
    ("raft:double-vote", Mutant::RaftDoubleVote),
    ("raft:commit-regress", Mutant::RaftCommitRegress),
    ("kraft:hw-at-epoch-start", Mutant::KraftHwAtEpochStart),
    ("kraft:accept-stale-fetch", Mutant::KraftAcceptStaleFetch),
    ("kraft:vote-no-log-check", Mutant::KraftVoteNoLogCheck),
    ("kraft:vote-not-persisted", Mutant::KraftVoteNotPersisted),
    (
        "kraft:follower-hw-unclamped",
        Mutant::KraftFollowerHwUnclamped,
    ),
    (
        "kraft:no-truncate-on-diverging",
        Mutant::KraftNoTruncateOnDiverging,
    ),
    ("kraft:double-vote", Mutant::KraftDoubleVote),
];

impl Mutant {
    /// Every mutant, in catalog order.
    pub fn all() -> impl Iterator<Item = Mutant> {
        NAMES.iter().map(|(_, m)| *m)
    }

    /// The mutants of one variant (`"raft"` or `"kraft"`).
    pub fn of_variant(variant: &str) -> impl Iterator<Item = Mutant> + '_ {
        NAMES
            .iter()
            .filter(move |(n, _)| n.split(':').next() == Some(variant))
            .map(|(_, m)| *m)
    }

    /// `variant:name`, e.g. `raft:double-vote`.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A mutant name that names no mutant, or more than one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MutantNameError {
    #[error("unknown mutant {name:?}; known: {known}")]
    Unknown { name: String, known: String },
    #[error("mutant name {0:?} is ambiguous; prefix it with raft: or kraft:")]
    Ambiguous(String),
}

impl FromStr for Mutant {
    type Err = MutantNameError;
    /// Accepts `variant:name` or, when unambiguous, the bare name.
    fn from_str(s: &str) -> Result<Self, MutantNameError> {
        let hits: Vec<Mutant> = NAMES
            .iter()
            .filter(|(n, _)| *n == s || n.split(':').nth(1) == Some(s))
            .map(|(_, m)| *m)
            .collect();
        match hits.as_slice() {
            [m] => Ok(*m),
            [] => Err(MutantNameError::Unknown {
                name: s.to_string(),
                known: NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            }),
            _ => Err(MutantNameError::Ambiguous(s.to_string())),
        }
    }
}
