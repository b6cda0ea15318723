//! Replay: a model trace drives the implementation step by step.
//!
//! The harness holds one implementation [`Node`] per server and its own network: a multiset of
//! the messages the implementation really sent, per (from, to), each with its meaning in the
//! model's vocabulary. For each model action it feeds the matching event, delivers (drops,
//! duplicates) only a message the implementation sent, and then compares every node's abstract
//! state with the model's. The model's network may hold less than the implementation sent (it
//! discards dead responses and saturates identical copies), never more: a model delivery with
//! no matching sent message is a divergence.

use crate::driver::{Event, FieldDiff, Node, NodeId, NodeState};
use crate::protocol::{ModelStep, Protocol};
use raftspec_model::trace::Trace;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Where the implementation left the model: the first difference, with the trace up to it.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// 1-based step of the trace (0: the initial states differ).
    pub step: usize,
    /// The step's action, as the model labels it.
    pub action: String,
    /// The server whose state or message differs, if one does.
    pub node: Option<NodeId>,
    pub field: String,
    /// What the model has.
    pub expected: String,
    /// What the implementation has.
    pub actual: String,
    /// The trace from the initial state up to and including the diverging step.
    pub prefix: Trace,
    /// Set when the diverging action is a known difference between model and implementation.
    pub known: Option<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "divergence at step {}: {}", self.step, self.action)?;
        if let Some(n) = self.node {
            writeln!(f, "  node:     S{n}")?;
        }
        writeln!(f, "  field:    {}", self.field)?;
        writeln!(f, "  expected: {}   (model)", self.expected)?;
        writeln!(f, "  actual:   {}   (implementation)", self.actual)?;
        if let Some(k) = &self.known {
            writeln!(f, "  known difference: {k}")?;
        }
        writeln!(f, "  trace up to the divergence ({} steps):", self.step)?;
        write!(f, "{}", self.prefix.render())
    }
}

/// The JSON form of a divergence (`--json`): the prefix as an ITF document.
#[derive(Clone, Debug, Serialize)]
pub struct DivergenceJson {
    pub step: usize,
    pub action: String,
    pub node: Option<NodeId>,
    pub field: String,
    pub expected: String,
    pub actual: String,
    pub known: Option<String>,
    pub prefix_itf: Value,
}

impl Divergence {
    pub fn to_json(&self) -> DivergenceJson {
        DivergenceJson {
            step: self.step,
            action: self.action.clone(),
            node: self.node,
            field: self.field.clone(),
            expected: self.expected.clone(),
            actual: self.actual.clone(),
            known: self.known.clone(),
            prefix_itf: self.prefix.to_itf(),
        }
    }
}

/// A failed step, before it is placed in a trace.
#[derive(Clone, Debug)]
pub struct StepFailure {
    pub node: Option<NodeId>,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl StepFailure {
    fn from_diff(node: NodeId, d: FieldDiff) -> StepFailure {
        StepFailure {
            node: Some(node),
            field: d.field,
            expected: d.expected,
            actual: d.actual,
        }
    }
}

struct InFlight<M, A> {
    from: NodeId,
    to: NodeId,
    abs: A,
    msg: M,
    copies: usize,
}

/// The implementation side of a replay: nodes and the messages they sent.
pub struct Harness<N: Node> {
    pub nodes: Vec<N>,
    in_flight: Vec<InFlight<N::Message, N::Abstract>>,
}

impl<N: Node> Harness<N> {
    pub fn new(servers: u8, make: &dyn Fn(NodeId, u8) -> N) -> Self {
        Harness {
            nodes: (0..servers).map(|i| make(i, servers)).collect(),
            in_flight: Vec::new(),
        }
    }

    /// Feeds an event to a node and puts what it sent in flight.
    pub fn feed(&mut self, node: NodeId, event: Event<N::Message>) -> Result<(), StepFailure> {
        let sent = self.nodes[node as usize]
            .step(event)
            .map_err(|e| StepFailure {
                node: Some(node),
                field: "fatal".into(),
                expected: "the node keeps running".into(),
                actual: e.to_string(),
            })?;
        for (to, msg) in sent.sent {
            let abs = self.nodes[node as usize]
                .abstract_message(node, to, &msg)
                .map_err(|e| StepFailure {
                    node: Some(node),
                    field: "message sent".into(),
                    expected: "a message the model can express".into(),
                    actual: format!("{e}: {msg:?}"),
                })?;
            self.put(node, to, abs, msg, 1);
        }
        Ok(())
    }

    fn put(&mut self, from: NodeId, to: NodeId, abs: N::Abstract, msg: N::Message, copies: usize) {
        if let Some(f) = self.in_flight.iter_mut().find(|f| f.abs == abs) {
            f.copies += copies;
            return;
        }
        self.in_flight.push(InFlight {
            from,
            to,
            abs,
            msg,
            copies,
        });
    }

    fn find(&self, abs: &N::Abstract) -> Option<usize> {
        self.in_flight.iter().position(|f| f.abs == *abs)
    }

