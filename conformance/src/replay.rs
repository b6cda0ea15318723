//! Replay: a model trace drives the implementation step by step.
//!
//! The harness holds one implementation [`Node`] per server and its own network: a multiset of
//! the messages the implementation really sent, per (from, to), each with its meaning in the
//! model's vocabulary. For each model action it feeds the matching event, delivers (drops,
//! duplicates) only a message the implementation sent, and then compares every node's abstract
//! state with the model's. The model's network may hold less than the implementation sent (it
//! discards dead responses and saturates identical copies), never more: a model delivery with
//! no matching sent message is a divergence.

use crate::driver::{Event, FieldDiff, Node, NodeId, NodeState, Timer};
use crate::protocol::{delivery_is_noop, ModelStep, Protocol};
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
    /// What explains the difference (replay only).
    pub context: Option<Context>,
}

/// What a report shows beside the first difference.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Context {
    /// A message the model delivers (drops, duplicates) and the implementation never sent:
    /// the step at which the model sent it, and what the implementation sent at that step.
    pub sent_at: Option<usize>,
    pub impl_sent_then: Vec<String>,
    /// Every node's abstract state after the diverging step, model and implementation.
    pub model_states: Vec<String>,
    pub impl_states: Vec<String>,
    /// The implementation's messages in flight (copies).
    pub impl_in_flight: Vec<String>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(j) = self.sent_at {
            writeln!(
                f,
                "  sent at:  step {j}, where the model sends it; the implementation sent there:"
            )?;
            if self.impl_sent_then.is_empty() {
                writeln!(f, "              nothing")?;
            }
            for m in &self.impl_sent_then {
                writeln!(f, "              {m}")?;
            }
        }
        writeln!(f, "  state after the step (model / implementation):")?;
        for (i, (m, a)) in self.model_states.iter().zip(&self.impl_states).enumerate() {
            writeln!(f, "    S{i} model: {m}")?;
            writeln!(f, "    S{i} impl:  {a}")?;
        }
        writeln!(f, "  implementation's messages in flight:")?;
        for m in &self.impl_in_flight {
            writeln!(f, "    {m}")?;
        }
        Ok(())
    }
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
        if let Some(c) = &self.context {
            write!(f, "{c}")?;
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
    pub context: Option<Context>,
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
            context: self.context.clone(),
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
    /// Copies the model dropped: delivered late, at the end of the trace ([`deliver_late`]).
    dropped: Vec<InFlight<N::Message, N::Abstract>>,
    /// Per node: did it restart its election timer in the current step?
    pub reset: Vec<bool>,
    /// What the current step sent (abstract form).
    pub sent_now: Vec<N::Abstract>,
}

impl<N: Node> Harness<N> {
    pub fn new(servers: u8, make: &dyn Fn(NodeId, u8) -> N) -> Self {
        Harness {
            nodes: (0..servers).map(|i| make(i, servers)).collect(),
            in_flight: Vec::new(),
            dropped: Vec::new(),
            reset: vec![false; servers as usize],
            sent_now: Vec::new(),
        }
    }

    /// Forgets what the previous step reset and sent.
    pub fn begin_step(&mut self) {
        self.reset.iter_mut().for_each(|r| *r = false);
        self.sent_now.clear();
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
        self.reset[node as usize] |= sent.reset_election_timer;
        for (to, msg) in sent.sent {
            let abs = self.nodes[node as usize]
                .abstract_message(node, to, &msg)
                .map_err(|e| StepFailure {
                    node: Some(node),
                    field: "message sent".into(),
                    expected: "a message the model can express".into(),
                    actual: format!("{e}: {msg:?}"),
                })?;
            self.sent_now.push(abs.clone());
            self.put(node, to, abs, msg, 1);
        }
        Ok(())
    }

    /// Moves one copy of a message in flight to the dropped pool.
    fn drop_copy(&mut self, abs: &N::Abstract) -> bool {
        let Some((from, to, msg)) = self.take(abs) else {
            return false;
        };
        self.dropped.push(InFlight {
            from,
            to,
            abs: abs.clone(),
            msg,
            copies: 1,
        });
        true
    }

