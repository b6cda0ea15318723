//! Every bug in the catalog, for every variant, is found within the bounds the catalog lists,
//! as a violation of the property the catalog names, by a shortest counterexample of the
//! recorded length that the correct model cannot follow.

use raftspec_model::bugs::catalog_for;
use raftspec_model::check::Engine;
use raftspec_model::check::Verdict;
use raftspec_model::reproduce::{correct_model_failures, reproduce, reproduce_with, Reductions};
use raftspec_model::{Bug, Variant};

/// Shortest counterexample lengths (actions), measured with single-threaded BFS; recorded in
/// specs/raft.md and specs/kraft.md.
fn expected_steps(variant: Variant, bug: Bug) -> Option<usize> {
    use Bug::*;
    Some(match (variant, bug) {
        (Variant::Raft, Figure8) => 26,
        (Variant::Raft, VoteNoLogCheck) => 10,
        (Variant::Raft, VoteNotPersisted) => 7,
        (Variant::Raft, DoubleVote) => 6,
        (Variant::Raft, TruncateOnStaleAppend) => 11,
        (Variant::Raft, CommitRegress) => 10,
        (Variant::Raft, StaleVoteCounted) => 9,
        (Variant::Raft, TimeoutKeepsTerm) => 6,
        (Variant::Raft, ReplicateBeforeElected) => 22,
        (Variant::Raft, CandidateAcceptsWrites) => 4,
        (Variant::Kraft, HwAtEpochStart) => 29,
        (Variant::Kraft, FollowerHwUnclamped) => 17,
        (Variant::Kraft, VoteNoLogCheck) => 16,
        (Variant::Kraft, VoteNotPersisted) => 10,
        (Variant::Kraft, DoubleVote) => 9,
        (Variant::Kraft, CommitRegress) => 16,
        (Variant::Kraft, StaleVoteCounted) => 19,
        (Variant::Kraft, TimeoutKeepsTerm) => 1,
        (Variant::Kraft, BeginQuorumStaleEpoch) => 8,
        (Variant::Kraft, EndQuorumStaleEpoch) => 11,
        (Variant::Kraft, FetchWrongLastEpoch) => 13,
        (Variant::Kraft, ResignClearsVote) => 6,
        (Variant::Kraft, CandidateAcceptsWrites) => 6,
        _ => return None,
    })
}

/// Every reduction, alone and together, on more than one thread: none may hide a catalog bug
/// or lengthen its shortest counterexample (symmetry and the view keep BFS distances).
const REDUCTIONS: &[Reductions] = &[
    Reductions {
        engine: Engine::Raftspec,
        threads: 2,
        symmetry: true,
        view: false,
    },
    Reductions {
        engine: Engine::Raftspec,
        threads: 1,
        symmetry: false,
        view: true,
    },
    Reductions {
        engine: Engine::Raftspec,
        threads: 2,
        symmetry: true,
        view: true,
    },
];

fn assert_found(variant: Variant, bug: Bug) {
    let row = catalog_for(variant)
        .into_iter()
        .find(|r| r.bug == bug)
        .unwrap_or_else(|| panic!("{bug} is in the {variant} catalog"));
    assert_found_with(variant, bug, &row, reproduce(&row), "no reduction");
    for with in REDUCTIONS {
        let label = format!("{with:?}");
        assert_found_with(variant, bug, &row, reproduce_with(&row, *with), &label);
    }
}

fn assert_found_with(
    variant: Variant,
    bug: Bug,
    row: &raftspec_model::bugs::CatalogEntry,
    r: raftspec_model::reproduce::Reproduction,
    label: &str,
) {
    assert_eq!(
        r.verdict,
        Verdict::Violated,
        "{variant} {bug} ({label}): {} not violated within {}",
        row.property,
        row.bounds
    );
    assert_eq!(
        r.steps,
        expected_steps(variant, bug),
        "{variant} {bug} ({label}): length"
    );
    assert!(
        r.replays_on_buggy_model,
        "{variant} {bug} ({label}): replays on the buggy model"
    );
    assert!(
        r.leaves_correct_model,
        "{variant} {bug} ({label}): the counterexample must leave the correct model somewhere"
    );
}

macro_rules! found {
    ($($name:ident: $variant:ident $bug:ident;)*) => {$(
        #[test]
        fn $name() {
            assert_found(Variant::$variant, Bug::$bug);
        }
    )*};
}

found! {
    raft_figure8: Raft Figure8;
    raft_vote_no_log_check: Raft VoteNoLogCheck;
    raft_vote_not_persisted: Raft VoteNotPersisted;
    raft_double_vote: Raft DoubleVote;
    raft_truncate_on_stale_append: Raft TruncateOnStaleAppend;
    raft_commit_regress: Raft CommitRegress;
    raft_stale_vote_counted: Raft StaleVoteCounted;
    raft_timeout_keeps_term: Raft TimeoutKeepsTerm;
    raft_replicate_before_elected: Raft ReplicateBeforeElected;
    raft_candidate_accepts_writes: Raft CandidateAcceptsWrites;
    kraft_hw_at_epoch_start: Kraft HwAtEpochStart;
    kraft_follower_hw_unclamped: Kraft FollowerHwUnclamped;
    kraft_vote_no_log_check: Kraft VoteNoLogCheck;
    kraft_vote_not_persisted: Kraft VoteNotPersisted;
    kraft_double_vote: Kraft DoubleVote;
    kraft_commit_regress: Kraft CommitRegress;
    kraft_stale_vote_counted: Kraft StaleVoteCounted;
    kraft_timeout_keeps_term: Kraft TimeoutKeepsTerm;
    kraft_begin_quorum_stale_epoch: Kraft BeginQuorumStaleEpoch;
    kraft_end_quorum_stale_epoch: Kraft EndQuorumStaleEpoch;
    kraft_fetch_wrong_last_epoch: Kraft FetchWrongLastEpoch;
    kraft_resign_clears_vote: Kraft ResignClearsVote;
    kraft_candidate_accepts_writes: Kraft CandidateAcceptsWrites;
}

/// Each message handler and each timer step of each variant has a catalog bug injected inside
/// it, so a pass is evidence about every step (and a row names a step that exists).
#[test]
fn every_protocol_step_has_a_catalog_bug() {
    for v in Variant::ALL {
        let steps = raftspec_model::spec::protocol_steps(*v);
        let rows = catalog_for(*v);
        for step in steps {
            assert!(
                rows.iter().any(|r| r.step == *step),
                "{v}: no catalog bug in {step}"
            );
        }
        for r in &rows {
            assert!(
                steps.contains(&r.step),
                "{v} {}: unknown step {}",
                r.bug,
                r.step
            );
        }
    }
}

#[test]
fn every_catalog_row_has_a_recorded_length() {
    for v in Variant::ALL {
        let rows = catalog_for(*v);
        for row in rows {
            assert!(
                expected_steps(*v, row.bug).is_some(),
                "{v} {} untested",
                row.bug
            );
        }
    }
}

#[test]
fn the_correct_model_passes_every_catalog_bound() {
    // Each row's bounds must hold for the correct model, or the row proves nothing about the
    // bug. Symmetry keeps KRaft's four-epoch row to seconds; both model test files show that
    // symmetry does not change verdicts.
    for v in Variant::ALL {
        for row in catalog_for(*v) {
            let failing = correct_model_failures(&row, *v == Variant::Kraft);
            assert!(
                failing.is_empty(),
                "{failing:?} fail on the correct {v} at {}'s bounds",
                row.bug
            );
        }
    }
}
