//! Breadth-first search on timely dataflow, across worker threads, processes and machines.
//!
//! Every worker owns the fingerprints that hash to it (`fp % workers`) and, for each BFS level,
//! the states it owns in that level. A level is one timely round: the input's timestamp is the
//! level, and a round ends when timely's progress tracking (a probe after the exchange) says
//! every message of that timestamp has been delivered. In round `r` each worker judges its
//! level-`r` states, expands them, and sends each successor (packed by the model's [`Codec`],
//! a whole block of up to `BLOCK` states per message) to its owner; it also sends every
//! worker a summary of its level (states, successors, property matches). When the round ends
//! each worker knows the level's global figures, so every worker takes the same decision:
//! stop (a stopping property matched in level `r`, the smallest fingerprint winning as in the
//! single-machine engine), finish (level `r` is empty), or de-duplicate what it received into
//! level `r + 1`. Counts, verdicts and counterexample lengths are therefore the same as
//! [`crate::explore`]'s at every worker and process count.
//!
//! Each worker keeps the trace records of the states it owns: the worker and level index of the
//! parent and the action taken. A counterexample is rebuilt by following parents across owners,
//! one round a step, and replayed on the model at worker 0.
//!
//! A per-destination cache of recently sent fingerprints keeps most duplicate successors off
//! the wire (a skipped successor was sent before, so its owner has it or is receiving it).

use crate::bfs::{replay_path, Judged};
use crate::codec::{hash_bytes, ByteBlock, Codec, Packed};
use crate::fingerprints::FingerprintSet;
use crate::memory;
use crate::report::{Discovery, EngineError, Outcome, Stop};
use crate::store::Segment;
use serde::{Deserialize, Serialize};
use stateright::{Expectation, Model, Property};
use std::cell::RefCell;
use std::fmt::Debug;
use std::hash::Hash;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Input as _, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};

/// Successors sent in one message at most.
const BLOCK: usize = 2048;
/// Slots of the per-destination cache of recently sent fingerprints.
const CACHE_SLOTS: usize = 1 << 14;

/// Where the workers run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cluster {
    /// This many worker threads in this process.
    Threads(usize),
    /// One of several processes (on one machine or many): `threads` workers each, this one
    /// `process`, and every process's `host:port` in process order.
    Processes {
        threads: usize,
        process: usize,
        addresses: Vec<String>,
    },
}

impl Cluster {
    fn config(&self) -> timely::Config {
        match self {
            Cluster::Threads(n) => timely::Config::process((*n).max(1)),
            Cluster::Processes {
                threads,
                process,
                addresses,
            } => timely::Config {
                communication: timely::CommunicationConfig::Cluster {
                    threads: (*threads).max(1),
                    process: *process,
                    addresses: addresses.clone(),
                    report: false,
                    zerocopy: false,
                },
                worker: timely::WorkerConfig::default(),
            },
        }
    }

    fn threads(&self) -> usize {
        match self {
            Cluster::Threads(n) => (*n).max(1),
            Cluster::Processes { threads, .. } => (*threads).max(1),
        }
    }

    fn is_first_process(&self) -> bool {
        matches!(
            self,
            Cluster::Threads(_) | Cluster::Processes { process: 0, .. }
        )
    }
}

/// Traffic and memory of a distributed run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WireStats {
    /// Workers in the run, all processes together.
    pub workers: usize,
    /// Serialized bytes of search messages sent to workers of other processes.
    pub remote_bytes: u64,
    /// Search messages (blocks and summaries) between workers, remote or not.
    pub messages: u64,
    /// Successors sent to their owner (after the cache).
    pub sent_states: u64,
    /// Successors the per-destination cache kept off the exchange.
    pub cache_skips: u64,
    /// Peak resident memory of each process, in process order.
    pub peak_memory_per_process: Vec<u64>,
}

/// What [`explore_distributed`] returns in each process.
pub struct DistOutcome<S, A> {
    /// The search's outcome (counts, verdicts, paths): in the first process only; the others
    /// know the counts but hold no model path.
    pub outcome: Option<Outcome<S, A>>,
    pub wire: WireStats,
}

