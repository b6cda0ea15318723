//! `raftspec check` and `raftspec bugs` from the outside: exit codes, JSON, ITF files.

mod support;

use std::path::Path;
use support::{
    assert_every_property_passes, doc_of, raftspec, report_of as json_of, tempdir, usage_error,
};

#[test]
fn default_raft_check_passes_with_every_witness() {
    let out = raftspec(&["check", "raft", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    for key in [
        "variant",
        "bounds",
        "unique_states",
        "total_states",
        "max_depth",
        "seconds",
    ] {
        assert!(r.get(key).is_some(), "JSON has {key}");
    }
    assert_eq!(r["variant"], "raft");
    assert!(r["unique_states"].as_u64().unwrap() > 1_000_000);
    assert!(r["properties"].as_array().unwrap().len() >= 12);
    assert_every_property_passes(&r["properties"]);
}

#[test]
fn figure8_fails_names_the_property_and_writes_itf() {
    let dir = tempdir("figure8");
    let out = raftspec(&[
        "check",
        "raft",
        "--bug",
        "figure8",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("LeaderCompleteness"), "{text}");
    assert!(text.contains("VIOLATED"), "{text}");
    assert!(
        text.contains("#/steps/0/"),
        "prints the Explorer link: {text}"
    );
    let file = dir.join("raft-figure8-LeaderCompleteness.itf.json");
    let itf = std::fs::read_to_string(&file).expect("ITF trace written");
    let trace: itf::Trace<ItfState> =
        itf::trace_from_str(&itf).expect("the itf crate reads our trace");
    assert_eq!(trace.states.len(), 27, "26 steps after the initial state");
    let last = &trace.states.last().unwrap().value;
    assert_eq!(last.action_taken, "HandleRequestVoteResponse");
    assert!(
        last.servers
            .iter()
            .any(|s| s.role == "Leader" && s.term == 4),
        "Figure 8 ends with a term-4 leader"
    );
    assert!(!last.committed.is_empty(), "something was committed before");
}

#[test]
fn json_reports_a_violation_with_its_path() {
    let dir = tempdir("double-vote");
    let out = raftspec(&[
        "check",
        "raft",
        "--bug",
        "double-vote",
        "--json",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_of(&out);
    let es = r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ElectionSafety")
        .unwrap()
        .clone();
    assert_eq!(es["verdict"], "violated");
    assert!(es["path"].as_str().unwrap().starts_with("0/"));
    // The report names the ITF file the counterexample went to.
    let trace = es["trace"]
        .as_str()
        .expect("the trace file is in the report");
    assert!(
        Path::new(trace).starts_with(&dir) && Path::new(trace).is_file(),
        "{trace}"
    );
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    for args in [
        vec!["check", "raft", "--servers", "0"],
        vec!["check", "raft", "--servers", "9"],
        vec!["check", "raft", "--max-term", "0"],
        vec!["check", "raft", "--bug", "no-such-bug"],
        vec!["check", "paxos"],
        vec!["check", "raft", "--symmetry", "--fifo"],
        vec!["check", "raft", "--threads", "0"],
    ] {
        usage_error(&args);
    }
}

/// Message loss on, at most two messages lost per run: the correct model passes with every
/// property holding and every witness reached (symmetry and the view keep verdicts; without
/// them this is 12.7M states at --max-drops 1, see README).
#[test]
fn drop_with_max_drops_2_passes_with_every_witness() {
    let out = raftspec(&[
        "check",
        "raft",
        "--drop",
        "--max-drops",
        "2",
        "--symmetry",
        "--view",
        "--threads",
        "2",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    assert_eq!(r["bounds"]["network"]["drop"], true);
    assert_eq!(r["bounds"]["network"]["max_drops"], 2);
    assert_eq!(r["complete"], true);
    assert_every_property_passes(&r["properties"]);
}

/// Each loss bound is a larger space than the one below it, and the human report prints it.
#[test]
fn max_drops_bounds_the_losses_and_is_printed() {
    let states = |extra: &[&str]| {
        let mut args = vec!["check", "raft", "--max-restarts", "0", "--max-log", "0"];
        args.extend_from_slice(extra);
        let out = raftspec(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{extra:?}: witnesses need a log"
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let n: u64 = text
            .split("explored:")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{extra:?}: {text}"));
        (n, text)
    };
    let (none, text) = states(&[]);
    assert!(text.contains("network=[no-drop "), "{text}");
    let (one, text) = states(&["--drop", "--max-drops", "1"]);
    assert!(text.contains("network=[drop<=1 "), "{text}");
    let (two, _) = states(&["--drop", "--max-drops", "2"]);
    let (off, _) = states(&["--no-drop"]);
    assert_eq!(off, none);
    assert!(none < one && one < two, "{none} < {one} < {two}");
}

/// A loss bound without loss, or of zero, is one clear line and exit 2.
#[test]
fn bad_loss_bounds_are_one_clear_line_and_exit_2() {
    for (args, says) in [
        (&["check", "raft", "--max-drops", "2"][..], "--drop"),
        (
            &["check", "raft", "--no-drop", "--max-drops", "2"],
            "--drop",
        ),
        (
            &["check", "raft", "--drop", "--max-drops", "0"],
            "--max-drops must be",
        ),
        (
            &["check", "kraft", "--drop", "--max-drops", "16"],
            "between 1 and 15",
        ),
    ] {
        let out = raftspec(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

/// `--drop` and `--no-drop` together are refused by every command that takes bounds.
#[test]
fn drop_and_no_drop_conflict_everywhere() {
    for cmd in [
        &["check", "raft"][..],
        &["explore", "raft"],
        &["graph", "raft", "--dot", "unused.dot"],
        &["compare"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--drop", "--no-drop"]);
        let out = raftspec(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot be used with"), "{args:?}: {err}");
    }
}

/// `graph` and `compare` accept the loss flags and use them.
#[test]
fn graph_and_compare_accept_loss_bounds() {
    let dir = tempdir("graph-drop");
    let dot = dir.join("g.dot");
    let small = [
        "--servers",
        "2",
        "--max-term",
        "1",
        "--max-log",
        "0",
        "--max-restarts",
        "0",
    ];
    let graph = |extra: &[&str]| {
        let mut args = vec!["graph", "raft", "--dot", dot.to_str().unwrap()];
        args.extend_from_slice(&small);
        args.extend_from_slice(extra);
        let out = raftspec(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        std::fs::read_to_string(&dot).unwrap().matches("->").count()
    };
    let lossless = graph(&[]);
    let lossy = graph(&["--drop", "--max-drops", "1"]);
    assert!(lossless < lossy, "{lossless} < {lossy} transitions");
    // compare needs a log entry: it measures a commit.
    let args = [
        "compare",
        "--servers",
        "2",
        "--max-term",
        "1",
        "--max-log",
        "1",
        "--max-restarts",
        "0",
        "--drop",
        "--max-drops",
        "1",
    ];
    let out = raftspec(&args);
    assert_eq!(out.status.code(), Some(0), "{args:?}");
}

#[test]
fn bugs_lists_the_catalog() {
    let out = raftspec(&["bugs", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let rows = doc_of(&out)["catalog"].clone();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["variant"] == "raft")
        .map(|r| r["bug"].as_str().unwrap())
        .collect();
    for bug in [
        "figure8",
        "vote-no-log-check",
        "vote-not-persisted",
        "double-vote",
        "truncate-on-stale-append",
        "commit-regress",
    ] {
        assert!(names.contains(&bug), "{bug} listed");
    }
}

/// Our ITF state, read through the itf crate as any ITF consumer would.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ItfState {
    action_taken: String,
    servers: Vec<ItfServer>,
    committed: Vec<ItfEntry>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
struct ItfServer {
    role: String,
    term: i64,
    log: Vec<ItfEntry>,
    commit_index: i64,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ItfEntry {
    term: i64,
    value: i64,
}
