//! Level-synchronous parallel breadth-first search.
//!
//! Level `d` holds exactly the states at distance `d` from an initial state. Threads claim its
//! blocks from one counter; each state is judged against every property not yet settled, then
//! expanded: a successor whose fingerprint is new belongs to level `d + 1`. Each thread writes
//! only its own trace segment, its own blocks and its own padded counters; the only shared
//! writes on the hot path are visited-set inserts. A level ends when every thread has finished
//! it, so a property first matched in level `d` has a shortest path of `d` steps at any thread
//! count, and among the level's matches the one with the smallest fingerprint is reported, the
//! same one whatever the thread count. When a match stops the run, the rest of its level is
//! judged but no longer expanded, and the counts cover the levels up to it: the same at every
//! thread count.

use crate::codec::Packer;
use crate::fingerprints::FingerprintSet;
use crate::memory;
use crate::report::{Discovery, EngineError, Options, Outcome, Progress, Stop};
use crate::store::{FrontierBlock, Segment, SpillFile, TraceStore};
use stateright::{Expectation, Model, Path, Property};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// States a frontier block holds before it is sealed (and, past the memory limit, spilled).
const BLOCK_STATES: usize = 2048;

type Discoveries<M> = Vec<Discovery<<M as Model>::State, <M as Model>::Action>>;

/// One thread's counters, alone on their cache lines.
#[repr(align(128))]
#[derive(Default)]
struct Counters {
    generated: AtomicU64,
    unique: AtomicU64,
}

/// The best match of one property within a level: (fingerprint, index in the level).
type Candidate = Option<(u64, u64)>;

/// The level being expanded and what judging it needs.
struct Level<'a, B> {
    blocks: &'a [FrontierBlock<B>],
    /// Properties matched in an earlier level: not evaluated again.
    settled: &'a [bool],
    /// Properties whose match stops the run.
    stops: &'a [bool],
    /// Set once a match has stopped the run: the level is judged to its end, not expanded.
    stop: AtomicBool,
}

fn stops_run<M: Model>(stop: &Stop, p: &Property<M>) -> bool {
    match stop {
        Stop::AtFirstViolation => p.expectation == Expectation::Always,
        Stop::AtProperty(name) => p.name == *name,
        Stop::Never => false,
    }
}

/// What one thread produced while expanding a level.
struct ThreadOut<B> {
    trace: Segment,
    blocks: Vec<FrontierBlock<B>>,
    current: B,
    found: Vec<Candidate>,
}

impl<B: Default> ThreadOut<B> {
    fn new(properties: usize) -> Self {
        ThreadOut {
            trace: Segment::default(),
            blocks: Vec::new(),
            current: B::default(),
            found: vec![None; properties],
        }
    }
}

struct Search<'m, M: Model, P> {
    model: &'m M,
    packer: &'m P,
    properties: Vec<Property<M>>,
    visited: FingerprintSet,
    spill: Option<SpillFile>,
    spilling: AtomicBool,
    counters: Vec<Counters>,
}

/// Explores every state of `model` reachable within its boundary, breadth-first, and reports
/// the first (shortest) match of each property.
pub fn explore<M, P>(
    model: &M,
    packer: &P,
    mut opts: Options<'_>,
) -> Result<Outcome<M::State, M::Action>, EngineError>
where
    M: Model + Sync,
    M::State: Clone + Hash + PartialEq + Debug + Send + Sync,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let properties = model.properties();
    if let Some(p) = properties
        .iter()
        .find(|p| p.expectation == Expectation::Eventually)
    {
        return Err(EngineError::Eventually(p.name));
    }
    let threads = opts.threads.max(1);
    memory::reset_peak();
    let memory_at_start = memory::resident_bytes().unwrap_or(0);
    let spill = match &opts.memory_limit {
        Some(_) => Some(SpillFile::create_in(&opts.spill_dir())?),
        None => None,
    };
    let search = Search {
        model,
        packer,
        properties,
        visited: FingerprintSet::new(),
        spill,
        spilling: AtomicBool::new(false),
        counters: (0..threads).map(|_| Counters::default()).collect(),
    };
    search.run(&mut opts, memory_at_start)
}

