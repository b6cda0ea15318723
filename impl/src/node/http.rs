//! The HTTP JSON client API of a node (tiny_http, a small pool of worker threads):
//!
//! - `PUT /kv/{key}` (body: the value) -> `{"ok":true,"position":P,"previous":V|null}`
//! - `GET /kv/{key}` -> `{"key":K,"value":V}` or 404 `{"key":K,"value":null}`
//! - `DELETE /kv/{key}` -> `{"ok":true,"position":P,"previous":V|null}`
//! - `GET /status` -> role, term, leader, log end, commit index / HW, counters
//!
//! Every KV operation goes through the log (reads included, so they are linearizable).
//! A follower answers 307 with `Location` at the leader's URL, or 503 when no leader is known.
//! 504 means the outcome is unknown (not committed within the request timeout).

use super::driver::{process_cpu_us, Event, Reply, Status};
use super::Member;
use crate::core::NodeId;
use crate::kv::{valid_key, Command, Outcome};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response};

const WORKERS: usize = 16;
const MAX_VALUE: usize = 1 << 20;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

pub fn serve<M: Send + 'static>(
    server: tiny_http::Server,
    inbox: Sender<Event<M>>,
    status: Arc<Mutex<Status>>,
    members: BTreeMap<NodeId, Member>,
) {
    let server = Arc::new(server);
    let inbox = Arc::new(Mutex::new(inbox));
    for i in 0..WORKERS {
        let (server, inbox, status, members) = (
            server.clone(),
            inbox.clone(),
            status.clone(),
            members.clone(),
        );
        std::thread::Builder::new()
            .name(format!("http-{i}"))
            .spawn(move || {
                while let Ok(req) = server.recv() {
                    let inbox = match inbox.lock() {
                        Ok(g) => g.clone(),
                        Err(_) => return,
                    };
                    handle(req, &inbox, &status, &members);
                }
            })
            .expect("spawn http worker");
    }
}

fn respond(req: Request, code: u16, body: serde_json::Value, location: Option<String>) {
    let mut resp = Response::from_string(body.to_string()).with_status_code(code);
    if let Ok(h) = Header::from_bytes("Content-Type", "application/json") {
        resp.add_header(h);
    }
    if let Some(loc) = location {
        if let Ok(h) = Header::from_bytes("Location", loc.as_bytes()) {
            resp.add_header(h);
        }
    }
    // The client may have gone away; nothing to do about it.
    let _ = req.respond(resp);
}

fn handle<M>(
    mut req: Request,
    inbox: &Sender<Event<M>>,
    status: &Mutex<Status>,
    members: &BTreeMap<NodeId, Member>,
) {
    let url = req.url().to_string();
    let path = url.split('?').next().unwrap_or("");
    if path == "/status" {
        if *req.method() != Method::Get {
            return respond(req, 405, json!({"error": "use GET /status"}), None);
        }
        let mut st = match status.lock() {
            Ok(s) => s.clone(),
            Err(_) => return respond(req, 500, json!({"error": "status unavailable"}), None),
        };
        st.cpu_us = process_cpu_us();
        let body = serde_json::to_value(&st).unwrap_or_else(|e| json!({"error": e.to_string()}));
        return respond(req, 200, body, None);
    }
    let Some(key) = path.strip_prefix("/kv/") else {
        return respond(
            req,
            404,
            json!({"error": format!("no such endpoint {path}")}),
            None,
        );
    };
    let key = key.to_string();
    if !valid_key(&key) {
        return respond(
            req,
            400,
            json!({"error": "keys are 1-256 characters of A-Z a-z 0-9 . _ ~ -"}),
            None,
        );
    }
    let cmd = match req.method() {
        Method::Get => Command::Get { key: key.clone() },
        Method::Delete => Command::Delete { key: key.clone() },
        Method::Put => {
            let mut body = Vec::new();
            let read = req
                .as_reader()
                .take(MAX_VALUE as u64 + 1)
                .read_to_end(&mut body);
            if read.is_err() || body.len() > MAX_VALUE {
                return respond(
                    req,
                    400,
                    json!({"error": "value unreadable or above 1 MiB"}),
                    None,
                );
            }
            match String::from_utf8(body) {
                Ok(value) => Command::Put {
                    key: key.clone(),
                    value,
                },
                Err(_) => return respond(req, 400, json!({"error": "value is not UTF-8"}), None),
            }
        }
        _ => return respond(req, 405, json!({"error": "use GET, PUT or DELETE"}), None),
    };
    let is_get = matches!(cmd, Command::Get { .. });
    let (tx, rx) = channel();
    if inbox.send(Event::Client(cmd, tx)).is_err() {
        return respond(req, 503, json!({"error": "node is shutting down"}), None);
    }
    match rx.recv_timeout(REQUEST_TIMEOUT) {
        Ok(Reply::Done { outcome, position }) => {
            let value = match outcome {
                Outcome::Value(v) => v,
                Outcome::Nothing => None,
            };
            if is_get {
                let code = if value.is_some() { 200 } else { 404 };
                respond(
                    req,
                    code,
                    json!({"key": key, "value": value, "position": position}),
                    None,
                )
            } else {
                respond(
                    req,
                    200,
                    json!({"ok": true, "position": position, "previous": value}),
                    None,
                )
            }
        }
        Ok(Reply::NotLeader { leader, http }) => match http {
            Some(addr) => respond(
                req,
                307,
                json!({"error": "not the leader", "leader": leader}),
                Some(format!("http://{addr}{path}")),
            ),
            None => {
                let hint = leader
                    .and_then(|l| members.get(&l))
                    .map(|m| m.peer.to_string());
                respond(
                    req,
                    503,
                    json!({"error": "no leader known", "leader": leader, "leader_peer": hint}),
                    None,
                )
            }
        },
        Ok(Reply::Lost) => respond(
            req,
            409,
            json!({"error": "leadership changed before the entry committed; it did not take effect"}),
            None,
        ),
        Err(_) => respond(
            req,
            504,
            json!({"error": "not committed in time; the outcome is unknown"}),
            None,
        ),
    }
}
