//! Level-synchronous parallel breadth-first search.
//!
//! Level `d` holds exactly the states at distance `d` from an initial state. Threads claim its
//! blocks from one counter and expand them; a successor whose fingerprint is new belongs to level
//! `d + 1` and is judged there and then against every property not yet settled. Each thread
//! writes only its own trace segment, its own blocks and its own padded counters; the only
//! shared writes on the hot path are visited-set inserts. A level ends when every thread has
//! finished it, so a property first matched in level `d + 1` has a shortest path of `d + 1`
//! steps at any thread count, and among the level's matches the one with the smallest
//! fingerprint is reported, the same one whatever the thread count.

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

/// One thread's counters, alone on their cache lines.
#[repr(align(128))]
#[derive(Default)]
struct Counters {
    generated: AtomicU64,
    unique: AtomicU64,
}

/// The best match of one property within a level: (fingerprint, index in its segment).
type Candidate = Option<(u64, u64)>;

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
        let mut trace = TraceStore::default();
        let mut settled = vec![false; self.properties.len()];
        let mut found: Vec<Option<(usize, u64)>> = vec![None; self.properties.len()];
        let (init, init_generated) = self.initial_level(&settled)?;
        let mut generated = init_generated;
        let mut unique = init.trace.len() as u64;
        let mut frontier = self.end_level(vec![init], 0, &mut trace, &mut settled, &mut found)?;
        let mut depth = 0;
        let mut stopped = self.should_stop(&opts.stop, &found);
        while !frontier.is_empty() && !stopped {
            depth += 1;
            let outs = self.expand_level(&frontier, &settled, opts, start, (unique, generated, depth))?;
            for c in &self.counters {
                generated += c.generated.swap(0, Relaxed);
                unique += c.unique.swap(0, Relaxed);
            }
            frontier = self.end_level(outs, depth, &mut trace, &mut settled, &mut found)?;
            stopped = self.should_stop(&opts.stop, &found);
        }
        let discoveries = self.discoveries(&trace, &found)?;
        Ok(Outcome {
            unique,
            generated,
            max_depth: depth + usize::from(!frontier.is_empty()),
            complete: frontier.is_empty(),
            seconds: start.elapsed().as_secs_f64(),
            peak_memory_bytes: memory::peak_resident_bytes().unwrap_or(0),
            memory_at_start,
            spilled_bytes: self.spill.as_ref().map_or(0, |f| f.len()),
            discoveries,
        })
    }

    /// The initial states within the boundary, judged and packed as level 0.
    fn initial_level(
        &self,
        settled: &[bool],
    ) -> Result<(ThreadOut<P::Block>, u64), EngineError> {
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
                self.admit(s, fp, (i as u64, 0), &scratch, settled, &mut out)?;
            }
        }
        self.seal(&mut out)?;
        Ok((out, generated))
    }

    /// Records a new state: its trace record, its judgement, its place in a frontier block.
    fn admit(
        &self,
        state: &M::State,
        fp: u64,
        (parent, action): (u64, usize),
        scratch: &P::Scratch,
        settled: &[bool],
        out: &mut ThreadOut<P::Block>,
    ) -> Result<(), EngineError> {
        let local = out.trace.len() as u64;
        out.trace.push(parent, action);
        self.judge(state, fp, local, settled, &mut out.found);
        self.packer.push(scratch, &mut out.current);
        if P::len(&out.current) >= BLOCK_STATES {
            self.seal(out)?;
        }
        Ok(())
    }

    /// Evaluates every property not yet settled, keeping the smallest-fingerprint match.
    fn judge(&self, state: &M::State, fp: u64, local: u64, settled: &[bool], found: &mut [Candidate]) {
        for (i, p) in self.properties.iter().enumerate() {
            if settled[i] {
                continue;
            }
            let holds = (p.condition)(self.model, state);
            let hit = match p.expectation {
                Expectation::Always => !holds,
                _ => holds,
            };
            if hit && found[i].is_none_or(|(f, _)| fp < f) {
                found[i] = Some((fp, local));
            }
        }
    }

    /// Closes the thread's current block; past the memory limit it goes to the spill file.
    fn seal(&self, out: &mut ThreadOut<P::Block>) -> Result<(), EngineError> {
        let block = std::mem::take(&mut out.current);
        let count = P::len(&block) as u64;
        if count == 0 {
            return Ok(());
        }
        let first = out.trace.len() as u64 - count;
        let spill_to = self.spill.as_ref().filter(|_| self.spilling.load(Relaxed));
        match (spill_to, P::to_bytes(&block)) {
            (Some(file), Some(bytes)) => {
                let at = file.append(&bytes)?;
                out.blocks.push(FrontierBlock::on_disk(first, count, at, bytes.len()));
            }
            _ => out.blocks.push(FrontierBlock::in_ram(first, count, block)),
        }
        Ok(())
    }

    /// Expands every block of a level on all threads, reporting progress meanwhile.
    fn expand_level(
        &self,
        frontier: &[FrontierBlock<P::Block>],
        settled: &[bool],
        opts: &mut Options<'_>,
        start: Instant,
        (unique, generated, depth): (u64, u64, usize),
    ) -> Result<Vec<ThreadOut<P::Block>>, EngineError> {
        let next = AtomicUsize::new(0);
        let frontier_len: u64 = frontier.iter().map(|b| b.len).sum();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..self.counters.len())
                .map(|t| {
                    let next = &next;
                    s.spawn(move || self.expand_blocks(frontier, next, settled, t))
                })
                .collect();
            let mut last_report = start.elapsed();
            while !handles.iter().all(|h| h.is_finished()) {
                std::thread::sleep(Duration::from_millis(20));
                if start.elapsed() >= last_report + Duration::from_secs(1) {
                    last_report = start.elapsed();
                    self.tick(opts, start, unique, generated, depth, frontier_len);
                }
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Once a second: the progress line, and the switch to spilling past the memory limit.
    fn tick(&self, opts: &mut Options<'_>, start: Instant, unique: u64, generated: u64, depth: usize, frontier: u64) {
        let memory_bytes = memory::resident_bytes().unwrap_or(0);
        if opts.memory_limit.is_some_and(|l| memory_bytes > l) {
            self.spilling.store(true, Relaxed);
        }
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

    /// One thread's share of a level: claims blocks until none is left.
    fn expand_blocks(
        &self,
        frontier: &[FrontierBlock<P::Block>],
        next: &AtomicUsize,
        settled: &[bool],
        t: usize,
    ) -> Result<ThreadOut<P::Block>, EngineError> {
        let mut out = ThreadOut::new(self.properties.len());
        let mut actions = Vec::new();
        let mut scratch = P::Scratch::default();
        let mut failure = None;
        while let Some(fb) = frontier.get(next.fetch_add(1, Relaxed)) {
            let block = fb.load(self.spill.as_ref(), P::from_bytes)?;
            let (mut index, mut generated) = (fb.first, 0u64);
            let unique_before = out.trace.len();
            self.packer.unpack(&block, &mut |state| {
                self.model.actions(&state, &mut actions);
                for (ai, action) in actions.drain(..).enumerate() {
                    let Some(succ) = self.model.next_state(&state, action) else {
                        continue;
                    };
                    if !self.model.within_boundary(&succ) {
                        continue;
                    }
                    generated += 1;
                    let fp = self.packer.fingerprint(&succ, &mut scratch);
                    if self.visited.insert(fp) && failure.is_none() {
                        let r = self.admit(&succ, fp, (index, ai), &scratch, settled, &mut out);
                        failure = r.err();
                    }
                }
                index += 1;
            });
            if let Some(e) = failure {
                return Err(e);
            }
            let c = &self.counters[t];
            c.generated.fetch_add(generated, Relaxed);
            c.unique.fetch_add((out.trace.len() - unique_before) as u64, Relaxed);
        }
        self.seal(&mut out)?;
        Ok(out)
    }

    /// Joins the threads' outputs into the next level: trace records, blocks (renumbered to
    /// level indices), and the level's discoveries, which settle their properties.
    fn end_level(
        &self,
        outs: Vec<ThreadOut<P::Block>>,
        level: usize,
        trace: &mut TraceStore,
        settled: &mut [bool],
        found: &mut [Option<(usize, u64)>],
    ) -> Result<Vec<FrontierBlock<P::Block>>, EngineError> {
        let mut blocks = Vec::new();
        let mut segments = Vec::new();
        let mut best: Vec<Candidate> = vec![None; self.properties.len()];
        let mut start = 0u64;
        for out in outs {
            for mut b in out.blocks {
                b.first += start;
                blocks.push(b);
            }
            for (i, c) in out.found.iter().enumerate() {
                if let Some((fp, local)) = *c {
                    if best[i].is_none_or(|(f, _)| fp < f) {
                        best[i] = Some((fp, start + local));
                    }
                }
            }
            start += out.trace.len() as u64;
            segments.push(out.trace);
        }
        trace.push_level(segments);
        for (i, b) in best.iter().enumerate() {
            if let (Some((_, index)), false) = (b, settled[i]) {
                settled[i] = true;
                found[i] = Some((level, *index));
            }
        }
        if let (true, Some(file)) = (self.spilling.load(Relaxed), &self.spill) {
            trace.spill(file)?;
        }
        Ok(blocks)
    }

    fn should_stop(&self, stop: &Stop, found: &[Option<(usize, u64)>]) -> bool {
        let mut hits = self.properties.iter().zip(found).filter(|(_, f)| f.is_some());
        match stop {
            Stop::AtFirstViolation => hits.any(|(p, _)| p.expectation == Expectation::Always),
            Stop::AtProperty(name) => hits.any(|(p, _)| p.name == *name),
            Stop::Never => false,
        }
    }

    fn discoveries(
        &self,
        trace: &TraceStore,
        found: &[Option<(usize, u64)>],
    ) -> Result<Vec<Discovery<M::State, M::Action>>, EngineError> {
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
        let first = self.model.init_states()[init].clone();
        let mut state = first.clone();
        let mut taken = Vec::with_capacity(recorded.len());
        let mut scratch = P::Scratch::default();
        for (step, &ai) in recorded.iter().enumerate() {
            let rep = self.packer.representative(&state);
            let action = nth_action(self.model, &rep, ai).ok_or(EngineError::Replay { step })?;
            let target = self.model.next_state(&rep, action).ok_or(EngineError::Replay { step })?;
            let target = self.packer.fingerprint(&target, &mut scratch);
            let mut actions = Vec::new();
            self.model.actions(&state, &mut actions);
            let (action, next) = actions
                .into_iter()
                .find_map(|a| {
                    let n = self.model.next_state(&state, a.clone())?;
                    let fp = self.packer.fingerprint(&n, &mut scratch);
                    (fp == target).then_some((a, n))
                })
                .ok_or(EngineError::NotSymmetric { step })?;
            taken.push(action);
            state = next;
        }
        Path::from_actions(self.model, first, &taken).ok_or(EngineError::Replay { step: 0 })
    }
}

fn nth_action<M: Model>(model: &M, state: &M::State, i: usize) -> Option<M::Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions.into_iter().nth(i)
}
