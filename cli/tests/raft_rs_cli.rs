//! `--impl raft-rs` and `--flavor raft-rs` from the outside: exit codes, JSON, one-line errors.
#![cfg(feature = "raft-rs")]

use serde_json::Value;
use std::process::{Command, Output};

fn raftspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
        .args(args)
        .output()
        .expect("raftspec runs")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

const SMALL: [&str; 9] = [
    "--depth",
    "6",
    "--walks",
    "100",
    "--cases",
    "50",
    "--no-catalog",
    "--json",
    "--threads",
];

fn conform(extra: &[&str]) -> Output {
    let mut args = vec!["conform", "raft", "--impl", "raft-rs"];
    args.extend(SMALL);
    args.push("2");
    args.extend(extra);
    raftspec(&args)
}

#[test]
fn raft_rs_conforms_to_its_flavor_and_diverges_from_the_papers_raft() {
    let ok = conform(&[]);
    assert_eq!(ok.status.code(), Some(0));
    let j = &json_of(&ok)["reports"][0];
    assert_eq!(j["passed"], true);
    assert!(j["target"].as_str().unwrap().contains("raft-rs"));
    assert!(j["report"]["traces"].as_u64().unwrap() > 1000);

    let dir = std::env::temp_dir().join(format!("raftspec-rr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paper.itf.json");
    let bad = conform(&["--flavor", "raft", "--trace-out", file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let j = &json_of(&bad)["reports"][0];
    assert_eq!(j["passed"], false);
    assert_eq!(j["report"]["divergence"]["field"], "log");
    // The diverging trace, replayed: raft-rs diverges, raftspec's own core (which follows
    // the paper's model) conforms.
    let f = file.to_str().unwrap();
    assert_eq!(
        raftspec(&["replay", f, "--impl", "raft-rs"]).status.code(),
        Some(1)
    );
    assert_eq!(raftspec(&["replay", f]).status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wrapper_mutants_are_all_killed() {
    let o = conform(&["--mutants", "all"]);
    assert_eq!(o.status.code(), Some(0));
    let j = json_of(&o);
    assert_eq!(j["killed"], j["total"]);
    assert_eq!(j["total"], 5);
}

#[test]
fn the_flavor_is_checked_and_printed_in_the_bounds() {
    let o = raftspec(&[
        "check",
        "raft",
        "--flavor",
        "raft-rs",
        "--max-term",
        "1",
        "--max-restarts",
        "0",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("options=[raft-rs]"), "{out}");
    // One rule off: the options are listed one by one.
    let o = raftspec(&[
        "check",
        "raft",
        "--flavor",
        "raft-rs",
        "--option",
        "no-reject-hint",
        "--max-term",
        "1",
        "--max-restarts",
        "0",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("leader-noop") && !out.contains("reject-hint"),
        "{out}"
    );
}

#[test]
fn bad_flavor_input_is_one_line_and_exit_2() {
    for args in [
        &["check", "kraft", "--flavor", "raft-rs"][..],
        &["check", "raft", "--flavor", "foo"],
        &["check", "raft", "--option", "bogus"],
        &[
            "check",
            "raft",
            "--flavor",
            "raft-rs",
            "--max-term",
            "5",
            "--max-log",
            "2",
        ],
        &["conform", "kraft", "--impl", "raft-rs"],
        &["conform", "raft", "--impl", "other"],
        &["conform", "raft", "--impl", "raft-rs", "--mutant", "nope"],
    ] {
        let o = raftspec(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}
