//! Hostile clients against the HTTP API, with a stand-in driver that commits everything.

use super::*;
use crate::core::Role;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

fn blank_status() -> Status {
    Status {
        id: 0,
        mode: "raft",
        role: Role::Leader,
        term: 1,
        leader: Some(0),
        leader_http: None,
        log_end: 0,
        commit: 0,
        applied: 0,
        keys: 0,
        msgs_sent: 0,
        bytes_sent: 0,
        msgs_received: 0,
        bytes_received: 0,
        msgs_dropped: 0,
        peer_frames_refused: 0,
        http_connections_refused: 0,
        http_requests_refused: 0,
        cpu_us: 0,
    }
}

/// A server with small limits and a driver that answers every command at once.
fn server(limits: Limits) -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Event<()>>();
    std::thread::spawn(move || {
        let mut position = 0;
        while let Ok(ev) = rx.recv() {
            if let Event::Client(_, reply) = ev {
                position += 1;
                let outcome = Outcome::Value(Some("v".into()));
                let _ = reply.send(Reply::Done { outcome, position });
            }
        }
    });
    let status = Arc::new(Mutex::new(blank_status()));
    serve(l, tx, status, BTreeMap::new(), limits).unwrap();
    addr
}

fn small_limits() -> Limits {
    Limits {
        max_body: 1024,
        max_header_bytes: 8192,
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_connections: 8,
    }
}

/// Send raw bytes, read until the server closes or 5 s pass; the status code, if any.
fn raw(addr: SocketAddr, bytes: &[u8]) -> (Option<u16>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok());
    (code, text)
}

fn request(addr: SocketAddr, head: &str, body: &str) -> (Option<u16>, String) {
    let req = format!("{head}\r\nHost: x\r\nConnection: close\r\n\r\n{body}");
    raw(addr, req.as_bytes())
}

fn is_json_error(text: &str) -> bool {
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str::<Value>(body).is_ok_and(|v| v["error"].is_string())
}

#[test]
fn hostile_requests_get_4xx_json_and_the_server_stays_up() {
    let a = server(small_limits());
    // The request that aborted tiny_http: a huge declared length and no body.
    let (code, text) = request(a, "PUT /kv/a HTTP/1.1\r\nContent-Length: 99999999999", "");
    assert_eq!(code, Some(413), "{text}");
    assert!(is_json_error(&text), "{text}");
    // A chunked body that grows past the limit.
    let chunk = format!("{:x}\r\n{}\r\n", 2000, "x".repeat(2000));
    let (code, text) = request(
        a,
        "PUT /kv/a HTTP/1.1\r\nTransfer-Encoding: chunked",
        &chunk,
    );
    assert_eq!(code, Some(413), "{text}");
    assert!(is_json_error(&text));
    // A body that never arrives.
    let (code, text) = request(a, "PUT /kv/a HTTP/1.1\r\nContent-Length: 10", "abc");
    assert_eq!(code, Some(408), "{text}");
    for (head, want) in [
        ("PUT /kv/bad%20key HTTP/1.1\r\nContent-Length: 1", 400),
        ("POST /kv/a HTTP/1.1\r\nContent-Length: 1", 405),
        ("GET /nowhere HTTP/1.1", 404),
        ("DELETE /status HTTP/1.1", 405),
    ] {
        let (code, text) = request(a, head, "x");
        assert_eq!(code, Some(want), "{head}: {text}");
        assert!(is_json_error(&text), "{head}: {text}");
    }
    let bad_utf8 =
        b"PUT /kv/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n\xff\xfe";
    let (code, text) = raw(a, bad_utf8);
    assert_eq!(code, Some(400), "not UTF-8: {text}");
    // Headers beyond the buffer: hyper's 431, or a closed connection; no crash either way.
    let huge = format!("GET /kv/a HTTP/1.1\r\nX-Big: {}", "h".repeat(64 << 10));
    let (code, _) = request(a, &huge, "");
    assert!(matches!(code, None | Some(431) | Some(400)), "{code:?}");
    // Garbage that is not HTTP.
    let (code, _) = raw(a, b"\x00\x01\x02 garbage\r\n\r\n");
    assert!(matches!(code, None | Some(400)), "{code:?}");
    // Still serving, and counting what it refused.
    let (code, text) = request(a, "PUT /kv/a HTTP/1.1\r\nContent-Length: 2", "ok");
    assert_eq!(code, Some(200), "{text}");
    let (_, text) = request(a, "GET /status HTTP/1.1", "");
    assert!(text.contains("\"http_requests_refused\":"), "{text}");
    assert!(!text.contains("\"http_requests_refused\":0"), "{text}");
}

#[test]
fn slow_headers_are_cut_off_and_connections_are_bounded() {
    let a = server(small_limits());
    // Slowloris: a request line and then nothing; the server hangs up after the header timeout.
    let mut slow = TcpStream::connect(a).unwrap();
    slow.write_all(b"GET /kv/a HTTP/1.1\r\nX-Slow: ").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // Holding every connection slot: the next client is told so and the server recovers.
    let held: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(a).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100)); // let the server accept them all
    let (code, text) = request(a, "GET /kv/a HTTP/1.1", "");
    assert_eq!(code, Some(503), "{text}");
    assert!(is_json_error(&text));
    drop(held);
    // The held connections sent nothing: they go at the header timeout at the latest.
    let mut ok = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        if request(a, "GET /kv/a HTTP/1.1", "").0 == Some(200) {
            ok = true;
            break;
        }
    }
    assert!(
        ok,
        "the server never served again after the slots were freed"
    );
}
