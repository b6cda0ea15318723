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

/// Start node 0 of `c` in the foreground and return its exit code and stderr.
fn start_refused(c: &LocalCluster, mode: Mode) -> (Option<i32>, String) {
    let s = &c.nodes[0];
    let out = Command::new(EXE)
        .args(["node", "--id", "0", "--mode", mode.as_str()])
        .args(["--peers", &format!("0={}", s.peer)])
        .arg("--data-dir")
        .arg(&s.data_dir)
        .args(["--http", &s.http.to_string()])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The files of a data directory, by name, to prove a refusal touched nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// Each damage a tester found (issue 13) is a refusal to start: exit 2, one `error:` line
/// that says what is wrong and what to do, and the directory left exactly as it was.
#[test]
fn damaged_data_directories_are_refused_not_reset() {
    type Damage = fn(&Path);
    let cases: [(&str, Damage, &str); 5] = [
        (
            "missing node json",
            |d| std::fs::remove_file(d.join("raftspec-node.json")).unwrap(),
            "raftspec-node.json is missing",
        ),
        (
            "0-byte log",
            |d| std::fs::write(d.join("log"), b"").unwrap(),
            "shorter than its",
        ),
        (
            "magic-only log",
            |d| std::fs::write(d.join("log"), b"RSPLOG02").unwrap(),
            "shorter than its",
        ),
        (
            "log cut in the middle",
            |d| {
                let b = std::fs::read(d.join("log")).unwrap();
                std::fs::write(d.join("log"), &b[..b.len() / 2]).unwrap()
            },
            "cut short",
        ),
        (
            "record damaged in the middle",
            |d| {
                let mut b = std::fs::read(d.join("log")).unwrap();
                b[64 + 12 + 9] ^= 0x40; // payload of the first record
                std::fs::write(d.join("log"), &b).unwrap()
            },
            "record 0",
        ),
    ];
    for mode in [Mode::Raft, Mode::Kraft] {
        for (i, (what, damage, want)) in cases.iter().enumerate() {
            let c = written_node(mode, &format!("damaged-{mode}-{i}"));
            let dir = c.nodes[0].data_dir.clone();
            damage(&dir);
            let before = snapshot(&dir);
            let (code, err) = start_refused(&c, mode);
            assert_eq!(code, Some(2), "{mode} {what}: {err}");
            assert!(err.contains(want), "{mode} {what}: {err}");
            assert!(err.contains("--rejoin-empty"), "{mode} {what}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{mode} {what}: {err}");
            assert_eq!(
                snapshot(&dir),
                before,
                "{mode} {what}: refusal changed files"
            );
        }
    }
}

/// An operator rebuilds a lost node with `--rejoin-empty`: it catches up from its peers and
/// serves every acknowledged write, and it lifts its voting restriction only then.
#[test]
fn a_node_rebuilt_with_rejoin_empty_catches_up_and_then_votes_again() {
    for mode in [Mode::Raft, Mode::Kraft] {
        let mut c = LocalCluster::new(
            Path::new(EXE),
            mode,
            3,
            &temp_dir(&format!("rejoin-{mode}")),
            None,
        )
        .unwrap();
        c.die_with_parent = true;
        c.start_all().unwrap();
        c.wait_for_leader(Duration::from_secs(15)).expect("leader");
        let mut k = Client::new(&c.urls(), false);
        for i in 0..20 {
            k.put(&format!("k{i}"), &format!("v{i}")).unwrap();
        }
        let victim = (c.wait_for_leader(Duration::from_secs(5)).unwrap() + 1) % 3;
        c.kill(victim);
        std::fs::remove_dir_all(&c.nodes[victim].data_dir).unwrap();
        // Without the flag an empty directory would start as a brand-new node; with it:
        c.start_with(victim, &["--rejoin-empty"]).unwrap();
        let log = c.nodes[victim].log.clone();
        let mut caught_up = false;
        for _ in 0..150 {
            std::thread::sleep(Duration::from_millis(100));
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("rebuilt node caught up") {
                caught_up = true;
                break;
            }
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            text.contains("neither votes nor campaigns"),
            "{mode}: {text}"
        );
        assert!(caught_up, "{mode}: rebuilt node never caught up: {text}");
        let st = Client::new(&[], false)
            .status(&c.nodes[victim].url())
            .unwrap();
        assert!(st["applied"].as_u64().unwrap() >= 20, "{mode}: {st}");
        // Its marker now records the floor; a restart keeps it.
        c.kill(victim);
        c.start(victim).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(text.contains("votes only in terms above"), "{mode}: {text}");
        for i in 0..20 {
            assert_eq!(
                k.get(&format!("k{i}")).unwrap(),
                Some(format!("v{i}")),
                "{mode}"
            );
        }
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
        (
            vec!["cluster", "--mode", "raft", "--port-base", "65530"],
            "--port-base",
        ),
        (
            vec!["kv", "get", "a", "--dir", &dir],
            "no readable cluster.json",
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
                "x",
                "--http",
                "127.0.0.1:0",
                "--secret-file",
                "/nonexistent-secret",
            ],
            "--secret-file",
        ),
        (
            vec!["check", "raft", "--trace-out", "/etc/passwd/traces"],
            "not a directory",
        ),
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