    /// Removes one copy of a message the implementation sent; its concrete form and endpoints.
    pub fn take(&mut self, abs: &N::Abstract) -> Option<(NodeId, NodeId, N::Message)> {
        let i = self.find(abs)?;
        let f = &mut self.in_flight[i];
        let out = (f.from, f.to, f.msg.clone());
        f.copies -= 1;
        if f.copies == 0 {
            self.in_flight.swap_remove(i);
        }
        Some(out)
    }

    /// Adds one copy of a message in flight (the network duplicating it).
    pub fn duplicate(&mut self, abs: &N::Abstract) -> bool {
        match self.find(abs) {
            Some(i) => {
                self.in_flight[i].copies += 1;
                true
            }
            None => false,
        }
    }

    /// Copies in flight of every message from `from` to `to`.
    pub fn sent_between(&self, from: NodeId, to: NodeId) -> Vec<(&N::Abstract, usize)> {
        self.in_flight
            .iter()
            .filter(|f| f.from == from && f.to == to)
            .map(|f| (&f.abs, f.copies))
            .collect()
    }

    /// Every message in flight (abstract form, copies).
    pub fn in_flight(&self) -> impl Iterator<Item = (&N::Abstract, usize)> {
        self.in_flight.iter().map(|f| (&f.abs, f.copies))
    }
}

/// Replays protocol events on a harness (no model involved): what both directions share.
pub fn apply_step<P, N>(
    h: &mut Harness<N>,
    step: &ModelStep<P::Msg>,
) -> Result<Option<NodeId>, StepFailure>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let missing = |h: &Harness<N>, m: &P::Msg| {
        let (from, to) = P::endpoints(m);
        let sent: Vec<String> = h
            .sent_between(from, to)
            .into_iter()
            .map(|(a, c)| {
                if c > 1 {
                    format!("{} x{c}", P::describe(a))
                } else {
                    P::describe(a)
                }
            })
            .collect();
        StepFailure {
            node: Some(from),
            field: "message".into(),
            expected: P::describe(m),
            actual: if sent.is_empty() {
                format!("S{from} has no message in flight to S{to}")
            } else {
                format!("not sent; in flight S{from}→S{to}: {}", sent.join("; "))
            },
        }
    };
    Ok(match step {
        ModelStep::Deliver(m) => {
            let Some((from, to, msg)) = h.take(m) else {
                return Err(missing(h, m));
            };
            h.feed(to, Event::Receive { from, msg })?;
            Some(to)
        }
        ModelStep::Drop(m) => {
            if h.take(m).is_none() {
                return Err(missing(h, m));
            }
            None
        }
        ModelStep::Duplicate(m) => {
            if !h.duplicate(m) {
                return Err(missing(h, m));
            }
            None
        }
        ModelStep::Timer(s, t) => {
            h.feed(*s, Event::Timer(*t))?;
            Some(*s)
        }
        ModelStep::ClientRequest(s, v) => {
            h.feed(*s, Event::ClientRequest(*v))?;
            Some(*s)
        }
        ModelStep::Restart(s) => {
            h.nodes[*s as usize].restart();
            Some(*s)
        }
    })
}

/// Compares every node of the harness with the model's state.
pub fn compare_all<P, N>(spec: &P, state: &P::State, h: &Harness<N>) -> Result<(), StepFailure>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    for (i, n) in h.nodes.iter().enumerate() {
        let expected = spec.node_state(state, i as NodeId);
        if let Some(d) = expected.first_difference(&n.state()) {
            return Err(StepFailure::from_diff(i as NodeId, d));
        }
    }
    Ok(())
}

/// The implementation's node states (for reports and recordings).
pub fn node_states<N: Node>(h: &Harness<N>) -> Vec<NodeState> {
    h.nodes.iter().map(|n| n.state()).collect()
}

/// How far a replay went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub steps: usize,
}

/// Replays a sequence of model actions from the model's initial state. Every action must be
/// one the model can take (sources produce only such; ITF files are checked against the model
/// first). Stops at the first divergence.
pub fn replay<P, N>(
    spec: &P,
    actions: &[P::Action],
    make: &dyn Fn(NodeId, u8) -> N,
) -> Result<Replayed, Box<Divergence>>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut state = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one initial state");
    let mut h = Harness::new(spec.bounds().servers, make);
    let diverge = |step: usize, f: StepFailure, known: Option<&str>| {
        let label = if step == 0 {
            "initial state".to_string()
        } else {
            spec.format_action(&actions[step - 1])
        };
        let prefix = Trace::from_actions(spec, &actions[..step])
            .expect("a replayed prefix is a model trace");
        Box::new(Divergence {
            step,
            action: label,
            node: f.node,
            field: f.field,
            expected: f.expected,
            actual: f.actual,
            prefix,
            known: known.map(str::to_string),
        })
    };
    compare_all(spec, &state, &h).map_err(|f| diverge(0, f, None))?;
    for (i, a) in actions.iter().enumerate() {
        let next = spec
            .next_state(&state, a.clone())
            .expect("replayed actions are model actions");
        let known = || spec.known_difference(&state, a);
        apply_step::<P, N>(&mut h, &spec.model_step(a)).map_err(|f| diverge(i + 1, f, known()))?;
        compare_all(spec, &next, &h).map_err(|f| diverge(i + 1, f, known()))?;
        state = next;
    }
    Ok(Replayed {
        steps: actions.len(),
    })
}
