//! Model traces as data: the initial state and each (action, resulting state), exported and read
//! as ITF JSON (the Informal Trace Format of Apalache and Quint), printed as numbered steps, and
//! re-executed against the model to find the first step the model does not allow.

use crate::bounds::Bounds;
use crate::bugs::Bug;
use crate::itf::ItfDoc;
use crate::spec::{Spec, Variant};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use stateright::Path;
use std::fmt;

/// The action that led to a state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceAction {
    /// Protocol name (ITF `action_taken`).
    pub name: String,
    /// The model's action as a record (ITF `action_args`).
    pub args: Value,
    /// Who did what to whom, for people.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    /// None for the initial state.
    pub action: Option<TraceAction>,
    pub state: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub variant: Variant,
    pub bounds: Bounds,
    pub bug: Option<Bug>,
    /// The property this trace violates or witnesses, if any.
    pub property: Option<String>,
    /// Action-index encoding (`0/4/1/...`), the Explorer's `#/steps/...`.
    pub path: Option<String>,
    pub steps: Vec<TraceStep>,
}

/// A trace file that cannot be read or does not belong to this tool's models.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceError(pub String);

impl TraceError {
    /// The start of the message that refuses a trace of another model (no `#meta.variant`).
    pub const NOT_OURS: &'static str = "not a trace of raftspec's raft or kraft models";

    fn not_ours(doc: &ItfDoc) -> String {
        let from = match (doc.meta_str("source"), doc.meta_str("description")) {
            (Some(src), Some(d)) if d.starts_with("Created by Quint") => {
                format!("a Quint trace of {src}")
            }
            (Some(src), _) => format!("a trace of {src}"),
            _ => "an ITF trace".to_string(),
        };
        format!(
            "{} ({from}, with no \"#meta.variant\"): `raftspec trace` shows it",
            TraceError::NOT_OURS
        )
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TraceError {}

const INIT: &str = "init";

impl Trace {
    /// Converts a checker path (state, action taken from it) into (action, resulting state) steps.
    pub fn from_path<S: Spec>(
        spec: &S,
        path: Path<S::State, S::Action>,
        property: Option<&str>,
    ) -> Trace {
        let encoded = path.encode(spec);
        let mut steps = Vec::new();
        let mut pending: Option<S::Action> = None;
        for (state, action) in path.into_vec() {
            steps.push(TraceStep {
                action: pending.take().map(|a| trace_action(spec, &a)),
                state: spec.state_json(&state),
            });
            pending = action;
        }
        Trace {
            variant: spec.variant(),
            bounds: spec.bounds().clone(),
            bug: spec.bug(),
            property: property.map(str::to_string),
            path: Some(encoded),
            steps,
        }
    }

    /// Builds a trace by running actions from the initial state; None if one is not enabled.
    pub fn from_actions<S: Spec>(spec: &S, actions: &[S::Action]) -> Option<Trace> {
        let init = spec.init_states().into_iter().next()?;
        let path = Path::from_actions(spec, init, actions)?;
        Some(Trace::from_path(spec, path, None))
    }

    /// The trace as an ITF document.
    pub fn to_itf(&self) -> Value {
        let mut vars: Vec<String> = vec!["action_taken".into(), "action_args".into()];
        if let Some(Value::Object(first)) = self.steps.first().map(|s| &s.state) {
            vars.extend(first.keys().cloned());
        }
        let states: Vec<Value> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let mut rec = Map::new();
                rec.insert("#meta".into(), json!({"index": i}));
                let (name, args, label) = match &step.action {
                    Some(a) => (a.name.as_str(), a.args.clone(), a.label.as_str()),
                    None => (
                        INIT,
                        json!({"tag": "Init", "value": {"#tup": []}}),
                        "initial state",
                    ),
                };
                rec.insert("action_taken".into(), json!(name));
                rec.insert("action_args".into(), args);
                rec.insert("action_label".into(), json!(label));
                if let Value::Object(vars) = &step.state {
                    rec.extend(vars.clone());
                }
                Value::Object(rec)
            })
            .collect();
        // The itf crate reads extra `#meta` fields as strings only: bounds go in as JSON text.
        let mut meta = Map::new();
        meta.insert("format".into(), json!("ITF"));
        meta.insert(
            "format-description".into(),
            json!("https://apalache-mc.org/docs/adr/015adr-trace.html"),
        );
        meta.insert("source".into(), json!("raftspec"));
        meta.insert("variant".into(), json!(self.variant.name()));
        meta.insert(
            "bounds".into(),
            json!(serde_json::to_string(&self.bounds).expect("bounds serialize")),
        );
        if let Some(b) = self.bug {
            meta.insert("bug".into(), json!(b.name()));
        }
        if let Some(p) = &self.property {
            meta.insert("property".into(), json!(p));
        }
        if let Some(p) = &self.path {
            meta.insert("path".into(), json!(p));
        }
        json!({
            "#meta": meta,
            "vars": vars,
            "states": states,
        })
    }

