//! Pictures of traces: a message sequence diagram drawn from a [`Trace`].
//!
//! One lifeline per server (its colour and width show the role, a badge marks every change of
//! role or term/epoch), one arrow per message from the step that sent it to the step that
//! delivered it (dropped and discarded messages end early, messages still in flight run off the
//! bottom), crashes and restarts marked on the lifeline, and each server's log drawn as a row of
//! (term, value) cells with the commit index (Raft) or high watermark (KRaft) marked.
//!
//! Everything is read from the trace's data, never from a model's types: a state's `servers`
//! (`role`, `term` or `epoch`, `votedFor`, `leader`, `log`, `commitIndex` or `highWatermark`) and
//! `network` (messages with `from`/`to`, optionally as `{msg, copies}`), and each action's
//! `action_args`. So the same renderer serves the Explorer ([`explorer_svg`], from a stateright
//! `Path`) and offline traces (ITF files read with [`Trace::from_itf`]), for every variant.

use crate::spec::Spec;
use crate::trace::{diff, Trace, TraceAction};
use serde_json::{Map, Value};
use stateright::{Expectation, Path};
use std::collections::BTreeMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------------
// Reading states and actions as data.

/// The words a variant uses: Raft has terms and a commit index, KRaft epochs and a high
/// watermark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Vocab {
    /// Prefix of a term/epoch number: `t` or `e`.
    t: &'static str,
    term: &'static str,
    commit: &'static str,
}

const RAFT_WORDS: Vocab = Vocab {
    t: "t",
    term: "term",
    commit: "commit",
};
const KRAFT_WORDS: Vocab = Vocab {
    t: "e",
    term: "epoch",
    commit: "HW",
};

/// One server as the pictures need it.
#[derive(Clone, Debug, PartialEq, Default)]
struct ServerView {
    role: String,
    term: Option<i64>,
    voted_for: Option<i64>,
    leader: Option<i64>,
    /// (term, value) per entry.
    log: Vec<(Option<i64>, String)>,
    /// Entries known committed: Raft's commitIndex, KRaft's high watermark (both count entries).
    commit: Option<i64>,
    down: bool,
}

impl ServerView {
    fn role_key(&self) -> (String, Option<i64>, bool) {
        (self.role.clone(), self.term, self.down)
    }
    fn log_key(&self) -> (Vec<(Option<i64>, String)>, Option<i64>) {
        (self.log.clone(), self.commit)
    }
}

/// An integer, or an ITF/Quint option of one (`{"tag": "Some", "value": 3}`); None otherwise.
fn opt_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(m) => match m.get("tag").and_then(Value::as_str) {
            Some("Some") => m.get("value").and_then(opt_int),
            _ => m.get("#bigint").and_then(Value::as_str)?.parse().ok(),
        },
        _ => None,
    }
}

fn field<'a>(m: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| m.get(*n))
}

