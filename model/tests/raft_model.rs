//! The correct Raft model: verdicts, witnesses, symmetry, and traces.

mod common;

use raftspec_model::bounds::{Bounds, NetworkSemantics};
use raftspec_model::check::{check, CheckOptions, Verdict};
use raftspec_model::raft::{Action, RaftModel};
use raftspec_model::trace::{replay_on_model, Trace};
use raftspec_model::Bug;

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

#[test]
fn every_property_holds_and_every_witness_is_reached() {
    let outcome = check(
        RaftModel::new(bounds(2, 1, 1), None),
        CheckOptions::default(),
    );
    let r = &outcome.report;
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
    assert!(r.unique_states > 10_000, "explored {}", r.unique_states);
}

#[test]
fn a_missing_witness_fails_the_run() {
    // One term and no client values: nothing can ever be committed.
    let mut b = bounds(1, 0, 0);
    b.max_log = 0;
    let r = check(RaftModel::new(b, None), CheckOptions::default()).report;
    assert_eq!(
        r.property("EntryCommitted").unwrap().verdict,
        Verdict::Missing
    );
    assert!(!r.passed(), "a run with a missing witness must not pass");
}

#[test]
fn symmetry_gives_the_same_verdicts() {
    for bug in [None, Some(Bug::DoubleVote), Some(Bug::VoteNoLogCheck)] {
        let b = bounds(2, 1, 0);
        common::symmetry_keeps_verdicts(RaftModel::new(b, bug), &format!("bug {bug:?}"));
    }
}

#[test]
fn a_tampered_trace_is_rejected_at_the_tampered_step() {
    let model = RaftModel::new(bounds(2, 1, 0), None);
    let actions = [
        Action::ElectionTimeout(0),
        Action::ClientRequest(0, 1), // not a leader yet: not enabled
    ];
    assert!(Trace::from_actions(&model, &actions).is_none());
    let actions = [Action::ElectionTimeout(0), Action::ElectionTimeout(1)];
    let trace = Trace::from_actions(&model, &actions).unwrap();
    replay_on_model(&model, &trace).expect("a real behaviour replays");
    let itf = trace.to_itf_string();
    let back = Trace::from_itf(&itf).unwrap();
    assert_eq!(back.steps.len(), 3);
    replay_on_model(&model, &back).expect("ITF round trip keeps the behaviour");
    // Hand-edit step 2: S1's term.
    let edited = itf.replacen("\"term\": 1", "\"term\": 7", 3);
    let bad = Trace::from_itf(&edited).unwrap();
    let err = replay_on_model(&model, &bad).unwrap_err();
    assert!(err.step >= 1, "{err}");
    assert!(err.reason.contains("term"), "{err}");
}

#[test]
fn malformed_itf_is_a_clear_error() {
    for (text, needle) in [
        ("not json", "not valid JSON"),
        ("{}", "#meta"),
        (r##"{"#meta": {"variant": "paxos"}}"##, "unknown variant"),
        (r##"{"#meta": {"variant": "raft"}}"##, "bounds"),
    ] {
        let err = Trace::from_itf(text).unwrap_err();
        assert!(err.0.contains(needle), "{text}: {err}");
    }
}

#[test]
fn five_servers_work() {
    let mut b = bounds(1, 1, 0);
    b.servers = 5;
    b.network.max_in_flight = 5; // an election sends four RequestVotes at once
    let r = check(RaftModel::new(b, None), CheckOptions::default()).report;
    assert!(r.complete);
    for p in r.properties.iter().filter(|p| p.expectation == "always") {
        assert_eq!(p.verdict, Verdict::Holds, "{}", p.name);
    }
    // A 5-server election needs three votes.
    assert_eq!(
        r.property("LeaderElected").unwrap().verdict,
        Verdict::Witnessed
    );
}
