//! An HTTP client for the KV API that finds the leader: it follows 307 redirects by hand (so a
//! PUT body is resent deliberately, not by a library guess), tries the next node when one is
//! down or has no leader, and tells apart "did not happen" from "outcome unknown".

use serde_json::Value;
use std::fmt;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The operation certainly did not take effect.
    Failed(String),
    /// It may or may not have taken effect (timeout, connection lost after sending).
    Indeterminate(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Failed(m) => write!(f, "failed: {m}"),
            ClientError::Indeterminate(m) => write!(f, "outcome unknown: {m}"),
        }
    }
}

impl std::error::Error for ClientError {}

pub struct Client {
    endpoints: Vec<String>,
    agent: ureq::Agent,
    leader: Option<String>,
    next: usize,
    /// Give up after this long per operation.
    pub deadline: Duration,
}

enum Attempt {
    Done(u16, Value),
    Redirect(String),
    TryElsewhere(String),
    Unknown(String),
    /// The request itself is wrong (bad key or value): retrying cannot help.
    Rejected(String),
}

impl Client {
    /// `endpoints`: base URLs such as `http://127.0.0.1:8000` (a bare `host:port` is accepted).
    /// `pool`: keep connections open between requests.
    pub fn new(endpoints: &[String], pool: bool) -> Client {
        let cfg = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_millis(500)))
            .timeout_global(Some(
                super::node::http::REQUEST_TIMEOUT + Duration::from_secs(1),
            ))
            .max_idle_connections(if pool { 64 } else { 0 })
            .build();
        Client {
            endpoints: endpoints
                .iter()
                .map(|e| {
                    let e = e.trim_end_matches('/');
                    if e.contains("://") {
                        e.to_string()
                    } else {
                        format!("http://{e}")
                    }
                })
                .collect(),
            agent: cfg.new_agent(),
            leader: None,
            next: 0,
            deadline: Duration::from_secs(10),
        }
    }

    pub fn put(&mut self, key: &str, value: &str) -> Result<Value, ClientError> {
        self.op("PUT", key, Some(value)).map(|(_, v)| v)
    }

    /// The value, or `None` if the key is absent.
    pub fn get(&mut self, key: &str) -> Result<Option<String>, ClientError> {
        let (code, v) = self.op("GET", key, None)?;
        if code == 404 {
            return Ok(None);
        }
        Ok(v.get("value").and_then(Value::as_str).map(str::to_string))
    }

    pub fn delete(&mut self, key: &str) -> Result<Value, ClientError> {
        self.op("DELETE", key, None).map(|(_, v)| v)
    }

    /// `GET /status` of one endpoint.
    pub fn status(&self, base: &str) -> Result<Value, ClientError> {
        let url = format!("{}/status", base.trim_end_matches('/'));
        let mut resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| ClientError::Failed(format!("{url}: {e}")))?;
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| ClientError::Failed(format!("{url}: {e}")))?;
        serde_json::from_str(&text).map_err(|e| ClientError::Failed(format!("{url}: {e}")))
    }

    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    fn op(
        &mut self,
        method: &str,
        key: &str,
        body: Option<&str>,
    ) -> Result<(u16, Value), ClientError> {
        if self.endpoints.is_empty() {
            return Err(ClientError::Failed("no endpoints".into()));
        }
        let is_read = method == "GET";
        let start = Instant::now();
        let mut target = self.leader.clone();
        let mut last = String::from("no attempt");
        loop {
            if start.elapsed() > self.deadline {
                return Err(ClientError::Failed(format!(
                    "gave up after {:?}: {last}",
                    self.deadline
                )));
            }
            let base = match target.take() {
                Some(b) => b,
                None => {
                    let b = self.endpoints[self.next % self.endpoints.len()].clone();
                    self.next += 1;
                    b
                }
            };
            match self.attempt(method, &base, key, body) {
                Attempt::Done(code, v) => {
                    self.leader = Some(base);
                    return Ok((code, v));
                }
                Attempt::Rejected(why) => return Err(ClientError::Failed(why)),
                Attempt::Redirect(to) => {
                    last = format!("{base} redirected to {to}");
                    target = Some(to);
                }
                Attempt::TryElsewhere(why) => {
                    if self.leader.as_deref() == Some(base.as_str()) {
                        self.leader = None;
                    }
                    last = why;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Attempt::Unknown(why) => {
                    self.leader = None;
                    if !is_read {
                        return Err(ClientError::Indeterminate(why));
                    }
                    // Reads change nothing: retrying one is always safe.
                    last = why;
                }
            }
        }
    }

    fn attempt(&self, method: &str, base: &str, key: &str, body: Option<&str>) -> Attempt {
        let url = format!("{base}/kv/{key}");
        let result = match method {
            "PUT" => self.agent.put(&url).send(body.unwrap_or("")),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self.agent.get(&url).call(),
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                return if refused(&e) {
                    Attempt::TryElsewhere(format!("{url}: {e}"))
                } else {
                    Attempt::Unknown(format!("{url}: {e}"))
                };
            }
        };
        let code = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        let text = match resp.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) => return Attempt::Unknown(format!("{url}: reading the answer: {e}")),
        };
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        match code {
            200 | 404 => Attempt::Done(code, v),
            307 => match location.as_deref().and_then(base_of) {
                Some(b) => Attempt::Redirect(b),
                None => Attempt::TryElsewhere(format!("{url}: redirect without a usable Location")),
            },
            503 | 409 => Attempt::TryElsewhere(format!("{url}: {code} {v}")),
            400 | 405 => Attempt::Rejected(format!("{code} {v}")),
            _ => Attempt::Unknown(format!("{url}: {code} {v}")),
        }
    }
}

fn refused(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
        ),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        ureq::Error::Timeout(t) => format!("{t:?}").contains("Connect"),
        _ => false,
    }
}

/// `http://host:port/kv/x` -> `http://host:port`.
fn base_of(location: &str) -> Option<String> {
    let (scheme, rest) = location.split_once("://")?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}