/// A value for people: numbers and strings bare, records and variants compact.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "-".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(",")),
        Value::Object(m) => {
            if let Some(i) = opt_int(v) {
                return i.to_string();
            }
            if let Some(tag) = m.get("tag").and_then(Value::as_str) {
                return match m.get("value") {
                    Some(Value::Object(o)) if o.contains_key("#tup") && o.len() == 1 => {
                        tag.to_string()
                    }
                    Some(inner) => format!("{tag}({})", show(inner)),
                    None => tag.to_string(),
                };
            }
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{}", show(v))).collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

fn log_entry(e: &Value) -> (Option<i64>, String) {
    match e {
        Value::Object(m) => {
            let term = field(m, &["term", "epoch"]).and_then(opt_int);
            let value = match field(m, &["value", "val", "data", "command"]) {
                Some(v) => show(v),
                None => {
                    let rest: Map<String, Value> = m
                        .iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "term" | "epoch" | "offset"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if rest.is_empty() {
                        String::new()
                    } else {
                        show(&Value::Object(rest))
                    }
                }
            };
            (term, value)
        }
        Value::Array(a) if a.len() == 2 => (opt_int(&a[0]), show(&a[1])),
        other => (None, show(other)),
    }
}

fn server_view(v: &Value) -> ServerView {
    let Value::Object(m) = v else {
        return ServerView {
            role: show(v),
            ..Default::default()
        };
    };
    let role = field(m, &["role", "state", "status"])
        .map(show)
        .unwrap_or_default();
    let lower = role.to_ascii_lowercase();
    let flag = |k: &str| m.get(k).and_then(Value::as_bool);
    let down = ["down", "crash", "offline", "stopped"]
        .iter()
        .any(|w| lower.contains(w))
        || flag("up") == Some(false)
        || flag("alive") == Some(false)
        || flag("crashed") == Some(true)
        || flag("down") == Some(true);
    ServerView {
        role,
        term: field(m, &["term", "currentTerm", "epoch"]).and_then(opt_int),
        voted_for: field(m, &["votedFor", "voted_for"]).and_then(opt_int),
        leader: field(m, &["leader", "leaderId"]).and_then(opt_int),
        log: match field(m, &["log", "entries"]) {
            Some(Value::Array(es)) => es.iter().map(log_entry).collect(),
            _ => Vec::new(),
        },
        commit: field(
            m,
            &[
                "commitIndex",
                "commit_index",
                "highWatermark",
                "high_watermark",
                "hw",
            ],
        )
        .and_then(opt_int),
        down,
    }
}

fn servers(state: &Value) -> Vec<ServerView> {
    match state.get("servers").or_else(|| state.get("nodes")) {
        Some(Value::Array(a)) => a.iter().map(server_view).collect(),
        _ => Vec::new(),
    }
}

fn vocab(trace: &Trace) -> Vocab {
    let kraft_fields = trace.steps.first().is_some_and(|s| {
        s.state
            .get("servers")
            .and_then(|a| a.get(0))
            .is_some_and(|s0| s0.get("epoch").is_some() || s0.get("highWatermark").is_some())
    });
    if kraft_fields || trace.variant == crate::spec::Variant::Kraft {
        KRAFT_WORDS
    } else {
        RAFT_WORDS
    }
}

/// A message in flight, read from its JSON.
#[derive(Clone, Debug)]
struct MsgView {
    kind: String,
    from: Option<usize>,
    to: Option<usize>,
    fields: Map<String, Value>,
}

fn msg_view(m: &Value) -> MsgView {
    let (kind, fields) = match m {
        Value::Object(o) => match (o.get("tag").and_then(Value::as_str), o.get("value")) {
            (Some(tag), Some(Value::Object(f))) => (tag.to_string(), f.clone()),
            _ => (
                field(o, &["type", "kind", "msg_type", "mtype"])
                    .map(show)
                    .unwrap_or_else(|| "message".into()),
                o.clone(),
            ),
        },
        other => ("message".into(), {
            let mut f = Map::new();
            f.insert("value".into(), other.clone());
            f
        }),
    };
    let id = |names: &[&str]| {
        field(&fields, names)
            .and_then(opt_int)
            .and_then(|i| usize::try_from(i).ok())
    };
    MsgView {
        from: id(&["from", "src", "source", "sender"]),
        to: id(&["to", "dst", "dest", "destination", "receiver"]),
        kind,
        fields,
    }
}

/// `RequestVoteResponse` → `RVR`; short names keep arrow labels inside the picture.
fn abbreviate(kind: &str) -> String {
    let caps: String = kind.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if caps.len() >= 2 {
        caps
    } else {
        kind.to_string()
    }
}

fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in key.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A message's fields in protocol terms, short: `t3 prev(1,t1) [t1:v1] commit 0`.
fn msg_fields(m: &MsgView, w: Vocab) -> String {
    fields_text(&m.fields, w)
}

fn fields_text(fields: &Map<String, Value>, w: Vocab) -> String {
    let mut parts = Vec::new();
    let skip = [
        "from",
        "to",
        "src",
        "dst",
        "source",
        "dest",
        "destination",
        "sender",
        "receiver",
        "type",
        "kind",
    ];
    if let Some(t) = field(fields, &["term", "epoch"]).and_then(opt_int) {
        parts.push(format!("{}{t}", w.t));
    }
    let get = |k: &str| fields.get(k).and_then(opt_int);
    let mut used: Vec<&str> = vec!["term", "epoch"];
    for (a, b, name) in [
        ("last_log_index", "last_log_term", "last"),
        ("prev_log_index", "prev_log_term", "prev"),
        ("last_offset", "last_epoch", "last"),
        ("fetch_offset", "last_fetched_epoch", "fetch"),
    ] {
        if let (Some(i), Some(t)) = (get(a), get(b)) {
            parts.push(format!("{name}({i},{}{t})", w.t));
            used.extend([a, b]);
        }
    }
    for (k, v) in fields {
        if skip.contains(&k.as_str()) || used.contains(&k.as_str()) {
            continue;
        }
        let text = match (k.as_str(), v) {
            ("granted" | "vote_granted" | "voteGranted", Value::Bool(b)) => {
                (if *b { "granted" } else { "denied" }).to_string()
            }
            ("success", Value::Bool(b)) => (if *b { "ok" } else { "rejected" }).to_string(),
            (_, Value::Bool(b)) => {
                if *b {
                    camel(k)
                } else {
                    format!("not {}", camel(k))
                }
            }
            (_, Value::Array(es)) => {
                let cells: Vec<String> = es
                    .iter()
                    .map(|e| match log_entry(e) {
                        (Some(t), v) if !v.is_empty() => {
                            format!("{}{t}:{}", w.t, value_text(&v, w))
                        }
                        (Some(t), _) => format!("{}{t}", w.t),
                        (None, v) => v,
                    })
                    .collect();
                format!("[{}]", cells.join(","))
            }
            ("leader" | "leader_id" | "candidate" | "voted_for", _) => match opt_int(v) {
                Some(i) => format!("{} S{i}", camel(k)),
                None => format!("{} none", camel(k)),
            },
            // A variant with fields (KRaft's fetch result): its name, then its fields.
            (_, Value::Object(o)) if o.get("tag").is_some_and(Value::is_string) => {
                let tag = o["tag"].as_str().unwrap_or_default();
                match o.get("value") {
                    Some(Value::Object(inner)) if !inner.contains_key("#tup") => {
                        format!("{tag}({})", fields_text(inner, w))
                    }
                    _ => show(v),
                }
            }
            ("leader_commit", _) => format!("commit {}", show(v)),
            ("match_index", _) => format!("match {}", show(v)),
            ("high_watermark", _) => format!("HW {}", show(v)),
            _ => format!("{} {}", camel(k), show(v)),
        };
        parts.push(text);
    }
    parts.join(" ")
}

/// The network of a state: each distinct message (by its JSON) with its copy count.
fn network(state: &Value) -> BTreeMap<String, (MsgView, u64)> {
    let mut out = BTreeMap::new();
    let Some(Value::Array(items)) = state.get("network").or_else(|| state.get("messages")) else {
        return out;
    };
    for item in items {
        let (m, copies) = match item {
            Value::Object(o) if o.contains_key("msg") => (
                &o["msg"],
                o.get("copies").and_then(opt_int).unwrap_or(1).max(0) as u64,
            ),
            other => (other, 1),
        };
        let key = m.to_string();
        let entry = out.entry(key).or_insert_with(|| (msg_view(m), 0));
        entry.1 += copies;
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    /// A network action on one message (by key): deliver, drop or duplicate.
    Deliver(String),
    Drop(String),
    Duplicate(String),
    /// A server's own event (timer, client request, crash, restart).
    Local {
        actor: Option<usize>,
        text: String,
        crash: bool,
        restart: bool,
    },
}

/// The first value inside `v` (itself included) that is a message of `net`.
fn find_msg(v: &Value, net: &BTreeMap<String, (MsgView, u64)>) -> Option<String> {
    let key = v.to_string();
    if net.contains_key(&key) {
        return Some(key);
    }
    match v {
        Value::Object(m) => m.values().find_map(|x| find_msg(x, net)),
        Value::Array(a) => a.iter().find_map(|x| find_msg(x, net)),
        _ => None,
    }
}

fn words(camel_case: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel_case.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn classify(a: &TraceAction, net: &BTreeMap<String, (MsgView, u64)>) -> Event {
    let tag = a
        .args
        .get("tag")
        .and_then(Value::as_str)
        .unwrap_or(&a.name)
        .to_string();
    let lower = format!("{} {}", tag, a.name).to_ascii_lowercase();
    if let Some(key) = find_msg(&a.args, net) {
        return if lower.contains("drop") || lower.contains("lose") {
            Event::Drop(key)
        } else if lower.contains("dup") {
            Event::Duplicate(key)
        } else {
            Event::Deliver(key)
        };
    }
    let payload = a.args.get("value").unwrap_or(&a.args);
    let ints: Vec<i64> = match payload {
        Value::Array(xs) => xs.iter().filter_map(opt_int).collect(),
        Value::Object(m) => match opt_int(payload) {
            Some(i) => vec![i],
            None => field(m, &["server", "node", "s", "id", "leader"])
                .and_then(opt_int)
                .into_iter()
                .chain(field(m, &["value", "v"]).and_then(opt_int))
                .collect(),
        },
        other => opt_int(other).into_iter().collect(),
    };
    let actor = ints.first().and_then(|&i| usize::try_from(i).ok());
    let restart = lower.contains("restart") || lower.contains("recover");
    let crash = lower.contains("crash") || tag == "Restart";
    let text = if lower.contains("client") {
        match ints.get(1) {
            Some(v) => format!("client v{v}"),
            None => "client request".into(),
        }
    } else if tag == "Restart" {
        "crash + restart".into()
    } else {
        words(&tag)
    };
    Event::Local {
        actor,
        text,
        crash,
        restart,
    }
}

// ---------------------------------------------------------------------------------------------
// Messages over the whole trace.

#[derive(Clone, Debug, PartialEq)]
enum End {
    Delivered(usize),
    Dropped(usize),
    /// Removed without being handled (a stale response the model discards, or absorbed).
    Discarded(usize),
    InFlight,
}

#[derive(Clone, Debug)]
struct Arrow {
    kind: String,
    from: usize,
    to: usize,
    label: String,
    start: usize,
    end: End,
}

struct Copy {
    key: String,
    start: usize,
}

/// Follows every copy of every message from the step that sent it to the step that ended it.
/// The messages of a trace, the steps where the network duplicated one (step, from, to), and
/// each step's event.
#[derive(Default)]
struct Flow {
    arrows: Vec<Arrow>,
    dups: Vec<(usize, usize, usize)>,
    events: Vec<Event>,
}

fn arrows(trace: &Trace, w: Vocab) -> Flow {
    let mut pending: Vec<Copy> = Vec::new();
    let mut arrows = Vec::new();
    let mut dups = Vec::new(); // (step, from, to)
    let mut events = Vec::new();
    let mut views: BTreeMap<String, MsgView> = BTreeMap::new();
    let finish = |pending: &mut Vec<Copy>,
                  views: &BTreeMap<String, MsgView>,
                  key: &str,
                  end: End,
                  arrows: &mut Vec<Arrow>| {
        if let Some(pos) = pending.iter().position(|c| c.key == key) {
            let c = pending.remove(pos);
            if let Some(m) = views.get(key) {
                if let (Some(from), Some(to)) = (m.from, m.to) {
                    arrows.push(Arrow {
                        kind: m.kind.clone(),
                        from,
                        to,
                        label: format!("{} {}", abbreviate(&m.kind), msg_fields(m, w)),
                        start: c.start,
                        end,
                    });
                }
            }
        }
    };
    let mut prev = network(&trace.steps[0].state);
    for (k, (m, copies)) in &prev {
        views.insert(k.clone(), m.clone());
        for _ in 0..*copies {
            pending.push(Copy {
                key: k.clone(),
                start: 0,
            });
        }
    }
    for (i, step) in trace.steps.iter().enumerate().skip(1) {
        let next = network(&step.state);
        for (k, (m, _)) in &next {
            views.entry(k.clone()).or_insert_with(|| m.clone());
        }
        let event = match &step.action {
            Some(a) => classify(a, &prev),
            None => Event::Local {
                actor: None,
                text: String::new(),
                crash: false,
                restart: false,
            },
        };
        // What the network holds after the action itself, before anything it sends.
        let mut expected: BTreeMap<String, i64> = prev
            .iter()
            .map(|(k, (_, c))| (k.clone(), *c as i64))
            .collect();
        match &event {
            Event::Deliver(k) => {
                *expected.entry(k.clone()).or_default() -= 1;
                finish(&mut pending, &views, k, End::Delivered(i), &mut arrows);
            }
            Event::Drop(k) => {
                *expected.entry(k.clone()).or_default() -= 1;
                finish(&mut pending, &views, k, End::Dropped(i), &mut arrows);
            }
            Event::Duplicate(k) => {
                *expected.entry(k.clone()).or_default() += 1;
                let start = pending.iter().find(|c| &c.key == k).map_or(i, |c| c.start);
                pending.push(Copy {
                    key: k.clone(),
                    start,
                });
                if let Some(m) = views.get(k) {
                    if let (Some(f), Some(t)) = (m.from, m.to) {
                        dups.push((i, f, t));
                    }
                }
            }
            Event::Local { .. } => {}
        }
        let keys: Vec<String> = expected.keys().chain(next.keys()).cloned().collect();
        for k in keys {
            let have = next.get(&k).map_or(0, |(_, c)| *c as i64);
            let want = expected.get(&k).copied().unwrap_or(0);
            for _ in have..want {
                finish(&mut pending, &views, &k, End::Discarded(i), &mut arrows);
            }
            for _ in want.max(0)..have {
                pending.push(Copy {
                    key: k.clone(),
                    start: i,
                });
            }
            expected.insert(k, have); // count each key once
        }
        events.push(event);
        prev = next;
    }
    for c in std::mem::take(&mut pending) {
        let key = c.key.clone();
        finish(&mut vec![c], &views, &key, End::InFlight, &mut arrows);
    }
    Flow {
        arrows,
        dups,
        events,
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

const TERM_FILLS: [&str; 8] = [
    "#e5e7eb", "#bfdbfe", "#fde68a", "#bbf7d0", "#fecaca", "#ddd6fe", "#a5f3fc", "#fbcfe8",
];

fn term_fill(t: Option<i64>) -> &'static str {
    match t {
        Some(t) if t >= 0 => TERM_FILLS[(t as usize) % TERM_FILLS.len()],
        _ => "#f3f4f6",
    }
}

/// (stroke colour, width, badge fill) of a lifeline in a role.
fn role_style(s: &ServerView) -> (&'static str, f64, &'static str) {
    let r = s.role.to_ascii_lowercase();
    if s.down {
        ("#dc2626", 1.5, "#dc2626")
    } else if r.contains("leader") && !r.contains("follow") {
        ("#15803d", 5.0, "#15803d")
    } else if r.contains("candidate") || r.contains("prospective") {
        ("#d97706", 3.0, "#d97706")
    } else if r.contains("follower") || r.contains("voted") {
        ("#64748b", 1.5, "#475569")
    } else {
        ("#9ca3af", 1.5, "#6b7280")
    }
}

const MSG_COLORS: [&str; 6] = [
    "#7c3aed", "#2563eb", "#0891b2", "#be185d", "#4d7c0f", "#b45309",
];

/// Messages of one request/response pair share a colour; responses are dashed.
fn msg_color(kind: &str, families: &mut Vec<String>) -> &'static str {
    let family = kind
        .trim_end_matches("Response")
        .trim_end_matches("Reply")
        .to_string();
    let i = match families.iter().position(|f| *f == family) {
        Some(i) => i,
        None => {
            families.push(family);
            families.len() - 1
        }
    };
    MSG_COLORS[i % MSG_COLORS.len()]
}

fn is_reply(kind: &str) -> bool {
    kind.ends_with("Response") || kind.ends_with("Reply") || kind.ends_with("Ack")
}

/// The role badge text: `Leader t3`.
fn role_text(s: &ServerView, w: Vocab) -> String {
    let mut t = if s.role.is_empty() {
        "?".to_string()
    } else {
        s.role.clone()
    };
    if let Some(term) = s.term {
        let _ = write!(t, " {}{term}", w.t);
    }
    t
}

/// Changes worth a line under a step: everything but the network and leader bookkeeping.
fn changes(before: &Value, after: &Value) -> String {
    let noisy = [
        "network",
        "nextIndex",
        "matchIndex",
        "votesGranted",
        "restarts",
        "fetchOffsets",
        "endOffsets",
    ];
    diff(before, after)
        .into_iter()
        .filter(|c| {
            !noisy
                .iter()
                .any(|n| c.starts_with(n) || c.contains(&format!(".{n}")))
        })
        .map(|c| c.replace('"', ""))
        .collect::<Vec<_>>()
        .join("; ")
}

struct Layout {
    pad: f64,
    num_w: f64,
    col_w: f64,
    desc_w: f64,
    head_h: f64,
    row_h: f64,
    n: usize,
}

impl Layout {
    /// Room left of the first lifeline for the labels of its timers and client requests.
    const LEFT: f64 = 92.0;
    /// Room right of the last lifeline for its badges.
    const RIGHT: f64 = 106.0;

    fn lane(&self, s: usize) -> f64 {
        self.pad + self.num_w + Self::LEFT + self.col_w * s as f64
    }
    fn y(&self, step: usize) -> f64 {
        self.head_h + self.row_h * step as f64 + self.row_h / 2.0
    }
    fn desc_x(&self) -> f64 {
        self.lane(self.n.max(1) - 1) + Self::RIGHT
    }
    fn width(&self) -> f64 {
        self.desc_x() + self.desc_w + self.pad
    }
}

fn arrow_head(out: &mut String, x: f64, y: f64, angle: f64, color: &str) {
    let (s, c) = angle.sin_cos();
    let (l, wd) = (8.0, 3.5);
    let (bx, by) = (x - l * c, y - l * s);
    let _ = write!(
        out,
        r#"<path d="M{x:.1},{y:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="{color}"/>"#,
        bx - wd * s,
        by + wd * c,
        bx + wd * s,
        by - wd * c
    );
}

/// Height of the header above the first step row, and of a step row, in [`render`].
const HEAD_H: f64 = 74.0;
const ROW_H: f64 = 30.0;

/// The vertical band (top, bottom) that step rows `first..=last` take in [`render`]'s drawing,
/// for overlays such as a lasso's cycle.
pub fn step_band(first: usize, last: usize) -> (f64, f64) {
    (
        HEAD_H + ROW_H * first as f64,
        HEAD_H + ROW_H * (last + 1) as f64,
    )
}

/// Draws a trace: the numbered steps, the message sequence diagram, and the final logs. A
/// property named in the trace is shown as violated at the last step (raftspec writes traces
/// with a property only for counterexamples).
pub fn render(trace: &Trace) -> String {
    let violated: Vec<String> = trace.property.iter().cloned().collect();
    render_with(trace, &violated)
}

/// Draws a trace and marks `violated` (properties that fail in its last state).
pub fn render_with(trace: &Trace, violated: &[String]) -> String {
    let w = vocab(trace);
    let views: Vec<Vec<ServerView>> = trace.steps.iter().map(|s| servers(&s.state)).collect();
    let n = views.iter().map(Vec::len).max().unwrap_or(0);
    let rows = trace.steps.len();
    let l = Layout {
        pad: 10.0,
        num_w: 26.0,
        col_w: 128.0,
        desc_w: 420.0,
        head_h: HEAD_H,
        row_h: ROW_H,
        n,
    };
    let Flow {
        arrows,
        dups,
        events,
    } = if rows > 0 {
        arrows(trace, w)
    } else {
        Flow::default()
    };
    let last_y = l.y(rows.saturating_sub(1));
    let inflight_y = last_y + l.row_h * 0.8;
    let diagram_bottom = l.head_h + l.row_h * rows as f64 + l.row_h * 0.6;
    let final_state = views.last().cloned().unwrap_or_default();
    let committed = trace
        .steps
        .last()
        .and_then(|s| s.state.get("committed"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let panel_top = diagram_bottom + 16.0;
    let cell_w = 38.0;
    let panel_row = 34.0;
    let legend_top =
        panel_top + 28.0 + panel_row * n as f64 + if committed.is_empty() { 0.0 } else { 22.0 };
    let height = legend_top + 58.0;
    let width = l
        .width()
        .max(l.pad + 250.0 + cell_w * 6.0 + 160.0)
        .max(640.0);

    let mut o = String::new();
    let path_attr = trace
        .path
        .as_deref()
        .map(|p| format!(r#" data-path="{}""#, esc(p)))
        .unwrap_or_default();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="raftspec-msc" data-variant="{}" data-steps="{}"{path_attr} width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" style="max-width:100%;height:auto" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">"#,
        trace.variant,
        rows.saturating_sub(1)
    );
    let _ = write!(
        o,
        r##"<rect x="0" y="0" width="{width:.0}" height="{height:.0}" fill="#ffffff"/>"##
    );
    // Title.
    let mut title = format!("{}", trace.variant);
    if let Some(b) = trace.bug {
        let _ = write!(title, " with bug {b}");
    }
    let _ = write!(title, " — {} steps", rows.saturating_sub(1));
    if !violated.is_empty() {
        let _ = write!(title, " — {} violated", violated.join(", "));
    } else if let Some(p) = &trace.property {
        let _ = write!(title, " — {p}");
    }
    let _ = write!(
        o,
        r##"<text x="{}" y="20" font-size="14" font-weight="bold" fill="#111827">{}</text>"##,
        l.pad,
        esc(&title)
    );
    let _ = write!(
        o,
        r##"<text x="{}" y="36" font-size="10" fill="#6b7280">bounds: {}</text>"##,
        l.pad,
        esc(&trace.bounds.to_string())
    );
    // Row bands, step numbers.
    for i in 0..rows {
        let top = l.head_h + l.row_h * i as f64;
        let last = i + 1 == rows;
        let fill = if last && !violated.is_empty() {
            "#fee2e2"
        } else if i % 2 == 0 {
            "#f8fafc"
        } else {
            "#ffffff"
        };
        let _ = write!(
            o,
            r#"<rect x="{}" y="{top:.1}" width="{:.1}" height="{}" fill="{fill}"/>"#,
            l.pad,
            width - 2.0 * l.pad,
            l.row_h
        );
        let _ = write!(
            o,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#6b7280">{i}</text>"##,
            l.pad + l.num_w - 4.0,
            l.y(i) + 4.0
        );
    }
    // Server heads.
    for s in 0..n {
        let x = l.lane(s);
        let _ = write!(
            o,
            r##"<rect x="{:.1}" y="46" width="40" height="20" rx="4" fill="#1f2937"/><text class="lifeline-head" x="{x:.1}" y="60" text-anchor="middle" font-weight="bold" fill="#ffffff">S{s}</text>"##,
            x - 20.0
        );
    }
    // Lifelines, one segment per step, styled by the role after that step.
    o.push_str(r#"<g class="lifelines">"#);
    for s in 0..n {
        let x = l.lane(s);
        for (i, v) in views.iter().enumerate() {
            let Some(sv) = v.get(s) else { continue };
            let (color, wd, _) = role_style(sv);
            let y0 = if i == 0 { 66.0 } else { l.y(i) };
            let y1 = if i + 1 == rows {
                diagram_bottom
            } else {
                l.y(i + 1)
            };
            let dash = if sv.down {
                r#" stroke-dasharray="4 3""#
            } else {
                ""
            };
            let _ = write!(
                o,
                r#"<line class="lifeline" data-server="{s}" x1="{x:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{y1:.1}" stroke="{color}" stroke-width="{wd}"{dash}/>"#
            );
        }
    }
    o.push_str("</g>");
    // Messages.
    o.push_str(r#"<g class="messages">"#);
    let mut families = Vec::new();
    let mut kinds_seen: Vec<String> = Vec::new();
    let mut siblings: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for a in &arrows {
        if !kinds_seen.contains(&a.kind) {
            kinds_seen.push(a.kind.clone());
        }
        if a.from >= n || a.to >= n {
            continue;
        }
        let color = msg_color(&a.kind, &mut families);
        let (x0, y0) = (l.lane(a.from), l.y(a.start));
        let xt = l.lane(a.to);
        let (x1, y1, color, dash, class) = match a.end {
            End::Delivered(j) => (xt, l.y(j), color, "", "delivered"),
            End::Dropped(j) => ((x0 + xt) / 2.0, l.y(j), "#dc2626", "", "dropped"),
            End::Discarded(j) => (xt, l.y(j), "#9ca3af", "2 3", "discarded"),
            End::InFlight => (xt, inflight_y, color, "6 4", "in-flight"),
        };
        let dash = if dash.is_empty() && is_reply(&a.kind) {
            "5 3"
        } else {
            dash
        };
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = write!(
            o,
            r#"<g class="msg {class}"><title>{}</title><line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="{color}" stroke-width="1.4"{dash_attr}/>"#,
            esc(&format!("S{}→S{} {}", a.from, a.to, a.label))
        );
        let angle = (y1 - y0).atan2(x1 - x0);
        match a.end {
            End::Delivered(_) => arrow_head(&mut o, x1, y1, angle, color),
            End::Dropped(_) => {
                let _ = write!(
                    o,
                    r##"<text x="{x1:.1}" y="{:.1}" text-anchor="middle" font-size="15" font-weight="bold" fill="#dc2626">✕</text><text x="{x1:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="#dc2626">dropped</text>"##,
                    y1 + 5.0,
                    y1 + 15.0
                );
            }
            End::Discarded(_) => {
                let _ = write!(
                    o,
                    r##"<circle cx="{x1:.1}" cy="{y1:.1}" r="3" fill="none" stroke="#9ca3af"/>"##
                );
            }
            End::InFlight => {
                arrow_head(&mut o, x1, y1, angle, color);
                let _ = write!(
                    o,
                    r##"<text x="{x1:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="{color}">in flight</text>"##,
                    y1 + 11.0
                );
            }
        }
        // Label along the arrow, kept upright; arrows leaving one point stagger their labels.
        let sibling = *siblings
            .entry((a.from, a.start))
            .and_modify(|k| *k += 1)
            .or_insert(0usize);
        let f = [0.5, 0.68, 0.36, 0.8][sibling % 4];
        let (mx, my) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
        let mut deg = angle.to_degrees();
        if deg > 90.0 {
            deg -= 180.0;
        } else if deg < -90.0 {
            deg += 180.0;
        }
        let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        let room = 2.0 * f.min(1.0 - f) * len;
        let max_chars = ((room - 14.0) / 5.6).max(8.0) as usize;
        let label_color = if matches!(a.end, End::Discarded(_)) {
            "#9ca3af"
        } else {
            color
        };
        let _ = write!(
            o,
            r##"<text x="{mx:.1}" y="{my:.1}" dy="-3" text-anchor="middle" font-size="9.5" fill="{label_color}" stroke="#ffffff" stroke-width="3" paint-order="stroke" transform="rotate({deg:.1} {mx:.1} {my:.1})">{}</text></g>"##,
            esc(&clip(&a.label, max_chars))
        );
    }
    for (i, f, t) in &dups {
        if *f >= n || *t >= n {
            continue;
        }
        let x = l.lane(*f) + (l.lane(*t) - l.lane(*f)) * 0.25;
        let _ = write!(
            o,
            r##"<text class="dup" x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10" font-weight="bold" fill="#9333ea">+1 copy</text>"##,
            l.y(*i) + 4.0
        );
    }
    o.push_str("</g>");
    // Local events (timers, client requests, crashes and restarts).
    o.push_str(r#"<g class="events">"#);
    for (k, e) in events.iter().enumerate() {
        let i = k + 1;
        let Event::Local {
            actor: Some(s),
            text,
            crash,
            restart,
        } = e
        else {
            continue;
        };
        if *s >= n {
            continue;
        }
        let (x, y) = (l.lane(*s), l.y(i));
        if *crash || *restart {
            let _ = write!(
                o,
                r##"<text class="crash" x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="17" font-weight="bold" fill="#dc2626">✕</text>"##,
                y + 6.0
            );
        } else {
            let _ = write!(
                o,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="4.5" fill="#ffffff" stroke="#111827" stroke-width="1.5"/>"##
            );
        }
        let color = if *crash || *restart {
            "#dc2626"
        } else {
            "#111827"
        };
        let _ = write!(
            o,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="9.5" font-style="italic" fill="{color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text>"##,
            x - 8.0,
            y - 5.0,
            esc(text)
        );
    }
    o.push_str("</g>");
    // Badges: role/term changes and log/commit changes, where they happen.
    o.push_str(r#"<g class="badges">"#);
    for (i, v) in views.iter().enumerate() {
        for (s, sv) in v.iter().enumerate() {
            let before = if i == 0 { None } else { views[i - 1].get(s) };
            let x = l.lane(s) + 7.0;
            let y = l.y(i);
            if before.map(ServerView::role_key) != Some(sv.role_key()) {
                let (_, _, fill) = role_style(sv);
                let text = if sv.down {
                    "down".to_string()
                } else {
                    role_text(sv, w)
                };
                let bw = 7.0 + 6.2 * text.chars().count() as f64;
                let _ = write!(
                    o,
                    r##"<g class="role-badge"><rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="13" rx="3" fill="{fill}"/><text x="{:.1}" y="{:.1}" font-size="10" font-weight="bold" fill="#ffffff">{}</text></g>"##,
                    y - 14.0,
                    x + 3.5,
                    y - 4.0,
                    esc(&text)
                );
            }
            let log_changed = before.map(ServerView::log_key) != Some(sv.log_key());
            if log_changed && (i > 0 || !sv.log.is_empty()) {
                draw_mini_log(&mut o, sv, x, y + 1.0, w);
            }
        }
    }
    o.push_str("</g>");
    // Step descriptions.
    o.push_str(r#"<g class="steps">"#);
    let dx = l.desc_x();
    let max_chars = (l.desc_w / 6.1) as usize;
    for (i, step) in trace.steps.iter().enumerate() {
        let label = match &step.action {
            None => "initial state".to_string(),
            Some(a) => a.label.clone(),
        };
        let _ = write!(
            o,
            r##"<text class="action-label" x="{dx:.1}" y="{:.1}" font-size="11" fill="#111827"><title>{}</title>{}</text>"##,
            l.y(i) - 2.0,
            esc(&label),
            esc(&clip(&label, max_chars))
        );
        let detail = if i == 0 {
            String::new()
        } else {
            changes(&trace.steps[i - 1].state, &step.state)
        };
        let detail = if i + 1 == rows && !violated.is_empty() {
            let v = format!("✗ {} violated", violated.join(", "));
            if detail.is_empty() {
                v
            } else {
                format!("{v} · {detail}")
            }
        } else {
            detail
        };
        if !detail.is_empty() {
            let color = if i + 1 == rows && !violated.is_empty() {
                "#b91c1c"
            } else {
                "#4b5563"
            };
            let _ = write!(
                o,
                r##"<text class="changes" x="{dx:.1}" y="{:.1}" font-size="9.5" fill="{color}"><title>{}</title>{}</text>"##,
                l.y(i) + 10.0,
                esc(&detail),
                esc(&clip(&detail, (l.desc_w / 5.4) as usize))
            );
        }
    }
    o.push_str("</g>");
    // Final logs.
    let _ = write!(
        o,
        r##"<g class="logs"><text x="{}" y="{:.1}" font-size="12" font-weight="bold" fill="#111827">After step {}: each server's log as ({}, value) cells; the red bar marks the {}</text>"##,
        l.pad,
        panel_top + 12.0,
        rows.saturating_sub(1),
        w.term,
        if w.commit == "HW" {
            "high watermark"
        } else {
            "commit index"
        }
    );
    for (s, sv) in final_state.iter().enumerate() {
        let y = panel_top + 24.0 + panel_row * s as f64;
        let (_, _, fill) = role_style(sv);
        let mut who = role_text(sv, w);
        if let Some(v) = sv.voted_for {
            let _ = write!(who, " · voted S{v}");
        }
        if let Some(ld) = sv.leader {
            let _ = write!(who, " · leader S{ld}");
        }
        let _ = write!(
            o,
            r##"<text x="{}" y="{:.1}" font-weight="bold" fill="#111827">S{s}</text><text x="{}" y="{:.1}" font-size="10.5" fill="{fill}">{}</text>"##,
            l.pad,
            y + 17.0,
            l.pad + 26.0,
            y + 17.0,
            esc(&clip(&who, 34))
        );
        let x0 = l.pad + 230.0;
        if sv.log.is_empty() {
            let _ = write!(
                o,
                r##"<text x="{x0:.1}" y="{:.1}" font-size="10.5" fill="#9ca3af">(empty log)</text>"##,
                y + 17.0
            );
        }
        for (k, (t, v)) in sv.log.iter().enumerate() {
            let cx = x0 + cell_w * k as f64;
            let committed_cell = sv.commit.is_some_and(|c| (k as i64) < c);
            let _ = write!(
                o,
                r##"<rect class="log-cell" x="{cx:.1}" y="{y:.1}" width="{:.1}" height="26" fill="{}" stroke="{}" stroke-width="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10.5" font-weight="bold" fill="#111827">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="#374151">{}</text>"##,
                cell_w - 2.0,
                term_fill(*t),
                if committed_cell { "#111827" } else { "#9ca3af" },
                if committed_cell { 1.6 } else { 0.8 },
                cx + cell_w / 2.0 - 1.0,
                y + 11.0,
                t.map_or("?".to_string(), |t| format!("{}{t}", w.t)),
                cx + cell_w / 2.0 - 1.0,
                y + 22.0,
                esc(&clip(&value_text(v, w), 6))
            );
            let _ = write!(
                o,
                r##"<text x="{:.1}" y="{:.1}" font-size="8" fill="#9ca3af">{}</text>"##,
                cx + 1.0,
                y - 1.0,
                k + 1
            );
        }
        if let Some(c) = sv.commit {
            let cx = x0 + cell_w * c.clamp(0, 64) as f64 - 1.0;
            let _ = write!(
                o,
                r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="#dc2626" stroke-width="3"/><text x="{:.1}" y="{:.1}" font-size="9.5" fill="#dc2626">{} {c}</text>"##,
                y - 3.0,
                y + 29.0,
                x0 + cell_w * sv.log.len().max(c.clamp(0, 64) as usize) as f64 + 8.0,
                y + 17.0,
                w.commit
            );
        }
    }
    if !committed.is_empty() {
        let cells: Vec<String> = committed
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let (t, v) = log_entry(c);
                let by = c
                    .get("inTerm")
                    .or_else(|| c.get("inEpoch"))
                    .and_then(opt_int)
                    .map(|x| format!(" by the leader of {}{x}", w.t))
                    .unwrap_or_default();
                format!(
                    "index {}: ({}{}, {}){by}",
                    k + 1,
                    w.t,
                    t.map_or("?".into(), |t| t.to_string()),
                    value_text(&v, w)
                )
            })
            .collect();
        let _ = write!(
            o,
            r##"<text x="{}" y="{:.1}" font-size="10.5" fill="#111827">acknowledged to clients as committed: {}</text>"##,
            l.pad,
            legend_top - 8.0,
            esc(&cells.join("; "))
        );
    }
    o.push_str("</g>");
    // Legend.
    let mut legend = vec![
        "lifeline: grey follower, orange candidate, thick green leader, dashed red down".to_string(),
        "✕ crash/restart or dropped message · ○ stale message discarded unread · ○ on lifeline: timer or client request · dashed arrow: response".to_string(),
    ];
    let abbrevs: Vec<String> = kinds_seen
        .iter()
        .filter(|k| abbreviate(k) != **k)
        .map(|k| format!("{} = {k}", abbreviate(k)))
        .collect();
    if !abbrevs.is_empty() {
        legend.push(abbrevs.join(", "));
    }
    if w == KRAFT_WORDS {
        legend.push("LC = the LeaderChange control record a new leader appends".to_string());
    }
    for (k, line) in legend.iter().enumerate() {
        let _ = write!(
            o,
            r##"<text class="legend" x="{}" y="{:.1}" font-size="9.5" fill="#6b7280">{}</text>"##,
            l.pad,
            legend_top + 10.0 + 13.0 * k as f64,
            esc(line)
        );
    }
    o.push_str("</svg>");
    o
}

/// A log entry's value in a cell: `v1`; KRaft's value 0 is its LeaderChange control record.
fn value_text(v: &str, w: Vocab) -> String {
    if w == KRAFT_WORDS && v == "0" {
        "LC".into()
    } else if v.starts_with('v') || v.is_empty() {
        v.to_string()
    } else {
        format!("v{v}")
    }
}

/// A small row of term-coloured cells beside a lifeline: the log right after a step.
fn draw_mini_log(o: &mut String, sv: &ServerView, x: f64, y: f64, w: Vocab) {
    let cw = 17.0;
    let _ = write!(o, r#"<g class="mini-log">"#);
    if sv.log.is_empty() {
        let _ = write!(
            o,
            r##"<text x="{x:.1}" y="{:.1}" font-size="9" fill="#6b7280">log []</text>"##,
            y + 10.0
        );
    }
    for (k, (t, _)) in sv.log.iter().enumerate() {
        let cx = x + cw * k as f64;
        let committed = sv.commit.is_some_and(|c| (k as i64) < c);
        let _ = write!(
            o,
            r##"<rect x="{cx:.1}" y="{y:.1}" width="{:.1}" height="12" fill="{}" stroke="{}" stroke-width="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="8.5" fill="#111827">{}</text>"##,
            cw - 1.0,
            term_fill(*t),
            if committed { "#111827" } else { "#9ca3af" },
            if committed { 1.4 } else { 0.7 },
            cx + cw / 2.0 - 0.5,
            y + 9.5,
            t.map_or("?".to_string(), |t| format!("{}{t}", w.t))
        );
    }
    if let Some(c) = sv.commit {
        if c > 0 {
            let cx = x + cw * c.clamp(0, 64) as f64 - 1.0;
            let _ = write!(
                o,
                r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="#dc2626" stroke-width="2.5"/>"##,
                y - 1.0,
                y + 13.0
            );
        }
    }
    o.push_str("</g>");
}

// ---------------------------------------------------------------------------------------------
// Explorer hooks, for every Spec.

/// `Model::as_svg` for any variant: the Explorer's path as a [`Trace`], drawn with the
/// properties that fail in its last state marked.
pub fn explorer_svg<S: Spec>(spec: &S, path: Path<S::State, S::Action>) -> Option<String> {
    let last = path.last_state().clone();
    let violated: Vec<String> = spec
        .properties()
        .iter()
        .filter(|p| p.expectation == Expectation::Always && !(p.condition)(spec, &last))
        .map(|p| p.name.to_string())
        .collect();
    let trace = Trace::from_path(spec, path, None);
    Some(render_with(&trace, &violated))
}

/// `Model::format_step` for any variant: what the step changed, then the state after it.
pub fn format_step<S: Spec>(spec: &S, last: &S::State, action: S::Action) -> Option<String> {
    let next = spec.next_state(last, action)?;
    let (before, after) = (spec.state_json(last), spec.state_json(&next));
    let mut out = String::from("What changed:\n");
    let changed = diff(&before, &after);
    if changed.is_empty() {
        out.push_str("  nothing\n");
    }
    for c in changed {
        let _ = writeln!(out, "  {}", c.replace('"', ""));
    }
    out.push_str("\nState after this step:\n");
    out.push_str(&state_summary_with(&after, vocab_of(spec.variant())));
    Some(out)
}

fn vocab_of(v: crate::spec::Variant) -> Vocab {
    match v {
        crate::spec::Variant::Raft => RAFT_WORDS,
        crate::spec::Variant::Kraft => KRAFT_WORDS,
    }
}

/// A state in a few lines: one per server (role, term, vote, log, commit) and the network.
pub fn state_summary(state: &Value) -> String {
    state_summary_with(state, state_summary_vocab(state))
}

fn state_summary_with(state: &Value, w: Vocab) -> String {
    let mut out = String::new();
    for (s, sv) in servers(state).iter().enumerate() {
        let log: Vec<String> = sv
            .log
            .iter()
            .map(|(t, v)| {
                format!(
                    "({}{},{})",
                    w.t,
                    t.map_or("?".into(), |t| t.to_string()),
                    value_text(v, w)
                )
            })
            .collect();
        let _ = write!(out, "  S{s} {}", role_text(sv, w));
        if let Some(v) = sv.voted_for {
            let _ = write!(out, " voted S{v}");
        }
        if let Some(ld) = sv.leader {
            let _ = write!(out, " leader S{ld}");
        }
        let _ = write!(out, " log [{}]", log.join(" "));
        if let Some(c) = sv.commit {
            let _ = write!(out, " {} {c}", w.commit);
        }
        out.push('\n');
    }
    let net = network(state);
    if net.is_empty() {
        out.push_str("  network: empty\n");
    } else {
        out.push_str("  network:\n");
        for (m, copies) in net.values() {
            let who = match (m.from, m.to) {
                (Some(f), Some(t)) => format!("S{f}→S{t} "),
                _ => String::new(),
            };
            let times = if *copies > 1 {
                format!(" ×{copies}")
            } else {
                String::new()
            };
            let _ = writeln!(out, "    {who}{} {}{times}", m.kind, msg_fields(m, w));
        }
    }
    out
}

/// A short edge label for a step (state graphs): who does what, with the message in brief.
pub fn short_action(before: &Value, a: &TraceAction) -> String {
    let net = network(before);
    let w = state_summary_vocab(before);
    let brief = |k: &str, verb: &str| {
        let Some((m, _)) = net.get(k) else {
            return a.label.clone();
        };
        let who = match (m.from, m.to) {
            (Some(f), Some(t)) => format!("S{f}→S{t}"),
            _ => String::new(),
        };
        format!("{verb}{} {who} {}", m.kind, msg_fields(m, w))
    };
    match classify(a, &net) {
        Event::Deliver(k) => brief(&k, "deliver "),
        Event::Drop(k) => brief(&k, "drop "),
        Event::Duplicate(k) => brief(&k, "duplicate "),
        Event::Local { actor, text, .. } => match actor {
            Some(s) => format!("S{s} {text}"),
            None => a.label.clone(),
        },
    }
}

fn state_summary_vocab(state: &Value) -> Vocab {
    if state["servers"][0].get("epoch").is_some() {
        KRAFT_WORDS
    } else {
        RAFT_WORDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::{Bounds, NetworkSemantics};
    use crate::spec::Variant;
    use crate::trace::TraceStep;
    use serde_json::json;

    fn bounds() -> Bounds {
        Bounds {
            servers: 2,
            max_term: 2,
            max_log: 2,
            values: 1,
            max_restarts: 1,
            network: NetworkSemantics {
                drop: true,
                reorder: true,
                max_copies: 2,
                max_in_flight: 4,
                max_drops: None,
            },
            options: Default::default(),
        }
    }

    fn step(label: &str, args: Value, state: Value) -> TraceStep {
        TraceStep {
            action: Some(TraceAction {
                name: args["tag"].as_str().unwrap_or("X").to_string(),
                args,
                label: label.to_string(),
            }),
            state,
        }
    }

    /// A KRaft-shaped trace (epochs, high watermark, leader), written by hand.
    fn kraft_trace() -> Trace {
        let srv = |role: &str, epoch: i64, log: Value, hw: i64| {
            json!({"role": role, "epoch": epoch, "votedFor": {"tag": "None", "value": {"#tup": []}},
                   "leader": {"tag": "Some", "value": 0}, "log": log, "highWatermark": hw})
        };
        let fetch =
            json!({"tag": "Fetch", "value": {"from": 1, "to": 0, "epoch": 1, "fetchOffset": 0}});
        let s0 = json!({"servers": [srv("Follower", 0, json!([]), 0), srv("Follower", 0, json!([]), 0)], "network": []});
        let s1 = json!({"servers": [srv("Leader", 1, json!([{"epoch": 1, "value": 1}]), 0), srv("Follower", 1, json!([]), 0)], "network": []});
        let s2 = json!({"servers": [srv("Leader", 1, json!([{"epoch": 1, "value": 1}]), 0), srv("Follower", 1, json!([]), 0)], "network": [{"msg": fetch, "copies": 1}]});
        let s3 = json!({"servers": [srv("Leader", 1, json!([{"epoch": 1, "value": 1}]), 0), srv("Follower", 1, json!([]), 0)], "network": []});
        let s4 = json!({"servers": [srv("Leader", 1, json!([{"epoch": 1, "value": 1}]), 0), srv("Down", 1, json!([]), 0)], "network": []});
        Trace {
            variant: Variant::Kraft,
            bounds: bounds(),
            bug: None,
            property: None,
            path: Some("0/1/2/3/4".into()),
            steps: vec![
                TraceStep {
                    action: None,
                    state: s0,
                },
                step("S0 becomes leader", json!({"tag": "Elect", "value": 0}), s1),
                step(
                    "S1 fetch timeout",
                    json!({"tag": "FetchTimeout", "value": 1}),
                    s2,
                ),
                step(
                    "network drops Fetch",
                    json!({"tag": "Drop", "value": fetch}),
                    s3,
                ),
                step("S1 crashes", json!({"tag": "Crash", "value": 1}), s4),
            ],
        }
    }

    #[test]
    fn kraft_shaped_trace_draws_epochs_hw_drop_and_crash() {
        let t = kraft_trace();
        let svg = render(&t);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-path="0/1/2/3/4""#));
        assert!(svg.contains("Leader e1"), "epoch badges");
        assert!(svg.contains("HW 0"), "high watermark marked");
        assert!(svg.contains(r#"class="msg dropped""#), "the drop is drawn");
        assert!(svg.contains(r#"class="crash""#), "the crash is drawn");
        assert!(svg.contains("down"), "the down server is marked");
        assert_eq!(svg.matches(r#"class="lifeline-head""#).count(), 2);
    }

    #[test]
    fn messages_are_followed_from_send_to_delivery() {
        let t = kraft_trace();
        let Flow { arrows, events, .. } = arrows(&t, KRAFT_WORDS);
        assert_eq!(arrows.len(), 1);
        assert_eq!((arrows[0].from, arrows[0].to, arrows[0].start), (1, 0, 2));
        assert_eq!(arrows[0].end, End::Dropped(3));
        assert!(matches!(
            events[3],
            Event::Local {
                actor: Some(1),
                crash: true,
                ..
            }
        ));
    }

    #[test]
    fn odd_input_does_not_panic() {
        let mut t = kraft_trace();
        t.steps[1].state = json!({"servers": [1, "x", null], "network": [{"msg": 3}, "y"]});
        t.steps[2].state = json!(null);
        t.steps[3].action.as_mut().unwrap().args = json!([[{"from": 99, "to": -1}]]);
        let svg = render(&t);
        assert!(svg.ends_with("</svg>"));
        let mut one = kraft_trace();
        one.steps.truncate(1);
        assert!(render(&one).ends_with("</svg>"));
        let _ = state_summary(&json!({"servers": "nope"}));
    }

    #[test]
    fn text_is_escaped() {
        let mut t = kraft_trace();
        t.steps[1].action.as_mut().unwrap().label = "<script>&".into();
        let svg = render(&t);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
    }
}