/// One worker's figures for one level, sent to every worker.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Summary {
    from: u32,
    /// States of the level this worker owns.
    unique: u64,
    /// Successors within the boundary its states generated.
    generated: u64,
    /// Per property: the smallest-fingerprint match in its share of the level (fp, index).
    found: Vec<Option<(u64, u64)>>,
    remote_bytes: u64,
    messages: u64,
    sent_states: u64,
    cache_skips: u64,
    peak_memory: u64,
}

/// A step of rebuilding a path: the state `index` of `level` owned by the addressee, with the
/// actions collected so far (last step first). `init` is set once the path reached level 0.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PathStep {
    property: u32,
    level: u32,
    index: u64,
    actions: Vec<u32>,
    init: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Body {
    /// Successors of level states of worker `from`: fingerprints, parent indices, action
    /// indices and the packed states, in one order.
    States {
        from: u32,
        fps: Vec<u64>,
        parents: Vec<u32>,
        actions: Vec<u16>,
        count: u64,
        block: Vec<u8>,
    },
    Summary(Summary),
    Path(PathStep),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Msg {
    to: u32,
    body: Body,
}

/// Successors waiting to be sent to one worker.
#[derive(Default)]
struct Outgoing {
    block: ByteBlock,
    fps: Vec<u64>,
    parents: Vec<u32>,
    actions: Vec<u16>,
    /// Recently sent fingerprints, direct-mapped.
    cache: Vec<u64>,
}

/// The trace records of one level owned by one worker.
#[derive(Default)]
struct LevelTrace {
    records: Segment,
    /// The worker owning each state's parent (`u16::MAX` for an initial state).
    owners: Vec<u16>,
}

/// What a worker hands back when the run is over.
struct WorkerResult {
    totals: Totals,
    /// Worker 0 only: per property, (initial state index, action indices in order).
    paths: Vec<Option<(usize, Vec<usize>)>>,
    wire: WireStats,
}

#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    unique: u64,
    generated: u64,
    max_depth: usize,
    complete: bool,
}

/// Explores every state of `model` reachable within its boundary on timely dataflow workers,
/// breadth-first, and reports the first (shortest) match of each property, as
/// [`crate::explore`] does. In a multi-process cluster every process calls this with the same
/// model and codec; the first process's result holds the outcome.
pub fn explore_distributed<M, C>(
    model: M,
    codec: C,
    cluster: &Cluster,
    stop: Stop,
) -> Result<DistOutcome<M::State, M::Action>, EngineError>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Hash + PartialEq + Debug + Send + Sync,
    M::Action: Clone + PartialEq + Debug,
    C: Codec<M::State> + 'static,
{
    if let Some(p) = model
        .properties()
        .iter()
        .find(|p| p.expectation == Expectation::Eventually)
    {
        return Err(EngineError::Eventually(p.name));
    }
    memory::reset_peak();
    let memory_at_start = memory::resident_bytes().unwrap_or(0);
    let start = Instant::now();
    let shared = Arc::new((model, Packed(codec), stop, cluster.threads()));
    let worker_shared = shared.clone();
    let config = cluster.config();
    let guards = stdout_to_stderr(move || {
        timely::execute(config, move |worker| {
            let (model, packer, stop, threads) = &*worker_shared;
            run_worker(worker, model, &packer.0, stop, *threads)
        })
    })
    .map_err(EngineError::Timely)?;
    let mut results = Vec::new();
    for r in guards.join() {
        results.push(r.map_err(EngineError::Timely)?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let first = results
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::Timely("no worker ran in this process".to_string()))?;
    let (model, packer, _, _) = &*shared;
    let outcome = match cluster.is_first_process() {
        true => Some(outcome(
            model,
            packer,
            first.totals,
            &first.paths,
            seconds,
            memory_at_start,
        )?),
        false => None,
    };
    Ok(DistOutcome {
        outcome,
        wire: first.wire,
    })
}

/// Runs `f` with the process's standard output sent to standard error: timely prints its
/// progress connecting to the other processes on standard output, where it would corrupt a
/// report (`--json`). Connections are made before `timely::execute` returns.
fn stdout_to_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: dup/dup2/close on the process's own standard descriptors; nothing else writes to
    // standard output meanwhile (the report comes after the search).
    let saved = unsafe { libc::dup(1) };
    if saved >= 0 {
        unsafe { libc::dup2(2, 1) };
    }
    let out = f();
    let _ = std::io::stdout().flush();
    if saved >= 0 {
        unsafe {
            libc::dup2(saved, 1);
            libc::close(saved);
        }
    }
    out
}

