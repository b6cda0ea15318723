//! The adapter for traces from other tools: ITF JSON read into the same typed views the models
//! provide, by field names (`role`, `term`/`epoch`, `votedFor`, `leader`, `log`,
//! `commitIndex`/`highWatermark`; messages as `{tag, value}` or records with `from`/`to`), so
//! that one drawing serves every trace. raftspec's own traces never come here: they replay on
//! their model (see [`Story::from_trace`]).

use crate::story::{changes, Frame, Story};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::{Trace, TraceAction};
use raftspec_model::view::*;
use raftspec_model::Spec;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An integer, or an ITF/Quint option or bigint of one; None otherwise.
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

fn log_entry(e: &Value) -> LogCell {
    let text = |t: Option<i64>, v: String| LogCell {
        term: t,
        value: CellValue::Text(v),
    };
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
            text(term, value)
        }
        Value::Array(a) if a.len() == 2 => text(opt_int(&a[0]), show(&a[1])),
        other => text(None, show(other)),
    }
}

fn is_down(m: &Map<String, Value>, role: &str) -> bool {
    let lower = role.to_ascii_lowercase();
    let flag = |k: &str| m.get(k).and_then(Value::as_bool);
    ["down", "crash", "offline", "stopped"]
        .iter()
        .any(|w| lower.contains(w))
        || flag("up") == Some(false)
        || flag("alive") == Some(false)
        || flag("crashed") == Some(true)
        || flag("down") == Some(true)
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
    let commit_names = [
        "commitIndex",
        "commit_index",
        "highWatermark",
        "high_watermark",
        "hw",
    ];
    ServerView {
        down: is_down(m, &role),
        role,
        term: field(m, &["term", "currentTerm", "epoch"]).and_then(opt_int),
        voted_for: field(m, &["votedFor", "voted_for"]).and_then(opt_int),
        leader: field(m, &["leader", "leaderId"]).and_then(opt_int),
        log: match field(m, &["log", "entries"]) {
            Some(Value::Array(es)) => es.iter().map(log_entry).collect(),
            _ => Vec::new(),
        },
        commit: field(m, &commit_names).and_then(opt_int),
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

const CHANNEL: [&str; 11] = [
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
const POSITIONS: [(&str, &str, &str); 4] = [
    ("last_log_index", "last_log_term", "last"),
    ("prev_log_index", "prev_log_term", "prev"),
    ("last_offset", "last_epoch", "last"),
    ("fetch_offset", "last_fetched_epoch", "fetch"),
];

/// A message's JSON fields as typed fields: the term first, then log positions, then the rest.
fn json_fields(fields: &Map<String, Value>) -> Vec<Field> {
    let mut out = Vec::new();
    if let Some(t) = field(fields, &["term", "epoch"]).and_then(opt_int) {
        out.push(Field::new("term", FieldValue::Term(t)));
    }
    let get = |k: &str| fields.get(k).and_then(opt_int);
    let mut used: Vec<&str> = vec!["term", "epoch"];
    for (a, b, name) in POSITIONS {
        if let (Some(index), Some(term)) = (get(a), get(b)) {
            out.push(Field::new(name, FieldValue::Position { index, term }));
            used.extend([a, b]);
        }
    }
    for (k, v) in fields {
        if !CHANNEL.contains(&k.as_str()) && !used.contains(&k.as_str()) {
            out.push(json_field(k, v));
        }
    }
    out
}

fn json_field(k: &str, v: &Value) -> Field {
    let flag = |on: bool, yes, no| FieldValue::Flag { on, yes, no };
    let bare = |t: String| Field::new("", FieldValue::Text(t));
    let renamed = match k {
        "leader_commit" => "commit".to_string(),
        "match_index" => "match".to_string(),
        "high_watermark" => "HW".to_string(),
        _ => camel(k),
    };
    let value = match (k, v) {
        ("granted" | "vote_granted" | "voteGranted", Value::Bool(b)) => {
            flag(*b, "granted", "denied")
        }
        ("success", Value::Bool(b)) => flag(*b, "ok", "rejected"),
        (_, Value::Bool(true)) => return bare(renamed),
        (_, Value::Bool(false)) => return bare(format!("not {renamed}")),
        (_, Value::Array(es)) => FieldValue::Cells(es.iter().map(log_entry).collect()),
        ("leader" | "leader_id" | "candidate" | "voted_for", _) => FieldValue::Server(opt_int(v)),
        (_, Value::Object(o)) if o.get("tag").is_some_and(Value::is_string) => {
            let tag = o["tag"].as_str().unwrap_or_default().to_string();
            match o.get("value") {
                Some(Value::Object(inner)) if !inner.contains_key("#tup") => {
                    return Field::new(&renamed, FieldValue::Variant(tag, json_fields(inner)))
                }
                _ => return bare(show(v)),
            }
        }
        _ => opt_int(v).map_or_else(|| FieldValue::Text(show(v)), FieldValue::Int),
    };
    Field::new(&renamed, value)
}

/// A message read from its JSON; None without a sender and a receiver.
fn msg_view(m: &Value) -> Option<MsgView> {
    let o = m.as_object()?;
    let (kind, fields) = match (o.get("tag").and_then(Value::as_str), o.get("value")) {
        (Some(tag), Some(Value::Object(f))) => (tag.to_string(), f),
        _ => (
            field(o, &["type", "kind", "msg_type", "mtype"]).map_or_else(|| "message".into(), show),
            o,
        ),
    };
    let id = |names: &[&str]| {
        field(fields, names)
            .and_then(opt_int)
            .and_then(|i| usize::try_from(i).ok())
    };
    Some(MsgView {
        from: id(&["from", "src", "source", "sender"])?,
        to: id(&["to", "dst", "dest", "destination", "receiver"])?,
        kind,
        fields: json_fields(fields),
    })
}

/// The network of a state: each distinct message (by its JSON text) with its copy count.
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
        if let Some(view) = msg_view(m) {
            out.entry(m.to_string()).or_insert((view, 0)).1 += copies;
        }
    }
    out
}

fn state_view(state: &Value) -> StateView {
    let servers = match state.get("servers").or_else(|| state.get("nodes")) {
        Some(Value::Array(a)) => a.iter().map(server_view).collect(),
        _ => Vec::new(),
    };
    let acked = state.get("committed").and_then(Value::as_array);
    StateView {
        servers,
        network: network(state).into_values().collect(),
        acknowledged: acked.into_iter().flatten().map(acked_entry).collect(),
    }
}

fn acked_entry(c: &Value) -> Acked {
    Acked {
        cell: log_entry(c),
        by: c
            .get("inTerm")
            .or_else(|| c.get("inEpoch"))
            .and_then(opt_int),
    }
}

/// The first value inside `v` (itself included) that is a message of `net`.
fn find_msg(v: &Value, net: &BTreeMap<String, (MsgView, u64)>) -> Option<MsgView> {
    if let Some((m, _)) = net.get(&v.to_string()) {
        return Some(m.clone());
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

/// The integers an action names: its server first, then a value.
fn action_ints(args: &Value) -> Vec<i64> {
    let payload = args.get("value").unwrap_or(args);
    match payload {
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
    }
}

/// What a foreign action is, guessed from its name and arguments.
fn classify(a: &TraceAction, net: &BTreeMap<String, (MsgView, u64)>) -> EventView {
    let tag = a.args.get("tag").and_then(Value::as_str).unwrap_or(&a.name);
    let lower = format!("{} {}", tag, a.name).to_ascii_lowercase();
    if let Some(m) = find_msg(&a.args, net) {
        return if lower.contains("drop") || lower.contains("lose") {
            EventView::Drop(m)
        } else if lower.contains("dup") {
            EventView::Duplicate(m)
        } else {
            EventView::Deliver(m)
        };
    }
    let ints = action_ints(&a.args);
    let Some(server) = ints.first().and_then(|&i| usize::try_from(i).ok()) else {
        return EventView::Local {
            server: None,
            text: words(tag),
        };
    };
    let restart = lower.contains("restart") || lower.contains("recover");
    if lower.contains("crash") || tag == "Restart" {
        EventView::Crash {
            server,
            restarts: restart,
        }
    } else if restart {
        EventView::Recover { server }
    } else if lower.contains("client") {
        EventView::Client {
            server,
            value: ints.get(1).copied(),
        }
    } else {
        EventView::Local {
            server: Some(server),
            text: words(tag),
        }
    }
}

/// The variant whose words a trace uses: KRaft's fields name epochs and a high watermark.
fn words_of(trace: &Trace) -> Vocabulary {
    // The trace's own variant unless its servers look like another's.
    let server = trace
        .steps
        .first()
        .and_then(|s| s.state.get("servers")?.get(0));
    let variant = match server.map(raftspec_model::registry::recognise) {
        Some(v) if !v.info().server_markers.is_empty() => v,
        _ => trace.variant,
    };
    with_spec(variant, trace.bounds.clone(), None, Words)
}

struct Words;
impl SpecVisitor for Words {
    type Output = Vocabulary;
    fn visit<S: Spec>(self, spec: S) -> Vocabulary {
        spec.vocabulary()
    }
}

/// A trace from another tool, read by field names.
pub fn story(trace: &Trace) -> Story {
    let mut story = Story::header(trace, words_of(trace));
    let mut prev: Option<&Value> = None;
    for step in &trace.steps {
        let event = step.action.as_ref().map(|a| {
            let net = prev.map(network).unwrap_or_default();
            classify(a, &net)
        });
        story.frames.push(Frame {
            state: state_view(&step.state),
            event,
            label: step
                .action
                .as_ref()
                .map_or_else(|| "initial state".to_string(), |a| a.label.clone()),
            changes: prev.map_or(String::new(), |p| changes(p, &step.state)),
        });
        prev = Some(&step.state);
    }
    story
}

/// A state read by field names, for one-off summaries of a foreign state.
pub fn state(state: &Value) -> StateView {
    state_view(state)
}
