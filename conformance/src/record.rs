//! The other direction, trace validation: a real cluster of the implementation runs (real
//! timers, real TCP on loopback through the implementation's own transport, all nodes in one
//! process so that every event has one place in one order); each event a node handles is
//! recorded as the model action it stands for, with every node's abstract state after it and
//! the messages it sent. [`validate`] then checks that every recorded step is a transition the
//! model allows, leading to the recorded abstract states.
//!
//! A recorded trace is an ITF document like a model trace, but its states are
//! `{"servers": [abstract node state...], "sent": [messages sent in the step], "atMs": N}`
//! instead of the model's full state (the model's history variables and its network cannot be
//! observed on a real node).

use crate::driver::{
    first_difference_json, Event, Inexpressible, Node, NodeFailure, NodeId, NodeState, Role, Timer,
};
use crate::protocol::{delivery_is_noop, ModelStep, Protocol};
use crate::replay::{replay, Divergence};
use crate::sources::Rng;
use raftspec_impl::net::transport::Transport;
use raftspec_model::trace::{replay_on_model, Trace, TraceAction, TraceStep};
use raftspec_model::{Bounds, NetworkSemantics};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a recorded run goes.
#[derive(Clone, Debug, Serialize)]
pub struct RecordOptions {
    pub servers: u8,
    /// Client requests (values 1, 2, ...), each sent to the leader once the previous one is
    /// committed there. At most 6 (the model's longest log).
    pub requests: u8,
    /// Crash-restarts of the leader, spread over the run.
    pub restarts: u8,
    /// Seeds the timers' jitter (the run itself depends on real time).
    pub seed: u64,
    /// Election timeout, uniform in [min, max) milliseconds.
    pub election_ms: (u64, u64),
    /// Period of a leader's heartbeat (Raft) or a follower's fetch (KRaft), milliseconds.
    pub heartbeat_ms: u64,
    /// Give up (an error, not a divergence) if the run has not finished by then.
    pub time_limit_ms: u64,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            servers: 3,
            requests: 4,
            restarts: 1,
            seed: 1,
            election_ms: (150, 300),
            heartbeat_ms: 30,
            time_limit_ms: 20_000,
        }
    }
}

/// How often the recorder fires a periodic timer the node arms, in heartbeat periods; the
/// election timer is drawn from the election range instead. `None`: the recorder never fires
/// it (a KRaft leader's BeginQuorumEpoch resend: the loopback transport loses nothing, and a
/// follower that has not heard of the epoch yet learns it from the leader's first send).
/// A KRaft follower fetches every period while it has no fetch in flight; a leader checks
/// its quorum every 40 periods.
fn period(t: Timer) -> Option<u32> {
    match t {
        Timer::Election | Timer::BeginQuorumEpoch => None,
        Timer::Heartbeat | Timer::Fetch => Some(1),
        Timer::CheckQuorum => Some(40),
    }
}

/// Why a run could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("--requests must be at most {max} (the model's longest log)")]
    TooManyRequests { max: usize },
    #[error("the election timeout range must be non-empty")]
    EmptyElectionRange,
    #[error("cannot listen on loopback: {0}")]
    Listen(std::io::Error),
    #[error("cannot read a listener's address: {0}")]
    ListenerAddress(std::io::Error),
    #[error(
        "the cluster did not finish in {limit_ms} ms ({steps} steps recorded, {proposed} requests sent; {nodes})"
    )]
    Unfinished {
        limit_ms: u64,
        steps: usize,
        proposed: u8,
        /// Each node's role, term, log length and commit.
        nodes: String,
    },
    /// The run's terms passed what the model's bounds hold (timing luck: another seed
    /// usually does).
    #[error("too many elections: terms reached {reached} (at most {max} fit the model's bounds)")]
    TooManyTerms { reached: u8, max: u8 },
    /// The run's elections made bounds the model cannot hold (timing luck, as above).
    #[error("too many elections: {0}")]
    BoundsExceeded(raftspec_model::bounds::BoundsError),
    #[error("S{node} stopped: {error}")]
    NodeStopped { node: NodeId, error: NodeFailure },
    #[error("S{node} sent a message the model cannot express: {error}")]
    Inexpressible { node: NodeId, error: Inexpressible },
    #[error("the transports stopped")]
    TransportsStopped,
}