fn outcome<M, C>(
    model: &M,
    packer: &Packed<C>,
    totals: Totals,
    paths: &[Option<(usize, Vec<usize>)>],
    seconds: f64,
    memory_at_start: u64,
) -> Result<Outcome<M::State, M::Action>, EngineError>
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
    C: Codec<M::State>,
{
    let mut discoveries = Vec::new();
    for (p, path) in model.properties().iter().zip(paths) {
        if let Some((init, actions)) = path {
            discoveries.push(Discovery {
                property: p.name,
                expectation: p.expectation.clone(),
                path: replay_path(model, packer, *init, actions)?,
            });
        }
    }
    Ok(Outcome {
        unique: totals.unique,
        generated: totals.generated,
        max_depth: totals.max_depth,
        complete: totals.complete,
        seconds,
        peak_memory_bytes: memory::peak_resident_bytes().unwrap_or(0),
        memory_at_start,
        spilled_bytes: 0,
        discoveries,
    })
}

/// Messages received, by the round (timestamp) they were sent in: a faster worker's next round
/// may arrive before this worker's round is over.
type Inbox = Rc<RefCell<std::collections::BTreeMap<u64, Vec<Msg>>>>;
type Input<T> = InputHandle<u64, CapacityContainerBuilder<Vec<T>>>;

/// The dataflow of one worker: an input whose records go to the worker they name, into its
/// inbox; the probe says when a round's messages have all arrived.
fn build_dataflow(worker: &mut timely::worker::Worker) -> (Input<Msg>, ProbeHandle<u64>, Inbox) {
    let mut input = InputHandle::new();
    let probe = ProbeHandle::new();
    let inbox: Inbox = Rc::default();
    let sink = inbox.clone();
    worker.dataflow::<u64, _, _>(|scope| {
        scope
            .input_from(&mut input)
            .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                Exchange::new(|m: &Msg| m.to as u64),
                "Inbox",
                move |_, _| {
                    move |input, _output| {
                        input.for_each(|cap, data| {
                            let mut inbox = sink.borrow_mut();
                            let time = cap.least().copied().unwrap_or_default();
                            inbox.entry(time).or_default().append(data);
                        });
                    }
                },
            )
            .probe_with(&probe);
    });
    (input, probe, inbox)
}

/// A worker's end of the dataflow.
struct Net<'w> {
    worker: &'w mut timely::worker::Worker,
    input: Input<Msg>,
    probe: ProbeHandle<u64>,
    inbox: Inbox,
}

impl Net<'_> {
    /// Ends the round: closes its timestamp, works until every message sent in it (by any
    /// worker) has arrived, and returns those addressed to this worker.
    fn round(&mut self) -> Vec<Msg> {
        let now = *self.input.time();
        self.input.advance_to(now + 1);
        // Parks (briefly) when there is nothing to do: a worker waiting for slower ones must not
        // take their cores, as spinning would when workers outnumber cores.
        while self.probe.less_than(self.input.time()) {
            self.worker
                .step_or_park(Some(std::time::Duration::from_millis(1)));
        }
        self.inbox.borrow_mut().remove(&now).unwrap_or_default()
    }
}

/// The state of one worker's search.
struct Search<'a, M: Model, C> {
    model: &'a M,
    codec: &'a C,
    me: usize,
    peers: usize,
    threads: usize,
    properties: Vec<Property<M>>,
    stops: Vec<bool>,
    settled: Vec<bool>,
    /// Per property: (level, owner, index) of the match that settled it.
    found: Vec<Option<(usize, usize, u64)>>,
    visited: FingerprintSet,
    trace: Vec<LevelTrace>,
    /// This worker's states of the current level, and their fingerprints.
    frontier: Vec<ByteBlock>,
    frontier_fps: Vec<u64>,
    outgoing: Vec<Outgoing>,
    /// This worker's own traffic counters.
    wire: Summary,
    /// The latest summary of each worker (for the traffic totals).
    latest: Vec<Summary>,
}

