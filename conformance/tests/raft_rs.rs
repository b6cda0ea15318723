//! tikv/raft-rs 0.7 held against the Raft model in its raft-rs flavor (feature `raft-rs`).
#![cfg(feature = "raft-rs")]

use raftspec_conformance::conform::{
    catalog_trace_with, conform, default_options, replay_trace, Target,
};
use raftspec_conformance::driver::{Event, Node, NodeFailure};
use raftspec_conformance::raftrs::{RaftRsNode, RsMutant};
use raftspec_conformance::suite::SuiteOptions;
use raftspec_model::bugs::Bug;
use raftspec_model::check::{check, CheckOptions};
use raftspec_model::options::Options;
use raftspec_model::raft::RaftModel;
use raftspec_model::Variant;

/// Every source, small: seconds on two cores.
fn small() -> SuiteOptions {
    let mut o = default_options(Variant::Raft);
    for g in &mut o.graphs {
        g.depth = g.depth.saturating_sub(5);
    }
    o.walks = 300;
    o.proptest_cases = 100;
    o
}

#[test]
fn raft_rs_conforms_to_the_raft_rs_flavor_on_every_source() {
    let r = conform(Variant::Raft, &small(), &Target::raft_rs(None), &mut |_| {}).unwrap();
    assert!(r.divergence.is_none(), "{}", r.divergence.unwrap());
    assert!(r.traces > 20_000, "{} traces", r.traces);
    for g in &r.graphs {
        assert_eq!(g.edges_covered, g.edges, "{}: every edge replayed", g.name);
        let b = g.bounds.as_ref().unwrap();
        assert_eq!(
            b.options,
            Options::raft_rs(),
            "{}: the raft-rs flavor",
            g.name
        );
    }
}

/// Each raft-rs option is needed: with it off, the replay diverges. (The option's rule is a
/// behaviour of raft-rs that the plain model does not have.)
#[test]
fn every_raft_rs_option_is_needed_raft_rs_diverges_without_it() {
    let all = Options::raft_rs();
    for (name, _) in all.raft_rs_switches() {
        let mut without = Options::default();
        for (other, _) in all.raft_rs_switches() {
            if other != name {
                assert!(without.set_switch(other));
            }
        }
        let target = Target {
            options: without,
            ..Target::raft_rs(None)
        };
        let opts = SuiteOptions {
            proptest_cases: 300,
            ..small()
        };
        let r = conform(Variant::Raft, &opts, &target, &mut |_| {}).unwrap();
        let d = r
            .divergence
            .unwrap_or_else(|| panic!("without {name}: raft-rs still conforms"));
        eprintln!(
            "without {name}: diverges at step {} ({}): {} expected {} / actual {}",
            d.step, d.action, d.field, d.expected, d.actual
        );
    }
}

#[test]
fn the_plain_raft_model_diverges_at_the_new_leaders_empty_entry() {
    let target = Target {
        options: Options::default(),
        ..Target::raft_rs(None)
    };
    let r = conform(Variant::Raft, &small(), &target, &mut |_| {}).unwrap();
    let d = r.divergence.expect("raft-rs is not the paper's Raft");
    assert_eq!(d.field, "log", "{d}");
    assert!(d.actual.contains("v0"), "the empty entry: {d}");
}

#[test]
fn every_wrapper_mutant_is_killed() {
    for m in RsMutant::ALL {
        let r = conform(
            Variant::Raft,
            &small(),
            &Target::raft_rs(Some(m)),
            &mut |_| {},
        )
        .unwrap();
        assert!(r.divergence.is_some(), "mutant {m} survived");
    }
}

/// Catalog bugs re-checked in the raft-rs flavor: those the checker finds at the catalog's
/// bounds there (the others need larger bounds: specs/raft.md, "The raft-rs flavor"; the
/// complete searches that show it take a minute, so `conform --impl raft-rs` runs them, not
/// this test) are found, and raft-rs refuses each counterexample.
#[test]
fn catalog_counterexamples_of_the_raft_rs_flavor_diverge_on_raft_rs() {
    let found = [
        Bug::VoteNoLogCheck,
        Bug::VoteNotPersisted,
        Bug::TruncateOnStaleAppend,
        Bug::TimeoutKeepsTerm,
        Bug::CandidateAcceptsWrites,
    ];
    for bug in found {
        let t = catalog_trace_with(Variant::Raft, bug, Options::raft_rs())
            .unwrap_or_else(|| panic!("{}: found in the raft-rs flavor", bug.name()));
        assert_eq!(t.bounds.options, Options::raft_rs());
        let d = replay_trace(&t, &Target::raft_rs(None))
            .unwrap()
            .expect_err("raft-rs refuses the buggy model");
        assert!(d.node.is_some(), "{}: {d}", bug.name());
    }
    // double-vote needs two more messages in flight than its catalog row allows.
    let mut row = raftspec_model::bugs::entry(Variant::Raft, Bug::DoubleVote).unwrap();
    row.bounds.options = Options::raft_rs();
    let out = check(
        RaftModel::new(row.bounds.clone(), Some(Bug::DoubleVote)),
        CheckOptions::default(),
    );
    assert_eq!(
        out.report.violated().count(),
        0,
        "not at the catalog's bounds"
    );
    row.bounds.network.max_in_flight = 6;
    let out = check(
        RaftModel::new(row.bounds, Some(Bug::DoubleVote)),
        CheckOptions::default(),
    );
    assert!(out.report.violated().any(|p| p.name == "ElectionSafety"));
}

#[test]
fn a_panic_inside_raft_rs_is_a_node_failure_not_a_crash() {
    let mut n = RaftRsNode::new(0, 3, Options::raft_rs(), None);
    // A heartbeat asking to commit past the receiver's log: raft-rs's commit_to panics.
    let mut m = raft::eraftpb::Message::default();
    m.set_msg_type(raft::eraftpb::MessageType::MsgHeartbeat);
    m.from = 2;
    m.to = 1;
    m.term = 1;
    m.commit = 5;
    match n.step(Event::Receive { from: 1, msg: m }) {
        Err(NodeFailure::Stopped(e)) => assert!(e.to_string().contains("panicked"), "{e}"),
        other => panic!("expected a stopped node, got {other:?}"),
    }
    // The node stays stopped, and says so.
    let again = n.step(Event::Timer(raftspec_conformance::driver::Timer::Election));
    assert!(matches!(again, Err(NodeFailure::Stopped(_))));
}
