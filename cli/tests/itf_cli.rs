//! ITF as Apalache and Quint write it (`#bigint`, `#set`, `#map`, `#tup`): a trace produced by
//! the real Quint tool (tests/quint/raft_election.itf.json, remade by tests/quint/generate.sh)
//! is shown and drawn by `raftspec trace` and refused by `raftspec replay`; raftspec's own
//! traces re-encoded the way Quint encodes values read back to the same steps and replay.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{raftspec, tempdir, text};

fn quint_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/quint/raft_election.itf.json")
}

#[test]
fn the_checked_in_trace_is_quints_own_encoding() {
    // Not a hand-made file: Quint's #meta, and every encoding the reader decodes.
    let raw = std::fs::read_to_string(quint_trace()).expect("tests/quint trace checked in");
    let doc: Value = serde_json::from_str(&raw).expect("JSON");
    let desc = doc["#meta"]["description"].as_str().unwrap_or("");
    assert!(desc.starts_with("Created by Quint"), "{desc}");
    for enc in [
        "\"#bigint\"",
        "\"#set\"",
        "\"#map\"",
        "\"#tup\"",
        "mbt::actionTaken",
    ] {
        assert!(raw.contains(enc), "the Quint trace has no {enc}");
    }
}

#[test]
fn a_quint_trace_renders_as_text_and_svg() {
    let d = tempdir("quint");
    let svg = d.join("quint.svg");
    let file = quint_trace();
    let o = raftspec(&[
        "trace",
        file.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.starts_with("ITF trace by Quint, from raft_election.qnt: 10 steps"),
        "{out}"
    );
    // Decoded values: numbers, sets as lists, picks without their Some, variants by tag.
    for want in [
        "1. timeout (i: 2)",
        "S2.role: Follower → Candidate",
        "S2.votedFor: None → Some(2)",
        "S2.votesGranted: [2] → [0, 2]",
        "network +RequestVote({dst: 0, src: 2, term: 1})",
        "votesByTerm: {} → [[1, [2]]]",
        "lastEvent: [\"init\", -1] → [\"timeout\", 2]",
        "S0.log: [] → [{term: 2, value: 1}]",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains('#'), "an ITF encoding left undecoded:\n{out}");
    let drawn = std::fs::read_to_string(&svg).expect("svg written");
    assert!(drawn.starts_with("<svg"), "{drawn}");
    // Three lifelines, the vote and replication arrows, the leader, the replicated entry.
    for want in [
        ">S0<",
        ">S2<",
        ">RV t1<",
        ">RVR t2 granted<",
        ">AE t2 commit 0 [t2:v1]<",
    ] {
        assert!(drawn.contains(want), "svg lacks {want}");
    }
    assert!(drawn.contains(">Leader t2 · voted S2<"), "no leader drawn");
    assert!(!drawn.contains("#bigint") && !drawn.contains("#set"));
}

#[test]
fn replay_refuses_a_quint_trace_in_one_line() {
    let file = quint_trace();
    let o = raftspec(&["replay", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ")
            && err.contains("not a trace of raftspec's raft or kraft models")
            && err.contains("a Quint trace of raft_election.qnt"),
        "{err}"
    );
}

#[test]
fn a_malformed_encoding_is_one_error_line_naming_where() {
    let d = tempdir("bad");
    let raw = std::fs::read_to_string(quint_trace()).unwrap();
    let bad = d.join("bad.itf.json");
    std::fs::write(
        &bad,
        raw.replacen("{\"#bigint\":\"0\"}", "{\"#bigint\":\"zero\"}", 1),
    )
    .unwrap();
    for cmd in ["trace", "replay"] {
        let o = raftspec(&[cmd, bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("bad ITF value at states[0].") && err.contains("\"zero\""),
            "{err}"
        );
    }
}

/// Every number as `#bigint` and every array as `#set`, as Quint and Apalache write them.
fn encode(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!({"#bigint": n.to_string()}),
        Value::Array(xs) => serde_json::json!({"#set": xs.iter().map(encode).collect::<Vec<_>>()}),
        Value::Object(m) if m.contains_key("#tup") => v.clone(),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), encode(x))).collect()),
        other => other.clone(),
    }
}

#[test]
fn a_raftspec_trace_in_quints_encoding_reads_and_replays_the_same() {
    let d = tempdir("ours");
    let o = raftspec(&[
        "check",
        "raft",
        "--bug",
        "vote-no-log-check",
        "--trace-out",
        d.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let plain = d.join("raft-vote-no-log-check-LeaderCompleteness.itf.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    for s in doc["states"].as_array_mut().unwrap() {
        for (k, v) in s.as_object_mut().unwrap() {
            if !k.starts_with('#') && !k.starts_with("action_") {
                *v = encode(v);
            }
        }
    }
    let encoded = d.join("encoded.itf.json");
    std::fs::write(&encoded, doc.to_string()).unwrap();
    assert!(doc.to_string().contains("#bigint"));

    let show = |f: &Path| raftspec(&["trace", f.to_str().unwrap()]);
    let (a, b) = (show(&plain), show(&encoded));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    assert_eq!(text(&a.stdout), text(&b.stdout));

    let replay = |f: &Path| raftspec(&["replay", "--json", f.to_str().unwrap()]);
    let (a, b) = (replay(&plain), replay(&encoded));
    assert_eq!(a.status.code(), b.status.code(), "{}", text(&b.stderr));
    let verdict = |o: &std::process::Output| {
        let v: Value = serde_json::from_slice(&o.stdout).expect("replay --json");
        (v["passed"].clone(), v["reports"][0]["model"].clone())
    };
    assert_eq!(verdict(&a), verdict(&b));
    assert_eq!(verdict(&b).1, "accepts");
}

#[test]
fn a_lasso_with_its_loop_in_meta_as_a_bigint_reads_as_the_same_lasso() {
    let d = tempdir("lasso");
    let o = raftspec(&[
        "check",
        "kraft",
        "--liveness",
        "--bug",
        "diverging-refetch",
        "--trace-out",
        d.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let plain = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".itf.json"))
        .expect("a lasso written");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    let at = doc["loop"].as_u64().expect("a top-level loop");
    doc.as_object_mut().unwrap().remove("loop");
    doc["#meta"]["loop"] = serde_json::json!({"#bigint": at.to_string()});
    let moved = d.join("moved.itf.json");
    std::fs::write(&moved, doc.to_string()).unwrap();

    let show = |f: &Path| text(&raftspec(&["trace", f.to_str().unwrap()]).stdout);
    let (a, b) = (show(&plain), show(&moved));
    assert!(a.contains("cycle") || a.contains("stuck"), "{a}");
    assert_eq!(a, b);
    // Without any loop it is a plain trace: the cycle is no longer shown.
    doc["#meta"].as_object_mut().unwrap().remove("loop");
    std::fs::write(&moved, doc.to_string()).unwrap();
    assert_ne!(show(&moved), a);
}
