//! `raftspec check --engine ...`, the engine's options and `raftspec bench engine`, from the
//! outside: the same counts from both engines, machine-readable memory figures, bad input
//! refused with exit 2.

mod support;

use serde_json::Value;
use support::{raftspec, usage_error};

/// The JSON of a run that must pass.
fn passing(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    support::json_of(out)
}

const SMALL: &[&str] = &["--max-in-flight", "3"];

fn check(variant: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", variant, "--json"];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    let doc = passing(&raftspec(&args));
    assert_eq!(doc["reports"].as_array().map(Vec::len), Some(1), "{doc}");
    doc["reports"][0].clone()
}

#[test]
fn both_engines_report_the_same_state_space() {
    for v in ["raft", "kraft"] {
        let ours = check(v, &[]);
        let theirs = check(v, &["--engine", "stateright"]);
        assert_eq!(ours["engine"], "raftspec");
        assert_eq!(theirs["engine"], "stateright");
        for k in ["unique_states", "total_states", "max_depth"] {
            assert_eq!(ours[k], theirs[k], "{v}: {k}");
        }
        for k in ["threads", "peak_memory_bytes", "bytes_per_state"] {
            assert!(
                ours[k].as_f64().is_some_and(|x| x > 0.0),
                "{v}: {k} = {}",
                ours[k]
            );
        }
    }
}

#[test]
fn symmetric_counts_are_the_same_at_every_thread_count() {
    let one = check("raft", &["--symmetry"]);
    let two = check("raft", &["--symmetry", "--threads", "2"]);
    let plain = check("raft", &[]);
    assert_eq!(one["unique_states"], two["unique_states"]);
    assert_eq!(one["total_states"], two["total_states"]);
    let ratio = plain["unique_states"].as_f64().unwrap() / one["unique_states"].as_f64().unwrap();
    assert!(ratio > 4.5, "symmetry reduces only {ratio:.2}x");
}

#[test]
fn a_run_past_its_memory_limit_spills_and_keeps_its_result() {
    let dir = std::env::temp_dir().join(format!("raftspec-spill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spilled = check(
        "raft",
        &["--memory-limit", "1M", "--spill-dir", dir.to_str().unwrap()],
    );
    let in_ram = check("raft", &[]);
    assert!(spilled["spilled_bytes"].as_u64().unwrap() > 0);
    assert_eq!(spilled["unique_states"], in_ram["unique_states"]);
    assert_eq!(spilled["properties"], in_ram["properties"]);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "the spill file is removed: {left:?}");
}

#[test]
fn bad_engine_options_are_refused_with_exit_2() {
    for args in [
        &["check", "raft", "--threads", "0"][..],
        &["check", "raft", "--threads", "40000"],
        &["check", "raft", "--engine", "tlc"],
        &["check", "raft", "--memory-limit", "lots"],
        &["check", "raft", "--memory-limit", "0"],
        &["check", "raft", "--view", "--engine", "stateright"],
        &[
            "check",
            "raft",
            "--memory-limit",
            "1G",
            "--engine",
            "stateright",
        ],
        &[
            "check",
            "raft",
            "--memory-limit",
            "1G",
            "--spill-dir",
            "/nonexistent/dir",
        ],
    ] {
        usage_error(args);
    }
}

#[test]
fn bench_engine_measures_both_engines_side_by_side() {
    let out = raftspec(&[
        "bench",
        "engine",
        "raft",
        "--max-in-flight",
        "3",
        "--threads",
        "2",
        "--json",
    ]);
    let r = passing(&out);
    assert_eq!(r["command"], "bench engine");
    let b = &r["reports"][0];
    assert_eq!(b["passed"], true);
    assert_eq!(b["runs"].as_array().unwrap().len(), 7);
    let engines: Vec<&str> = b["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["engine"].as_str().unwrap())
        .collect();
    assert!(engines.contains(&"raftspec") && engines.contains(&"stateright"));
    for k in [
        "speed_1_thread",
        "raftspec_thread_scaling",
        "memory",
        "symmetry_reduction",
    ] {
        assert!(b["ratios"][k].as_f64().is_some_and(|x| x > 0.0), "{k}");
    }
    assert_eq!(b["ratios"]["symmetric_counts_identical"], true);
}