impl<M, P> Search<'_, M, P>
where
    M: Model + Sync,
    M::State: Clone + Hash + PartialEq + Debug + Send + Sync,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    fn run(
        &self,
        opts: &mut Options<'_>,
        memory_at_start: u64,
    ) -> Result<Outcome<M::State, M::Action>, EngineError> {
        let start = Instant::now();
        self.check_memory(opts);
        let mut trace = TraceStore::default();
        let stops: Vec<bool> = self
            .properties
            .iter()
            .map(|p| stops_run(&opts.stop, p))
            .collect();
        let mut settled = vec![false; self.properties.len()];
        let mut found: Vec<Option<(usize, u64)>> = vec![None; self.properties.len()];
        let (init, mut generated) = self.initial_level()?;
        let mut unique = init.trace.len() as u64;
        let mut frontier = self.end_level(vec![init], &mut trace)?;
        let mut depth = 0;
        let mut stopped = false;
        let mut next_tick = Duration::from_secs(1);
        while !frontier.is_empty() {
            depth += 1;
            let level = Level {
                blocks: &frontier,
                settled: &settled,
                stops: &stops,
                stop: AtomicBool::new(false),
            };
            let outs = self.expand_level(
                &level,
                opts,
                (start, &mut next_tick),
                (unique, generated, depth),
            )?;
            let (level_generated, level_unique) = self.take_counters();
            stopped = level.stop.load(Relaxed);
            self.settle(&outs, depth - 1, &mut settled, &mut found);
            if stopped {
                break;
            }
            generated += level_generated;
            unique += level_unique;
            self.check_memory(opts);
            frontier = self.end_level(outs, &mut trace)?;
        }
        let discoveries = self.discoveries(&trace, &found)?;
        Ok(Outcome {
            unique,
            generated,
            max_depth: depth,
            complete: !stopped,
            seconds: start.elapsed().as_secs_f64(),
            peak_memory_bytes: memory::peak_resident_bytes().unwrap_or(0),
            memory_at_start,
            spilled_bytes: self.spill.as_ref().map_or(0, |f| f.len()),
            discoveries,
        })
    }

    /// Sums and resets the threads' counters: (generated, unique) of the level just expanded.
    fn take_counters(&self) -> (u64, u64) {
        self.counters.iter().fold((0, 0), |(g, u), c| {
            (
                g + c.generated.swap(0, Relaxed),
                u + c.unique.swap(0, Relaxed),
            )
        })
    }

    /// The initial states within the boundary, packed as level 0.
    fn initial_level(&self) -> Result<(ThreadOut<P::Block>, u64), EngineError> {
        let mut out = ThreadOut::new(self.properties.len());
        let mut scratch = P::Scratch::default();
        let mut generated = 0;
        for (i, s) in self.model.init_states().iter().enumerate() {
            if !self.model.within_boundary(s) {
                continue;
            }
            generated += 1;
            let fp = self.packer.fingerprint(s, &mut scratch);
            if self.visited.insert(fp) {
                self.admit((i as u64, 0), &scratch, &mut out)?;
            }
        }
        self.seal(&mut out)?;
        Ok((out, generated))
    }

    /// Records a new state: its trace record and its place in a frontier block.
    fn admit(
        &self,
        (parent, action): (u64, usize),
        scratch: &P::Scratch,
        out: &mut ThreadOut<P::Block>,
    ) -> Result<(), EngineError> {
        out.trace.push(parent, action);
        self.packer.push(scratch, &mut out.current);
        if P::len(&out.current) >= BLOCK_STATES {
            self.seal(out)?;
        }
        Ok(())
    }

    /// Evaluates every property not yet settled on state `index` of the level, keeping the
    /// smallest-fingerprint match; true if a match stops the run.
    fn judge(
        &self,
        state: &M::State,
        index: u64,
        level: &Level<'_, P::Block>,
        found: &mut [Candidate],
        scratch: &mut P::Scratch,
    ) -> bool {
        let properties = Judged {
            properties: &self.properties,
            settled: level.settled,
            stops: level.stops,
        };
        properties.judge(self.model, state, index, found, || {
            self.packer.fingerprint(state, scratch)
        })
    }

    /// Closes the thread's current block; past the memory limit it goes to the spill file.
    fn seal(&self, out: &mut ThreadOut<P::Block>) -> Result<(), EngineError> {
        let mut block = std::mem::take(&mut out.current);
        P::shrink(&mut block);
        let count = P::len(&block) as u64;
        if count == 0 {
            return Ok(());
        }
        let first = out.trace.len() as u64 - count;
        let spill_to = self.spill.as_ref().filter(|_| self.spilling.load(Relaxed));
        match (spill_to, P::to_bytes(&block)) {
            (Some(file), Some(bytes)) => {
                let at = file.append(&bytes)?;
                out.blocks
                    .push(FrontierBlock::on_disk(first, count, at, bytes.len()));
            }
            _ => out.blocks.push(FrontierBlock::in_ram(first, count, block)),
        }
        Ok(())
    }

    /// Expands every block of a level on all threads, reporting progress meanwhile.
    fn expand_level(
        &self,
        level: &Level<'_, P::Block>,
        opts: &mut Options<'_>,
        (start, next_tick): (Instant, &mut Duration),
        (unique, generated, depth): (u64, u64, usize),
    ) -> Result<Vec<ThreadOut<P::Block>>, EngineError> {
        let next = AtomicUsize::new(0);
        let frontier_len: u64 = level.blocks.iter().map(|b| b.len).sum();
        std::thread::scope(|s| {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let handles: Vec<_> = (0..self.counters.len())
                .map(|t| {
                    let (next, done) = (&next, done_tx.clone());
                    s.spawn(move || {
                        let out = self.expand_blocks(level, next, t);
                        let _ = done.send(());
                        out
                    })
                })
                .collect();
            // Wake when a thread finishes (short levels cost no polling delay) or when the next
            // progress tick is due (ticks are once a second across levels).
            let mut finished = 0;
            while finished < handles.len() {
                let wait = (*next_tick).saturating_sub(start.elapsed());
                match done_rx.recv_timeout(wait) {
                    Ok(()) => finished += 1,
                    Err(_) => {
                        *next_tick = start.elapsed() + Duration::from_secs(1);
                        self.tick(opts, start, unique, generated, depth, frontier_len);
                    }
                }
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Switches to spilling once resident memory passes the limit (for good: memory freed by
    /// spilling stays with the allocator, so the limit would be crossed again at once).
    fn check_memory(&self, opts: &Options<'_>) -> u64 {
        let memory_bytes = memory::resident_bytes().unwrap_or(0);
        if opts.memory_limit.is_some_and(|l| memory_bytes > l) {
            self.spilling.store(true, Relaxed);
        }
        memory_bytes
    }

    /// Once a second: the progress line, and the switch to spilling past the memory limit.
    fn tick(
        &self,
        opts: &mut Options<'_>,
        start: Instant,
        unique: u64,
        generated: u64,
        depth: usize,
        frontier: u64,
    ) {
        let memory_bytes = self.check_memory(opts);
        if let Some(report) = opts.progress.as_mut() {
            let (mut g, mut u) = (generated, unique);
            for c in &self.counters {
                g += c.generated.load(Relaxed);
                u += c.unique.load(Relaxed);
            }
            report(&Progress {
                unique: u,
                generated: g,
                depth,
                frontier,
                seconds: start.elapsed().as_secs_f64(),
                memory_bytes,
                spilling: self.spilling.load(Relaxed),
            });
        }
    }

    /// One thread's share of a level: claims blocks until none is left; judges each state and,
    /// unless a match has stopped the run, expands it.
    fn expand_blocks(
        &self,
        level: &Level<'_, P::Block>,
        next: &AtomicUsize,
        t: usize,
    ) -> Result<ThreadOut<P::Block>, EngineError> {
        let mut out = ThreadOut::new(self.properties.len());
        let mut actions = Vec::new();
        // One state's successors, fingerprinted and prefetched before any is inserted, so that
        // their cache misses in the visited set overlap (batching several states' successors
        // measured no better).
        let mut successors: Vec<(usize, u64)> = Vec::new();
        let mut scratches: Vec<P::Scratch> = vec![P::Scratch::default()];
        let mut failure = None;
        while let Some(fb) = level.blocks.get(next.fetch_add(1, Relaxed)) {
            let block = fb.load(self.spill.as_ref(), P::from_bytes)?;
            let (mut index, mut generated) = (fb.first, 0u64);
            let unique_before = out.trace.len();
            self.packer.unpack(&block, &mut |state| {
                if self.judge(&state, index, level, &mut out.found, &mut scratches[0]) {
                    level.stop.store(true, Relaxed);
                }
                if level.stop.load(Relaxed) || failure.is_some() {
                    index += 1;
                    return;
                }
                self.model.actions(&state, &mut actions);
                for (ai, action) in actions.drain(..).enumerate() {
                    let Some(succ) = self.model.next_state(&state, action) else {
                        continue;
                    };
                    if !self.model.within_boundary(&succ) {
                        continue;
                    }
                    if scratches.len() == successors.len() {
                        scratches.push(P::Scratch::default());
                    }
                    let fp = self
                        .packer
                        .fingerprint(&succ, &mut scratches[successors.len()]);
                    self.visited.prefetch(fp);
                    successors.push((ai, fp));
                }
                generated += successors.len() as u64;
                for (k, (ai, fp)) in successors.drain(..).enumerate() {
                    if self.visited.insert(fp) {
                        failure = self.admit((index, ai), &scratches[k], &mut out).err();
                    }
                }
                index += 1;
            });
            if let Some(e) = failure {
                return Err(e);
            }
            let c = &self.counters[t];
            c.generated.fetch_add(generated, Relaxed);
            c.unique
                .fetch_add((out.trace.len() - unique_before) as u64, Relaxed);
        }
        self.seal(&mut out)?;
        Ok(out)
    }

    /// Settles every property matched in this level (index `level` of the trace), keeping the
    /// smallest-fingerprint match across threads.
    fn settle(
        &self,
        outs: &[ThreadOut<P::Block>],
        level: usize,
        settled: &mut [bool],
        found: &mut [Option<(usize, u64)>],
    ) {
        for i in 0..self.properties.len() {
            let best = outs.iter().filter_map(|o| o.found[i]).min();
            if let (Some((_, index)), false) = (best, settled[i]) {
                settled[i] = true;
                found[i] = Some((level, index));
            }
        }
    }

    /// Joins the threads' outputs into the next level: trace records and blocks (renumbered to
    /// level indices, threads in order).
    fn end_level(
        &self,
        outs: Vec<ThreadOut<P::Block>>,
        trace: &mut TraceStore,
    ) -> Result<Vec<FrontierBlock<P::Block>>, EngineError> {
        let mut blocks = Vec::new();
        let mut segments = Vec::new();
        let mut start = 0u64;
        for out in outs {
            for mut b in out.blocks {
                b.first += start;
                blocks.push(b);
            }
            start += out.trace.len() as u64;
            segments.push(out.trace);
        }
        trace.push_level(segments);
        if let (true, Some(file)) = (self.spilling.load(Relaxed), &self.spill) {
            trace.spill(file)?;
        }
        Ok(blocks)
    }

    fn discoveries(
        &self,
        trace: &TraceStore,
        found: &[Option<(usize, u64)>],
    ) -> Result<Discoveries<M>, EngineError> {
        let mut out = Vec::new();
        for (p, f) in self.properties.iter().zip(found) {
            if let Some((level, index)) = *f {
                out.push(Discovery {
                    property: p.name,
                    expectation: p.expectation.clone(),
                    path: self.rebuild_path(trace, level, index)?,
                });
            }
        }
        Ok(out)
    }

    /// A real path of the model to state `index` of `level`.
    ///
    /// The trace records actions taken from representatives; with symmetry or a view the real
    /// state at each step differs from its representative, so each step is matched by the
    /// fingerprint of the successor it must reach.
    fn rebuild_path(
        &self,
        trace: &TraceStore,
        level: usize,
        index: u64,
    ) -> Result<Path<M::State, M::Action>, EngineError> {
        let (init, recorded) = trace.path_to(level, index, self.spill.as_ref())?;
        replay_path(self.model, self.packer, init, &recorded)
    }
}

/// A real path of the model from initial state `init` along `recorded` action indices, each
/// taken from the representative of the state before it (see `rebuild_path`).
pub(crate) fn replay_path<M, P>(
    model: &M,
    packer: &P,
    init: usize,
    recorded: &[usize],
) -> Result<Path<M::State, M::Action>, EngineError>
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let first = model.init_states()[init].clone();
    let mut state = first.clone();
    let mut taken = Vec::with_capacity(recorded.len());
    let mut scratch = P::Scratch::default();
    for (step, &ai) in recorded.iter().enumerate() {
        let rep = packer.representative(&state);
        let action = nth_action(model, &rep, ai).ok_or(EngineError::Replay { step })?;
        let target = model
            .next_state(&rep, action)
            .ok_or(EngineError::Replay { step })?;
        let target = packer.fingerprint(&target, &mut scratch);
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let (action, next) = actions
            .into_iter()
            .find_map(|a| {
                let n = model.next_state(&state, a.clone())?;
                let fp = packer.fingerprint(&n, &mut scratch);
                (fp == target).then_some((a, n))
            })
            .ok_or(EngineError::NotSymmetric { step })?;
        taken.push(action);
        state = next;
    }
    Path::from_actions(model, first, &taken).ok_or(EngineError::Replay { step: 0 })
}

fn nth_action<M: Model>(model: &M, state: &M::State, i: usize) -> Option<M::Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.into_iter().nth(i)
}

/// The properties of a run with which are settled and which stop it: one judge for every
/// engine (single machine and distributed), so both pick the same match.
pub(crate) struct Judged<'a, M: Model> {
    pub properties: &'a [Property<M>],
    pub settled: &'a [bool],
    pub stops: &'a [bool],
}

impl<M: Model> Judged<'_, M> {
    /// Evaluates every property not yet settled on `state` (number `index`), keeping for each
    /// the match with the smallest fingerprint (computed only on a match); true if a match
    /// stops the run.
    pub fn judge(
        &self,
        model: &M,
        state: &M::State,
        index: u64,
        found: &mut [Option<(u64, u64)>],
        mut fingerprint: impl FnMut() -> u64,
    ) -> bool {
        let mut stop = false;
        for (i, p) in self.properties.iter().enumerate() {
            if self.settled[i] {
                continue;
            }
            let holds = (p.condition)(model, state);
            let hit = match p.expectation {
                Expectation::Always => !holds,
                _ => holds,
            };
            if hit {
                let fp = fingerprint();
                if found[i].is_none_or(|(f, _)| fp < f) {
                    found[i] = Some((fp, index));
                }
                stop |= self.stops[i];
            }
        }
        stop
    }
}
