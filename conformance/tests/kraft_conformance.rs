//! KRaft: model traces replayed against the implementation, from every source.

use raftspec_conformance::conform::{
    catalog_results, conform, default_options, known_differences, replay_trace, Target,
};
use raftspec_conformance::sources::{random_walk, Rng};
use raftspec_model::kraft::KraftModel;
use raftspec_model::trace::Trace;
use raftspec_model::Variant;

#[test]
fn the_implementation_conforms_on_thousands_of_traces_from_every_source() {
    let mut opts = default_options(Variant::Kraft);
    for g in &mut opts.graphs {
        g.depth = g.depth.saturating_sub(3);
    }
    opts.walks = 500;
    opts.proptest_cases = 100;
    let r = conform(Variant::Kraft, &opts, &Target::correct(), &mut |_| {}).unwrap();
    assert!(r.divergence.is_none(), "{}", r.divergence.unwrap());
    assert!(r.traces > 30_000, "{} traces", r.traces);
    for g in &r.graphs {
        assert_eq!(g.edges_covered, g.edges, "{}: every edge replayed", g.name);
    }
}

/// The one known difference (specs/conformance.md): restarting a server that knows a leader.
/// The model restores a known leader on restart as Kafka's quorum-state file does, so no
/// difference is known and none is left out: walks with restarts of leaders and followers conform.
#[test]
fn restarts_of_servers_that_know_a_leader_conform() {
    assert!(known_differences(Variant::Kraft).is_empty());
    assert!(known_differences(Variant::Raft).is_empty());
    let mut opts = default_options(Variant::Kraft);
    opts.graphs.clear();
    opts.include_known_differences = true;
    let r = conform(Variant::Kraft, &opts, &Target::correct(), &mut |_| {}).unwrap();
    assert!(
        r.divergence.is_none(),
        "{:?}",
        r.divergence.map(|d| d.to_string())
    );
}

#[test]
fn every_catalog_counterexample_diverges() {
    let results = catalog_results(Variant::Kraft, &Target::correct(), &mut |_| {});
    let replayed: Vec<_> = results.iter().filter(|r| r.steps.is_some()).collect();
    assert!(
        replayed.len() >= 3,
        "{} rows with a counterexample",
        replayed.len()
    );
    for r in replayed {
        let d = r
            .divergence
            .as_ref()
            .unwrap_or_else(|| panic!("{}: the implementation must refuse the buggy model", r.bug));
        assert!(d.step <= r.steps.unwrap(), "{}: {d}", r.bug);
    }
}

#[test]
fn an_itf_file_replays_and_a_hand_edited_step_is_reported_at_that_step() {
    let spec = KraftModel::new(default_options(Variant::Kraft).walk_bounds, None);
    let actions = random_walk(
        &raftspec_conformance::protocol::WithoutKnownDifferences(spec.clone()),
        30,
        &mut Rng::new(5),
    );
    let trace = Trace::from_actions(&spec, &actions).unwrap();
    let text = trace.to_itf_string();
    let n = replay_trace(&Trace::from_itf(&text).unwrap(), &Target::correct())
        .unwrap()
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(n, actions.len());
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["states"][9]["servers"][1]["highWatermark"] = serde_json::json!(7);
    let err = replay_trace(
        &Trace::from_itf(&doc.to_string()).unwrap(),
        &Target::correct(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("step 9 "), "{err}");
}

#[cfg(feature = "mutants")]
#[test]
fn every_kraft_mutant_is_killed_and_its_trace_shrunk() {
    use raftspec_impl::core::Mutant;
    let all: Vec<Mutant> = Mutant::of_variant("kraft").collect();
    assert!(all.len() >= 6);
    let opts = default_options(Variant::Kraft);
    for m in all {
        let r = conform(Variant::Kraft, &opts, &Target::mutant(m), &mut |_| {}).unwrap();
        let d = r
            .divergence
            .unwrap_or_else(|| panic!("mutant {m} survived {} traces", r.traces));
        // Shrunk below the walk length (stale messages, now delivered, lengthen some traces).
        assert!(d.step <= 60, "{m}: {d}");
        assert!(d.known.is_none(), "{m} is killed by a real difference: {d}");
    }
}
