//! `raftspec check --liveness` from the outside: exit codes, the lasso's ITF file, refusals.

use std::process::{Command, Output};

fn raftspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
        .args(args)
        .output()
        .expect("raftspec runs")
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("raftspec-liveness-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn the_correct_model_passes_with_its_bounds_printed() {
    let out = raftspec(&["check", "raft", "--liveness", "--max-in-flight", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("bounds:     servers=3 max-term=2"), "{text}");
    assert!(text.contains("ok   FollowersCatchUp"), "{text}");
    assert!(text.contains("result:     PASS"), "{text}");
}

#[test]
fn a_liveness_bug_fails_with_a_lasso_written_as_itf() {
    let dir = tempdir("lasso");
    let d = dir.to_str().unwrap();
    let args = [
        "check",
        "kraft",
        "--liveness",
        "--bug",
        "diverging-refetch",
        "--json",
        "--trace-out",
        d,
    ];
    let out = raftspec(&args);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(doc["passed"], false);
    let r = &doc["reports"][0];
    assert_eq!(r["passed"], false);
    let p = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "DivergenceResolved")
        .expect("listed");
    assert_eq!(p["holds"], false);
    let file = p["trace"].as_str().expect("a trace file");
    let itf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let (states, loop_at) = (
        itf["states"].as_array().unwrap().len(),
        itf["loop"].as_u64().unwrap(),
    );
    assert!((loop_at as usize) < states);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn safety_only_flags_are_refused() {
    for flag in ["--symmetry", "--view"] {
        let out = raftspec(&["check", "raft", "--liveness", flag]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(err.starts_with("error: --liveness does not take"), "{err}");
    }
}

#[test]
fn bugs_lists_the_liveness_bugs() {
    let out = raftspec(&["bugs"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for bug in [
        "commit-needs-entries",
        "reject-ignored",
        "candidate-no-retry",
        "diverging-refetch",
        "hw-only-with-records",
        "commit-only-on-append",
    ] {
        assert!(text.contains(bug), "{bug} listed");
    }
    assert!(text.contains("--liveness --bug diverging-refetch"));
}

#[test]
fn a_graph_past_the_memory_limit_is_one_error_line() {
    let out = raftspec(&["check", "kraft", "--liveness", "--memory-limit", "20M"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("error: the liveness graph passed 20 MiB"),
        "{err}"
    );
}

#[test]
fn a_liveness_bug_without_liveness_says_to_add_it() {
    let out = raftspec(&["check", "raft", "--bug", "reject-ignored"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("is a liveness bug") && err.contains("--liveness"),
        "{err}"
    );
}
