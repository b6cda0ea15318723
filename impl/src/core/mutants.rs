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
    /// Quorum of (n + 1) / 2 instead of n / 2 + 1: right for odd n, half for even n.
    RaftQuorumRoundsDown,
    /// A candidate counts a granted RequestVoteResponse of an older term.
    RaftCountsStaleVote,
    /// Follower sets commitIndex = min(leaderCommit, its last index) instead of the last new
    /// entry (entries past the leader's are not known to match).
    RaftCommitToLastIndex,
    /// A follower does not restart its election timer on AppendEntries.
    RaftNoTimerResetOnAppend,
    /// A leader's heartbeat skips its highest-numbered peer.
    RaftHeartbeatSkipsPeer,
    /// A candidate ignores an AppendEntries of its own term (no step down, no answer).
    RaftCandidateIgnoresAppend,
    /// A follower handles an AppendEntries of an older term as if it were current.
    RaftAcceptsStaleAppend,
    /// A response of a newer term is ignored instead of making the server a follower.
    RaftIgnoresNewerResponse,
    /// A refused AppendEntries leaves nextIndex where it was.
    RaftNoBackoff,
    /// matchIndex takes the acknowledged index even when it is lower (a reordered ack).
    RaftMatchIndexRegress,
    /// The vote reaches the disk one step late: after the granting response was sent.
    RaftVotePersistedAfterSend,
    /// A leader keeps its election timer armed.
    RaftLeaderKeepsElectionTimer,
    /// The refusal of an older term's AppendEntries carries that older term, not the
    /// follower's, so the stale leader never learns.
    RaftRefusalWithStaleTerm,
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
    /// Quorum of (n + 1) / 2 instead of n / 2 + 1 (votes, high watermark, quorum check).
    KraftQuorumRoundsDown,
    /// A candidate counts a granted VoteResponse of an older epoch.
    KraftCountsStaleVote,
    /// A BeginQuorumEpoch of an older epoch makes the receiver follow its sender.
    KraftAcceptsStaleBeginEpoch,
    /// The quorum check never resigns.
    KraftNoResign,
    /// A follower does not restart its fetch (election) timer on a FetchResponse.
    KraftNoTimerResetOnFetchResponse,
    /// EndQuorumEpoch is ignored.
    KraftIgnoresEndEpoch,
    /// A new leader does not append its LeaderChange record.
    KraftNoLeaderChangeRecord,
    /// The follower's fetch timer sends no Fetch.
    KraftFetchTimerSendsNothing,
    /// The vote reaches the disk one step late: after the granting response was sent.
    KraftVotePersistedAfterSend,
    /// A leader keeps a follower's fetch timer armed.
    KraftLeaderKeepsFetchTimer,
    /// A candidate ignores a BeginQuorumEpoch of its own epoch.
    KraftCandidateIgnoresBeginEpoch,
    /// A follower appends fetched records without checking that the response answers its
    /// current position (a duplicated response appends twice).
    KraftAppendsStaleResponse,
    /// On AppendEntries, only the first entry is compared with the follower's log; a later
    /// entry of a batch that conflicts is taken for a duplicate (needs batches of 2+).
    RaftBatchChecksFirstOnly,
    /// Production rule `reject_hint`: the hint is min(last index, prevLogIndex) instead of
    /// prevLogIndex - 1, so a pipelined leader re-probes the refused position forever (issue
    /// 16's idle-repair bug).
    RaftHintAtRefusedIndex,
    /// Production rule `pipeline`: a refusal may back nextIndex to matchIndex or below,
    /// resending entries known to match.
    RaftPipelineBacksBelowMatch,
    // Storage (both variants): the durable layer under a node.
    /// A step's truncation of a conflicting suffix is not written to the log file.
    StorageIgnoresTruncate,
    /// `sync` does not fsync the log: appended entries are acknowledged but not durable.
    StorageSkipsLogSync,
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
    ("raft:quorum-rounds-down", Mutant::RaftQuorumRoundsDown),
    ("raft:counts-stale-vote", Mutant::RaftCountsStaleVote),
    ("raft:commit-to-last-index", Mutant::RaftCommitToLastIndex),
    (
        "raft:no-timer-reset-on-append",
        Mutant::RaftNoTimerResetOnAppend,
    ),
    ("raft:heartbeat-skips-peer", Mutant::RaftHeartbeatSkipsPeer),
    (
        "raft:candidate-ignores-append",
        Mutant::RaftCandidateIgnoresAppend,
    ),
    ("raft:accepts-stale-append", Mutant::RaftAcceptsStaleAppend),
    (
        "raft:ignores-newer-response",
        Mutant::RaftIgnoresNewerResponse,
    ),
    ("raft:no-backoff", Mutant::RaftNoBackoff),
    ("raft:match-index-regress", Mutant::RaftMatchIndexRegress),
    (
        "raft:vote-persisted-after-send",
        Mutant::RaftVotePersistedAfterSend,
    ),
    (
        "raft:leader-keeps-election-timer",
        Mutant::RaftLeaderKeepsElectionTimer,
    ),
    (
        "raft:refusal-with-stale-term",
        Mutant::RaftRefusalWithStaleTerm,
    ),
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
    ("kraft:quorum-rounds-down", Mutant::KraftQuorumRoundsDown),
    ("kraft:counts-stale-vote", Mutant::KraftCountsStaleVote),
    (
        "kraft:accepts-stale-begin-epoch",
        Mutant::KraftAcceptsStaleBeginEpoch,
    ),
    ("kraft:no-resign", Mutant::KraftNoResign),
    (
        "kraft:no-timer-reset-on-fetch-response",
        Mutant::KraftNoTimerResetOnFetchResponse,
    ),
    ("kraft:ignores-end-epoch", Mutant::KraftIgnoresEndEpoch),
    (
        "kraft:no-leader-change-record",
        Mutant::KraftNoLeaderChangeRecord,
    ),
    (
        "kraft:fetch-timer-sends-nothing",
        Mutant::KraftFetchTimerSendsNothing,
    ),
    (
        "kraft:vote-persisted-after-send",
        Mutant::KraftVotePersistedAfterSend,
    ),
    (
        "kraft:leader-keeps-fetch-timer",
        Mutant::KraftLeaderKeepsFetchTimer,
    ),
    (
        "kraft:candidate-ignores-begin-epoch",
        Mutant::KraftCandidateIgnoresBeginEpoch,
    ),
    (
        "kraft:appends-stale-response",
        Mutant::KraftAppendsStaleResponse,
    ),
    (
        "raft:batch-checks-first-only",
        Mutant::RaftBatchChecksFirstOnly,
    ),
    ("raft:hint-at-refused-index", Mutant::RaftHintAtRefusedIndex),
    (
        "raft:pipeline-backs-below-match",
        Mutant::RaftPipelineBacksBelowMatch,
    ),
    ("storage:ignores-truncate", Mutant::StorageIgnoresTruncate),
    ("storage:skips-log-sync", Mutant::StorageSkipsLogSync),
];

