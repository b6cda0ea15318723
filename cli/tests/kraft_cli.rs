//! `raftspec check kraft` and `raftspec compare` from the outside: exit codes, the property
//! each catalog bug violates, ITF files, the comparison table.

mod support;

use serde_json::Value;
use support::{assert_every_property_passes, raftspec, tempdir, text};

#[test]
fn default_kraft_check_passes_with_every_witness() {
    let out = raftspec(&["check", "kraft", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let r = &doc["reports"][0];
    assert_eq!(r["variant"], "kraft");
    assert_eq!(r["complete"], true);
    assert_eq!(r["properties"].as_array().unwrap().len(), 17);
    assert_every_property_passes(&r["properties"]);
}

#[test]
fn every_kraft_catalog_bug_fails_naming_its_property_and_writes_itf() {
    let dir = tempdir("bugs");
    for (bug, property) in [
        ("hw-at-epoch-start", "LeaderCompleteness"),
        ("follower-hw-unclamped", "StateMachineSafety"),
        ("vote-no-log-check", "LeaderCompleteness"),
        ("vote-not-persisted", "ElectionSafety"),
        ("double-vote", "ElectionSafety"),
        ("commit-regress", "MonotonicHighWatermark"),
    ] {
        let out = raftspec(&[
            "check",
            "kraft",
            "--bug",
            bug,
            "--trace-out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{bug}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!("counterexample: {property} violated")),
            "{bug}:\n{stdout}"
        );
        let file = dir.join(format!("kraft-{bug}-{property}.itf.json"));
        let itf: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(itf["#meta"]["variant"], "kraft");
        assert!(itf["states"].as_array().unwrap().len() > 5);
        let trace: itf::Trace<ItfState> =
            itf::trace_from_str(&std::fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|e| panic!("{bug}: the itf crate reads the trace: {e}"));
        let last = &trace.states.last().unwrap().value;
        assert!(last.action_taken.starts_with("Handle") || last.action_taken == "Restart");
        assert!(last
            .servers
            .iter()
            .any(|s| s.role == "Leader" && s.epoch >= 1));
        assert!(last
            .servers
            .iter()
            .all(|s| s.log.iter().all(|e| e.epoch >= 1)));
        let _ = last.servers.iter().map(|s| s.high_watermark).sum::<i64>();
    }
}

#[test]
fn kraft_bounds_whose_logs_do_not_fit_are_usage_errors() {
    let out = raftspec(&["check", "kraft", "--max-term", "8", "--max-log", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--max-term + --max-log"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn compare_prints_the_push_pull_table() {
    let out = raftspec(&["compare"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for row in [
        "reachable states",
        "elect a leader: messages sent",
        "commit one entry: steps (depth to first commit)",
        "commit one entry: messages delivered",
    ] {
        assert!(stdout.contains(row), "{row}:\n{stdout}");
    }
    let out = raftspec(&["compare", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(
        (&r["command"], &r["passed"]),
        (&"compare".into(), &true.into())
    );
    let rows = r["reports"].as_array().unwrap();
    let get = |v: &str, w: &str, k: &str| {
        rows.iter().find(|x| x["variant"] == v).unwrap()[w][k]
            .as_u64()
            .unwrap()
    };
    // specs/push-vs-pull.md, "Measured on the models".
    assert_eq!(get("raft", "entry_committed", "steps"), 7);
    assert_eq!(get("kraft", "entry_committed", "steps"), 13);
    assert_eq!(get("raft", "entry_committed", "delivered"), 4);
    assert_eq!(get("kraft", "entry_committed", "delivered"), 8);
    assert_eq!(get("raft", "entry_committed", "sent"), 6);
    assert_eq!(get("kraft", "entry_committed", "sent"), 11);
    assert_eq!(get("raft", "leader_elected", "sent"), 3);
    assert_eq!(get("kraft", "leader_elected", "sent"), 5);
}

#[derive(serde::Deserialize)]
struct ItfState {
    action_taken: String,
    servers: Vec<ItfServer>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItfServer {
    role: String,
    epoch: i64,
    log: Vec<ItfEntry>,
    high_watermark: i64,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ItfEntry {
    epoch: i64,
    value: i64,
}
