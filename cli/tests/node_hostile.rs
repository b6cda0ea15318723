//! Hostile input against real node processes (issue 13): HTTP requests that used to abort a
//! node, and peer frames from outside the cluster carrying term 2^64-1.

use raftspec_impl::client::Client;
use raftspec_impl::core::raft::Message;
use raftspec_impl::local::{LocalCluster, SECRET};
use raftspec_impl::net::frame::FrameKey;
use raftspec_impl::net::transport::{hello_frame, message_frame};
use raftspec_impl::node::{default_cluster_id, Mode};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_raftspec");

fn cluster(tag: &str) -> LocalCluster {
    let dir = std::env::temp_dir().join(format!("raftspec-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = LocalCluster::new(Path::new(EXE), Mode::Raft, 3, &dir, None).unwrap();
    c.die_with_parent = true;
    c.start_all().unwrap();
    c.wait_for_leader(Duration::from_secs(15)).expect("leader");
    c
}

/// Send raw bytes and read the answer until the peer closes (or 5 s pass).
fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn terms(c: &LocalCluster) -> Vec<u64> {
    c.statuses()
        .iter()
        .map(|(_, s)| s["term"].as_u64().unwrap())
        .collect()
}

#[test]
fn oversized_and_malformed_http_requests_leave_every_node_serving() {
    let mut c = cluster("hostile-http");
    let bomb = b"PUT /kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n";
    for i in 0..3 {
        let a = c.nodes[i].http;
        for _ in 0..3 {
            let answer = raw(a, bomb);
            assert!(answer.starts_with("HTTP/1.1 413"), "node {i}: {answer}");
            assert!(answer.contains("{\"error\":"), "node {i}: {answer}");
        }
        let big = format!("GET /kv/a HTTP/1.1\r\nX: {}\r\n\r\n", "h".repeat(1 << 20));
        raw(a, big.as_bytes());
        raw(a, b"\x16\x03\x01 not http at all\r\n\r\n");
    }
    for i in 0..3 {
        assert!(c.is_running(i), "node {i} died");
    }
    let mut k = Client::new(&c.urls(), false);
    k.put("after", "still-up").unwrap();
    assert_eq!(k.get("after").unwrap(), Some("still-up".into()));
}

#[test]
fn peer_frames_from_outside_the_cluster_change_nothing() {
    let c = cluster("hostile-peer");
    let members = c.members();
    let cluster_id = default_cluster_id(Mode::Raft, &members);
    let secret = std::fs::read(c.dir().join(SECRET)).unwrap();
    let vote = Message::RequestVote {
        term: u64::MAX,
        last_log_term: 0,
        last_log_index: 0,
    };
    let attack = |key: &FrameKey| {
        let mut bytes = hello_frame(1, "raft", key, 0);
        bytes.extend(message_frame(&vote, key, 1, 0));
        raw(c.nodes[0].peer, &bytes);
    };
    // Someone who knows the cluster id but not the secret, and someone guessing both.
    attack(&FrameKey::new(&cluster_id, None));
    attack(&FrameKey::new("raft", Some(b"0123456789abcdef")));
    std::thread::sleep(Duration::from_millis(300));
    assert!(terms(&c).iter().all(|&t| t < 1000), "{:?}", terms(&c));
    let st = Client::new(&[], false).status(&c.nodes[0].url()).unwrap();
    assert_eq!(st["peer_frames_refused"], 2, "{st}");
    let mut k = Client::new(&c.urls(), false);
    k.put("x", "1").unwrap();
    // The same frame under the cluster's key is what it would have taken: the term jumps.
    attack(&FrameKey::new(&cluster_id, Some(secret.trim_ascii())));
    let mut jumped = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        jumped = Client::new(&[], false)
            .status(&c.nodes[0].url())
            .is_ok_and(|s| s["term"].as_u64() == Some(u64::MAX));
        if jumped {
            break;
        }
    }
    assert!(
        jumped,
        "an authenticated frame is delivered (the test has teeth)"
    );
}

/// `raftspec chaos` end to end, briefly: faults injected, nothing acknowledged lost, histories
/// linearizable; and its mistakes are usage errors.
#[test]
fn chaos_command_runs_and_reports() {
    let out = std::process::Command::new(EXE)
        .args(["chaos", "--mode", "raft", "--duration", "6s", "--seed", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    assert!(text.contains("lost acknowledged writes: 0"), "{text}");
    assert!(text.contains("result: PASS"), "{text}");
    assert!(
        text.contains("faults injected: {\""),
        "no fault injected: {text}"
    );
    for (args, want) in [
        (vec!["--duration", "5x"], "unknown unit"),
        (vec!["--nodes", "9"], "--nodes"),
        (vec!["--faults", "meteor"], "meteor"),
    ] {
        let out = std::process::Command::new(EXE)
            .args(["chaos", "--mode", "raft"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