    pub fn to_itf_string(&self) -> String {
        serde_json::to_string_pretty(&self.to_itf()).expect("trace serializes")
    }

    /// Reads an ITF document written by raftspec, or by another tool (Apalache, Quint) for
    /// raftspec's models: the same variables and `action_taken`/`action_args` fields, with
    /// `#meta.variant` and `#meta.bounds`. ITF's encodings (`#bigint`, `#set`, `#map`, `#tup`,
    /// `#unserializable`) are decoded by [`crate::itf`]. A trace of another model (no
    /// `#meta.variant`) is refused with [`TraceError::NOT_OURS`]; [`ForeignTrace`] reads it.
    pub fn from_itf(text: &str) -> Result<Trace, TraceError> {
        let doc = ItfDoc::parse(text).map_err(|e| TraceError(e.to_string()))?;
        Trace::from_doc(&doc)
    }

    /// A decoded ITF document as a trace of raftspec's models.
    pub fn from_doc(doc: &ItfDoc) -> Result<Trace, TraceError> {
        let err = |m: String| TraceError(m);
        let meta = &doc.meta;
        let Some(variant) = doc.meta_str("variant") else {
            return Err(err(TraceError::not_ours(doc)));
        };
        let variant = Variant::from_name(variant)
            .ok_or_else(|| err(format!("unknown variant {variant:?} in \"#meta.variant\"")))?;
        let bounds = match meta.get("bounds") {
            None => return Err(err("ITF trace has no \"#meta.bounds\"".into())),
            Some(Value::String(text)) => serde_json::from_str::<Bounds>(text),
            Some(v) => Bounds::deserialize(v),
        }
        .map_err(|e| err(format!("bad \"#meta.bounds\": {e}")))?;
        variant
            .validate(&bounds)
            .map_err(|e| err(format!("bad \"#meta.bounds\": {e}")))?;
        let bug = match meta.get("bug") {
            None | Some(Value::Null) => None,
            Some(Value::String(b)) => Some(
                Bug::from_name(b)
                    .ok_or_else(|| err(format!("unknown bug {b:?} in \"#meta.bug\"")))?,
            ),
            Some(other) => return Err(err(format!("bad \"#meta.bug\": {other}"))),
        };
        if doc.states.is_empty() {
            return Err(err("ITF trace has no states".into()));
        }
        let steps = (doc.states.iter().enumerate())
            .map(|(i, rec)| Self::step_from_record(i, rec))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Trace {
            variant,
            bounds,
            bug,
            property: meta
                .get("property")
                .and_then(Value::as_str)
                .map(str::to_string),
            path: meta.get("path").and_then(Value::as_str).map(str::to_string),
            steps,
        })
    }

    /// State record `i` of an ITF document as a step: the action that led to it (none for
    /// the initial state) and its state variables.
    fn step_from_record(i: usize, rec: &Map<String, Value>) -> Result<TraceStep, TraceError> {
        let err = |m: String| TraceError(m);
        let name = rec
            .get("action_taken")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("state {i} has no \"action_taken\" string")))?;
        let action = if i == 0 {
            None
        } else {
            let args = rec
                .get("action_args")
                .ok_or_else(|| err(format!("state {i} has no \"action_args\"")))?;
            Some(TraceAction {
                name: name.to_string(),
                args: args.clone(),
                label: rec
                    .get("action_label")
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_string(),
            })
        };
        let state: Map<String, Value> = rec
            .iter()
            .filter(|(k, _)| !k.starts_with('#') && !k.starts_with("action_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(TraceStep {
            action,
            state: Value::Object(state),
        })
    }

    /// Numbered, readable steps: who did what, and what changed.
    pub fn render(&self) -> String {
        render_steps(&self.steps)
    }
}

/// An ITF trace of a model other than raftspec's (e.g. written by Quint for its own spec): its
/// steps, shown and drawn but never replayed. The action of a step is its `action_taken` and
/// `action_args` variables, or Quint's `mbt::actionTaken` and `mbt::nondetPicks` (`quint run
/// --mbt`); every other variable is state.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignTrace {
    /// Who wrote it, from `#meta` (`source`, and Quint's or Apalache's `description`).
    pub source: String,
    pub steps: Vec<TraceStep>,
    /// Index of the state that follows the last one, for a lasso.
    pub loop_index: Option<usize>,
}