    /// Copies the implementation holds (in flight or dropped) beyond the model's `model`
    /// copies in flight: one entry per distinct message, each with its concrete form.
    fn surplus(
        &self,
        model: &[(N::Abstract, u8)],
    ) -> Vec<(NodeId, NodeId, N::Abstract, N::Message)> {
        let mut out: Vec<(NodeId, NodeId, N::Abstract, N::Message)> = Vec::new();
        for f in self.in_flight.iter().chain(&self.dropped) {
            let held: usize = model
                .iter()
                .filter(|(m, _)| *m == f.abs)
                .map(|(_, c)| *c as usize)
                .sum();
            let mine: usize = self
                .in_flight
                .iter()
                .chain(&self.dropped)
                .filter(|g| g.abs == f.abs)
                .map(|g| g.copies)
                .sum();
            if mine > held && !out.iter().any(|(_, _, a, _)| *a == f.abs) {
                out.push((f.from, f.to, f.abs.clone(), f.msg.clone()));
            }
        }
        out
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

    /// Removes one copy from what is in flight, else from the dropped pool.
    fn take_late(&mut self, abs: &N::Abstract) -> bool {
        if self.take(abs).is_some() {
            return true;
        }
        match self.dropped.iter().position(|f| f.abs == *abs) {
            Some(i) => {
                self.dropped.swap_remove(i);
                true
            }
            None => false,
        }
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
    Ok(match step {
        ModelStep::Deliver(m) => {
            let Some((from, to, msg)) = h.take(m) else {
                return Err(not_in_flight::<P, N>(h, m));
            };
            h.feed(to, Event::Receive { from, msg })?;
            Some(to)
        }
        ModelStep::Drop(m) => {
            if !h.drop_copy(m) {
                return Err(not_in_flight::<P, N>(h, m));
            }
            None
        }
        ModelStep::Duplicate(m) => {
            if !h.duplicate(m) {
                return Err(not_in_flight::<P, N>(h, m));
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
            restart(h, *s)?;
            Some(*s)
        }
        ModelStep::SendTo(s, to, _) => return Err(per_peer_send(*s, *to)),
    })
}

/// The model acts on message `m`, which the implementation did not send: what it has in
/// flight between the same two servers instead.
fn not_in_flight<P, N>(h: &Harness<N>, m: &P::Msg) -> StepFailure
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
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
}

/// Restarts node `s` from what it persisted.
fn restart<N: Node>(h: &mut Harness<N>, s: NodeId) -> Result<(), StepFailure> {
    h.nodes[s as usize].restart().map_err(|e| StepFailure {
        node: Some(s),
        field: "restart".into(),
        expected: "the node recovers what it persisted".into(),
        actual: e.to_string(),
    })
}

/// A per-peer send of the model: the implementation sends to every peer on a timer, so such
/// a trace cannot be replayed.
fn per_peer_send(s: NodeId, to: NodeId) -> StepFailure {
    StepFailure {
        node: Some(s),
        field: "step".into(),
        expected: format!("S{s} sends its request to S{to} alone (per-peer sends)"),
        actual:
            "the implementation sends to every peer on a timer: check without --per-peer to replay"
                .into(),
    }
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

/// Timers in the abstraction, after a step from `before` by `action` to `after`: each node
/// arms exactly the model's timers of its role (timers the model has no action for are not
/// compared), with `with_enabled` every timer action the model enables is armed (replay asks
/// for it at the end of a trace: enumerating the model's actions at every step would double
/// its cost, and `role_timers` is tested to cover them), and a node restarted its election
/// timer where the protocol's timer rule says it must.
pub fn check_timers<P, N>(
    spec: &P,
    before: &P::State,
    action: Option<&P::Action>,
    after: &P::State,
    h: &Harness<N>,
    with_enabled: bool,
) -> Result<(), StepFailure>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let kinds = spec.model_timers();
    if kinds.is_empty() {
        return Ok(());
    }
    let show = |ts: &[Timer]| format!("{ts:?}");
    let armed_of = |n: usize| -> Vec<Timer> {
        let mut a: Vec<Timer> = h.nodes[n].timers();
        a.retain(|t| kinds.contains(t));
        a.sort();
        a
    };
    for n in 0..h.nodes.len() {
        let mut want = spec.role_timers(after, n as NodeId);
        want.sort();
        let armed = armed_of(n);
        if armed != want {
            return Err(StepFailure {
                node: Some(n as NodeId),
                field: "timers armed".into(),
                expected: show(&want),
                actual: show(&armed),
            });
        }
    }
    let mut enabled = Vec::new();
    if with_enabled {
        spec.actions(after, &mut enabled);
    }
    for a in &enabled {
        if let ModelStep::Timer(s, t) = spec.model_step(a) {
            if !armed_of(s as usize).contains(&t) {
                return Err(StepFailure {
                    node: Some(s),
                    field: "timers armed".into(),
                    expected: format!("{t:?} armed (the model enables it)"),
                    actual: show(&armed_of(s as usize)),
                });
            }
        }
    }
    let must = action.and_then(|a| spec.must_reset_election_timer(before, a, after));
    if let Some(n) = must {
        if h.nodes[n as usize].reports_timer_resets() && !h.reset[n as usize] {
            return Err(StepFailure {
                node: Some(n),
                field: "election timer".into(),
                expected: "restarted".into(),
                actual: "not restarted".into(),
            });
        }
    }
    Ok(())
}

/// Late deliveries, at the end of a trace: every message the implementation sent that the
/// model dropped, discarded as dead or holds fewer copies of is delivered now, one copy of
/// each, the model taking the same delivery (the message injected into its network). The
/// nodes must still match the model, send nothing the model would not send, and a message
/// whose delivery the model ignores (a stale one) must not restart an election timer.
/// `Err` carries the late message's description with the failure.
pub fn deliver_late<P, N>(
    spec: &P,
    state: &mut P::State,
    h: &mut Harness<N>,
) -> Result<usize, (String, StepFailure)>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut delivered = 0;
    for (from, to, abs, msg) in h.surplus(&spec.in_flight(state)) {
        let what = P::describe(&abs);
        let fail = |f: StepFailure| (what.clone(), f);
        let action = spec.action_of(ModelStep::Deliver(abs.clone()));
        let Some(next) = spec.next_state(&spec.inject(state, &abs), action.clone()) else {
            continue;
        };
        // A delivery that changes nothing and that the timer rule does not count (a message
        // of an older term) must not restart a timer either.
        let stale = delivery_is_noop(spec, state, &abs)
            && spec
                .must_reset_election_timer(state, &action, &next)
                .is_none();
        h.take_late(&abs);
        h.begin_step();
        h.feed(to, Event::Receive { from, msg }).map_err(fail)?;
        compare_all(spec, &next, h).map_err(fail)?;
        check_timers(spec, state, Some(&action), &next, h, false).map_err(fail)?;
        let model_net = spec.in_flight(&next);
        for r in &h.sent_now {
            if !model_net.iter().any(|(m, _)| m == r) && !delivery_is_noop(spec, &next, r) {
                return Err(fail(StepFailure {
                    node: Some(to),
                    field: "message sent".into(),
                    expected: "only what the model sends".into(),
                    actual: P::describe(r),
                }));
            }
        }
        if stale && h.reset[to as usize] && h.nodes[to as usize].reports_timer_resets() {
            return Err(fail(StepFailure {
                node: Some(to),
                field: "election timer".into(),
                expected: "not restarted (the message is stale)".into(),
                actual: "restarted".into(),
            }));
        }
        *state = next;
        delivered += 1;
    }
    Ok(delivered)
}

/// The implementation's node states (for reports and recordings).
pub fn node_states<N: Node>(h: &Harness<N>) -> Vec<NodeState> {
    h.nodes.iter().map(|n| n.state()).collect()
}

/// How far a replay went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    pub steps: usize,
    /// Late deliveries at the end (see [`deliver_late`]).
    pub late: usize,
}

