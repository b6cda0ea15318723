//! `raftspec conform`, `replay`, `record` and `validate` from the outside: exit codes, JSON,
//! one-line errors, hand-edited files reported at the edited step.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Output};

fn raftspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
        .args(args)
        .output()
        .expect("raftspec runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The whole `--json` document (specs/json.md).
fn doc_of(o: &Output) -> Value {
    let d: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}):\n{}\n{}", stdout(o), stderr(o)));
    assert_eq!(d["schema_version"], json!(1), "{d}");
    d
}

/// The one report of a `--json` document, whose verdict is the document's.
fn json_of(o: &Output) -> Value {
    let d = doc_of(o);
    let reports = d["reports"].as_array().expect("a reports list");
    assert_eq!(reports.len(), 1, "{d}");
    assert_eq!(reports[0]["passed"], d["passed"]);
    reports[0].clone()
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("raftspec-conform-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One error line on stderr and exit 2.
fn assert_bad_input(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
}

#[test]
fn conform_raft_replays_thousands_of_traces_and_exits_0() {
    let o = raftspec(&[
        "conform", "raft", "--depth", "7", "--walks", "300", "--cases", "50", "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json_of(&o);
    assert_eq!(r["passed"], json!(true));
    assert!(
        r["report"]["traces"].as_u64().unwrap() > 10_000,
        "{}",
        r["report"]
    );
    for g in r["report"]["graphs"].as_array().unwrap() {
        assert_eq!(g["edges_covered"], g["edges"], "{g}");
        assert_eq!(g["depth"], json!(7));
    }
    let catalog = r["catalog"].as_array().unwrap();
    assert_eq!(catalog.len(), 10);
    assert!(catalog.iter().all(|c| c["divergence"]["step"].is_u64()));

    // The human report names every source and the result.
    let o = raftspec(&[
        "conform", "raft", "--depth", "5", "--walks", "50", "--cases", "10",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "exhaustive faults",
        "walks:",
        "proptest:",
        "catalog:    10/10",
        "CONFORMS",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
}

#[test]
fn conform_kraft_replays_thousands_of_traces_and_exits_0() {
    let o = raftspec(&[
        "conform", "kraft", "--depth", "7", "--walks", "300", "--cases", "50", "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json_of(&o);
    assert_eq!(r["passed"], json!(true));
    assert_eq!(r["variant"], "kraft");
    assert!(
        r["report"]["traces"].as_u64().unwrap() > 5_000,
        "{}",
        r["report"]
    );
    // The model restores a known leader on restart as Kafka does: nothing is left out.
    let known = r["known_differences_left_out"].as_array().unwrap();
    assert!(known.is_empty(), "{known:?}");
    // Record a real KRaft cluster and validate it.
    let dir = tempdir("kraft");
    let file = dir.join("run.itf.json");
    let o = raftspec(&["record", "kraft", "--out", file.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json_of(&o)["valid"], json!(true));
    let o = raftspec(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conform_usage_errors_exit_2() {
    assert_bad_input(&raftspec(&["conform", "paxos"]), "unknown variant");
    assert_bad_input(&raftspec(&["conform", "raft", "--depth", "0"]), "--depth");
    assert_bad_input(
        &raftspec(&["conform", "raft", "--depth", "nope=3"]),
        "no graph \"nope\"",
    );
    assert_bad_input(
        &raftspec(&["conform", "raft", "--depth", "faults=41"]),
        "--depth",
    );
    assert_bad_input(
        &raftspec(&["conform", "raft", "--threads", "0"]),
        "--threads",
    );
    assert_bad_input(
        &raftspec(&["conform", "raft", "--mutants", "some"]),
        "--mutants",
    );
}

#[cfg(feature = "mutants")]
#[test]
fn conform_raft_kills_every_mutant() {
    let o = raftspec(&["conform", "raft", "--mutants", "all", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let r = doc_of(&o);
    assert!(r["total"].as_u64().unwrap() >= 19);
    assert_eq!(r["killed"], r["total"]);
    assert_eq!(r["kill_rate"], json!(1.0));
    assert_eq!(r["passed"], json!(true));
    for m in r["reports"].as_array().unwrap() {
        assert_eq!(m["killed"], json!(true), "{m}");
        assert_eq!(m["passed"], json!(true), "{m}");
        assert!(m["divergence"]["prefix_itf"]["states"].is_array());
    }
    let total = r["total"].as_u64().unwrap();
    let o = raftspec(&["conform", "raft", "--mutants", "all"]);
    assert!(
        stdout(&o).contains(&format!("kill rate:  {total}/{total} (100%)")),
        "{}",
        stdout(&o)
    );

    // One mutant: a divergence, exit 1, with the report and the trace up to it as ITF,
    // which the correct implementation follows to its end under `replay`.
    let dir = tempdir("mutant");
    let itf = dir.join("div.itf.json");
    let o = raftspec(&[
        "conform",
        "raft",
        "--mutant",
        "raft:double-vote",
        "--trace-out",
        itf.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("DIVERGES") && out.contains("field:    votedFor"),
        "{out}"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&itf).unwrap()).unwrap();
    let steps = doc["states"].as_array().unwrap().len() - 1;
    let o = raftspec(&["replay", itf.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json_of(&o)["steps"], json!(steps));
    let _ = std::fs::remove_dir_all(&dir);
    // A KRaft mutant is not a Raft mutant.
    assert_bad_input(
        &raftspec(&["conform", "raft", "--mutant", "kraft:double-vote"]),
        "not a raft mutant",
    );
    assert_bad_input(
        &raftspec(&["conform", "raft", "--mutant", "nope"]),
        "unknown mutant",
    );
}

#[cfg(not(feature = "mutants"))]
#[test]
fn without_the_mutants_feature_mutant_runs_are_refused() {
    assert_bad_input(
        &raftspec(&["conform", "raft", "--mutants", "all"]),
        "--features mutants",
    );
}

/// A bug-catalog counterexample written by `check` is a model trace the implementation
/// refuses; the same file with one state edited is refused by the model at that step.
#[test]
fn replay_reports_divergences_and_hand_edited_steps() {
    let dir = tempdir("replay");
    let o = raftspec(&[
        "check",
        "raft",
        "--bug",
        "double-vote",
        "--trace-out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".itf.json"))
        .expect("check wrote an ITF trace");
    let f = file.to_str().unwrap();

    let o = raftspec(&["replay", f, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json_of(&o);
    assert_eq!(r["model"], "accepts");
    assert_eq!(r["implementation"], "diverges");
    // A server votes a second time in one term; the implementation keeps its first vote.
    assert!(r["divergence"]["step"].as_u64().is_some_and(|s| s <= 6));
    let action = r["divergence"]["action"].as_str().unwrap();
    assert!(action.contains("handles RequestVote "), "{action}");
    assert_eq!(r["divergence"]["field"], "votedFor");

    // Hand-edit step 3: a server's term changes. The model rejects the trace at step 3.
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["states"][3]["servers"][2]["term"] = json!(5);
    let edited = dir.join("edited.itf.json");
    std::fs::write(&edited, doc.to_string()).unwrap();
    let o = raftspec(&["replay", edited.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("does not allow this trace") && out.contains("step 3 "),
        "{out}"
    );

    // Malformed and foreign files: one line, exit 2.
    let bad = dir.join("bad.itf.json");
    std::fs::write(&bad, "{\"#meta\": {\"variant\": \"raft\"}, \"states\": [").unwrap();
    assert_bad_input(
        &raftspec(&["replay", bad.to_str().unwrap()]),
        "not valid JSON",
    );
    // A Raft trace that claims to be KRaft's: not a trace of that model.
    let mut other = doc.clone();
    other["#meta"]["variant"] = json!("kraft");
    std::fs::write(&bad, other.to_string()).unwrap();
    assert_bad_input(
        &raftspec(&["replay", bad.to_str().unwrap()]),
        "not a kraft trace",
    );
    doc["#meta"]["variant"] = json!("paxos");
    std::fs::write(&bad, doc.to_string()).unwrap();
    assert_bad_input(&raftspec(&["replay", bad.to_str().unwrap()]), "paxos");
    assert_bad_input(&raftspec(&["replay", "/no/such/file"]), "cannot read");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn record_then_validate_a_real_cluster_run() {
    let dir = tempdir("record");
    let file = dir.join("run.itf.json");
    let f = file.to_str().unwrap();
    let o = raftspec(&["record", "raft", "--out", f, "--restarts", "1", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json_of(&o)["valid"], json!(true));

    let o = raftspec(&["validate", f]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("VALID") && out.contains("round trip"), "{out}");

    // One recorded state edited: reported at that step.
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    doc["states"][2]["servers"][0]["term"] = json!(9);
    let edited = dir.join("edited.itf.json");
    std::fs::write(&edited, doc.to_string()).unwrap();
    let o = raftspec(&["validate", edited.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json_of(&o);
    assert_eq!(r["valid"], json!(false));
    assert_eq!(r["divergence"]["step"], json!(2));
    assert_eq!(r["divergence"]["field"], "term");
    assert_eq!(r["divergence"]["actual"], "9");

    // A recording is not a model trace, and a model trace is not a recording.
    assert_bad_input(&raftspec(&["replay", f]), "raftspec validate");
    let trace = dir.join("trace.itf.json");
    let o = raftspec(&[
        "check",
        "raft",
        "--bug",
        "double-vote",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let written = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("double-vote"))
        .unwrap();
    std::fs::rename(written, &trace).unwrap();
    assert_bad_input(
        &raftspec(&["validate", trace.to_str().unwrap()]),
        "not a recorded run",
    );
    assert_bad_input(
        &raftspec(&["record", "raft", "--out", f, "--requests", "9"]),
        "--requests",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--depth NAME=D` sets one graph's depth and 0 leaves a graph out; the JSON report carries
/// the walks' coverage and (instrumented build) the rule branches hit per source.
#[test]
fn conform_per_graph_depth_and_coverage_report() {
    let o = raftspec(&[
        "conform",
        "raft",
        "--depth",
        "four-servers=4,five-servers=0,faults=0,replication=0,elections=0,mixed=0",
        "--walks",
        "30",
        "--cases",
        "5",
        "--no-catalog",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let r = json_of(&o);
    let graphs = r["report"]["graphs"].as_array().unwrap();
    assert_eq!(graphs.len(), 1);
    assert_eq!(graphs[0]["name"], json!("four servers"));
    assert_eq!(graphs[0]["depth"], json!(4));
    assert!(r["report"]["walk_states"].as_u64().unwrap() > 30);
    assert!(r["report"]["walk_kinds"].as_u64().unwrap() > 5);
    let rules = r["report"]["rules"].as_array().unwrap();
    if cfg!(feature = "mutants") {
        let all = rules.iter().find(|c| c["source"] == "all sources").unwrap();
        assert!(all["hit"].as_u64().unwrap() > 10, "{all}");
        assert_eq!(all["total"], json!(23));
    } else {
        assert!(rules.is_empty());
    }
}

/// A trace checked with per-peer sends replays on the model, but the implementation has no
/// per-peer send: `replay` refuses it in one line; the same bug's atomic-broadcast trace
/// replays (and diverges, exit 1).
#[test]
fn replay_refuses_a_per_peer_trace() {
    let trace = |name: &str, extra: &[&str]| {
        let dir = tempdir(name);
        let d = dir.to_str().unwrap();
        let mut args = vec!["check", "raft", "--bug", "double-vote", "--trace-out", d];
        args.extend(extra);
        assert_eq!(raftspec(&args).status.code(), Some(1));
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".itf.json"))
            .expect("check wrote an ITF trace")
    };
    let per_peer = trace("per-peer", &["--per-peer"]);
    assert_bad_input(
        &raftspec(&["replay", per_peer.to_str().unwrap()]),
        "per-peer",
    );
    let atomic = trace("atomic", &[]);
    assert_eq!(
        raftspec(&["replay", atomic.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}
