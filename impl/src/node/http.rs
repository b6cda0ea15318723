//! The HTTP JSON client API of a node (hyper, HTTP/1.1, on one tokio thread):
//!
//! - `PUT /kv/{key}` (body: the value) -> `{"ok":true,"position":P,"previous":V|null}`
//! - `GET /kv/{key}` -> `{"key":K,"value":V}` or 404 `{"key":K,"value":null}`
//! - `DELETE /kv/{key}` -> `{"ok":true,"position":P,"previous":V|null}`
//! - `GET /status` -> role, term, leader, log end, commit index / HW, counters
//!
//! Every KV operation goes through the log (reads included, so they are linearizable).
//! A follower answers 307 with `Location` at the leader's URL, or 503 when no leader is known.
//! 504 means the outcome is unknown (not committed within the request timeout).
//!
//! Hostile clients are bounded by [`Limits`]: a body larger than the limit is refused from its
//! `Content-Length` before anything is read (413), a slow body times out (408), headers must
//! arrive within a time and fit a size (hyper closes the connection, or answers 431), and
//! connections beyond the limit get a 503 and are closed. Every answer the API itself gives
//! is JSON; only requests hyper cannot parse as HTTP get hyper's own empty 400/431.

use super::driver::{process_cpu_us, Event, Reply, Status};
use super::Member;
use crate::core::NodeId;
use crate::kv::{valid_key, Command, Outcome};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

pub const MAX_VALUE: usize = 1 << 20;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// Bounds on what one client can make the node hold.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body: usize,
    /// hyper's read buffer: request line and headers must fit (at least 8 KiB).
    pub max_header_bytes: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: MAX_VALUE,
            max_header_bytes: 16 << 10,
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

/// Counters of refused traffic, for `/status`.
#[derive(Default, Debug)]
pub struct HttpStats {
    pub connections_refused: AtomicU64,
    pub requests_refused: AtomicU64,
}

struct Ctx<M> {
    inbox: Sender<Event<M>>,
    status: Arc<Mutex<Status>>,
    members: BTreeMap<NodeId, Member>,
    limits: Limits,
    stats: Arc<HttpStats>,
}

/// Serve the API on `listener` from a thread of its own.
pub fn serve<M: Send + 'static>(
    listener: std::net::TcpListener,
    inbox: Sender<Event<M>>,
    status: Arc<Mutex<Status>>,
    members: BTreeMap<NodeId, Member>,
    limits: Limits,
) -> std::io::Result<Arc<HttpStats>> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = Arc::new(HttpStats::default());
    let ctx = Arc::new(Ctx {
        inbox,
        status,
        members,
        limits,
        stats: stats.clone(),
    });
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || rt.block_on(accept_loop(listener, ctx)))?;
    Ok(stats)
}

async fn accept_loop<M: Send + 'static>(listener: std::net::TcpListener, ctx: Arc<Ctx<M>>) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => return eprintln!("http: cannot serve: {e}"),
    };
    let slots = Arc::new(Semaphore::new(ctx.limits.max_connections));
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors, say: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            ctx.stats.connections_refused.fetch_add(1, Relaxed);
            refuse_busy(&stream);
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let svc = service_fn(|req| {
                let ctx = ctx.clone();
                async move { Ok::<_, Infallible>(handle(req, &ctx).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(ctx.limits.header_timeout)
                .max_buf_size(ctx.limits.max_header_bytes.max(8192))
                .serve_connection(TokioIo::new(stream), svc);
            let _ = conn.await; // a client's protocol error ends only its connection
            drop(permit);
        });
    }
}

/// Over the connection limit: a best-effort 503, then close.
fn refuse_busy(stream: &tokio::net::TcpStream) {
    let body = r#"{"error":"too many connections"}"#;
    let resp = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(resp.as_bytes());
}

fn reply(code: u16, body: Value, location: Option<String>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, "application/json".parse().expect("valid"));
    if let Some(loc) = location.and_then(|l| l.parse().ok()) {
        r.headers_mut().insert(LOCATION, loc);
    }
    r
}

fn refuse<M>(ctx: &Ctx<M>, code: u16, msg: &str) -> Response<Full<Bytes>> {
    ctx.stats.requests_refused.fetch_add(1, Relaxed);
    reply(code, json!({ "error": msg }), None)
}