/// Where a replay stopped: the step, the failure, a known difference, a late delivery.
struct Stop {
    step: usize,
    failure: StepFailure,
    known: Option<&'static str>,
    late: Option<String>,
}

/// Replays a sequence of model actions from the model's initial state. Every action must be
/// one the model can take (sources produce only such; ITF files are checked against the model
/// first). Stops at the first divergence, which is reported with its [`Context`].
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
    match run_steps(spec, actions, &mut h, &mut state) {
        Ok(late) => Ok(Replayed {
            steps: actions.len(),
            late,
        }),
        Err(stop) => Err(divergence(spec, actions, make, &h, &state, *stop)),
    }
}

/// Feeds `actions` to the harness, comparing after each, then the late deliveries. On a
/// divergence `state` is the model's state after the diverging step.
fn run_steps<P, N>(
    spec: &P,
    actions: &[P::Action],
    h: &mut Harness<N>,
    state: &mut P::State,
) -> Result<usize, Box<Stop>>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let stop = |step, failure, known| {
        Box::new(Stop {
            step,
            failure,
            known,
            late: None,
        })
    };
    compare_all(spec, state, h).map_err(|f| stop(0, f, None))?;
    for (i, a) in actions.iter().enumerate() {
        let next = spec
            .next_state(state, a.clone())
            .expect("replayed actions are model actions");
        let known = spec.known_difference(state, a);
        h.begin_step();
        let before = std::mem::replace(state, next);
        apply_step::<P, N>(h, &spec.model_step(a)).map_err(|f| stop(i + 1, f, known))?;
        compare_all(spec, state, h).map_err(|f| stop(i + 1, f, known))?;
        let last = i + 1 == actions.len();
        check_timers(spec, &before, Some(a), state, h, last).map_err(|f| stop(i + 1, f, known))?;
    }
    deliver_late(spec, state, h).map_err(|(what, failure)| {
        Box::new(Stop {
            step: actions.len(),
            failure,
            known: None,
            late: Some(what),
        })
    })
}

