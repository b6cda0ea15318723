//! The diagram pipeline: raftspec's traces are read through the models' typed views, other
//! tools' traces through the JSON adapter, and both draw; the Figure 8 picture is a golden file.

use raftspec_model::bounds::{Bounds, NetworkSemantics};
use raftspec_model::check::{check, CheckOptions};
use raftspec_model::raft::RaftModel;
use raftspec_model::trace::{Trace, TraceAction, TraceStep};
use raftspec_model::{Bug, Spec, Variant};
use raftspec_view::svg::{flow, End};
use raftspec_view::{foreign, golden, render, Shown, Story};
use serde_json::{json, Value};
use stateright::{Model, Path};
use std::path::PathBuf;

fn figure8() -> (RaftModel, Trace) {
    let row = raftspec_model::bugs::entry(Variant::Raft, Bug::Figure8).expect("a catalog row");
    let spec = RaftModel::new(row.bounds.clone(), Some(Bug::Figure8));
    let out = check(spec.clone(), CheckOptions::default());
    let trace = out
        .counterexamples
        .into_iter()
        .next()
        .expect("figure8 is found");
    (spec, trace)
}

fn img(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../specs/img")
        .join(name)
}

/// specs/img/raft-figure8.svg is exactly what `raftspec trace --svg` draws today
/// (`RAFTSPEC_REWRITE=1 cargo test -p raftspec-view` redraws it).
#[test]
fn the_figure8_picture_is_golden() {
    let (_, trace) = figure8();
    let drawn = render(&trace);
    if let Err(e) = golden::check(&img("raft-figure8.svg"), &drawn) {
        panic!("{e}");
    }
}