async fn handle<M>(req: Request<Incoming>, ctx: &Ctx<M>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if path == "/status" {
        if req.method() != Method::GET {
            return refuse(ctx, 405, "use GET /status");
        }
        return status(ctx);
    }
    let Some(key) = path.strip_prefix("/kv/").map(str::to_string) else {
        return refuse(ctx, 404, &format!("no such endpoint {path}"));
    };
    if !valid_key(&key) {
        return refuse(ctx, 400, "keys are 1-256 characters of A-Z a-z 0-9 . _ ~ -");
    }
    let cmd = match *req.method() {
        Method::GET => Command::Get { key: key.clone() },
        Method::DELETE => Command::Delete { key: key.clone() },
        Method::PUT => match read_value(req, ctx).await {
            Ok(value) => Command::Put {
                key: key.clone(),
                value,
            },
            Err(resp) => return resp,
        },
        _ => return refuse(ctx, 405, "use GET, PUT or DELETE"),
    };
    submit(cmd, &key, &path, ctx).await
}

fn status<M>(ctx: &Ctx<M>) -> Response<Full<Bytes>> {
    let mut st = match ctx.status.lock() {
        Ok(s) => s.clone(),
        Err(_) => return reply(500, json!({"error": "status unavailable"}), None),
    };
    st.cpu_us = process_cpu_us();
    st.http_connections_refused = ctx.stats.connections_refused.load(Relaxed);
    st.http_requests_refused = ctx.stats.requests_refused.load(Relaxed);
    let body = serde_json::to_value(&st).unwrap_or_else(|e| json!({"error": e.to_string()}));
    reply(200, body, None)
}

/// The body of a PUT, within the limits, as UTF-8.
async fn read_value<M>(
    req: Request<Incoming>,
    ctx: &Ctx<M>,
) -> Result<String, Response<Full<Bytes>>> {
    let max = ctx.limits.max_body;
    let too_large = format!("value above {max} bytes");
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        // Refused before reading a byte: the declared length allocates nothing.
        return Err(refuse(ctx, 413, &too_large));
    }
    let body = Limited::new(req.into_body(), max);
    let bytes = match tokio::time::timeout(ctx.limits.body_timeout, body.collect()).await {
        Err(_) => return Err(refuse(ctx, 408, "the body did not arrive in time")),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Err(refuse(ctx, 413, &too_large)),
        Ok(Err(e)) => return Err(refuse(ctx, 400, &format!("unreadable body: {e}"))),
        Ok(Ok(c)) => c.to_bytes(),
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| refuse(ctx, 400, "value is not UTF-8"))
}

/// Put the command through the log and turn the driver's answer into a response.
async fn submit<M>(cmd: Command, key: &str, path: &str, ctx: &Ctx<M>) -> Response<Full<Bytes>> {
    let is_get = matches!(cmd, Command::Get { .. });
    let (tx, rx) = tokio::sync::oneshot::channel();
    if ctx.inbox.send(Event::Client(cmd, tx)).is_err() {
        return reply(503, json!({"error": "node is shutting down"}), None);
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
        Ok(Ok(Reply::Done { outcome, position })) => {
            let value = match outcome {
                Outcome::Value(v) => v,
                Outcome::Nothing => None,
            };
            if is_get {
                let code = if value.is_some() { 200 } else { 404 };
                reply(
                    code,
                    json!({"key": key, "value": value, "position": position}),
                    None,
                )
            } else {
                reply(
                    200,
                    json!({"ok": true, "position": position, "previous": value}),
                    None,
                )
            }
        }
        Ok(Ok(Reply::NotLeader { leader, http })) => match http {
            Some(addr) => reply(
                307,
                json!({"error": "not the leader", "leader": leader}),
                Some(format!("http://{addr}{path}")),
            ),
            None => {
                let hint = leader
                    .and_then(|l| ctx.members.get(&l))
                    .map(|m| m.peer.to_string());
                reply(
                    503,
                    json!({"error": "no leader known", "leader": leader, "leader_peer": hint}),
                    None,
                )
            }
        },
        Ok(Ok(Reply::Lost)) => reply(
            409,
            json!({"error": "leadership changed before the entry committed; it did not take effect"}),
            None,
        ),
        Ok(Err(_)) => reply(503, json!({"error": "node is shutting down"}), None),
        Err(_) => reply(
            504,
            json!({"error": "not committed in time; the outcome is unknown"}),
            None,
        ),
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
