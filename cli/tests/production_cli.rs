//! `--config production` and `--flavor production` from the outside: exit codes, JSON,
//! one-line errors.

mod support;

use serde_json::Value;
use support::{raftspec, usage_error};

/// A small production suite: passes as is, diverges with pipelining left out of the model.
#[test]
fn production_config_conforms_and_its_options_matter() {
    let small = |extra: &[&str]| {
        let mut args = vec!["conform", "raft", "--config", "production", "--depth"];
        args.push("four-servers=6,five-servers=6,faults=5,replication=0,elections=0,mixed=0");
        args.extend(["--walks", "50", "--len", "30", "--cases", "20"]);
        args.extend(["--no-catalog", "--json", "--threads", "2"]);
        args.extend(extra);
        raftspec(&args)
    };
    let o = small(&[]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let r = &v["reports"][0];
    assert_eq!(o.status.code(), Some(0), "{r}");
    assert_eq!(r["config"], "production");
    let o = small(&["--option", "no-pipeline"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn the_production_flavor_is_checked_and_printed_in_the_bounds() {
    let o = raftspec(&[
        "check",
        "raft",
        "--flavor",
        "production",
        "--max-term",
        "1",
        "--max-restarts",
        "0",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("options=[batch=8 production]"), "{out}");
    // One term: witnesses that need two are missing, but no safety property fails.
    assert!(out.contains("violated []"), "{out}");
}

#[test]
fn bad_production_input_is_one_line_and_exit_2() {
    for args in [
        &["conform", "raft", "--config", "nope"][..],
        &["conform", "raft", "--config", "production", "--batch", "2"],
        &[
            "conform",
            "raft",
            "--config",
            "production",
            "--impl",
            "raft-rs",
        ],
        &[
            "check",
            "raft",
            "--flavor",
            "production",
            "--option",
            "bogus",
        ],
    ] {
        usage_error(args);
    }
}

/// A production trace written by `--trace-out` replays with `replay --config production` (the
/// correct cores follow it) and diverges with the model configuration's cores.
#[cfg(feature = "mutants")]
#[test]
fn a_production_trace_replays_in_production_config_only() {
    let dir = std::env::temp_dir().join(format!("raftspec-prod-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hint.itf.json");
    let f = file.to_str().unwrap();
    let o = raftspec(&[
        "conform",
        "raft",
        "--config",
        "production",
        "--mutant",
        "raft:hint-at-refused-index",
        "--trace-out",
        f,
    ]);
    assert_eq!(o.status.code(), Some(1), "the mutant is killed");
    let o = raftspec(&["replay", f, "--config", "production"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = raftspec(&["replay", f]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}