const ACTION_VARS: [(&str, &str); 2] = [
    ("action_taken", "action_args"),
    ("mbt::actionTaken", "mbt::nondetPicks"),
];

impl ForeignTrace {
    pub fn from_doc(doc: &ItfDoc) -> Result<ForeignTrace, TraceError> {
        if doc.states.is_empty() {
            return Err(TraceError("ITF trace has no states".into()));
        }
        let steps = doc
            .states
            .iter()
            .enumerate()
            .map(|(i, rec)| TraceStep {
                action: (i > 0).then(|| foreign_action(rec, i)),
                state: Value::Object(
                    rec.iter()
                        .filter(|(k, _)| {
                            !k.starts_with('#')
                                && !ACTION_VARS.iter().any(|(a, b)| k == a || k == b)
                                && k.as_str() != "action_label"
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
            })
            .collect();
        let tool = match doc.meta_str("description") {
            Some(d) if d.contains("Quint") => "Quint",
            Some(d) if d.contains("Apalache") => "Apalache",
            _ => "another tool",
        };
        Ok(ForeignTrace {
            source: format!(
                "{tool}, from {}",
                doc.meta_str("source").unwrap_or("an unnamed spec")
            ),
            steps,
            loop_index: doc.loop_index,
        })
    }

    /// Numbered steps, as for raftspec's traces; a lasso's loop is named at the end.
    pub fn render(&self) -> String {
        let mut out = render_steps(&self.steps);
        if let Some(l) = self.loop_index {
            out.push_str(&format!(
                "  loop: after step {}, the behaviour returns to state {l}\n",
                self.steps.len() - 1
            ));
        }
        out
    }

    /// The trace as a [`Trace`] for the message sequence diagram, which reads servers and
    /// messages by their field names: KRaft's words if the servers have epochs, Raft's
    /// otherwise, and the bounds this trace reaches (not bounds it was checked at).
    pub fn drawable(&self) -> Trace {
        let servers = |s: &Value| s.get("servers").and_then(Value::as_array).cloned();
        let server = self
            .steps
            .first()
            .and_then(|s| servers(&s.state))
            .and_then(|ss| ss.first().cloned())
            .unwrap_or_default();
        let mut bounds = extent(&self.steps);
        bounds.network.max_in_flight = bounds.network.max_in_flight.max(1);
        Trace {
            variant: crate::registry::recognise(&server),
            bounds,
            bug: None,
            property: Some(format!("ITF trace by {}", self.source)),
            path: None,
            steps: self.steps.clone(),
        }
    }
}

fn foreign_action(rec: &Map<String, Value>, i: usize) -> TraceAction {
    let (name, args) = ACTION_VARS
        .iter()
        .find_map(|(a, b)| {
            let name = rec.get(*a)?.as_str()?;
            Some((
                name.to_string(),
                rec.get(*b).cloned().unwrap_or(Value::Null),
            ))
        })
        .unwrap_or_else(|| (format!("step {i}"), Value::Null));
    // Quint's picks name every nondeterministic choice, `None` where the action made none.
    let picked: Vec<String> = match &args {
        Value::Object(m) if m.get("tag").is_none() => m
            .iter()
            .filter(|(_, v)| v.get("tag").and_then(Value::as_str) != Some("None"))
            .map(|(k, v)| {
                let picked = match v.get("tag").and_then(Value::as_str) {
                    Some("Some") => v.get("value").unwrap_or(v),
                    _ => v,
                };
                format!("{k}: {}", compact(picked))
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![compact(other)],
    };
    let label = if picked.is_empty() {
        name.clone()
    } else {
        format!("{name} ({})", picked.join(", "))
    };
    TraceAction { name, args, label }
}

/// The bounds a trace reaches: its servers, highest term or epoch, longest log, largest value
/// and most messages in flight (each at most 255).
fn extent(steps: &[TraceStep]) -> Bounds {
    let small = |n: i64| u8::try_from(n.max(0)).unwrap_or(u8::MAX);
    let int = |v: Option<&Value>| {
        v.and_then(|v| match v {
            Value::Object(o) if o.get("tag").and_then(Value::as_str) == Some("Some") => {
                o.get("value").and_then(Value::as_i64)
            }
            other => other.as_i64(),
        })
        .unwrap_or(0)
    };
    let mut b = Bounds {
        servers: 0,
        max_term: 0,
        max_log: 0,
        values: 0,
        max_restarts: 0,
        network: crate::bounds::NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight: 0,
            max_drops: None,
        },
        options: Default::default(),
    };
    for st in steps {
        let ss = st.state.get("servers").and_then(Value::as_array);
        for s in ss.into_iter().flatten() {
            let term = int(s.get("term").or(s.get("currentTerm")).or(s.get("epoch")));
            b.max_term = b.max_term.max(small(term));
            let log = s.get("log").and_then(Value::as_array);
            b.max_log = b.max_log.max(small(log.map_or(0, |l| l.len() as i64)));
            for e in log.into_iter().flatten() {
                b.values = b.values.max(small(int(e.get("value"))));
            }
        }
        b.servers = b.servers.max(small(ss.map_or(0, |s| s.len() as i64)));
        let net = st.state.get("network").or(st.state.get("messages"));
        let in_flight = net.and_then(Value::as_array).map_or(0, |n| n.len() as i64);
        b.network.max_in_flight = b.network.max_in_flight.max(small(in_flight));
    }
    b
}

/// Numbered steps: each action's label and what it changed.
fn render_steps(steps: &[TraceStep]) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        match &step.action {
            None => out.push_str("  0. initial state\n"),
            Some(a) => {
                out.push_str(&format!("  {i}. {}\n", a.label));
                for change in diff(&steps[i - 1].state, &step.state) {
                    out.push_str(&format!("       {change}\n"));
                }
            }
        }
    }
    out
}

fn trace_action<S: Spec>(spec: &S, a: &S::Action) -> TraceAction {
    TraceAction {
        name: spec.action_name(a).to_string(),
        args: spec.action_json(a),
        label: spec.format_action(a),
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::Object(m) if m.get("tag").is_some() && m.len() == 2 => {
            let tag = m["tag"].as_str().unwrap_or("?");
            match &m["value"] {
                Value::Object(o) if o.contains_key("#tup") => tag.to_string(),
                inner => format!("{tag}({})", compact(inner)),
            }
        }
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// What changed between two states: per-server fields as `S1.term: 1 → 2`, other collections
/// as added (+) and removed (-) items.
pub fn diff(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(&mut out, "", before, after);
    out
}

fn diff_into(out: &mut Vec<String>, at: &str, a: &Value, b: &Value) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.get("tag").is_none() => {
            for (k, vb) in y {
                let key = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match x.get(k) {
                    Some(va) => diff_into(out, &key, va, vb),
                    None => out.push(format!("{key}: {}", compact(vb))),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if at == "servers" && x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_into(out, &format!("S{i}"), va, vb);
            }
        }
        (Value::Array(x), Value::Array(y)) if at == "network" => {
            for v in y.iter().filter(|v| !x.contains(v)) {
                out.push(format!("network +{}", compact(v)));
            }
            for v in x.iter().filter(|v| !y.contains(v)) {
                out.push(format!("network -{}", compact(v)));
            }
        }
        _ => out.push(format!("{at}: {} → {}", compact(a), compact(b))),
    }
}

/// Where a trace leaves the model: the first step whose action is not enabled, or whose
/// resulting state differs from the model's.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDivergence {
    pub step: usize,
    pub action: String,
    pub reason: String,
}

impl fmt::Display for ModelDivergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} ({}): {}", self.step, self.action, self.reason)
    }
}

