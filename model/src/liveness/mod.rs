//! Liveness of the Raft and KRaft models: their fairness (which steps must eventually happen),
//! their `leads-to` properties, the liveness bug catalog, and lassos as traces. The checking
//! itself is the engine's ([`raftspec_engine::liveness`]); specs/raft.md and specs/kraft.md
//! ("Liveness") state exactly what each property claims.

mod catalog;
pub mod kraft;
pub mod raft;

pub use catalog::{catalog, default_bounds, entry, LivenessEntry};

use crate::bounds::Bounds;
use crate::bugs::Bug;
use crate::spec::{Spec, Variant};
use crate::trace::{diff, Trace};
use raftspec_engine::liveness::{
    check_liveness, Fair, GraphError, Lasso, LeadsTo, LivenessOptions,
};
use serde::Serialize;
use serde_json::Value;
use std::hash::{Hash, Hasher};

/// A fairness class key: a tag for the kind of step and what identifies it (a message, a
/// server).
pub(crate) fn class<T: Hash>(tag: u8, what: &T) -> u64 {
    // std's SipHash with its fixed zero keys: the same key on every run.
    let mut h = std::hash::DefaultHasher::new();
    tag.hash(&mut h);
    what.hash(&mut h);
    h.finish()
}

/// A liveness property and what it claims, in words.
pub struct LivenessProperty<M: stateright::Model> {
    pub claim: &'static str,
    pub leads_to: LeadsTo<M>,
}

/// A variant whose model has fairness and liveness properties.
pub trait LiveSpec: Spec + Fair {
    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>>;
    /// The fairness assumed, in words: (weakly fair, unfair, faults).
    fn fairness_summary(&self) -> [&'static str; 3];
}

impl LiveSpec for crate::raft::RaftModel {
    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        raft::properties_about::<0>()
    }
    fn fairness_summary(&self) -> [&'static str; 3] {
        [
            "delivery of each message, each leader's heartbeat, the election timeout of a server with no leader of its term or later",
            "client requests, election timeouts while such a leader lives",
            "drop, duplicate, restart (finitely many: never on a cycle)",
        ]
    }
}

impl LiveSpec for crate::kraft::KraftModel {
    fn liveness_properties(&self) -> Vec<LivenessProperty<Self>> {
        kraft::properties_about::<0>()
    }
    fn fairness_summary(&self) -> [&'static str; 3] {
        [
            "delivery of each message, each follower's fetch, the election timeout of a server not following a live leader",
            "client requests, check-quorum resignations, a follower's timeout while its leader lives",
            "drop, duplicate, restart (finitely many: never on a cycle)",
        ]
    }
}

/// Generic work over whichever model a variant names, with liveness.
pub trait LiveVisitor {
    type Output;
    fn visit<S: LiveSpec>(self, spec: S) -> Self::Output;
}

pub fn with_live_spec<V: LiveVisitor>(
    variant: Variant,
    bounds: Bounds,
    bug: Option<Bug>,
    visitor: V,
) -> V::Output {
    crate::registry::with_model(variant, bounds, bug, visitor)
}

/// What one property's check found.
#[derive(Clone, Debug, Serialize)]
pub struct LivenessResult {
    pub name: String,
    pub claim: String,
    pub holds: bool,
    /// Evidence that the check looked at something (see the engine's `RegionStats`).
    pub premise_states: usize,
    pub goal_states: usize,
    pub region_states: usize,
    pub cycles: usize,
    pub largest_cycle: usize,
    pub fair_cycles: usize,
    pub stuck_states: usize,
    pub bound_ended: usize,
    /// For a violation: steps before the loop, steps on it (0: stutters), the Explorer path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_steps: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_steps: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The ITF file the lasso was written to (set by whoever writes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LivenessReport {
    pub variant: Variant,
    /// Weakly fair, unfair, faults (see [`LiveSpec::fairness_summary`]).
    pub fairness: [&'static str; 3],
    pub bug: Option<String>,
    pub bounds: Bounds,
    pub states: usize,
    pub edges: usize,
    pub fair_classes: usize,
    pub max_depth: usize,
    pub graph_seconds: f64,
    pub seconds: f64,
    pub peak_memory_bytes: u64,
    pub properties: Vec<LivenessResult>,
}

impl LivenessReport {
    pub fn passed(&self) -> bool {
        self.properties.iter().all(|p| p.holds)
    }

    pub fn property(&self, name: &str) -> Option<&LivenessResult> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// A lasso as a trace: `trace.steps[loop_start]` is where the loop starts; the last step
/// returns there (or, when `stutters`, the behaviour stays in the last state).
#[derive(Clone, Debug)]
pub struct LassoTrace {
    pub trace: Trace,
    pub loop_start: usize,
    pub stutters: bool,
}

impl LassoTrace {
    /// ITF with the loop: `loop` is the index of the state that follows the last one.
    pub fn to_itf(&self) -> Value {
        let mut doc = self.trace.to_itf();
        let last = self.trace.steps.len() - 1;
        let next = if self.stutters {
            last
        } else {
            self.loop_start + 1
        };
        doc["loop"] = serde_json::json!(next);
        // A one-step cycle and a stuck end both loop to the last state: say which.
        doc["#meta"]["lasso"] = serde_json::json!(if self.stutters { "stuck" } else { "cycle" });
        doc
    }