/// The report of a replay that stopped: the first difference, the trace up to it, and what
/// explains it ([`Context`]).
fn divergence<P, N>(
    spec: &P,
    actions: &[P::Action],
    make: &dyn Fn(NodeId, u8) -> N,
    h: &Harness<N>,
    state: &P::State,
    stop: Stop,
) -> Box<Divergence>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let step = stop.step;
    let action = match &stop.late {
        Some(what) => format!(
            "late delivery of {what} (sent by the implementation, dropped or discarded by the model), after step {step}"
        ),
        None if step == 0 => "initial state".to_string(),
        None => spec.format_action(&actions[step - 1]),
    };
    let prefix =
        Trace::from_actions(spec, &actions[..step]).expect("a replayed prefix is a model trace");
    let mut context = Context {
        model_states: spec
            .node_states(state)
            .iter()
            .map(|n| n.to_string())
            .collect(),
        impl_states: node_states(h).iter().map(|n| n.to_string()).collect(),
        impl_in_flight: h
            .in_flight()
            .map(|(m, c)| match c {
                1 => P::describe(m),
                c => format!("{} x{c}", P::describe(m)),
            })
            .collect(),
        ..Context::default()
    };
    let missing = match (step, &stop.late) {
        (1.., None) if stop.failure.field == "message" => match spec.model_step(&actions[step - 1])
        {
            ModelStep::Deliver(m) | ModelStep::Drop(m) | ModelStep::Duplicate(m) => Some(m),
            _ => None,
        },
        _ => None,
    };
    if let Some(m) = missing {
        if let Some(j) = sending_step(spec, &actions[..step], &m) {
            context.sent_at = Some(j);
            context.impl_sent_then = impl_sent_at(spec, &actions[..j], make);
        }
    }
    Box::new(Divergence {
        step,
        action,
        node: stop.failure.node,
        field: stop.failure.field,
        expected: stop.failure.expected,
        actual: stop.failure.actual,
        prefix,
        known: stop.known.map(str::to_string),
        context: Some(context),
    })
}

/// The last step (1-based) at which the model put a copy of `m` on its network.
fn sending_step<P: Protocol>(spec: &P, actions: &[P::Action], m: &P::Msg) -> Option<usize> {
    let mut st = spec.init_states().into_iter().next()?;
    let copies = |st: &P::State| {
        spec.in_flight(st)
            .iter()
            .find(|(x, _)| x == m)
            .map_or(0, |(_, c)| *c)
    };
    let mut found = None;
    for (i, a) in actions.iter().enumerate() {
        let next = spec.next_state(&st, a.clone())?;
        let sent = !matches!(spec.model_step(a), ModelStep::Duplicate(_));
        if sent && copies(&next) > copies(&st) {
            found = Some(i + 1);
        }
        st = next;
    }
    found
}

/// What the implementation sent at the last of `actions` (replayed on fresh nodes).
fn impl_sent_at<P, N>(
    spec: &P,
    actions: &[P::Action],
    make: &dyn Fn(NodeId, u8) -> N,
) -> Vec<String>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut h = Harness::new(spec.bounds().servers, make);
    for a in actions {
        h.begin_step();
        if apply_step::<P, N>(&mut h, &spec.model_step(a)).is_err() {
            break;
        }
    }
    h.sent_now.iter().map(P::describe).collect()
}