impl RecordError {
    /// A run whose elections did not fit the model's bounds: another seed usually does.
    pub fn is_too_many_elections(&self) -> bool {
        matches!(
            self,
            RecordError::TooManyTerms { .. } | RecordError::BoundsExceeded(_)
        )
    }
}

/// Why a recording cannot be validated: it is not a recording of the spec's variant.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error(
        "not a recorded run (its states have no \"sent\" field): replay model traces with `raftspec replay`"
    )]
    NotARecording,
    #[error("recorded state {step} has no \"servers\" array of {servers} node states")]
    NoServers { step: usize, servers: usize },
    #[error("recorded state {0} has no \"sent\" array")]
    NoSent(usize),
    #[error("recorded state {step}: bad \"sent\": {error}")]
    BadSent {
        step: usize,
        error: serde_json::Error,
    },
    #[error("recorded step {step}: action_args is not a {variant} action: {error}")]
    BadAction {
        step: usize,
        variant: raftspec_model::Variant,
        error: serde_json::Error,
    },
}

/// A message a node's transport received, for the one event loop.
type Inbox<M> = mpsc::Receiver<(NodeId, NodeId, M)>;

/// Runs a real cluster and records it. `spec` names actions and labels them (its bounds do
/// not matter; the recording's bounds are computed from what the run needed); a run whose
/// terms pass `max_term` stops with [`RecordError::TooManyTerms`].
pub fn record<P, N>(
    spec: &P,
    make: &dyn Fn(NodeId, u8) -> N,
    mode: &str,
    max_term: u8,
    opts: &RecordOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Trace, RecordError>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
    N::Message: Serialize + DeserializeOwned + Send + 'static,
{
    check_options(opts)?;
    let n = opts.servers;
    let (transports, inbox) = start_transports::<N::Message>(n, mode)?;
    let mut run = Run {
        spec,
        nodes: (0..n).map(|i| make(i, n)).collect(),
        steps: Vec::new(),
        start: Instant::now(),
        max_term: 0,
        max_log: 0,
        max_value: 0,
        in_flight: Vec::new(),
    };
    run.push(None, &[]);
    let mut l = Loop {
        run,
        transports,
        inbox,
        opts,
        max_term,
        hb: Duration::from_millis(opts.heartbeat_ms),
        rng: Rng::new(opts.seed),
        timers: vec![BTreeMap::new(); n as usize],
        proposed: 0,
        restarted: 0,
    };
    let result = l.run(progress);
    let Loop {
        run,
        transports,
        proposed,
        restarted,
        ..
    } = l;
    drop(transports);
    result?;
    progress(&format!(
        "recorded {} steps in {:.2} s: {} requests, {} restart(s), terms up to {}",
        run.steps.len() - 1,
        run.start.elapsed().as_secs_f64(),
        proposed,
        restarted,
        run.max_term
    ));
    Ok(run.into_trace(n, restarted))
}

fn check_options(opts: &RecordOptions) -> Result<(), RecordError> {
    if opts.requests as usize > raftspec_model::bounds::MAX_LOG || opts.requests > 9 {
        return Err(RecordError::TooManyRequests {
            max: raftspec_model::bounds::MAX_LOG,
        });
    }
    if opts.election_ms.0 == 0 || opts.election_ms.1 <= opts.election_ms.0 {
        return Err(RecordError::EmptyElectionRange);
    }
    Ok(())
}

/// One transport per node on loopback, all delivering into one inbox.
#[allow(clippy::type_complexity)]
fn start_transports<M>(n: u8, mode: &str) -> Result<(Vec<Transport<M>>, Inbox<M>), RecordError>
where
    M: Serialize + DeserializeOwned + Send + 'static,
{
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RecordError::Listen)?;
    let addrs: BTreeMap<u64, SocketAddr> = listeners
        .iter()
        .enumerate()
        .map(|(i, l)| Ok((i as u64, l.local_addr()?)))
        .collect::<Result<_, std::io::Error>>()
        .map_err(RecordError::ListenerAddress)?;
    let (tx, inbox) = mpsc::channel();
    let transports = listeners
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let tx = std::sync::Mutex::new(tx.clone());
            let to = i as NodeId;
            Transport::start(
                i as u64,
                mode,
                l,
                &addrs,
                Arc::new(move |from: u64, m| {
                    let from = NodeId::try_from(from).unwrap_or(NodeId::MAX);
                    let _ = tx.lock().map(|t| t.send((to, from, m)));
                }),
            )
        })
        .collect();
    Ok((transports, inbox))
}

