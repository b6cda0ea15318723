//! Every Raft bug in the catalog is found within the bounds the catalog lists, as a violation
//! of the property the catalog names, by a shortest counterexample of the recorded length.

use raftspec_model::bugs::catalog_for;
use raftspec_model::check::{check, CheckOptions, Stop, Verdict};
use raftspec_model::raft::RaftModel;
use raftspec_model::trace::replay_on_model;
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
        .unwrap_or_else(|| panic!("{bug} is in the Raft catalog"));
    let model = RaftModel::new(row.bounds.clone(), Some(bug));
    let outcome = check(
        model.clone(),
        CheckOptions {
            stop: Stop::AtProperty(row.property),
            ..Default::default()
        },
    );
    let result = outcome.report.property(row.property).unwrap();
    assert_eq!(
        result.verdict,
        Verdict::Violated,
        "{bug}: {} not violated within {}",
        row.property,
        row.bounds
    );
    assert_eq!(
        result.steps,
        Some(expected_steps(bug)),
        "{bug}: counterexample length"
    );
    // The counterexample is a real behaviour of the buggy model, step by step.
    let trace = outcome
        .counterexamples
        .iter()
        .find(|t| t.property.as_deref() == Some(row.property))
        .expect("a trace for the violated property");
    replay_on_model(&model, trace).expect("counterexample replays on the buggy model");
    // ...and not one of the correct model: the bug is what makes it possible.
    let correct = RaftModel::new(row.bounds.clone(), None);
    assert!(
        replay_on_model(&correct, trace).is_err(),
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
    // Each row's bounds are small: the correct model must hold there too, or the row proves
    // nothing about the bug.
    for row in catalog_for(Variant::Raft) {
        let outcome = check(
            RaftModel::new(row.bounds.clone(), None),
            CheckOptions::default(),
        );
        for p in outcome
            .report
            .properties
            .iter()
            .filter(|p| p.expectation == "always")
        {
            assert_eq!(
                p.verdict,
                Verdict::Holds,
                "{} fails on the correct model at {}'s bounds",
                p.name,
                row.bug
            );
        }
    }
}