fn run_worker<M, C>(
    worker: &mut timely::worker::Worker,
    model: &M,
    codec: &C,
    stop: &Stop,
    threads: usize,
) -> WorkerResult
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    C: Codec<M::State>,
{
    let (input, probe, inbox) = build_dataflow(worker);
    let properties = model.properties();
    let stops = properties.iter().map(|p| stops_run(stop, p)).collect();
    let n = properties.len();
    let mut search = Search {
        model,
        codec,
        me: worker.index(),
        peers: worker.peers(),
        threads,
        properties,
        stops,
        settled: vec![false; n],
        found: vec![None; n],
        visited: FingerprintSet::new(),
        trace: Vec::new(),
        frontier: Vec::new(),
        frontier_fps: Vec::new(),
        outgoing: (0..worker.peers()).map(|_| Outgoing::default()).collect(),
        wire: Summary::default(),
        latest: vec![Summary::default(); worker.peers()],
    };
    assert!(search.peers < u16::MAX as usize, "too many workers");
    let mut net = Net {
        worker,
        input,
        probe,
        inbox,
    };
    let totals = search.levels(&mut net);
    let paths = search.rebuild_paths(&mut net);
    WorkerResult {
        totals,
        paths,
        wire: search.wire_stats(),
    }
}

fn stops_run<M: Model>(stop: &Stop, p: &Property<M>) -> bool {
    match stop {
        Stop::AtFirstViolation => p.expectation == Expectation::Always,
        Stop::AtProperty(name) => p.name == *name,
        Stop::Never => false,
    }
}

