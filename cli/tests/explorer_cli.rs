//! `raftspec trace`, `raftspec graph` and `raftspec explore` from the outside: pictures of
//! traces, state graphs, and clear errors (exit 2, one `error:` line) on bad input.

mod support;

use std::net::TcpListener;
use support::*;

fn assert_usage_error(out: &std::process::Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.contains("error:") && err.contains(needle),
        "stderr: {err}"
    );
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// A Figure 8 counterexample as an ITF file.
fn figure8_itf(dir: &std::path::Path) -> std::path::PathBuf {
    let out = raftspec(&[
        "check",
        "raft",
        "--bug",
        "figure8",
        "--json",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    dir.join("raft-figure8-LeaderCompleteness.itf.json")
}

#[test]
fn trace_draws_a_counterexample_as_svg_and_lists_its_steps() {
    let dir = tempdir("trace-svg");
    let itf = figure8_itf(&dir);
    let svg = dir.join("pictures/figure8.svg");
    let out = raftspec(&[
        "trace",
        itf.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let steps = text(&out.stdout);
    assert!(
        steps.contains("raft trace with bug figure8 (LeaderCompleteness): 26 steps"),
        "{steps}"
    );
    // The last step elects, in term 4, the leader that lacks the committed entry.
    let last = steps
        .lines()
        .find(|l| l.trim_start().starts_with("26. "))
        .unwrap_or_else(|| panic!("a step 26: {steps}"));
    assert!(
        last.contains("handles RequestVoteResponse") && last.contains("{term 4, granted}"),
        "{last}"
    );
    let pic = std::fs::read_to_string(&svg).expect("the SVG was written");
    assert!(pic.starts_with("<svg") && pic.trim_end().ends_with("</svg>"));
    assert_eq!(pic.matches(r#"class="lifeline-head""#).count(), 3);
    assert!(pic.contains("LeaderCompleteness violated"));
    assert!(
        pic.contains("Leader t4"),
        "role and term changes are marked"
    );
    assert!(pic.contains("commit 1"), "the commit index is marked");
    assert!(
        pic.contains(r#"class="log-cell""#),
        "logs are drawn as cells"
    );
    assert!(
        pic.contains(last.trim_start().trim_start_matches("26. ")),
        "the last step is drawn"
    );
    // Well-formed XML as far as a cheap check goes: every opened group is closed.
    assert_eq!(pic.matches("<g").count(), pic.matches("</g>").count());
}

#[test]
fn trace_rejects_malformed_files_with_one_error_line() {
    let dir = tempdir("trace-bad");
    let bad = dir.join("bad.itf.json");
    for (content, needle) in [
        ("{ not json", "not valid JSON"),
        ("{\"states\": []}", "has no states"),
        (
            "{\"#meta\": {\"variant\": \"paxos\", \"bounds\": \"{}\"}, \"states\": []}",
            "unknown variant",
        ),
    ] {
        std::fs::write(&bad, content).unwrap();
        let out = raftspec(&[
            "trace",
            bad.to_str().unwrap(),
            "--svg",
            dir.join("x.svg").to_str().unwrap(),
        ]);
        assert_usage_error(&out, needle);
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "one line: {}",
            text(&out.stderr)
        );
        assert!(!dir.join("x.svg").exists(), "no picture of a bad trace");
    }
    let out = raftspec(&["trace", dir.join("missing.itf.json").to_str().unwrap()]);
    assert_usage_error(&out, "cannot read");
}

#[test]
fn graph_exports_a_small_state_graph_as_dot() {
    let dir = tempdir("graph");
    let dot = dir.join("raft.dot");
    let out = raftspec(&[
        "graph",
        "raft",
        "--servers",
        "2",
        "--max-term",
        "1",
        "--max-log",
        "0",
        "--max-restarts",
        "0",
        "--dot",
        dot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    let states: usize = summary
        .lines()
        .find_map(|l| {
            l.split(" states (")
                .next()
                .filter(|_| l.contains(" states ("))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no state count in {summary}"));
    assert!(states > 3 && states <= 5000, "{summary}");
    let g = std::fs::read_to_string(&dot).unwrap();
    assert!(g.starts_with("digraph {"), "{}", &g[..g.len().min(200)]);
    assert_eq!(g.matches("shape=box").count(), states, "one node per state");
    assert!(g.contains("S0 Follower t0"), "readable node labels");
    assert!(g.contains("election timeout"), "readable edge labels");
    assert!(g.contains("Leader t1"), "an election is reachable");
}

#[test]
fn graph_refuses_bounds_with_too_many_states() {
    let dir = tempdir("graph-big");
    let dot = dir.join("big.dot");
    let out = raftspec(&[
        "graph",
        "raft",
        "--max-states",
        "50",
        "--dot",
        dot.to_str().unwrap(),
    ]);
    assert_usage_error(&out, "more than 50 states");
    assert!(!dot.exists());
    let out = raftspec(&["graph", "all", "--dot", dot.to_str().unwrap()]);
    assert_usage_error(&out, "one variant");
}

#[test]
fn explore_refuses_bad_arguments_clearly() {
    let out = raftspec(&["explore", "raft", "--bug", "no-such-bug"]);
    assert_usage_error(&out, "unknown bug");
    let out = raftspec(&["explore", "paxos"]);
    assert_usage_error(&out, "unknown variant");
    let out = raftspec(&["explore", "raft", "--servers", "9"]);
    assert_usage_error(&out, "--servers");
    let out = raftspec(&["explore", "raft", "--addr", "not an address"]);
    assert_usage_error(&out, "--addr");
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = raftspec(&["explore", "raft", "--addr", &addr]);
    assert_usage_error(&out, "cannot listen on");
}

#[test]
fn explore_serves_on_loopback_and_prints_the_url() {
    let ex = Explorer::start(&[
        "explore".into(),
        "raft".into(),
        "--addr".into(),
        "127.0.0.1:0".into(),
    ]);
    assert!(ex.url.starts_with("http://127.0.0.1:") && ex.url.ends_with('/'));
    let (code, page) = http_get(&ex.addr, "/").unwrap();
    assert_eq!(code, 200);
    assert!(page.contains("Explorer"));
    let (code, init) = http_get(&ex.addr, "/.states").unwrap();
    assert_eq!(code, 200);
    let init: serde_json::Value = serde_json::from_str(&init).unwrap();
    assert!(init[0]["svg"].as_str().unwrap().contains("raftspec-msc"));
    let (code, next) = http_get(&ex.addr, "/.states/0").unwrap();
    assert_eq!(code, 200);
    assert!(next.contains("election timeout"), "{next}");
}
