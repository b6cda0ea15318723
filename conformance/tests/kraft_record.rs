//! KRaft: a real cluster (timers, loopback TCP) recorded and validated against the model.

use raftspec_conformance::conform::{record_run, validate_recording, Target};
use raftspec_conformance::record::RecordOptions;
use raftspec_model::trace::Trace;
use raftspec_model::Variant;
use serde_json::json;

fn recorded(seed: u64, restarts: u8) -> Trace {
    let opts = RecordOptions {
        seed,
        restarts,
        requests: 3,
        ..RecordOptions::default()
    };
    record_run(Variant::Kraft, &opts, &Target::correct(), &mut |_| {}).unwrap()
}

#[test]
fn a_recorded_cluster_run_validates_and_round_trips() {
    for seed in [1, 2] {
        let rec = Trace::from_itf(&recorded(seed, 0).to_itf_string()).unwrap();
        let v = validate_recording(&rec, &Target::correct()).unwrap();
        let ok = v.validation.unwrap_or_else(|d| panic!("{d}"));
        assert!(ok.steps >= 20, "{} steps", ok.steps);
        let n = v.round_trip.unwrap().unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(n + ok.stutters, ok.steps);
        // The LeaderChange record(s) and the requests, committed everywhere.
        let last = rec.steps.last().unwrap().state["servers"]
            .as_array()
            .unwrap();
        for s in last {
            assert_eq!(
                s["commit"],
                json!(s["log"].as_array().unwrap().len()),
                "{s}"
            );
            assert_eq!(s["log"], last[0]["log"]);
        }
        assert!(last[0]["log"].as_array().unwrap().len() >= 3);
    }
}

/// A recorded run in which a KRaft server that knows a leader restarts validates: the model
/// restores the leader from the quorum-state file as the implementation does.
#[test]
fn a_recorded_leader_restart_validates() {
    let rec = recorded(3, 1);
    assert!(
        rec.steps
            .iter()
            .any(|s| s.action.as_ref().is_some_and(|a| a.name == "Restart")),
        "the recording has a restart"
    );
    let v = validate_recording(&rec, &Target::correct()).unwrap();
    if let Err(d) = &v.validation {
        panic!("{d}");
    }
}

#[test]
fn a_hand_edited_recording_is_rejected_at_the_edited_step() {
    let rec = recorded(4, 0);
    let k = rec.steps.len() / 2;
    let mut doc = rec.to_itf();
    doc["states"][k]["servers"][2]["log"] = json!([{"term": 99, "value": 9}]);
    let bad = Trace::from_itf(&doc.to_string()).unwrap();
    let d = validate_recording(&bad, &Target::correct())
        .unwrap()
        .validation
        .unwrap_err();
    assert_eq!(
        (d.step, d.node, d.field.as_str()),
        (k, Some(2), "log"),
        "{d}"
    );
}