/// Re-executes a trace on the model: every action must be enabled in the previous state and
/// lead to exactly the recorded state.
pub fn replay_on_model<S: Spec>(spec: &S, trace: &Trace) -> Result<(), ModelDivergence> {
    let init = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    let init_json = spec.state_json(&init);
    if trace.steps[0].state != init_json {
        return Err(ModelDivergence {
            step: 0,
            action: INIT.into(),
            reason: format!(
                "initial state differs from the model's: {}",
                diff(&init_json, &trace.steps[0].state).join("; ")
            ),
        });
    }
    let mut state = init;
    for (i, step) in trace.steps.iter().enumerate().skip(1) {
        let ta = step
            .action
            .as_ref()
            .expect("non-initial steps have actions");
        let fail = |reason: String| ModelDivergence {
            step: i,
            action: ta.label.clone(),
            reason,
        };
        let action = spec.action_from_json(&ta.args).map_err(|e| {
            fail(format!(
                "action_args is not a {} action: {e}",
                spec.variant()
            ))
        })?;
        let mut enabled = Vec::new();
        spec.actions(&state, &mut enabled);
        if !enabled.contains(&action) {
            return Err(fail("the model does not allow this action here".into()));
        }
        let next = spec
            .next_state(&state, action)
            .expect("enabled actions have a next state");
        let got = spec.state_json(&next);
        if got != step.state {
            return Err(fail(format!(
                "recorded state differs from the model's (model → recorded): {}",
                diff(&got, &step.state).join("; ")
            )));
        }
        state = next;
    }
    Ok(())
}
