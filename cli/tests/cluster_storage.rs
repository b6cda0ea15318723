//! Storage recovery on real processes, and the CLI's usage errors.

use raftspec_impl::client::Client;
use raftspec_impl::local::LocalCluster;
use raftspec_impl::node::Mode;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_raftspec");

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("raftspec-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A one-node cluster with five acknowledged writes, then killed with SIGKILL.
fn written_node(mode: Mode, tag: &str) -> LocalCluster {
    let mut c = LocalCluster::new(Path::new(EXE), mode, 1, &temp_dir(tag), None).unwrap();
    c.die_with_parent = true;
    c.start_all().unwrap();
    c.wait_for_leader(Duration::from_secs(15)).expect("leader");
    let mut k = Client::new(&c.urls(), false);
    for i in 0..5 {
        k.put(&format!("k{i}"), &format!("v{i}")).unwrap();
    }
    c.kill(0);
    c
}

#[test]
fn torn_final_record_is_recovered_and_acknowledged_writes_survive() {
    for mode in [Mode::Raft, Mode::Kraft] {
        let mut c = written_node(mode, &format!("torn-{mode}"));
        let log = c.nodes[0].data_dir.join("log");
        // A crash in the middle of an append: a valid-looking header and half a body.
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(&[40, 0, 0, 0]).unwrap();
        f.write_all(&crc32fast::hash(&[40, 0, 0, 0]).to_le_bytes())
            .unwrap();
        f.write_all(&[1, 2, 3, 4, 5, 6, 7]).unwrap();
        drop(f);
        c.start(0).unwrap();
        c.wait_for_leader(Duration::from_secs(15))
            .expect("restarts");
        let mut k = Client::new(&c.urls(), false);
        for i in 0..5 {
            assert_eq!(
                k.get(&format!("k{i}")).unwrap(),
                Some(format!("v{i}")),
                "{mode}"
            );
        }
        let text = std::fs::read_to_string(&c.nodes[0].log).unwrap();
        assert!(text.contains("cut a torn final record"), "{mode}: {text}");
    }
}

#[test]
fn corrupted_record_in_the_middle_is_refused() {
    for mode in [Mode::Raft, Mode::Kraft] {
        let c = written_node(mode, &format!("corrupt-{mode}"));
        let s = &c.nodes[0];
        let log = s.data_dir.join("log");
        let mut bytes = std::fs::read(&log).unwrap();
        bytes[8 + 12 + 9] ^= 0x40; // payload of the first record
        std::fs::write(&log, &bytes).unwrap();
        let out = Command::new(EXE)
            .args(["node", "--id", "0", "--mode", mode.as_str()])
            .args(["--peers", &format!("0={}", s.peer)])
            .arg("--data-dir")
            .arg(&s.data_dir)
            .args(["--http", &s.http.to_string()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{mode}: {err}");
        assert!(
            err.contains("corrupt") && err.contains("record 0"),
            "{mode}: {err}"
        );
        assert_eq!(
            std::fs::read(&log).unwrap(),
            bytes,
            "{mode}: refused start must not touch the log"
        );
    }
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(EXE).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let foreign = temp_dir("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "not yours").unwrap();
    let dir = foreign.to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "node",
                "--id",
                "0",
                "--mode",
                "paxos",
                "--peers",
                "0=127.0.0.1:1",
                "--data-dir",
                "x",
                "--http",
                "127.0.0.1:0",
            ],
            "paxos",
        ),
        (
            vec![
                "node",
                "--id",
                "0",
                "--mode",
                "raft",
                "--peers",
                "0=nowhere",
                "--data-dir",
                "x",
                "--http",
                "127.0.0.1:0",
            ],
            "not an IP:PORT",
        ),
        (
            vec![
                "node",
                "--id",
                "3",
                "--mode",
                "raft",
                "--peers",
                "0=127.0.0.1:1",
                "--data-dir",
                "x",
                "--http",
                "127.0.0.1:0",
            ],
            "not in the list",
        ),
        (
            vec![
                "node",
                "--id",
                "0",
                "--mode",
                "raft",
                "--peers",
                "0=127.0.0.1:0",
                "--data-dir",
                &dir,
                "--http",
                "127.0.0.1:0",
            ],
            "not a raftspec data directory",
        ),
        (vec!["cluster", "--mode", "raft", "--nodes", "0"], "--nodes"),
    ];
    for (args, want) in cases {
        let (code, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            err.trim().lines().count() <= 3,
            "{args:?}: not short: {err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(foreign.join("precious.txt")).unwrap(),
        "not yours"
    );
}

#[test]
fn cluster_command_serves_and_survives_leader_kill() {
    let dir = temp_dir("cluster-cmd");
    let mut child = Command::new(EXE)
        .args([
            "cluster",
            "--mode",
            "kraft",
            "--nodes",
            "3",
            "--port-base",
            "0",
            "--dir",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let kv = |args: &[&str]| {
        let out = Command::new(EXE)
            .arg("kv")
            .args(args)
            .arg("--dir")
            .arg(&dir)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    };
    let mut ok = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        if kv(&["put", "a", "1"]).0 == Some(0) {
            ok = true;
            break;
        }
    }
    let manifest = raftspec_impl::local::Manifest::read(&dir).ok();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(ok, "put through `raftspec kv` never succeeded");
        let m = manifest.as_ref().expect("cluster.json");
        let probe = Client::new(&[], false);
        let leader = m
            .nodes
            .iter()
            .find(|n| {
                probe
                    .status(&n.url())
                    .map(|s| s["role"] == "Leader")
                    .unwrap_or(false)
            })
            .expect("a leader");
        let pid = leader.pid.expect("pid in cluster.json");
        assert!(Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success());
        assert_eq!(kv(&["get", "a"]), (Some(0), "1".to_string()));
    }));
    let _ = child.kill(); // the nodes die with it (PR_SET_PDEATHSIG)
    let _ = child.wait();
    if let Some(m) = manifest {
        for n in m.nodes {
            if let Some(pid) = n.pid {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
    result.unwrap();
}