    pub fn to_itf_string(&self) -> String {
        serde_json::to_string_pretty(&self.to_itf()).expect("trace serializes")
    }

    /// Reads a lasso back from ITF: None when the document has no `loop`.
    pub fn from_itf(text: &str) -> Result<Option<LassoTrace>, crate::trace::TraceError> {
        let doc =
            crate::itf::ItfDoc::parse(text).map_err(|e| crate::trace::TraceError(e.to_string()))?;
        let trace = Trace::from_doc(&doc)?;
        // `loop` (or `#meta.loop`), checked by the ITF reader to index a state.
        let Some(next) = doc.loop_index else {
            return Ok(None);
        };
        let last = trace.steps.len() - 1;
        let stutters = match doc.meta.get("lasso").and_then(Value::as_str) {
            Some("stuck") => true,
            Some(_) => false,
            None => {
                next == last
                    && trace.steps.get(last.wrapping_sub(1)).map(|s| &s.state)
                        != Some(&trace.steps[last].state)
            }
        };
        let lasso = if next == 0 || stutters {
            LassoTrace {
                trace,
                loop_start: last,
                stutters: true,
            }
        } else {
            LassoTrace {
                trace,
                loop_start: next - 1,
                stutters: false,
            }
        };
        Ok(Some(lasso))
    }

    /// Numbered steps with the cycle marked.
    pub fn render(&self) -> String {
        let steps = &self.trace.steps;
        let mut out = String::from("  0. initial state\n");
        if self.loop_start == 0 && !self.stutters {
            out.push_str("  ┌─ cycle: from here the steps below repeat forever\n");
        }
        for i in 1..steps.len() {
            let label = steps[i].action.as_ref().map_or("?", |a| a.label.as_str());
            let bar = if !self.stutters && i > self.loop_start {
                "│ "
            } else {
                ""
            };
            out.push_str(&format!("  {bar}{i}. {label}\n"));
            for change in diff(&steps[i - 1].state, &steps[i].state) {
                out.push_str(&format!("  {bar}     {change}\n"));
            }
            if i == self.loop_start && !self.stutters {
                out.push_str("  ┌─ cycle: from here the steps below repeat forever\n");
            }
        }
        if self.stutters {
            out.push_str(
                "  └─ stuck: no fair step is enabled here; the system may stay in this state forever\n",
            );
        } else {
            out.push_str(&format!(
                "  └─ back to the state after step {}: the cycle repeats\n",
                self.loop_start
            ));
        }
        out
    }
}

pub struct LivenessCheck {
    pub report: LivenessReport,
    /// One lasso per violated property, in property order.
    pub lassos: Vec<LassoTrace>,
}

fn lasso_trace<S: LiveSpec>(spec: &S, name: &str, l: &Lasso<S::State, S::Action>) -> LassoTrace {
    let mut trace =
        Trace::from_actions(spec, &l.actions).expect("a lasso is a behaviour of the model");
    trace.property = Some(name.to_string());
    LassoTrace {
        trace,
        loop_start: l.loop_start,
        stutters: l.stutters(),
    }
}

/// Builds the reachable graph within the spec's bounds and judges every liveness property.
pub fn check<S: LiveSpec>(
    spec: &S,
    opts: LivenessOptions<'_>,
) -> Result<LivenessCheck, GraphError> {
    check_properties(spec, spec.liveness_properties(), opts)
}

/// As [`check`], with these properties (e.g. about another server than S0).
pub fn check_properties<S: LiveSpec>(
    spec: &S,
    properties: Vec<LivenessProperty<S>>,
    opts: LivenessOptions<'_>,
) -> Result<LivenessCheck, GraphError> {
    let (claims, leads): (Vec<&str>, Vec<LeadsTo<S>>) = properties
        .into_iter()
        .map(|p| (p.claim, p.leads_to))
        .unzip();
    let out = check_liveness(spec, &leads, opts)?;
    let mut lassos = Vec::new();
    let mut properties = Vec::new();
    for (claim, v) in claims.iter().zip(&out.properties) {
        let s = &v.stats;
        let lasso = v.lasso.as_ref().map(|l| lasso_trace(spec, v.name, l));
        properties.push(LivenessResult {
            name: v.name.to_string(),
            claim: claim.to_string(),
            holds: v.holds(),
            premise_states: s.premise_states,
            goal_states: s.goal_states,
            region_states: s.region_states,
            cycles: s.cycles,
            largest_cycle: s.largest_cycle,
            fair_cycles: s.fair_cycles,
            stuck_states: s.stuck_states,
            bound_ended: s.bound_ended,
            prefix_steps: v.lasso.as_ref().map(|l| l.prefix_len()),
            cycle_steps: v.lasso.as_ref().map(|l| l.cycle_len()),
            path: lasso.as_ref().and_then(|t| t.trace.path.clone()),
            trace: None,
        });
        lassos.extend(lasso);
    }
    Ok(LivenessCheck {
        report: LivenessReport {
            variant: spec.variant(),
            fairness: spec.fairness_summary(),
            bug: spec.bug().map(|b| b.name().to_string()),
            bounds: spec.bounds().clone(),
            states: out.states,
            edges: out.edges,
            fair_classes: out.fair_classes,
            max_depth: out.max_depth,
            graph_seconds: out.graph_seconds,
            seconds: out.seconds,
            peak_memory_bytes: out.peak_memory_bytes,
            properties,
        },
        lassos,
    })
}
