//! Helpers for the CLI tests: run the binary, read its JSON, serve the Explorer on a free loopback port,
//! talk HTTP to it, and drive Debian's headless Chromium.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn raftspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
        .args(args)
        .output()
        .expect("raftspec runs")
}

/// stdout as one JSON value (a panic naming stderr otherwise).
pub fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}); stderr: {}",
            text(&out.stderr)
        )
    })
}

/// The whole `--json` document (specs/json.md).
pub fn doc_of(out: &Output) -> serde_json::Value {
    let d = json_of(out);
    assert_eq!(d["schema_version"], 1, "{d}");
    d
}

/// The one report of a `--json` document (specs/json.md), whose verdict is the document's.
pub fn report_of(out: &Output) -> serde_json::Value {
    let d = doc_of(out);
    let reports = d["reports"].as_array().expect("a reports list");
    assert_eq!(reports.len(), 1, "{d}");
    assert_eq!(reports[0]["passed"], d["passed"]);
    reports[0].clone()
}

/// Every `always` property of a report holds and every `sometimes` property is witnessed.
pub fn assert_every_property_passes(properties: &serde_json::Value) {
    for p in properties.as_array().expect("a properties list") {
        let want = if p["expectation"] == "always" {
            "holds"
        } else {
            "witnessed"
        };
        assert_eq!(p["verdict"], want, "{p}");
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory under cargo's per-test temporary directory.
pub fn tempdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("explorer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A running `raftspec explore`; killed (by its own pid) when dropped.
pub struct Explorer {
    child: Child,
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Explorer {
    /// Starts `raftspec <args>` (an `explore` command) and waits until it answers HTTP.
    pub fn start(args: &[String]) -> Explorer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_raftspec"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("raftspec explore starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut url = None;
        let mut seen = String::new();
        for _ in 0..10 {
            let mut line = String::new();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            seen.push_str(&line);
            if let Some(rest) = line.trim().strip_prefix("explorer: ") {
                url = Some(rest.to_string());
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = lines.read_to_string(&mut sink);
        });
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`raftspec {}` printed no `explorer: URL` line:\n{seen}",
                args.join(" ")
            );
        };
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let ex = Explorer { child, url, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(&ex.addr, "/.status").is_err() {
            assert!(
                Instant::now() < deadline,
                "the Explorer at {} never answered",
                ex.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        ex
    }
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET: (status code, body).
pub fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {head}")))?;
    Ok((code, body.to_string()))
}

/// Debian's Chromium, installed by the project's script if it is missing.
pub fn chromium() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/install-chromium.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("bash runs the Chromium install script");
    assert!(
        out.status.success(),
        "{} failed:\n{}{}",
        script.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
    PathBuf::from("/usr/bin/chromium")
}

/// Runs headless Chromium on `url` with extra arguments (`--dump-dom`, `--screenshot=...`);
/// a fresh profile each time; returns stdout.
pub fn chromium_run(chrome: &Path, url: &str, extra: &[&str]) -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let profile = tempdir(&format!(
        "chromium-profile-{}",
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null());
    let out = run_with_timeout(cmd, Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&profile);
    text(&out.stdout)
}

fn run_with_timeout(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait on chromium") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("wait on chromium");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Runs `raftspec ARGS` and asserts a user mistake's answer: exit 2 and one `error:` line,
/// no panic. Returns the error line.
pub fn usage_error(args: &[&str]) -> String {
    let out = raftspec(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}
