//! Every KRaft bug in the catalog is found within the bounds the catalog lists, as a violation
//! of the property the catalog names, by a shortest counterexample of the recorded length.

use raftspec_model::bugs::catalog_for;
use raftspec_model::check::Verdict;
use raftspec_model::reproduce::{correct_model_failures, reproduce};
use raftspec_model::{Bug, Variant};

/// Shortest counterexample lengths (actions), measured with single-threaded BFS; specs/kraft.md.
fn expected_steps(bug: Bug) -> usize {
    match bug {
        Bug::HwAtEpochStart => 21,
        Bug::FollowerHwUnclamped => 17,
        Bug::VoteNoLogCheck => 13,
        Bug::VoteNotPersisted => 9,
        Bug::DoubleVote => 8,
        Bug::CommitRegress => 14,
        other => panic!("{other} is not a KRaft bug"),
    }
}

fn assert_found(bug: Bug) {
    let row = catalog_for(Variant::Kraft)
        .into_iter()
        .find(|r| r.bug == bug)
        .unwrap_or_else(|| panic!("{bug} is in the catalog"));
    let r = reproduce(&row);
    assert_eq!(
        r.verdict,
        Verdict::Violated,
        "{bug}: {} not violated within {}",
        row.property,
        row.bounds
    );
    assert_eq!(
        r.steps,
        Some(expected_steps(bug)),
        "{bug}: counterexample length"
    );
    assert!(
        r.replays_on_buggy_model,
        "{bug}: counterexample replays on the buggy model"
    );
    assert!(
        r.leaves_correct_model,
        "{bug}: the counterexample must leave the correct model somewhere"
    );
}

#[test]
fn hw_at_epoch_start_is_found() {
    assert_found(Bug::HwAtEpochStart);
}

#[test]
fn follower_hw_unclamped_is_found() {
    assert_found(Bug::FollowerHwUnclamped);
}

#[test]
fn vote_no_log_check_is_found() {
    assert_found(Bug::VoteNoLogCheck);
}

#[test]
fn vote_not_persisted_is_found() {
    assert_found(Bug::VoteNotPersisted);
}

#[test]
fn double_vote_is_found() {
    assert_found(Bug::DoubleVote);
}

#[test]
fn commit_regress_is_found() {
    assert_found(Bug::CommitRegress);
}

#[test]
fn the_catalog_covers_the_kraft_bugs() {
    let mut bugs: Vec<Bug> = catalog_for(Variant::Kraft).iter().map(|r| r.bug).collect();
    bugs.sort_by_key(|b| b.name());
    let mut want = vec![
        Bug::HwAtEpochStart,
        Bug::FollowerHwUnclamped,
        Bug::VoteNoLogCheck,
        Bug::VoteNotPersisted,
        Bug::DoubleVote,
        Bug::CommitRegress,
    ];
    want.sort_by_key(|b| b.name());
    assert_eq!(bugs, want);
}

#[test]
fn the_correct_model_passes_every_catalog_bound() {
    // Each row's bounds must hold for the correct model, or the row proves nothing about the
    // bug. Symmetry keeps the largest row to seconds; kraft_model.rs tests that symmetry
    // does not change verdicts.
    for row in catalog_for(Variant::Kraft) {
        let failing = correct_model_failures(&row, true);
        assert!(
            failing.is_empty(),
            "{failing:?} fail on the correct model at {}'s bounds",
            row.bug
        );
    }
}
