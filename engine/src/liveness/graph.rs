//! The explicit reachable graph: states numbered in BFS order (so ids grow with depth), edges
//! in compressed rows labelled by fairness class, and the fair classes cut by the bounds.

use super::{Fair, Fairness};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Edge label of an unfair action.
pub(crate) const UNFAIR: u32 = u32::MAX;
/// Edge label of a fault.
pub(crate) const FAULT: u32 = u32::MAX - 1;
/// No state (a root of the BFS tree).
pub(crate) const NONE: u32 = u32::MAX;

/// Why the graph could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("the reachable graph has more than {0} states (lower the bounds)")]
    TooManyStates(usize),
    #[error(
        "the liveness graph passed {} MiB of memory at {states} states (the whole graph is kept \
         in memory: lower the bounds)",
        limit >> 20
    )]
    OutOfMemory { limit: u64, states: usize },
}

/// How large a graph may grow before the run gives up (the graph lives in memory).
#[derive(Clone, Copy, Debug)]
pub struct GraphLimits {
    pub max_states: usize,
    /// Resident memory past which the run stops with an error rather than swap or be killed.
    pub max_memory: Option<u64>,
}

impl Default for GraphLimits {
    /// Ids are u32 (two values reserved); memory up to three quarters of the machine's.
    fn default() -> Self {
        GraphLimits {
            max_states: (u32::MAX - 2) as usize,
            max_memory: total_memory_bytes().map(|t| t / 4 * 3),
        }
    }
}

/// The machine's memory (Linux `MemTotal`).
fn total_memory_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// States between two looks at the resident memory and the clock.
const CHECK_EVERY: usize = 1 << 16;

/// How far the graph has grown, for a progress line.
#[derive(Clone, Debug)]
pub struct GraphProgress {
    pub states: usize,
    pub edges: usize,
    pub seconds: f64,
    pub memory_bytes: u64,
}

/// Called about once a second while the graph is built.
pub type GraphProgressFn<'a> = &'a mut dyn FnMut(&GraphProgress);

/// Keys are already 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type FpMap = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

pub(crate) fn fingerprint<S: Hash>(state: &S) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    state.hash(&mut h);
    h.finish()
}

pub(crate) struct Graph<S> {
    pub states: Vec<S>,
    /// BFS tree: the state each one was first reached from (NONE for initial states).
    pub parent: Vec<u32>,
    pub edge_start: Vec<usize>,
    pub targets: Vec<u32>,
    /// A fair class id, UNFAIR or FAULT.
    pub labels: Vec<u32>,
    pub cut_start: Vec<usize>,
    pub cut: Vec<u32>,
    pub inits: usize,
    /// Fair class keys (the model's) to their ids (the edge labels).
    pub class_ids: HashMap<u64, u32>,
    pub max_depth: usize,
}

impl<S> Graph<S> {
    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn edges(&self, u: u32) -> std::ops::Range<usize> {
        self.edge_start[u as usize]..self.edge_start[u as usize + 1]
    }

    /// The fair classes enabled in `u`, sorted: those of its edges and those the bounds cut.
    pub fn enabled(&self, u: u32, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.edges(u).map(|e| self.labels[e]).filter(|&l| l < FAULT));
        out.extend_from_slice(
            &self.cut[self.cut_start[u as usize]..self.cut_start[u as usize + 1]],
        );
        out.sort_unstable();
        out.dedup();
    }

    /// The label an action of this fairness carries.
    pub fn label_of(&self, f: Fairness) -> Option<u32> {
        match f {
            Fairness::Weak(k) => self.class_ids.get(&k).copied(),
            Fairness::Unfair => Some(UNFAIR),
            Fairness::Fault => Some(FAULT),
        }
    }

    /// The state an edge leaves.
    pub fn source(&self, e: usize) -> u32 {
        (self.edge_start.partition_point(|&x| x <= e) - 1) as u32
    }

    /// Some fair class of `u` is enabled, but only the bounds cut it.
    pub fn only_cut(&self, u: u32) -> bool {
        let has_cut = self.cut_start[u as usize] < self.cut_start[u as usize + 1];
        has_cut && !self.edges(u).any(|e| self.labels[e] < FAULT)
    }
}

struct Builder<'m, M: Fair> {
    model: &'m M,
    ids: FpMap,
    classes: HashMap<u64, u32>,
    graph: Graph<M::State>,
    limits: GraphLimits,
}

