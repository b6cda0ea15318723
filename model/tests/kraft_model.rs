//! The correct KRaft model: verdicts, witnesses, restarts, symmetry, and traces.

mod common;

use raftspec_model::bounds::{Bounds, NetworkSemantics};
use raftspec_model::check::{check, CheckOptions, Verdict};
use raftspec_model::kraft::{validate_bounds, KraftModel};
use raftspec_model::trace::{replay_on_model, Trace};
use raftspec_model::{Bug, Variant};

fn bounds(max_term: u8, max_log: u8, max_restarts: u8) -> Bounds {
    Bounds {
        servers: 3,
        max_term,
        max_log,
        values: 1,
        max_restarts,
        network: NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight: 3,
            max_drops: None,
        },
        options: Default::default(),
    }
}

fn assert_all_hold_and_witnessed(r: &raftspec_model::check::CheckReport) {
    assert!(r.complete);
    for p in &r.properties {
        let want = if p.expectation == "always" {
            Verdict::Holds
        } else {
            Verdict::Witnessed
        };
        assert_eq!(p.verdict, want, "{}", p.name);
    }
    assert!(r.passed());
}

#[test]
fn every_property_holds_and_every_witness_is_reached_at_the_default_bounds() {
    // `raftspec check kraft`'s defaults (cli/src/args.rs).
    let r = check(
        KraftModel::new(bounds(2, 1, 0), None),
        CheckOptions::default(),
    )
    .report;
    assert_all_hold_and_witnessed(&r);
    assert_eq!(
        r.unique_states, 2_435_194,
        "specs/kraft.md records this count"
    );
    let steps = |name: &str| r.property(name).unwrap().steps.unwrap();
    // Shortest witnesses (BFS), as specs/kraft.md and specs/push-vs-pull.md give them.
    assert_eq!(steps("LeaderElected"), 3);
    assert_eq!(steps("EntryCommitted"), 13);
    assert_eq!(steps("TruncatedAfterDivergingEpoch"), 14);
    assert_eq!(steps("FetchFenced"), 11);
    assert_eq!(steps("LeaderResignedAndReplaced"), 13);
}

#[test]
fn a_restart_keeps_every_property() {
    // One restart at the default bounds: 7.2M states without symmetry, 1.2M with it.
    let r = check(
        KraftModel::new(bounds(2, 1, 1), None),
        CheckOptions {
            symmetry: true,
            ..Default::default()
        },
    )
    .report;
    assert_all_hold_and_witnessed(&r);
}

#[test]
fn a_missing_witness_fails_the_run() {
    // One epoch: no leader can ever be replaced, fenced or diverged from.
    let r = check(
        KraftModel::new(bounds(1, 1, 0), None),
        CheckOptions::default(),
    )
    .report;
    for w in [
        "TruncatedAfterDivergingEpoch",
        "FetchFenced",
        "LeaderResignedAndReplaced",
    ] {
        assert_eq!(r.property(w).unwrap().verdict, Verdict::Missing, "{w}");
    }
    assert_eq!(
        r.property("EntryCommitted").unwrap().verdict,
        Verdict::Witnessed
    );
    assert!(!r.passed(), "a run with a missing witness must not pass");
}

#[test]
fn symmetry_gives_the_same_verdicts() {
    let cases = [
        (bounds(2, 1, 0), None),
        (bounds(2, 0, 0), Some(Bug::VoteNoLogCheck)),
        (bounds(2, 0, 0), Some(Bug::CommitRegress)),
        (bounds(1, 1, 0), Some(Bug::FollowerHwUnclamped)),
        (
            Bounds {
                network: NetworkSemantics {
                    max_in_flight: 4,
                    ..bounds(1, 0, 0).network
                },
                ..bounds(1, 0, 0)
            },
            Some(Bug::DoubleVote),
        ),
    ];
    for (b, bug) in cases {
        let what = format!("bug {bug:?} at {b}");
        let plain = common::symmetry_keeps_verdicts(KraftModel::new(b.clone(), bug), &what);
        if bug.is_some() {
            assert!(
                plain.iter().any(|(_, v)| *v == Verdict::Violated),
                "{bug:?}"
            );
        }
    }
}

#[test]
fn traces_are_itf_without_nulls_and_replay() {
    // A counterexample full of optional fields (leaders, high watermarks) and every message
    // kind of an election and of fetching.
    let b = bounds(1, 1, 0);
    let model = KraftModel::new(b, Some(Bug::FollowerHwUnclamped));
    let outcome = check(model.clone(), CheckOptions::default());
    let trace = outcome.counterexamples.first().expect("a counterexample");
    let itf = trace.to_itf_string();
    assert!(!itf.contains("null"), "ITF traces hold no nulls");
    let doc: serde_json::Value = serde_json::from_str(&itf).unwrap();
    let last = doc["states"].as_array().unwrap().last().unwrap().clone();
    let s0 = &last["servers"][0];
    for field in [
        "role",
        "epoch",
        "votedFor",
        "leader",
        "log",
        "highWatermark",
    ] {
        assert!(s0.get(field).is_some(), "server field {field}");
    }
    assert!(s0["log"][0].get("epoch").is_some() && s0["log"][0].get("value").is_some());
    assert_eq!(s0["votedFor"]["tag"], "Some");
    let back = Trace::from_itf(&itf).unwrap();
    assert_eq!(back.variant, Variant::Kraft);
    replay_on_model(&model, &back).expect("ITF round trip keeps the behaviour");
    // Tamper with the last state's high watermark: replay names that step.
    let mut edited = doc.clone();
    let n = edited["states"].as_array().unwrap().len();
    edited["states"][n - 1]["servers"][2]["highWatermark"] = serde_json::json!(7);
    let bad = Trace::from_itf(&edited.to_string()).unwrap();
    let err = replay_on_model(&model, &bad).unwrap_err();
    assert_eq!(err.step, n - 1, "{err}");
    assert!(err.reason.contains("highWatermark"), "{err}");
}

#[test]
fn bounds_whose_logs_do_not_fit_are_rejected() {
    assert!(validate_bounds(&bounds(4, 1, 0)).is_ok());
    let too_long = bounds(6, 2, 1);
    let err = validate_bounds(&too_long).unwrap_err();
    assert!(err.0.contains("--max-term"), "{err}");
    assert!(Variant::Kraft.validate(&too_long).is_err());
    assert!(Variant::Raft.validate(&too_long).is_ok());
}
