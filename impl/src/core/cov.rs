//! Coverage marks: the rule branches of both cores, counted in the instrumented build
//! (feature `mutants`), so that conformance can say which rules its traces exercised.
//! `cov!(Name)` in a core counts one hit; without the feature it does nothing.

#[cfg(feature = "mutants")]
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! marks {
    ($($v:ident = $n:literal,)*) => {
        /// One rule branch of a core.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Mark { $($v,)* }
        /// Names, `variant: rule`, in `Mark` order.
        pub const NAMES: &[&str] = &[$($n,)*];
    };
}

marks! {
    RaftCampaign = "raft: election timeout starts an election",
    RaftBecomeLeader = "raft: a majority of votes makes a leader",
    RaftVoteGranted = "raft: vote granted",
    RaftVoteRefusedLog = "raft: vote refused, candidate's log behind",
    RaftVoteRefusedVoted = "raft: vote refused, voted for another",
    RaftVoteCounted = "raft: candidate counts a granted vote",
    RaftVoteRefusalIgnored = "raft: candidate ignores a refused vote",
    RaftStaleRequestRefused = "raft: request of an older term refused",
    RaftStaleResponseIgnored = "raft: response of an older term ignored",
    RaftNewerTermStepDown = "raft: newer term makes a follower",
    RaftCandidateStepsDown = "raft: candidate follows an AppendEntries of its term",
    RaftAppendRejected = "raft: AppendEntries refused, prevLog mismatch",
    RaftAppendConflict = "raft: conflicting suffix truncated",
    RaftAppendNew = "raft: new entry appended",
    RaftAppendDuplicate = "raft: matching entry kept",
    RaftFollowerCommit = "raft: follower advances its commit index",
    RaftAckSuccess = "raft: leader counts a successful ack",
    RaftAckBackoff = "raft: leader backs off nextIndex",
    RaftLeaderCommit = "raft: leader commits by counting",
    RaftOlderTermNotCounted = "raft: leader does not count an older term's entry",
    RaftHeartbeat = "raft: heartbeat sends AppendEntries",
    RaftPropose = "raft: leader appends a client value",
    RaftProposeRefused = "raft: non-leader refuses a client value",
    KraftElection = "kraft: election timeout starts an election",
    KraftBecomeLeader = "kraft: a majority of votes makes a leader",
    KraftVoteGranted = "kraft: vote granted",
    KraftVoteRefused = "kraft: vote refused",
    KraftVoteCounted = "kraft: candidate counts a granted vote",
    KraftStaleVoteFenced = "kraft: vote of an older epoch fenced",
    KraftStaleFetchFenced = "kraft: fetch of an older epoch fenced",
    KraftStaleIgnored = "kraft: other message of an older epoch ignored",
    KraftNewerEpoch = "kraft: newer epoch moves the node",
    KraftBecomeFollower = "kraft: node becomes a follower",
    KraftBeginEpochHeard = "kraft: follower hears BeginQuorumEpoch of its leader",
    KraftEndEpoch = "kraft: EndQuorumEpoch handled",
    KraftFetchSent = "kraft: follower sends a Fetch",
    KraftFetchRecords = "kraft: leader answers a Fetch with records",
    KraftFetchDiverging = "kraft: leader answers a Fetch with a diverging epoch",
    KraftFetchRefused = "kraft: non-leader refuses a Fetch",
    KraftFetchAppended = "kraft: follower appends fetched records",
    KraftFetchOldPosition = "kraft: follower ignores a response to an old position",
    KraftTruncate = "kraft: follower truncates to a diverging epoch",
    KraftLeaderHw = "kraft: leader advances the high watermark",
    KraftFollowerHw = "kraft: follower advances its high watermark",
    KraftQuorumHeld = "kraft: quorum check passes",
    KraftResign = "kraft: quorum check resigns",
    KraftPropose = "kraft: leader appends a client value",
    KraftProposeRefused = "kraft: non-leader refuses a client value",
}

#[cfg(feature = "mutants")]
static HITS: [AtomicU64; NAMES.len()] = [const { AtomicU64::new(0) }; NAMES.len()];

/// Counts one hit of a mark (every core in the process shares the counters).
#[inline(always)]
pub fn hit(m: Mark) {
    #[cfg(feature = "mutants")]
    HITS[m as usize].fetch_add(1, Ordering::Relaxed);
    #[cfg(not(feature = "mutants"))]
    let _ = m;
}

/// Every mark's name and hits so far (all zero without feature `mutants`).
pub fn snapshot() -> Vec<(&'static str, u64)> {
    #[cfg(feature = "mutants")]
    let hits = |i: usize| HITS[i].load(Ordering::Relaxed);
    #[cfg(not(feature = "mutants"))]
    let hits = |_: usize| 0;
    NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, hits(i)))
        .collect()
}