/// The recorder's event loop: the run, its transports, timers and client.
struct Loop<'a, P: Protocol, N: Node> {
    run: Run<'a, P, N>,
    transports: Vec<Transport<N::Message>>,
    inbox: Inbox<N::Message>,
    opts: &'a RecordOptions,
    max_term: u8,
    hb: Duration,
    rng: Rng,
    /// Per node: when each of its timers fires next.
    timers: Vec<BTreeMap<TimerKey, Instant>>,
    proposed: u8,
    restarted: u8,
}

impl<P, N> Loop<'_, P, N>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
    N::Message: Serialize + DeserializeOwned + Send + 'static,
{
    fn run(&mut self, progress: &mut dyn FnMut(&str)) -> Result<(), RecordError> {
        let limit = Duration::from_millis(self.opts.time_limit_ms);
        loop {
            let now = Instant::now();
            if self.run.start.elapsed() > limit {
                return Err(self.unfinished());
            }
            let states: Vec<NodeState> = self.run.nodes.iter().map(|x| x.state()).collect();
            if self.run.max_term > self.max_term {
                return Err(RecordError::TooManyTerms {
                    reached: self.run.max_term,
                    max: self.max_term,
                });
            }
            let settled =
                |s: &NodeState| s.commit as usize == s.log.len() && s.log == states[0].log;
            if self.proposed == self.opts.requests
                && states.iter().all(settled)
                && !states[0].log.is_empty()
            {
                return Ok(());
            }
            self.arm_timers(now);
            if !self.client(&states, progress)? {
                self.network_or_timer(now)?;
            }
        }
    }

    fn unfinished(&self) -> RecordError {
        let nodes: Vec<String> = self
            .run
            .nodes
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let s = x.state();
                let (role, term, log, commit) = (s.role, s.term, s.log.len(), s.commit);
                format!("S{i} {role:?} term {term} log {log} commit {commit}")
            })
            .collect();
        RecordError::Unfinished {
            limit_ms: self.opts.time_limit_ms,
            steps: self.run.steps.len() - 1,
            proposed: self.proposed,
            nodes: nodes.join(", "),
        }
    }

    /// The timers each node arms in its role now: keep those still armed, start new ones.
    fn arm_timers(&mut self, now: Instant) {
        let (lo, hi) = self.opts.election_ms;
        for (t, node) in self.timers.iter_mut().zip(&self.run.nodes) {
            let armed = node.timers();
            let election_armed = armed.contains(&Timer::Election);
            t.retain(|k, _| match k {
                TimerKey::Election => election_armed,
                TimerKey::Periodic(p) => armed.contains(p),
            });
            if election_armed && !t.contains_key(&TimerKey::Election) {
                let ms = lo + self.rng.below((hi - lo) as usize) as u64;
                t.insert(TimerKey::Election, now + Duration::from_millis(ms));
            }
            for p in armed {
                if let Some(k) = period(p) {
                    t.entry(TimerKey::Periodic(p)).or_insert(now + self.hb * k);
                }
            }
        }
    }

    /// The client: one request at a time, to the leader, once the last one is committed;
    /// restarts of the leader spread over the run. True if it acted.
    fn client(
        &mut self,
        states: &[NodeState],
        progress: &mut dyn FnMut(&str),
    ) -> Result<bool, RecordError> {
        let Some(l) = states.iter().position(|s| s.role == Role::Leader) else {
            return Ok(false);
        };
        let s = &states[l];
        let l = l as NodeId;
        // Entries of earlier terms commit only under one of the leader's own term (the
        // model's leaders append no no-op), so a leader without one gets the next request.
        let committed_here =
            s.commit as usize == s.log.len() || s.log.last().is_some_and(|e| e.term < s.term);
        let (o, proposed, restarted) = (self.opts, self.proposed as u32, self.restarted as u32);
        let restart_due = restarted < o.restarts as u32
            && proposed * (o.restarts as u32 + 1) >= o.requests as u32 * (restarted + 1)
            && committed_here;
        if restart_due {
            self.run.nodes[l as usize]
                .restart()
                .map_err(|error| RecordError::NodeStopped { node: l, error })?;
            self.run.push(Some(ModelStep::Restart(l)), &[]);
            self.timers[l as usize].clear();
            self.restarted += 1;
            progress(&format!("restarted leader S{l}"));
            return Ok(true);
        }
        if self.proposed < o.requests && committed_here {
            self.proposed += 1;
            let v = self.proposed;
            let event = Event::ClientRequest(v);
            let (sent, _) = self.run.step(l, event, ModelStep::ClientRequest(l, v))?;
            send_all(&self.transports, l, sent);
            return Ok(true);
        }
        Ok(false)
    }

    /// Delivers the next message, or fires the next timer that may fire (KRaft: one fetch in
    /// flight) if it is due before a message arrives.
    fn network_or_timer(&mut self, now: Instant) -> Result<(), RecordError> {
        let (spec, in_flight) = (self.run.spec, &self.run.in_flight);
        let next = self
            .timers
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.iter().map(move |(k, at)| (*at, i as NodeId, *k)))
            .filter(|(_, i, k)| match k {
                TimerKey::Election => true,
                TimerKey::Periodic(t) => spec.timer_ready(*i, *t, in_flight),
            })
            .min();
        let wait = next.map_or(self.hb, |(at, _, _)| at.saturating_duration_since(now));
        match self.inbox.recv_timeout(wait.min(self.hb)) {
            Ok((to, from, msg)) => self.deliver(from, to, msg),
            Err(mpsc::RecvTimeoutError::Timeout) => match next {
                Some((at, i, key)) if at <= Instant::now() => self.fire(i, key),
                _ => Ok(()),
            },
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(RecordError::TransportsStopped),
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: N::Message) -> Result<(), RecordError> {
        let abs = self.run.nodes[from as usize]
            .abstract_message(from, to, &msg)
            .map_err(|error| RecordError::Inexpressible { node: from, error })?;
        let event = Event::Receive { from, msg };
        let (sent, reset) = self.run.step(to, event, ModelStep::Deliver(abs))?;
        if reset {
            self.timers[to as usize].remove(&TimerKey::Election);
        }
        send_all(&self.transports, to, sent);
        Ok(())
    }

    fn fire(&mut self, i: NodeId, key: TimerKey) -> Result<(), RecordError> {
        let timer = match key {
            TimerKey::Election => Timer::Election,
            TimerKey::Periodic(t) => t,
        };
        self.timers[i as usize].remove(&key);
        let (sent, _) = self
            .run
            .step(i, Event::Timer(timer), ModelStep::Timer(i, timer))?;
        send_all(&self.transports, i, sent);
        Ok(())
    }
}

