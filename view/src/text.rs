//! Short texts drawn from typed views: message labels, role badges, state summaries, and the
//! Explorer's step description.

use raftspec_model::trace::diff;
use raftspec_model::view::*;
use raftspec_model::Spec;
use std::fmt::Write as _;

/// `RequestVoteResponse` → `RVR`; short names keep arrow labels inside the picture.
pub fn abbreviate(kind: &str) -> String {
    let caps: String = kind.chars().filter(|c| c.is_ascii_uppercase()).collect();
    if caps.len() >= 2 {
        caps
    } else {
        kind.to_string()
    }
}

/// A term or epoch: `t3`, `e2`, or `?` when unknown.
pub fn term(w: &Vocabulary, t: Option<i64>) -> String {
    t.map_or("?".to_string(), |t| format!("{}{t}", w.t))
}

/// What a log cell carries: `v1`, `LC`.
pub fn cell_value(v: &CellValue) -> String {
    match v {
        CellValue::Client(x) => format!("v{x}"),
        CellValue::Control(s) => s.clone(),
        CellValue::Text(s) if s.starts_with('v') || s.is_empty() => s.clone(),
        CellValue::Text(s) => format!("v{s}"),
    }
}

fn server(s: &Option<i64>) -> String {
    s.map_or("none".to_string(), |s| format!("S{s}"))
}

/// One message field, short: `t3`, `prev(1,t1)`, `[t1:v1]`, `commit 0`, `granted`.
pub fn field(f: &Field, w: &Vocabulary) -> String {
    match &f.value {
        FieldValue::Term(t) => format!("{}{t}", w.t),
        FieldValue::Int(i) => format!("{} {i}", f.name),
        FieldValue::MaybeInt(i) => {
            format!("{} {}", f.name, i.map_or("none".into(), |i| i.to_string()))
        }
        FieldValue::Flag { on, yes, no } => (if *on { yes } else { no }).to_string(),
        FieldValue::Server(s) => format!("{} {}", f.name, server(s)),
        FieldValue::Servers(ss) => {
            let names: Vec<String> = ss.iter().map(|s| format!("S{s}")).collect();
            format!("{} [{}]", f.name, names.join(","))
        }
        FieldValue::Position { index, term } => format!("{}({index},{}{term})", f.name, w.t),
        FieldValue::Cells(cells) => {
            let cs: Vec<String> = cells
                .iter()
                .map(|c| match c.term {
                    Some(t) => format!("{}{t}:{}", w.t, cell_value(&c.value)),
                    None => cell_value(&c.value),
                })
                .collect();
            format!("[{}]", cs.join(","))
        }
        FieldValue::Variant(tag, inner) => format!("{tag}({})", fields(inner, w)),
        FieldValue::Text(t) if f.name.is_empty() => t.clone(),
        FieldValue::Text(t) => format!("{} {t}", f.name),
    }
}

/// A message's fields in protocol order, short: `t3 prev(1,t1) [t1:v1] commit 0`.
pub fn fields(fs: &[Field], w: &Vocabulary) -> String {
    fs.iter().map(|f| field(f, w)).collect::<Vec<_>>().join(" ")
}

/// An arrow's label: `AE t3 prev(1,t1) [t1:v1] commit 0`.
pub fn msg_label(m: &MsgView, w: &Vocabulary) -> String {
    format!("{} {}", abbreviate(&m.kind), fields(&m.fields, w))
}

/// The role badge text: `Leader t3`.
pub fn role_text(s: &ServerView, w: &Vocabulary) -> String {
    let mut t = if s.role.is_empty() {
        "?".to_string()
    } else {
        s.role.clone()
    };
    if let Some(x) = s.term {
        let _ = write!(t, " {}{x}", w.t);
    }
    t
}

/// A server's own event in a few words: `election timeout`, `client v1`, `crash + restart`.
pub fn event_text(e: &EventView) -> String {
    match e {
        EventView::Timer { name, .. } => name.clone(),
        EventView::Client { value: Some(v), .. } => format!("client v{v}"),
        EventView::Client { value: None, .. } => "client request".into(),
        EventView::Crash { restarts: true, .. } => "crash + restart".into(),
        EventView::Crash {
            restarts: false, ..
        } => "crash".into(),
        EventView::Recover { .. } => "restart".into(),
        EventView::Local { text, .. } => text.clone(),
        EventView::Deliver(m) | EventView::Drop(m) | EventView::Duplicate(m) => m.kind.clone(),
    }
}

/// The server an event happens on, for events that are not network actions.
pub fn actor(e: &EventView) -> Option<usize> {
    match e {
        EventView::Timer { server, .. }
        | EventView::Client { server, .. }
        | EventView::Crash { server, .. }
        | EventView::Recover { server } => Some(*server),
        EventView::Local { server, .. } => *server,
        EventView::Deliver(_) | EventView::Drop(_) | EventView::Duplicate(_) => None,
    }
}

/// A short edge label for a step (state graphs): who does what, with the message in brief.
pub fn short_event(e: &EventView, fallback: &str, w: &Vocabulary) -> String {
    let brief = |verb: &str, m: &MsgView| {
        format!(
            "{verb} {} S{}→S{} {}",
            m.kind,
            m.from,
            m.to,
            fields(&m.fields, w)
        )
    };
    match e {
        EventView::Deliver(m) => brief("deliver", m),
        EventView::Drop(m) => brief("drop", m),
        EventView::Duplicate(m) => brief("duplicate", m),
        other => match actor(other) {
            Some(s) => format!("S{s} {}", event_text(other)),
            None => fallback.to_string(),
        },
    }
}

fn server_line(s: usize, sv: &ServerView, w: &Vocabulary) -> String {
    let log: Vec<String> = sv
        .log
        .iter()
        .map(|c| format!("({},{})", term(w, c.term), cell_value(&c.value)))
        .collect();
    let mut out = format!("  S{s} {}", role_text(sv, w));
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
    out
}

/// A state in a few lines: one per server (role, term, vote, log, commit) and the network.
pub fn state_summary(state: &StateView, w: &Vocabulary) -> String {
    let mut out = String::new();
    for (s, sv) in state.servers.iter().enumerate() {
        let _ = writeln!(out, "{}", server_line(s, sv, w));
    }
    if state.network.is_empty() {
        out.push_str("  network: empty\n");
        return out;
    }
    out.push_str("  network:\n");
    for (m, copies) in &state.network {
        let times = if *copies > 1 {
            format!(" ×{copies}")
        } else {
            String::new()
        };
        let (kind, f) = (&m.kind, fields(&m.fields, w));
        let _ = writeln!(out, "    S{}→S{} {kind} {f}{times}", m.from, m.to);
    }
    out
}

/// `Model::format_step` for any variant: what the step changed, then the state after it.
pub fn format_step<S: Spec>(spec: &S, last: &S::State, action: S::Action) -> Option<String> {
    let next = spec.next_state(last, action)?;
    let mut out = String::from("What changed:\n");
    let changed = diff(&spec.state_json(last), &spec.state_json(&next));
    if changed.is_empty() {
        out.push_str("  nothing\n");
    }
    for c in changed {
        let _ = writeln!(out, "  {}", c.replace('"', ""));
    }
    out.push_str("\nState after this step:\n");
    out.push_str(&state_summary(&spec.state_view(&next), &spec.vocabulary()));
    Some(out)
}
