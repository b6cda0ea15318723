//! Output that goes somewhere unusual: a pipe closed early, `--dot -`, a trace directory that
//! cannot be written. None may panic or lose a finished verdict.

use std::io::Read;
use std::process::{Command, Stdio};

fn raftspec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
}

#[test]
fn a_pipe_closed_early_ends_the_command_without_a_panic() {
    for args in [
        &["check", "raft", "--max-in-flight", "3"][..],
        &[
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
            "-",
        ],
    ] {
        let mut child = raftspec()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("raftspec starts");
        let mut first = [0u8; 8];
        let mut stdout = child.stdout.take().unwrap();
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout); // like `| head -c 8`
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(status.code(), Some(101), "{args:?}: a panic's exit code");
    }
}

#[test]
fn graph_dot_dash_writes_the_graph_to_stdout() {
    let dir = std::env::temp_dir().join(format!("raftspec-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = raftspec()
        .current_dir(&dir)
        .args([
            "graph",
            "raft",
            "--servers",
            "2",
            "--max-term",
            "1",
            "--max-log",
            "0",
        ])
        .args(["--max-restarts", "0", "--dot", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.starts_with("digraph {") && dot.trim_end().ends_with('}'),
        "{dot}"
    );
    assert!(!dir.join("-").exists(), "no file named -");
}

#[test]
fn a_trace_that_cannot_be_written_keeps_the_verdict() {
    let out = raftspec()
        .args([
            "check",
            "raft",
            "--bug",
            "double-vote",
            "--trace-out",
            "/proc/no-such-dir",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the violation is still the verdict"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ElectionSafety"), "{stdout}");
    assert!(stdout.contains("VIOLATED in 6 steps"), "{stdout}");
    assert!(stdout.contains("trace:    not written"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: cannot create trace directory"),
        "{stderr}"
    );
}