/// `#meta.property` of a recorded run.
pub const RECORDED: &str = "recorded run";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKey {
    Election,
    Periodic(Timer),
}

fn send_all<M: Serialize + DeserializeOwned + Send + 'static>(
    transports: &[Transport<M>],
    from: NodeId,
    sent: Vec<(NodeId, M)>,
) {
    for (to, m) in sent {
        transports[from as usize].send(to as u64, &m);
    }
}

struct Run<'a, P: Protocol, N: Node> {
    spec: &'a P,
    nodes: Vec<N>,
    steps: Vec<TraceStep>,
    start: Instant,
    max_term: u8,
    max_log: u8,
    max_value: u8,
    /// Messages sent and not yet handled (abstract form), for `Protocol::timer_ready`.
    in_flight: Vec<P::Msg>,
}

impl<P: Protocol, N: Node<Abstract = P::Msg>> Run<'_, P, N> {
    /// The recording, with the bounds the run needed.
    fn into_trace(self, servers: u8, restarts: u8) -> Trace {
        let bounds = Bounds {
            servers,
            max_term: self.max_term.max(1),
            max_log: self.max_log,
            values: self.max_value.max(1),
            max_restarts: restarts,
            network: NetworkSemantics {
                drop: true,
                reorder: true,
                max_copies: 4,
                max_in_flight: u8::MAX,
                max_drops: None,
            },
            options: Default::default(),
        };
        Trace {
            variant: self.spec.variant(),
            bounds,
            bug: None,
            property: Some(RECORDED.to_string()),
            path: None,
            steps: self.steps,
        }
    }

    /// Records a step: the action, every node's state after it, what was sent.
    fn push(&mut self, step: Option<ModelStep<P::Msg>>, sent: &[P::Msg]) {
        let states: Vec<NodeState> = self.nodes.iter().map(|n| n.state()).collect();
        for s in &states {
            self.max_term = self.max_term.max(s.term.min(255) as u8);
            let mut data = 0u8;
            for e in &s.log {
                if let crate::driver::Payload::Value(v) = e.payload {
                    self.max_value = self.max_value.max(v);
                    data = data.saturating_add(1);
                }
            }
            self.max_log = self.max_log.max(data);
        }
        let action = step.map(|st| {
            let a = self.spec.action_of(st);
            TraceAction {
                name: self.spec.action_name(&a).to_string(),
                args: self.spec.action_json(&a),
                label: self.spec.format_action(&a),
            }
        });
        self.steps.push(TraceStep {
            action,
            state: json!({
                "servers": states.iter().map(NodeState::to_json).collect::<Vec<_>>(),
                "sent": sent.iter().map(|m| serde_json::to_value(m).expect("messages serialize")).collect::<Vec<_>>(),
                "atMs": self.start.elapsed().as_millis() as u64,
            }),
        });
    }

    /// Steps a node and records the step; returns what it sent and whether it asked for its
    /// election timer to restart.
    #[allow(clippy::type_complexity)]
    fn step(
        &mut self,
        node: NodeId,
        event: Event<N::Message>,
        step: ModelStep<P::Msg>,
    ) -> Result<(Vec<(NodeId, N::Message)>, bool), RecordError> {
        let is_timer = matches!(step, ModelStep::Timer(..));
        let before = is_timer.then(|| self.nodes[node as usize].state());
        let r = self.nodes[node as usize]
            .step(event)
            .map_err(|error| RecordError::NodeStopped { node, error })?;
        let abs = r
            .sent
            .iter()
            .map(|(to, m)| self.nodes[node as usize].abstract_message(node, *to, m))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| RecordError::Inexpressible { node, error })?;
        if let ModelStep::Deliver(m) = &step {
            if let Some(i) = self.in_flight.iter().position(|x| x == m) {
                self.in_flight.swap_remove(i);
            }
        }
        // A timer that changed nothing and sent nothing (a KRaft leader whose quorum did fetch)
        // is no protocol step: it is not recorded.
        let no_op =
            before.is_some_and(|b| abs.is_empty() && b == self.nodes[node as usize].state());
        if !no_op {
            self.in_flight.extend(abs.iter().cloned());
            self.push(Some(step), &abs);
        }
        Ok((r.sent, r.reset_election_timer))
    }
}

