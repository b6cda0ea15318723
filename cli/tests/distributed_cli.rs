//! `raftspec check --engine timely` and `raftspec hunt` from the outside: the timely engine
//! gives the single-machine engine's counts, verdicts and counterexample lengths at 1, 2 and 4
//! workers and across 2 local processes over loopback TCP (a violation included); a hunt finds
//! a catalog bug and reports nothing on the correct model; bad input is one `error:` line.

mod support;

use serde_json::Value;
use support::{raftspec, usage_error};

/// The figures that must not depend on the engine or its parallelism.
fn figures(v: &Value) -> Value {
    let props: Vec<Value> = v["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .map(|p| serde_json::json!([p["name"], p["verdict"], p["steps"]]))
        .collect();
    serde_json::json!({
        "unique": v["unique_states"],
        "total": v["total_states"],
        "depth": v["max_depth"],
        "complete": v["complete"],
        "properties": props,
    })
}

fn run_json(args: &[&str], expect: i32) -> Value {
    let out = raftspec(args);
    assert_eq!(
        out.status.code(),
        Some(expect),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    support::json_of(&out)
}

/// Runs `base` on every engine setting; returns the single-machine figures.
fn same_as_single_machine(base: &[&str], processes: bool) -> Value {
    let trace_dir = support::tempdir("dist-traces");
    let dir = trace_dir.to_str().expect("utf-8 path");
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        a.extend(["--json", "--trace-out", dir].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| raftspec(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let first = run(args(&[]));
    let expect = first.status.code().expect("an exit code");
    let single = support::json_of(&first)["reports"][0].clone();
    let with = |extra: &[&'static str]| {
        let out = run(args(extra));
        assert_eq!(
            out.status.code(),
            Some(expect),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        support::json_of(&out)["reports"][0].clone()
    };
    assert_eq!(single["engine"], "raftspec");
    let expected = figures(&single);
    for w in ["1", "2", "4"] {
        let t = with(&["--engine", "timely", "--workers", w]);
        assert_eq!(t["engine"], "timely");
        assert_eq!(figures(&t), expected, "{base:?} on {w} workers");
        assert_eq!(t["distributed"]["remote_bytes"], 0, "one process");
    }
    if processes {
        let t = with(&["--engine", "timely", "--processes", "2"]);
        assert_eq!(figures(&t), expected, "{base:?} on 2 processes");
        let d = &t["distributed"];
        assert_eq!(d["workers"], 2);
        assert!(
            d["remote_bytes"].as_u64().unwrap() > 0,
            "states crossed the wire"
        );
        assert_eq!(d["peak_memory_per_process"].as_array().unwrap().len(), 2);
    }
    expected
}

#[test]
fn timely_matches_the_single_machine_engine_on_a_correct_model() {
    // 43,319 states, every property judged on a complete run (no restart: a witness is
    // missing, so the exit code is 1 from every engine).
    let base = [
        "check",
        "raft",
        "--max-term",
        "1",
        "--max-log",
        "1",
        "--max-restarts",
        "0",
    ];
    let single = same_as_single_machine(&base, true);
    assert_eq!(single["complete"], true);
}

#[test]
fn timely_matches_the_single_machine_engine_on_a_catalog_bug() {
    let single = same_as_single_machine(&["check", "raft", "--bug", "double-vote"], true);
    assert!(
        single.to_string().contains("\"violated\""),
        "the bug is found: {single}"
    );
    // Symmetry: paths are rebuilt through representatives, across workers.
    let single = same_as_single_machine(
        &["check", "kraft", "--bug", "double-vote", "--symmetry"],
        false,
    );
    assert!(
        single.to_string().contains("\"violated\""),
        "the bug is found: {single}"
    );
}

#[test]
fn hunt_finds_a_catalog_bug_and_nothing_on_the_correct_model() {
    let dir = support::tempdir("hunt-traces");
    let dir = dir.to_str().expect("utf-8 path");
    let common = [
        "--seconds",
        "2",
        "--threads",
        "2",
        "--json",
        "--trace-out",
        dir,
    ];
    let mut buggy = vec!["hunt", "raft", "--bug", "double-vote"];
    buggy.extend_from_slice(&common);
    let doc = run_json(&buggy, 1);
    assert_eq!(doc["passed"], false);
    let found = &doc["reports"][0];
    let f = found["findings"].as_array().unwrap();
    let v = f
        .iter()
        .find(|x| x["name"] == "ElectionSafety")
        .expect("the catalog's property is violated");
    assert_eq!(v["verdict"], "violated");
    assert!(v["hits"].as_u64().unwrap() >= 1);
    assert!(v["steps"].as_u64().unwrap() <= v["walk_steps"].as_u64().unwrap());
    assert!(std::path::Path::new(v["trace"].as_str().unwrap()).exists());
    assert_eq!(found["complete"], false);

    let mut correct = vec!["hunt", "raft"];
    correct.extend_from_slice(&common);
    let doc = run_json(&correct, 0);
    assert_eq!(doc["passed"], true);
    let clean = &doc["reports"][0];
    let f = clean["findings"].as_array().unwrap();
    assert!(f.iter().all(|x| x["expectation"] == "sometimes"), "{f:?}");
    assert!(
        f.iter().any(|x| x["name"] == "EntryCommitted"),
        "walks go deep"
    );
    assert!(clean["distinct_states"].as_u64().unwrap() > 1000);
    assert!(clean["walks"].as_u64().unwrap() > 10);
}

#[test]
fn bad_distributed_input_is_one_error_line() {
    for args in [
        &["check", "raft", "--workers", "2"][..],
        &["check", "raft", "--engine", "timely", "--process", "1"],
        &[
            "check",
            "raft",
            "--engine",
            "timely",
            "--processes",
            "2",
            "--process",
            "2",
        ],
        &[
            "check",
            "raft",
            "--engine",
            "timely",
            "--processes",
            "2",
            "--process",
            "0",
            "--hosts",
            "/nonexistent/hosts",
        ],
        &[
            "check",
            "raft",
            "--engine",
            "timely",
            "--memory-limit",
            "1G",
        ],
        &["hunt", "raft", "--seconds", "0"],
        &["hunt", "all"],
    ] {
        usage_error(args);
    }
}
