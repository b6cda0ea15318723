//! Every KRaft bug in the catalog is found within the bounds the catalog lists, as a violation
//! of the property the catalog names, by a shortest counterexample of the recorded length.

use raftspec_model::bugs::catalog_for;
use raftspec_model::check::{check, CheckOptions, Stop, Verdict};
use raftspec_model::kraft::KraftModel;
use raftspec_model::trace::replay_on_model;
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
        .unwrap_or_else(|| panic!("{bug} is in the KRaft catalog"));
    let model = KraftModel::new(row.bounds.clone(), Some(bug));
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
    // The counterexample is a real behaviour of the buggy model, step by step...
    let trace = outcome
        .counterexamples
        .iter()
        .find(|t| t.property.as_deref() == Some(row.property))
        .expect("a trace for the violated property");
    replay_on_model(&model, trace).expect("counterexample replays on the buggy model");
    // ...and not one of the correct model: the bug is what makes it possible.
    let correct = KraftModel::new(row.bounds.clone(), None);
    assert!(
        replay_on_model(&correct, trace).is_err(),
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
    // bug. Symmetry keeps the largest row (four epochs) to seconds; kraft_model.rs tests that
    // symmetry does not change verdicts.
    for row in catalog_for(Variant::Kraft) {
        let outcome = check(
            KraftModel::new(row.bounds.clone(), None),
            CheckOptions {
                symmetry: true,
                ..Default::default()
            },
        );
        assert!(outcome.report.complete, "{}", row.bug);
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
