//! The bug catalog: known protocol bugs, each a named switch on a model, with the property that
//! must catch it and the bounds known to reach it.

use crate::bounds::Bounds;
use crate::spec::Variant;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bug {
    Figure8,
    VoteNoLogCheck,
    VoteNotPersisted,
    DoubleVote,
    TruncateOnStaleAppend,
    CommitRegress,
    StaleVoteCounted,
    TimeoutKeepsTerm,
    ReplicateBeforeElected,
    BeginQuorumStaleEpoch,
    EndQuorumStaleEpoch,
    FetchWrongLastEpoch,
    ResignClearsVote,
    CandidateAcceptsWrites,
    HwAtEpochStart,
    FollowerHwUnclamped,
    // ---- Liveness bugs (model/src/liveness/catalog.rs): no safety property catches them.
    CommitNeedsEntries,
    RejectIgnored,
    CandidateNoRetry,
    DivergingRefetch,
    HwOnlyWithRecords,
    CommitOnlyOnAppend,
}

impl Bug {
    pub const ALL: [Bug; 22] = [
        Bug::Figure8,
        Bug::VoteNoLogCheck,
        Bug::VoteNotPersisted,
        Bug::DoubleVote,
        Bug::TruncateOnStaleAppend,
        Bug::CommitRegress,
        Bug::StaleVoteCounted,
        Bug::TimeoutKeepsTerm,
        Bug::ReplicateBeforeElected,
        Bug::BeginQuorumStaleEpoch,
        Bug::EndQuorumStaleEpoch,
        Bug::FetchWrongLastEpoch,
        Bug::ResignClearsVote,
        Bug::CandidateAcceptsWrites,
        Bug::HwAtEpochStart,
        Bug::FollowerHwUnclamped,
        // Liveness bugs.
        Bug::CommitNeedsEntries,
        Bug::RejectIgnored,
        Bug::CandidateNoRetry,
        Bug::DivergingRefetch,
        Bug::HwOnlyWithRecords,
        Bug::CommitOnlyOnAppend,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Bug::Figure8 => "figure8",
            Bug::VoteNoLogCheck => "vote-no-log-check",
            Bug::VoteNotPersisted => "vote-not-persisted",
            Bug::DoubleVote => "double-vote",
            Bug::TruncateOnStaleAppend => "truncate-on-stale-append",
            Bug::CommitRegress => "commit-regress",
            Bug::StaleVoteCounted => "stale-vote-counted",
            Bug::TimeoutKeepsTerm => "timeout-keeps-term",
            Bug::ReplicateBeforeElected => "replicate-before-elected",
            Bug::BeginQuorumStaleEpoch => "begin-quorum-stale-epoch",
            Bug::EndQuorumStaleEpoch => "end-quorum-stale-epoch",
            Bug::FetchWrongLastEpoch => "fetch-wrong-last-epoch",
            Bug::ResignClearsVote => "resign-clears-vote",
            Bug::CandidateAcceptsWrites => "candidate-accepts-writes",
            Bug::HwAtEpochStart => "hw-at-epoch-start",
            Bug::FollowerHwUnclamped => "follower-hw-unclamped",
            Bug::CommitNeedsEntries => "commit-needs-entries",
            Bug::RejectIgnored => "reject-ignored",
            Bug::CandidateNoRetry => "candidate-no-retry",
            Bug::DivergingRefetch => "diverging-refetch",
            Bug::HwOnlyWithRecords => "hw-only-with-records",
            Bug::CommitOnlyOnAppend => "commit-only-on-append",
        }
    }

    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the catalog: a bug as injected into one variant.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogEntry {
    pub bug: Bug,
    pub variant: Variant,
    /// The protocol step (ITF action name) the bug is injected into.
    pub step: &'static str,
    /// The protocol rule the bug breaks.
    pub rule: &'static str,
    /// The property the checker must report violated.
    pub property: &'static str,
    /// Bounds within which the checker finds it (measured; see specs/).
    pub bounds: Bounds,
}

/// A catalog row as a table holds it: the bug, the step it lives in, the rule it breaks, the
/// property that catches it, and the bounds within which the checker finds it.
pub(crate) type Row = (
    Bug,
    &'static str,
    &'static str,
    &'static str,
    fn() -> Bounds,
);

/// A variant's catalog rows from its table.
pub(crate) fn rows(variant: Variant, table: &[Row]) -> Vec<CatalogEntry> {
    table
        .iter()
        .map(|&(bug, step, rule, property, bounds)| CatalogEntry {
            bug,
            variant,
            step,
            rule,
            property,
            bounds: bounds(),
        })
        .collect()
}

/// Every catalog row, for every variant.
pub fn catalog() -> Vec<CatalogEntry> {
    Variant::ALL
        .iter()
        .flat_map(|v| (v.info().catalog)())
        .collect()
}

/// The catalog rows of one variant.
pub fn catalog_for(variant: Variant) -> Vec<CatalogEntry> {
    (variant.info().catalog)()
}

/// The row for one bug in one variant, if that variant can have it.
pub fn entry(variant: Variant, bug: Bug) -> Option<CatalogEntry> {
    catalog_for(variant).into_iter().find(|r| r.bug == bug)
}