/// What validation found.
#[derive(Clone, Debug, Serialize)]
pub struct Validation {
    /// Recorded steps checked.
    pub steps: usize,
    /// Recorded deliveries of messages the model had already discarded as dead (a response
    /// nobody waits for any more): they must change nothing and send nothing.
    pub stutters: usize,
    /// The model trace the run follows (stutters left out).
    #[serde(skip)]
    pub model_trace: Trace,
}

/// Is this a recorded run (rather than a model trace)?
pub fn is_recording(t: &Trace) -> bool {
    t.property.as_deref() == Some(RECORDED)
        || t.steps
            .first()
            .is_some_and(|s| s.state.get("sent").is_some() && s.state.get("network").is_none())
}

/// Checks a recorded run against the model, step by step: every recorded action must be one
/// the model allows where it was taken (or a delivery of a message the model discarded as
/// dead: delivering it would change nothing, and it must change nothing), every node's
/// recorded state must be the model's, every
/// message the model sends must have been sent, and every message sent must be one the model
/// sends (or one it discards as dead). Outer `Err`: the file is not a recording of `spec`'s
/// variant.
pub fn validate<P: Protocol>(
    spec: &P,
    rec: &Trace,
) -> Result<Result<Validation, Box<Divergence>>, RecordingError> {
    if !is_recording(rec) {
        return Err(RecordingError::NotARecording);
    }
    let mut v = Validator {
        spec,
        rec,
        pool: HashMap::new(),
        model_actions: Vec::new(),
        stutters: 0,
    };
    let mut state = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    if let Some(d) = v.compare(0, "initial state", &state)? {
        return Ok(Err(d));
    }
    for i in 1..rec.steps.len() {
        match v.step(i, &state)? {
            Ok(next) => state = next,
            Err(d) => return Ok(Err(d)),
        }
    }
    let model_trace =
        Trace::from_actions(spec, &v.model_actions).expect("validated actions are a model trace");
    if let Err(e) = replay_on_model(spec, &model_trace) {
        panic!("a trace built from model actions replays on the model: {e}");
    }
    Ok(Ok(Validation {
        steps: rec.steps.len() - 1,
        stutters: v.stutters,
        model_trace,
    }))
}

