//! Liveness of the models: the correct models pass (and the checks look at something), each
//! liveness catalog bug is found by its property with a lasso that replays on the model, and
//! no safety property catches any of them.

use raftspec_engine::liveness::LivenessOptions;
use raftspec_model::check::{check, CheckOptions, CheckReport, Stop};
use raftspec_model::liveness::{self, LassoTrace, LiveSpec, LiveVisitor, LivenessCheck};
use raftspec_model::spec::{with_spec, Spec, SpecVisitor};
use raftspec_model::trace::replay_on_model;
use raftspec_model::{Bounds, Bug, Variant};

struct Live;
impl LiveVisitor for Live {
    type Output = LivenessCheck;
    fn visit<S: LiveSpec>(self, spec: S) -> LivenessCheck {
        let checked = liveness::check(&spec, LivenessOptions::default()).expect("fits in memory");
        for l in &checked.lassos {
            replay_on_model(&spec, &l.trace).expect("a lasso is a behaviour of the model");
            let steps = &l.trace.steps;
            if !l.stutters {
                assert_eq!(
                    steps.last().map(|s| &s.state),
                    Some(&steps[l.loop_start].state)
                );
            }
        }
        checked
    }
}

fn live(v: Variant, b: Bounds, bug: Option<Bug>) -> LivenessCheck {
    liveness::with_live_spec(v, b, bug, Live)
}

struct Safety;
impl SpecVisitor for Safety {
    type Output = CheckReport;
    fn visit<S: Spec>(self, spec: S) -> CheckReport {
        let opts = CheckOptions {
            stop: Stop::Never,
            ..CheckOptions::default()
        };
        check(spec, opts).report
    }
}

fn in_flight(v: Variant, n: u8) -> Bounds {
    let mut b = liveness::default_bounds(v);
    b.network.max_in_flight = n;
    b
}

#[test]
fn correct_models_hold_and_the_checks_are_not_vacuous() {
    let mut kraft = in_flight(Variant::Kraft, 3);
    kraft.max_log = 0;
    for (v, b) in [
        (Variant::Raft, in_flight(Variant::Raft, 3)),
        (Variant::Kraft, kraft),
    ] {
        let r = live(v, b, None).report;
        for p in &r.properties {
            assert!(p.holds, "{v} {}: {p:?}", p.name);
            assert!(p.premise_states > 0 && p.goal_states > 0, "{v} {}", p.name);
            // Every leads-to property examined cycles; LeaderElected's region has none
            // (terms only grow while no leader exists).
            assert!(p.cycles > 0 || p.name == "LeaderElected", "{v} {}", p.name);
        }
    }
}

/// (bug, variant) → (steps before the loop, steps on the cycle; 0 = stuck), as measured.
fn expected_lasso(bug: Bug, v: Variant) -> (usize, usize) {
    match (bug, v) {
        (Bug::CommitNeedsEntries, Variant::Raft) => (11, 5),
        (Bug::RejectIgnored, Variant::Raft) => (19, 8),
        (Bug::CommitOnlyOnAppend, Variant::Raft) => (11, 5),
        (Bug::CommitOnlyOnAppend, Variant::Kraft) => (17, 6),
        (Bug::CandidateNoRetry, _) => (15, 0),
        (Bug::DivergingRefetch, Variant::Kraft) => (22, 6),
        (Bug::HwOnlyWithRecords, Variant::Kraft) => (17, 6),
        other => panic!("no expectation for {other:?}"),
    }
}

#[test]
fn each_liveness_bug_is_found_by_its_property() {
    for row in liveness::catalog() {
        let c = live(row.variant, row.bounds.clone(), Some(row.bug));
        let p = c
            .report
            .property(row.property)
            .expect("the row names a property");
        assert!(
            !p.holds,
            "{} {}: {} should be violated",
            row.variant, row.bug, row.property
        );
        let found = (p.prefix_steps.unwrap(), p.cycle_steps.unwrap());
        assert_eq!(
            found,
            expected_lasso(row.bug, row.variant),
            "{} {}",
            row.variant,
            row.bug
        );
    }
}