impl Mutant {
    /// Every mutant, in catalog order.
    pub fn all() -> impl Iterator<Item = Mutant> {
        NAMES.iter().map(|(_, m)| *m)
    }

    /// Entries per message the mutant needs to show (a batching bug is invisible one entry at
    /// a time); `conform --mutants all` replays it with at least this batch.
    pub fn min_batch(self) -> u8 {
        match self {
            Mutant::RaftBatchChecksFirstOnly => 2,
            _ => 1,
        }
    }

    /// The production rule (impl/src/core/raft.rs `Config`) whose code the mutant breaks, for
    /// a mutant that only a core running that rule can show: `Config::model()` leaves the
    /// rule off, so there it is not applicable.
    pub fn production_rule(self) -> Option<&'static str> {
        match self {
            Mutant::RaftHintAtRefusedIndex => Some("reject_hint"),
            Mutant::RaftPipelineBacksBelowMatch => Some("pipeline"),
            _ => None,
        }
    }

    /// Why the mutant cannot change what `Config::production()` does, if it cannot: it breaks
    /// a rule only a message carrying part of the leader's suffix exercises, and production
    /// messages carry all of it (512 entries; no model log holds more than 8).
    pub fn equivalent_in_production(self) -> Option<&'static str> {
        match self {
            Mutant::RaftCommitToLastIndex => Some(
                "leaderCommit never passes the last new entry when every AppendEntries carries the whole suffix",
            ),
            Mutant::KraftFollowerHwUnclamped => Some(
                "the leader's high watermark never passes the follower's log end when every Fetch response carries the whole log",
            ),
            _ => None,
        }
    }

    /// The mutants of one variant (`"raft"` or `"kraft"`), the storage ones included (both
    /// variants' nodes run on the same storage code).
    pub fn of_variant(variant: &str) -> impl Iterator<Item = Mutant> + '_ {
        NAMES
            .iter()
            .filter(move |(n, _)| {
                let layer = n.split(':').next();
                layer == Some(variant) || layer == Some("storage")
            })
            .map(|(_, m)| *m)
    }

    /// Whether the mutant lives in the storage layer (not in a core).
    pub fn in_storage(self) -> bool {
        self.name().starts_with("storage:")
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