impl<M> Builder<'_, M>
where
    M: Fair,
    M::State: Hash + Clone,
{
    fn class(&mut self, key: u64) -> u32 {
        let next = self.classes.len() as u32;
        debug_assert!(
            next < FAULT,
            "fair class ids stay below the reserved labels"
        );
        *self.classes.entry(key).or_insert(next)
    }

    fn label(&mut self, f: Fairness) -> u32 {
        match f {
            Fairness::Weak(k) => self.class(k),
            Fairness::Unfair => UNFAIR,
            Fairness::Fault => FAULT,
        }
    }

    fn check_memory(&self) -> Result<(), GraphError> {
        let (Some(limit), Some(now)) = (self.limits.max_memory, crate::memory::resident_bytes())
        else {
            return Ok(());
        };
        if now > limit {
            return Err(GraphError::OutOfMemory {
                limit,
                states: self.graph.states.len(),
            });
        }
        Ok(())
    }

    /// The id of `state`, adding it (reached from `parent`) if new.
    fn id(&mut self, state: M::State, parent: u32) -> Result<u32, GraphError> {
        let g = &mut self.graph;
        let next = g.states.len() as u32;
        let id = *self.ids.entry(fingerprint(&state)).or_insert(next);
        if id == next {
            if g.states.len() >= self.limits.max_states {
                return Err(GraphError::TooManyStates(self.limits.max_states));
            }
            g.states.push(state);
            g.parent.push(parent);
        }
        Ok(id)
    }

    fn expand(
        &mut self,
        u: u32,
        actions: &mut Vec<M::Action>,
        cut: &mut Vec<u64>,
    ) -> Result<(), GraphError> {
        let state = self.graph.states[u as usize].clone();
        actions.clear();
        self.model.actions(&state, actions);
        let mut cut_ids: Vec<u32> = Vec::new();
        for action in actions.drain(..) {
            let label = self.label(self.model.fairness(&state, &action));
            let Some(next) = self.model.next_state(&state, action) else {
                continue;
            };
            if !self.model.within_boundary(&next) {
                if label < FAULT {
                    cut_ids.push(label); // enabled, but the bounds keep it from being taken
                }
                continue;
            }
            let v = self.id(next, u)?;
            self.graph.targets.push(v);
            self.graph.labels.push(label);
        }
        cut.clear();
        self.model.cut_classes(&state, cut);
        for &k in cut.iter() {
            let c = self.class(k);
            cut_ids.push(c);
        }
        cut_ids.sort_unstable();
        cut_ids.dedup();
        let g = &mut self.graph;
        g.cut.extend(cut_ids);
        g.edge_start.push(g.targets.len());
        g.cut_start.push(g.cut.len());
        Ok(())
    }
}

/// Every state reachable within the model's boundary, breadth-first, with every edge.
pub(crate) fn build<M>(
    model: &M,
    limits: GraphLimits,
    mut progress: Option<GraphProgressFn<'_>>,
) -> Result<Graph<M::State>, GraphError>
where
    M: Fair,
    M::State: Hash + Clone,
{
    let mut b = Builder {
        model,
        ids: FpMap::default(),
        classes: HashMap::new(),
        graph: Graph {
            states: Vec::new(),
            parent: Vec::new(),
            edge_start: vec![0],
            targets: Vec::new(),
            labels: Vec::new(),
            cut_start: vec![0],
            cut: Vec::new(),
            inits: 0,
            class_ids: HashMap::new(),
            max_depth: 0,
        },
        limits,
    };
    for s in model.init_states() {
        if model.within_boundary(&s) {
            b.id(s, NONE)?;
        }
    }
    b.graph.inits = b.graph.states.len();
    let (mut actions, mut cut) = (Vec::new(), Vec::new());
    let (mut depth, mut level_end) = (0, b.graph.states.len());
    let mut u = 0;
    let start = std::time::Instant::now();
    let mut next_tick = 1.0;
    while u < b.graph.states.len() {
        if u == level_end {
            depth += 1;
            level_end = b.graph.states.len();
        }
        b.expand(u as u32, &mut actions, &mut cut)?;
        u += 1;
        if u % CHECK_EVERY == 0 {
            b.check_memory()?;
            let seconds = start.elapsed().as_secs_f64();
            if let Some(report) = progress.as_mut().filter(|_| seconds >= next_tick) {
                next_tick = seconds + 1.0;
                report(&GraphProgress {
                    states: b.graph.states.len(),
                    edges: b.graph.targets.len(),
                    seconds,
                    memory_bytes: crate::memory::resident_bytes().unwrap_or(0),
                });
            }
        }
    }
    b.graph.max_depth = depth;
    b.graph.class_ids = std::mem::take(&mut b.classes);
    Ok(b.graph)
}