#[test]
fn no_safety_property_catches_a_liveness_bug() {
    for row in liveness::catalog() {
        let r = with_spec(row.variant, row.bounds.clone(), Some(row.bug), Safety);
        let violated: Vec<&str> = r.violated().map(|p| p.name.as_str()).collect();
        assert!(
            r.complete && violated.is_empty(),
            "{} {}: {violated:?}",
            row.variant,
            row.bug
        );
    }
}

#[test]
fn a_split_vote_the_term_bound_ends_is_not_a_violation_but_one_the_bug_ends_is() {
    for v in [Variant::Raft, Variant::Kraft] {
        let row = liveness::entry(v, Bug::CandidateNoRetry).expect("row");
        let correct = live(v, row.bounds.clone(), None).report;
        let p = correct.property("LeaderElected").unwrap();
        assert!(p.holds && p.bound_ended > 0, "{v}: {p:?}");
        let buggy = live(v, row.bounds, Some(row.bug)).report;
        let p = buggy.property("LeaderElected").unwrap();
        assert!(!p.holds && p.stuck_states > 0, "{v}: {p:?}");
    }
}

#[test]
fn a_lasso_is_written_as_itf_with_its_loop() {
    let row = liveness::entry(Variant::Raft, Bug::CommitNeedsEntries).unwrap();
    let c = live(row.variant, row.bounds, Some(row.bug));
    let l = &c.lassos[0];
    let itf: itf::Trace<serde_json::Value> =
        serde_json::from_value(l.to_itf()).expect("the itf crate reads it");
    assert_eq!(itf.loop_index, Some(l.loop_start as u64 + 1));
    assert_eq!(itf.states.len(), l.trace.steps.len());
    assert!(l.render().contains("cycle: from here"));
    // Read back: the loop (and a stuck end) survive the file.
    let stuck_row = liveness::entry(Variant::Raft, Bug::CandidateNoRetry).unwrap();
    let stuck = live(stuck_row.variant, stuck_row.bounds, Some(stuck_row.bug));
    for l in [l, &stuck.lassos[0]] {
        let back = LassoTrace::from_itf(&l.to_itf_string())
            .unwrap()
            .expect("has a loop");
        assert_eq!((back.loop_start, back.stutters), (l.loop_start, l.stutters));
    }
    assert!(stuck.lassos[0].stutters);
}

/// The properties are stated for S0 because the models are symmetric in their servers; stated
/// for S1 and S2 instead (judged on the same graph), every verdict is the same.
#[test]
fn properties_about_another_server_give_the_same_verdicts() {
    use raftspec_model::kraft::KraftModel;
    use raftspec_model::liveness::{kraft, raft};
    use raftspec_model::raft::RaftModel;
    for row in liveness::catalog() {
        let (b, bug) = (row.bounds.clone(), Some(row.bug));
        let opts = LivenessOptions::default();
        let checked = match row.variant {
            Variant::Raft => {
                let mut props = raft::properties_about::<0>();
                props.extend(raft::properties_about::<1>());
                props.extend(raft::properties_about::<2>());
                liveness::check_properties(&RaftModel::new(b, bug), props, opts)
            }
            Variant::Kraft => {
                let mut props = kraft::properties_about::<0>();
                props.extend(kraft::properties_about::<1>());
                props.extend(kraft::properties_about::<2>());
                liveness::check_properties(&KraftModel::new(b, bug), props, opts)
            }
        };
        let holds: Vec<bool> = checked
            .expect("fits")
            .report
            .properties
            .iter()
            .map(|p| p.holds)
            .collect();
        let per_server: Vec<&[bool]> = holds.chunks(holds.len() / 3).collect();
        assert!(
            per_server[0].contains(&false),
            "{} {}",
            row.variant,
            row.bug
        );
        assert_eq!(per_server[0], per_server[1], "{} {}", row.variant, row.bug);
        assert_eq!(per_server[0], per_server[2], "{} {}", row.variant, row.bug);
    }
}
