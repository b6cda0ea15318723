//! Every Raft bug in the catalog is found within the bounds the catalog lists, as a violation
//! of the property the catalog names, by a shortest counterexample of the recorded length.

use raftspec_model::bugs::catalog_for;
use raftspec_model::check::Verdict;
use raftspec_model::reproduce::{correct_model_failures, reproduce};
use raftspec_model::{Bug, Variant};

/// Shortest counterexample lengths (actions), measured with single-threaded BFS; specs/raft.md.
fn expected_steps(bug: Bug) -> usize {
    match bug {
        Bug::Figure8 => 23,
        Bug::VoteNoLogCheck => 10,
        Bug::VoteNotPersisted => 7,
        Bug::DoubleVote => 6,
        Bug::TruncateOnStaleAppend => 10,
        Bug::CommitRegress => 10,
        other => panic!("{other} is not a Raft bug"),
    }
}

fn assert_found(bug: Bug) {
    let row = catalog_for(Variant::Raft)
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
fn figure8_is_found() {
    assert_found(Bug::Figure8);
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
fn truncate_on_stale_append_is_found() {
    assert_found(Bug::TruncateOnStaleAppend);
}

#[test]
fn commit_regress_is_found() {
    assert_found(Bug::CommitRegress);
}

#[test]
fn the_correct_model_passes_every_catalog_bound() {
    // Each row's bounds must hold for the correct model, or the row proves nothing about the
    // bug.
    for row in catalog_for(Variant::Raft) {
        let failing = correct_model_failures(&row, false);
        assert!(
            failing.is_empty(),
            "{failing:?} fail on the correct model at {}'s bounds",
            row.bug
        );
    }
}
