//! Raft: a real cluster (timers, loopback TCP) recorded and validated against the model.

use raftspec_conformance::conform::{record_run, validate_recording, Target};
use raftspec_conformance::record::RecordOptions;
use raftspec_model::trace::Trace;
use raftspec_model::Variant;
use serde_json::{json, Value};

fn recorded(seed: u64, restarts: u8) -> Trace {
    let opts = RecordOptions {
        seed,
        restarts,
        ..RecordOptions::default()
    };
    record_run(Variant::Raft, &opts, &Target::correct(), &mut |_| {}).unwrap()
}

#[test]
fn a_recorded_cluster_run_validates_and_round_trips() {
    for (seed, restarts) in [(1, 1), (2, 2), (3, 0)] {
        let rec = recorded(seed, restarts);
        assert_eq!(rec.bounds.max_restarts, restarts);
        // Through the file format and back.
        let rec = Trace::from_itf(&rec.to_itf_string()).unwrap();
        let v = validate_recording(&rec, &Target::correct()).unwrap();
        let ok = v.validation.unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(ok.steps, rec.steps.len() - 1);
        assert!(ok.steps >= 15, "a run with an election and 4 requests");
        let n = v.round_trip.unwrap().unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(n + ok.stutters, ok.steps);
        // The run ends with every entry committed everywhere (4 unless an election lost one).
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

fn edit(rec: &Trace, f: impl FnOnce(&mut Value)) -> Trace {
    let mut doc = rec.to_itf();
    f(&mut doc);
    Trace::from_itf(&doc.to_string()).unwrap()
}

fn first_step(rec: &Trace, name: &str) -> usize {
    rec.steps
        .iter()
        .position(|s| s.action.as_ref().is_some_and(|a| a.name == name))
        .unwrap_or_else(|| panic!("no {name} step"))
}

#[test]
fn a_hand_edited_recording_is_rejected_at_the_edited_step() {
    let rec = recorded(4, 0);
    // A node's recorded state: the first AppendEntries handled leaves a log one entry short.
    let k = first_step(&rec, "HandleAppendEntriesRequest");
    let who = rec.steps[k].action.as_ref().unwrap().args["value"]["value"]["to"]
        .as_u64()
        .unwrap() as usize;
    let bad = edit(&rec, |d| {
        d["states"][k]["servers"][who]["commit"] = json!(99);
    });
    let d = validate_recording(&bad, &Target::correct())
        .unwrap()
        .validation
        .unwrap_err();
    assert_eq!(
        (d.step, d.node, d.field.as_str()),
        (k, Some(who as u8), "commit")
    );
    assert_eq!(d.actual, "99");
    assert_eq!(d.prefix.steps.len(), k + 1);

    // A message the implementation did not send: drop the RequestVotes of the first election.
    let k = first_step(&rec, "Timeout");
    let bad = edit(&rec, |d| d["states"][k]["sent"] = json!([]));
    let d = validate_recording(&bad, &Target::correct())
        .unwrap()
        .validation
        .unwrap_err();
    assert_eq!((d.step, d.field.as_str()), (k, "sent"), "{d}");

    // An action the model does not allow: a client request at a follower.
    let bad = edit(&rec, |d| {
        d["states"][1]["action_args"] = json!({"tag": "ClientRequest", "value": [0, 1]});
    });
    let d = validate_recording(&bad, &Target::correct())
        .unwrap()
        .validation
        .unwrap_err();
    assert_eq!((d.step, d.field.as_str()), (1, "action"), "{d}");
}

#[test]
fn a_model_trace_is_not_a_recording() {
    let spec = raftspec_model::raft::RaftModel::new(
        raftspec_conformance::conform::default_options(Variant::Raft).walk_bounds,
        None,
    );
    let t =
        Trace::from_actions(&spec, &[raftspec_model::raft::Action::ElectionTimeout(0)]).unwrap();
    let e = validate_recording(&t, &Target::correct()).err().unwrap();
    assert!(
        matches!(
            e,
            raftspec_conformance::record::RecordingError::NotARecording
        ),
        "{e}"
    );
    assert!(e.to_string().contains("not a recorded run"), "{e}");
}