/// A difference at one recorded step: the node, the field, expected and actual.
struct Finding {
    node: Option<NodeId>,
    field: String,
    expected: String,
    actual: String,
}

/// What [`validate`] carries from step to step.
struct Validator<'a, P: Protocol> {
    spec: &'a P,
    rec: &'a Trace,
    /// The recording's own network: messages sent and not yet delivered or dropped.
    pool: HashMap<P::Msg, usize>,
    /// The model actions the recording follows (stutters left out).
    model_actions: Vec<P::Action>,
    stutters: usize,
}

/// How many copies of `m` a model network holds.
fn copies<M: PartialEq>(bag: &[(M, u8)], m: &M) -> usize {
    bag.iter()
        .find(|(x, _)| x == m)
        .map_or(0, |(_, c)| *c as usize)
}

impl<P: Protocol> Validator<'_, P> {
    fn servers_of(&self, i: usize) -> Result<&Vec<Value>, RecordingError> {
        let n = self.spec.bounds().servers as usize;
        self.rec.steps[i]
            .state
            .get("servers")
            .and_then(Value::as_array)
            .filter(|a| a.len() == n)
            .ok_or(RecordingError::NoServers {
                step: i,
                servers: n,
            })
    }

    fn sent_of(&self, i: usize) -> Result<Vec<P::Msg>, RecordingError> {
        match self.rec.steps[i].state.get("sent") {
            None => Err(RecordingError::NoSent(i)),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|error| RecordingError::BadSent { step: i, error }),
        }
    }

    fn diverge(&self, step: usize, action: &str, f: Finding) -> Box<Divergence> {
        let mut prefix = self.rec.clone();
        prefix.steps.truncate(step + 1);
        Box::new(Divergence {
            step,
            action: action.to_string(),
            node: f.node,
            field: f.field,
            expected: f.expected,
            actual: f.actual,
            prefix,
            known: None,
            context: None,
        })
    }

    /// The first node whose recorded state after `step` is not the model's `st`.
    fn compare(
        &self,
        step: usize,
        label: &str,
        st: &P::State,
    ) -> Result<Option<Box<Divergence>>, RecordingError> {
        for (i, r) in self.servers_of(step)?.iter().enumerate() {
            let e = self.spec.node_state(st, i as NodeId).to_json();
            if let Some(d) = first_difference_json(&e, r) {
                let f = Finding {
                    node: Some(i as NodeId),
                    field: d.field,
                    expected: d.expected,
                    actual: d.actual,
                };
                return Ok(Some(self.diverge(step, label, f)));
            }
        }
        Ok(None)
    }

    /// Recorded step `i` from the model state `state`: the next model state, or where the
    /// recording leaves the model.
    #[allow(clippy::type_complexity)]
    fn step(
        &mut self,
        i: usize,
        state: &P::State,
    ) -> Result<Result<P::State, Box<Divergence>>, RecordingError> {
        let spec = self.spec;
        let ta = self.rec.steps[i]
            .action
            .as_ref()
            .expect("non-initial steps have actions");
        let label = ta.label.as_str();
        let action =
            spec.action_from_json(&ta.args)
                .map_err(|error| RecordingError::BadAction {
                    step: i,
                    variant: spec.variant(),
                    error,
                })?;
        let ms = spec.model_step(&action);
        let sent = self.sent_of(i)?;
        let before = spec.in_flight(state);
        let next = self
            .arrive(&ms)
            .map_or_else(|| self.model_next(state, &action, &ms, &sent, label), Err);
        let next = match next {
            Ok(next) => next,
            Err(f) => return Ok(Err(self.diverge(i, label, f))),
        };
        if let Some(mut dv) = self.compare(i, label, &next)? {
            dv.known = spec.known_difference(state, &action).map(str::to_string);
            return Ok(Err(dv));
        }
        match self.check_sent(&ms, &before, &next, &sent) {
            Some(f) => Ok(Err(self.diverge(i, label, f))),
            None => Ok(Ok(next)),
        }
    }

    /// The recording must be consistent with itself: only sent messages arrive.
    fn arrive(&mut self, ms: &ModelStep<P::Msg>) -> Option<Finding> {
        match ms {
            ModelStep::Deliver(m) | ModelStep::Drop(m) => match self.pool.get_mut(m) {
                Some(c) if *c > 0 => *c -= 1,
                _ => {
                    return Some(Finding {
                        node: Some(P::endpoints(m).0),
                        field: "message".into(),
                        expected: "a message sent earlier in the run".into(),
                        actual: format!("{} (never sent)", P::describe(m)),
                    })
                }
            },
            ModelStep::Duplicate(m) => *self.pool.entry(m.clone()).or_default() += 1,
            _ => {}
        }
        None
    }

    /// The model's state after the recorded action, or (a delivery of a message the model
    /// discarded as dead, which must change nothing and send nothing) the same state.
    fn model_next(
        &mut self,
        state: &P::State,
        action: &P::Action,
        ms: &ModelStep<P::Msg>,
        sent: &[P::Msg],
        label: &str,
    ) -> Result<P::State, Finding> {
        let spec = self.spec;
        let mut enabled = Vec::new();
        spec.actions(state, &mut enabled);
        if enabled.contains(action) {
            self.model_actions.push(action.clone());
            return Ok(spec
                .next_state(state, action.clone())
                .expect("enabled actions have a next state"));
        }
        let ModelStep::Deliver(m) = ms else {
            return Err(Finding {
                node: None,
                field: "action".into(),
                expected: "a step the model allows here".into(),
                actual: format!("{label}: not enabled in the model"),
            });
        };
        if copies(&spec.in_flight(state), m) != 0 || !delivery_is_noop(spec, state, m) {
            return Err(Finding {
                node: Some(P::endpoints(m).1),
                field: "action".into(),
                expected: "a step the model allows here".into(),
                actual: format!("{label}: the model has no such message in flight"),
            });
        }
        self.stutters += 1;
        if !sent.is_empty() {
            return Err(Finding {
                node: P::endpoints(m).1.into(),
                field: "sent".into(),
                expected:
                    "nothing (the model discarded this message: delivering it changes nothing)"
                        .into(),
                actual: sent.iter().map(P::describe).collect::<Vec<_>>().join("; "),
            });
        }
        Ok(state.clone())
    }

    /// Every message the model sends must have been sent, and every message sent must be one
    /// the model sends (or one it discards as dead); the sent ones join the pool.
    fn check_sent(
        &mut self,
        ms: &ModelStep<P::Msg>,
        before: &[(P::Msg, u8)],
        next: &P::State,
        sent: &[P::Msg],
    ) -> Option<Finding> {
        let after = self.spec.in_flight(next);
        let taken = |m: &P::Msg| matches!(ms, ModelStep::Deliver(x) | ModelStep::Drop(x) if x == m);
        for (m, c) in &after {
            let had = copies(before, m).saturating_sub(taken(m) as usize);
            if (*c as usize) > had && !matches!(ms, ModelStep::Duplicate(_)) && !sent.contains(m) {
                return Some(Finding {
                    node: Some(P::endpoints(m).0),
                    field: "sent".into(),
                    expected: format!("{} (sent by the model)", P::describe(m)),
                    actual: "not sent by the implementation".into(),
                });
            }
        }
        for m in sent {
            if copies(&after, m) == 0 && !delivery_is_noop(self.spec, next, m) {
                return Some(Finding {
                    node: Some(P::endpoints(m).0),
                    field: "sent".into(),
                    expected: "not sent by the model".into(),
                    actual: format!("{} (sent by the implementation)", P::describe(m)),
                });
            }
            *self.pool.entry(m.clone()).or_default() += 1;
        }
        None
    }
}

/// Replays the model trace a validated recording follows against fresh implementation nodes:
/// the round trip (implementation → model → implementation).
pub fn replay_validated<P, N>(
    spec: &P,
    v: &Validation,
    make: &dyn Fn(NodeId, u8) -> N,
) -> Result<usize, Box<Divergence>>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let actions: Vec<P::Action> = v
        .model_trace
        .steps
        .iter()
        .skip(1)
        .map(|s| {
            spec.action_from_json(&s.action.as_ref().expect("action").args)
                .expect("model trace actions parse")
        })
        .collect();
    replay(spec, &actions, make).map(|r| r.steps)
}
