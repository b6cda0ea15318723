//! Profiles and the catalog's mutation score, from the outside.

mod support;

use support::{json_of as json, raftspec, report_of};

#[test]
fn the_deep_profile_sets_its_bounds_and_symmetry_and_flags_still_override() {
    // One epoch keeps the run tiny; everything else comes from the profile.
    let out = raftspec(&[
        "check",
        "kraft",
        "--profile",
        "deep",
        "--max-term",
        "1",
        "--json",
    ]);
    let all = json(&out);
    let runs = all["reports"].as_array().expect("deep has several runs");
    assert_eq!(runs.len(), 2);
    let r = &runs[0];
    assert_eq!(r["run"], "deep");
    let b = &r["bounds"];
    assert_eq!(b["max_term"], 1, "the flag overrides the profile");
    assert_eq!(b["max_log"], 2);
    assert_eq!(b["max_restarts"], 1);
    assert_eq!(b["network"]["drop"], true);
    assert_eq!(b["network"]["max_drops"], 1);
    assert_eq!(r["symmetry"], true, "deep runs with symmetry");
    // The long-history run: no restart, so its restart witness is met by the first run.
    let h = &runs[1];
    assert_eq!(h["run"], "deep-history");
    assert_eq!(h["bounds"]["max_term"], 1, "the flag overrides every run");
    assert_eq!(h["bounds"]["max_restarts"], 0);
    assert_eq!(h["bounds"]["max_log"], 0);
    let quick = report_of(&raftspec(&[
        "check",
        "kraft",
        "--profile",
        "quick",
        "--json",
    ]));
    let default = report_of(&raftspec(&["check", "kraft", "--json"]));
    assert_eq!(quick["bounds"], default["bounds"], "quick is the default");
    assert_eq!(quick["unique_states"], default["unique_states"]);
}

#[test]
fn the_score_says_which_catalog_bugs_a_profile_finds() {
    let out = raftspec(&["bugs", "--score", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = json(&out);
    assert_eq!(s["profile"], "quick");
    let bugs = s["reports"].as_array().unwrap();
    assert!(bugs.iter().all(|b| b["passed"] == b["found"]));
    assert_eq!(s["passed"], s["found"] == s["total"]);
    assert_eq!(s["total"], bugs.len());
    let found = |name: &str, variant: &str| {
        bugs.iter()
            .find(|b| b["bug"] == name && b["variant"] == variant)
            .unwrap_or_else(|| panic!("{variant} {name} scored"))["found"]
            .as_bool()
            .unwrap()
    };
    // Figure 8 needs four terms: the quick profile's two cannot reach it, and the score says so.
    assert!(!found("figure8", "raft"));
    assert!(found("vote-no-log-check", "raft"));
    assert!(found("commit-regress", "kraft"));
    let n = bugs.iter().filter(|b| b["found"] == true).count();
    assert_eq!(s["found"], n);
    for b in bugs.iter().filter(|b| b["found"] == true) {
        assert!(b["steps"].as_u64().is_some(), "{b}");
        assert!(!b["violated"].as_array().unwrap().is_empty(), "{b}");
    }
}

#[test]
fn a_bad_profile_is_refused() {
    let out = raftspec(&["check", "raft", "--profile", "huge"]);
    assert_eq!(out.status.code(), Some(2));
    let out = raftspec(&["bugs", "--profile", "deep"]);
    assert_eq!(out.status.code(), Some(2), "--profile needs --score");
}