impl<M, C> Search<'_, M, C>
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    C: Codec<M::State>,
{
    /// The worker owning a fingerprint: its low 32 bits scaled onto the workers (the visited
    /// set picks shards by the top bits and the send cache by bits 40 and up, so each worker's
    /// share still spreads over both).
    fn owner(&self, fp: u64) -> usize {
        (((fp & 0xffff_ffff) * self.peers as u64) >> 32) as usize
    }

    /// The BFS, one level a round, until a stopping match or an empty level.
    fn levels(&mut self, net: &mut Net<'_>) -> Totals {
        let init_generated = self.initial_level();
        let (mut unique, mut generated) = (0u64, init_generated);
        for level in 0.. {
            let mine = self.expand_level(net);
            self.broadcast(net, Body::Summary(mine));
            let msgs = net.round();
            let (level_unique, level_generated, stopped) = self.settle(level, &msgs);
            if stopped {
                return Totals {
                    unique: unique + level_unique,
                    generated,
                    max_depth: level + 1,
                    complete: false,
                };
            }
            if level_unique == 0 {
                return Totals {
                    unique,
                    generated,
                    max_depth: level,
                    complete: true,
                };
            }
            unique += level_unique;
            generated += level_generated;
            self.admit(msgs);
        }
        unreachable!("the loop returns")
    }

    /// Level 0: the initial states within the boundary that this worker owns. Returns how
    /// many initial states are within the boundary (every worker computes the same).
    fn initial_level(&mut self) -> u64 {
        let mut trace = LevelTrace::default();
        let mut block = ByteBlock::default();
        let mut bytes = Vec::new();
        let mut generated = 0;
        for (i, s) in self.model.init_states().iter().enumerate() {
            if !self.model.within_boundary(s) {
                continue;
            }
            generated += 1;
            bytes.clear();
            self.codec.encode(s, &mut bytes);
            let fp = hash_bytes(&bytes);
            if self.owner(fp) == self.me && self.visited.insert(fp) {
                trace.records.push(i as u64, 0);
                trace.owners.push(u16::MAX);
                block.push(&bytes);
                self.frontier_fps.push(fp);
            }
        }
        self.frontier = vec![block];
        self.trace.push(trace);
        generated
    }

    /// Judges and expands this worker's states of `level`, sending successors to their owners.
    fn expand_level(&mut self, net: &mut Net<'_>) -> Summary {
        let mut summary = Summary {
            from: self.me as u32,
            found: vec![None; self.properties.len()],
            ..Summary::default()
        };
        let frontier = std::mem::take(&mut self.frontier);
        let fps = std::mem::take(&mut self.frontier_fps);
        let mut index = 0usize;
        let mut actions = Vec::new();
        let mut scratch = Vec::new();
        let mut stop = false;
        for block in &frontier {
            block.for_each(&mut |bytes| {
                let state = self.codec.decode(bytes);
                stop |= self.judge(&state, fps[index], index as u64, &mut summary.found);
                if !stop {
                    summary.generated +=
                        self.expand(&state, index as u32, &mut actions, &mut scratch, net);
                }
                index += 1;
            });
        }
        summary.unique = index as u64;
        for to in 0..self.peers {
            self.flush(to, net);
        }
        summary
    }

    /// Evaluates every property not yet settled; true if a match stops the run.
    fn judge(
        &self,
        state: &M::State,
        fp: u64,
        index: u64,
        found: &mut [Option<(u64, u64)>],
    ) -> bool {
        let properties = Judged {
            properties: &self.properties,
            settled: &self.settled,
            stops: &self.stops,
        };
        properties.judge(self.model, state, index, found, || fp)
    }

    /// Sends the successors of one state to their owners; returns how many were generated.
    fn expand(
        &mut self,
        state: &M::State,
        index: u32,
        actions: &mut Vec<M::Action>,
        scratch: &mut Vec<u8>,
        net: &mut Net<'_>,
    ) -> u64 {
        let mut generated = 0;
        self.model.actions(state, actions);
        for (ai, action) in actions.drain(..).enumerate() {
            let Some(succ) = self.model.next_state(state, action) else {
                continue;
            };
            if !self.model.within_boundary(&succ) {
                continue;
            }
            generated += 1;
            scratch.clear();
            self.codec.encode(&succ, scratch);
            let fp = hash_bytes(scratch);
            let to = self.owner(fp);
            let out = &mut self.outgoing[to];
            if out.cache.is_empty() {
                out.cache = vec![0; CACHE_SLOTS];
            }
            let slot = (fp >> 40) as usize & (CACHE_SLOTS - 1);
            if out.cache[slot] == fp {
                self.wire.cache_skips += 1;
                continue;
            }
            out.cache[slot] = fp;
            out.block.push(scratch);
            out.fps.push(fp);
            out.parents.push(index);
            out.actions
                .push(u16::try_from(ai).expect("fewer than 65536 actions"));
            if out.fps.len() >= BLOCK {
                self.flush(to, net);
            }
        }
        generated
    }

    /// Sends the successors waiting for worker `to` as one message.
    fn flush(&mut self, to: usize, net: &mut Net<'_>) {
        let out = &mut self.outgoing[to];
        if out.fps.is_empty() {
            return;
        }
        let (block, count) = std::mem::take(&mut out.block).into_parts();
        self.wire.sent_states += count as u64;
        let body = Body::States {
            from: self.me as u32,
            fps: std::mem::take(&mut out.fps),
            parents: std::mem::take(&mut out.parents),
            actions: std::mem::take(&mut out.actions),
            count: count as u64,
            block,
        };
        self.send(net, to, body);
    }

    fn send(&mut self, net: &mut Net<'_>, to: usize, body: Body) {
        let msg = Msg {
            to: to as u32,
            body,
        };
        self.wire.messages += 1;
        if to / self.threads != self.me / self.threads {
            self.wire.remote_bytes += bincode::serialized_size(&msg).unwrap_or(0);
        }
        net.input.send(msg);
    }

    fn broadcast(&mut self, net: &mut Net<'_>, body: Body) {
        let Body::Summary(mut summary) = body else {
            unreachable!("only summaries are broadcast")
        };
        for to in 0..self.peers {
            summary.remote_bytes = self.wire.remote_bytes;
            summary.messages = self.wire.messages;
            summary.sent_states = self.wire.sent_states;
            summary.cache_skips = self.wire.cache_skips;
            summary.peak_memory = memory::peak_resident_bytes().unwrap_or(0);
            self.send(net, to, Body::Summary(summary.clone()));
        }
    }

    /// Reads every worker's summary of `level`: (states in the level, successors they
    /// generated, whether a stopping property matched). Settles the properties matched.
    fn settle(&mut self, level: usize, msgs: &[Msg]) -> (u64, u64, bool) {
        let (mut unique, mut generated) = (0, 0);
        let mut best: Vec<Option<(u64, usize, u64)>> = vec![None; self.properties.len()];
        let mut summaries = 0;
        for m in msgs {
            let Body::Summary(s) = &m.body else { continue };
            summaries += 1;
            unique += s.unique;
            generated += s.generated;
            for (b, f) in best.iter_mut().zip(&s.found) {
                if let Some((fp, index)) = *f {
                    if b.is_none_or(|(g, _, _)| fp < g) {
                        *b = Some((fp, s.from as usize, index));
                    }
                }
            }
            self.record_wire(s);
        }
        assert_eq!(summaries, self.peers, "a worker's summary is missing");
        let mut stopped = false;
        for (i, b) in best.into_iter().enumerate() {
            if let (Some((_, owner, index)), false) = (b, self.settled[i]) {
                self.settled[i] = true;
                self.found[i] = Some((level, owner, index));
                stopped |= self.stops[i];
            }
        }
        (unique, generated, stopped)
    }

    /// Keeps the latest traffic figures of each worker (they are cumulative).
    fn record_wire(&mut self, s: &Summary) {
        let latest = &mut self.latest[s.from as usize];
        *latest = s.clone();
        latest.found.clear();
    }

    /// Every worker's traffic, and each process's peak memory, as of the last level.
    fn wire_stats(&self) -> WireStats {
        let mut w = WireStats {
            workers: self.peers,
            peak_memory_per_process: vec![0; self.peers.div_ceil(self.threads)],
            ..WireStats::default()
        };
        for (i, s) in self.latest.iter().enumerate() {
            w.remote_bytes += s.remote_bytes;
            w.messages += s.messages;
            w.sent_states += s.sent_states;
            w.cache_skips += s.cache_skips;
            let p = &mut w.peak_memory_per_process[i / self.threads];
            *p = (*p).max(s.peak_memory);
        }
        w
    }

    /// Rebuilds the path of every property matched: each owner on the way adds its step and
    /// hands the rest to the parent's owner, one round a level; worker 0 collects them.
    fn rebuild_paths(&mut self, net: &mut Net<'_>) -> Vec<Option<(usize, Vec<usize>)>> {
        let mut paths = vec![None; self.properties.len()];
        let mut pending: Vec<PathStep> = Vec::new();
        let mut rounds = 0;
        for (i, f) in self.found.iter().enumerate() {
            let Some((level, owner, index)) = *f else {
                continue;
            };
            rounds = rounds.max(level + 1);
            if owner == self.me {
                pending.push(PathStep {
                    property: i as u32,
                    level: level as u32,
                    index,
                    actions: Vec::new(),
                    init: None,
                });
            }
        }
        for _ in 0..rounds {
            for step in pending.drain(..) {
                let (to, next) = self.step_back(step);
                self.send(net, to, Body::Path(next));
            }
            pending = net
                .round()
                .into_iter()
                .filter_map(|m| match m.body {
                    Body::Path(p) => Some(p),
                    _ => None,
                })
                .collect();
            for done in pending.extract_if(.., |p| p.init.is_some()) {
                let mut actions: Vec<usize> = done.actions.iter().map(|&a| a as usize).collect();
                actions.reverse();
                paths[done.property as usize] = Some((done.init.unwrap_or(0) as usize, actions));
            }
        }
        paths
    }

    /// One step back along a path: where it goes next, and what it carries.
    fn step_back(&self, mut step: PathStep) -> (usize, PathStep) {
        let trace = &self.trace[step.level as usize];
        let i = step.index as usize;
        let (parent, action) = trace.records.get(i);
        if step.level == 0 {
            step.init = Some(parent as u32);
            return (0, step);
        }
        step.actions.push(action as u32);
        step.level -= 1;
        step.index = parent;
        (trace.owners[i] as usize, step)
    }

    /// De-duplicates the successors received into this worker's next level.
    fn admit(&mut self, msgs: Vec<Msg>) {
        let mut trace = LevelTrace::default();
        let mut next = ByteBlock::default();
        for m in msgs {
            let Body::States {
                from,
                fps,
                parents,
                actions,
                count,
                block,
            } = m.body
            else {
                continue;
            };
            let block = ByteBlock::from_parts(block, count as usize);
            let mut i = 0;
            block.for_each(&mut |bytes| {
                if self.visited.insert(fps[i]) {
                    trace.records.push(parents[i] as u64, actions[i] as usize);
                    trace.owners.push(from as u16);
                    next.push(bytes);
                    self.frontier_fps.push(fps[i]);
                    if next.len() >= BLOCK {
                        self.frontier.push(std::mem::take(&mut next));
                    }
                }
                i += 1;
            });
        }
        self.frontier.push(next);
        trace.records.shrink();
        trace.owners.shrink_to_fit();
        self.trace.push(trace);
    }
}