/// The golden check fails on a changed picture, and says where.
#[test]
fn a_changed_picture_is_reported_as_a_diff() {
    let (_, trace) = figure8();
    let drawn = render(&trace);
    let changed = drawn.replacen("Leader t4", "Leader t5", 1);
    let diff = golden::diff(&changed, &drawn).expect("a difference");
    assert!(
        diff.contains("- expected:") && diff.contains("Leader t5"),
        "{diff}"
    );
    assert!(
        diff.contains("+ actual:") && diff.contains("Leader t4"),
        "{diff}"
    );
    let dir = std::env::temp_dir().join(format!("raftspec-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("changed.svg");
    std::fs::write(&file, &changed).unwrap();
    if std::env::var(golden::REWRITE).is_err() {
        let err = golden::check(&file, &drawn).expect_err("the changed expectation fails");
        assert!(err.to_string().contains("RAFTSPEC_REWRITE=1"), "{err}");
    }
}

/// A raftspec trace replays on its model: every step's event is the model's own typed view,
/// not a guess from JSON.
#[test]
fn own_traces_are_read_through_typed_views() {
    let (spec, trace) = figure8();
    let story = Story::from_trace(&trace);
    assert_eq!(story.frames.len(), trace.steps.len());
    for (frame, step) in story.frames.iter().zip(&trace.steps).skip(1) {
        let args = &step.action.as_ref().unwrap().args;
        let action = spec.action_from_json(args).unwrap();
        assert_eq!(frame.event.as_ref(), Some(&spec.event_view(&action)));
    }
    assert_ne!(
        story,
        foreign::story(&trace),
        "the adapter reads fields in JSON order"
    );
}

/// A trace the model does not produce (here one edited state) goes through the adapter.
#[test]
fn a_trace_that_does_not_replay_goes_through_the_adapter() {
    let (_, mut trace) = figure8();
    trace.steps[3].state["servers"][0]["term"] = json!(7);
    assert_eq!(Story::from_trace(&trace), foreign::story(&trace));
    assert!(render(&trace).contains("Follower t7"));
}

/// The Explorer's wrapper: the same properties with the same verdicts, and the pictures.
#[test]
fn the_explorer_wrapper_delegates_and_draws() {
    let (spec, trace) = figure8();
    let shown = Shown::new(spec.clone()).unwrap();
    let (inner, outer) = (spec.properties(), shown.properties());
    assert_eq!(inner.len(), outer.len());
    let init = spec.init_states().remove(0);
    let mut actions: Vec<_> = Vec::new();
    let (mut state, mut states) = (init.clone(), vec![init.clone()]);
    for step in &trace.steps[1..] {
        let a = spec
            .action_from_json(&step.action.as_ref().unwrap().args)
            .unwrap();
        state = spec.next_state(&state, a.clone()).unwrap();
        actions.push(a);
        states.push(state.clone());
    }
    for s in &states {
        for (p, q) in inner.iter().zip(&outer) {
            assert_eq!(p.name, q.name);
            assert_eq!(
                (p.condition)(&spec, s),
                (q.condition)(&shown, s),
                "{}",
                p.name
            );
        }
    }
    let path = Path::from_actions(&spec, init.clone(), &actions).unwrap();
    let svg = shown.as_svg(path).unwrap();
    assert!(svg.contains("LeaderCompleteness violated") && svg.contains("data-path="));
    let step = shown.format_step(&init, actions[0].clone()).unwrap();
    assert!(
        step.starts_with("What changed:") && step.contains("Candidate t1"),
        "{step}"
    );
}

fn bounds() -> Bounds {
    Bounds {
        servers: 2,
        max_term: 2,
        max_log: 2,
        values: 1,
        max_restarts: 1,
        network: NetworkSemantics {
            drop: true,
            reorder: true,
            max_copies: 2,
            max_in_flight: 4,
            max_drops: None,
        },
        options: Default::default(),
    }
}

fn step(label: &str, args: Value, state: Value) -> TraceStep {
    TraceStep {
        action: Some(TraceAction {
            name: args["tag"].as_str().unwrap_or("X").to_string(),
            args,
            label: label.to_string(),
        }),
        state,
    }
}

/// A KRaft-shaped trace from "another tool" (epochs, high watermark, a crash), by hand.
fn foreign_trace() -> Trace {
    let srv = |role: &str, epoch: i64, log: Value| {
        json!({"role": role, "epoch": epoch, "votedFor": {"tag": "None", "value": {"#tup": []}},
               "leader": {"tag": "Some", "value": 0}, "log": log, "highWatermark": 0})
    };
    let fetch =
        json!({"tag": "Fetch", "value": {"from": 1, "to": 0, "epoch": 1, "fetchOffset": 0}});
    let one = json!([{"epoch": 1, "value": 1}]);
    let state = |r1: &str, net: Value| json!({"servers": [srv("Leader", 1, one.clone()), srv(r1, 1, json!([]))], "network": net});
    let s0 = json!({"servers": [srv("Follower", 0, json!([])), srv("Follower", 0, json!([]))], "network": []});
    Trace {
        variant: Variant::Kraft,
        bounds: bounds(),
        bug: None,
        property: None,
        path: Some("0/1/2/3/4".into()),
        steps: vec![
            TraceStep {
                action: None,
                state: s0,
            },
            step(
                "S0 becomes leader",
                json!({"tag": "Elect", "value": 0}),
                state("Follower", json!([])),
            ),
            step(
                "S1 fetch timeout",
                json!({"tag": "FetchTimeout", "value": 1}),
                state("Follower", json!([{"msg": fetch, "copies": 1}])),
            ),
            step(
                "network drops Fetch",
                json!({"tag": "Drop", "value": fetch}),
                state("Follower", json!([])),
            ),
            step(
                "S1 crashes",
                json!({"tag": "Crash", "value": 1}),
                state("Down", json!([])),
            ),
        ],
    }
}

#[test]
fn a_foreign_trace_draws_epochs_hw_drop_and_crash() {
    let svg = render(&foreign_trace());
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(svg.contains(r#"data-path="0/1/2/3/4""#));
    assert!(svg.contains("Leader e1"), "epoch badges");
    assert!(svg.contains("HW 0"), "high watermark marked");
    assert!(svg.contains(r#"class="msg dropped""#), "the drop is drawn");
    assert!(svg.contains(r#"class="crash""#), "the crash is drawn");
    assert!(
        svg.contains(r#"data-role="down""#),
        "the down server is marked"
    );
    assert_eq!(svg.matches(r#"class="lifeline-head""#).count(), 2);
    assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
    assert!(
        !svg.contains("fill=\"#"),
        "colours come from the style sheet"
    );
}

#[test]
fn messages_are_followed_from_send_to_drop() {
    let story = foreign::story(&foreign_trace());
    let f = flow(&story.frames);
    assert_eq!(f.arrows.len(), 1);
    let a = &f.arrows[0];
    assert_eq!(
        (a.msg.from, a.msg.to, a.start, a.end),
        (1, 0, 2, End::Dropped(3))
    );
}

#[test]
fn odd_input_does_not_panic_and_text_is_escaped() {
    let mut t = foreign_trace();
    t.steps[1].state = json!({"servers": [1, "x", null], "network": [{"msg": 3}, "y"]});
    t.steps[2].state = json!(null);
    t.steps[3].action.as_mut().unwrap().args = json!([[{"from": 99, "to": -1}]]);
    t.steps[4].action.as_mut().unwrap().label = "<script>&".into();
    let svg = render(&t);
    assert!(svg.ends_with("</svg>"));
    assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;&amp;"));
    t.steps.truncate(1);
    assert!(render(&t).ends_with("</svg>"));
}

/// A liveness counterexample is drawn with its cycle, or the state it is stuck in, marked.
#[test]
fn a_lasso_is_drawn_with_its_cycle() {
    let (_, trace) = figure8();
    let last = trace.steps.len() - 1;
    let mut lasso = raftspec_model::liveness::LassoTrace {
        trace,
        loop_start: 20,
        stutters: false,
    };
    let svg = raftspec_view::render_lasso(&lasso);
    assert!(svg.contains(r#"<g class="lasso">"#) && svg.ends_with("</svg>"));
    assert!(svg.contains(&format!("cycle: steps 21..{last} repeat forever")));
    lasso.stutters = true;
    assert!(raftspec_view::render_lasso(&lasso).contains("stuck: no fair step enabled"));
}
