//! Where traces come from: an edge cover of the model's state graph up to a depth, random
//! walks, the bug catalog's counterexamples, ITF files, and proptest-generated sequences.

use crate::driver::Timer;
use crate::protocol::{ModelStep, Protocol};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use raftspec_model::trace::{replay_on_model, Trace};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

/// The model's state graph up to a depth: nodes are distinct states (weight: depth, in actions
/// from the initial state), edges are actions.
pub struct StateGraph<A> {
    pub graph: DiGraph<u16, A>,
    pub root: NodeIndex,
    /// The edge through which BFS first reached each node (a shortest path back to the root).
    parent: Vec<Option<EdgeIndex>>,
    pub depth: usize,
}

/// Builds the state graph by breadth-first search over `init_states`/`actions`/`next_state`.
/// A state at `depth` actions, or outside the model's boundary (`within_boundary`), is a node
/// but is not expanded; every edge out of an expanded state is in the graph.
pub fn build_graph<P: Protocol>(spec: &P, depth: usize) -> StateGraph<P::Action> {
    let mut graph = DiGraph::new();
    let mut parent = Vec::new();
    let mut index: HashMap<P::State, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::new();
    let init = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    let root = graph.add_node(0u16);
    parent.push(None);
    index.insert(init.clone(), root);
    queue.push_back((init, root));
    let mut actions = Vec::new();
    while let Some((st, ix)) = queue.pop_front() {
        let d = graph[ix];
        if d as usize >= depth || !spec.within_boundary(&st) {
            continue;
        }
        actions.clear();
        spec.actions(&st, &mut actions);
        for a in actions.drain(..) {
            let Some(next) = spec.next_state(&st, a.clone()) else {
                continue;
            };
            let target = match index.get(&next) {
                Some(&t) => t,
                None => {
                    let t = graph.add_node(d + 1);
                    parent.push(None);
                    index.insert(next.clone(), t);
                    queue.push_back((next, t));
                    t
                }
            };
            let e = graph.add_edge(ix, target, a);
            if parent[target.index()].is_none() && target != root {
                parent[target.index()] = Some(e);
            }
        }
    }
    StateGraph {
        graph,
        root,
        parent,
        depth,
    }
}

/// One path of a cover: its actions, and how many edges it covered first.
pub struct CoverPath<A> {
    pub actions: Vec<A>,
    pub new_edges: usize,
}

impl<A: Clone> StateGraph<A> {
    pub fn states(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edges(&self) -> usize {
        self.graph.edge_count()
    }

    /// A set of paths from the initial state that together take every edge, each at most
    /// `depth` actions long: for each edge not yet taken, the shortest path to its source,
    /// the edge, then untaken edges onward while the path is shorter than `depth`.
    pub fn edge_cover(&self) -> Vec<CoverPath<A>> {
        let g = &self.graph;
        let mut covered = vec![false; g.edge_count()];
        let mut paths = Vec::new();
        for e in g.edge_indices() {
            if covered[e.index()] {
                continue;
            }
            let mut new_edges = 0;
            let mut take = |x: EdgeIndex, covered: &mut Vec<bool>| {
                if !covered[x.index()] {
                    covered[x.index()] = true;
                    new_edges += 1;
                }
            };
            let mut edges = Vec::new();
            let mut at = g.edge_endpoints(e).expect("edge exists").0;
            while let Some(p) = self.parent[at.index()] {
                edges.push(p);
                at = g.edge_endpoints(p).expect("edge exists").0;
            }
            edges.reverse();
            edges.push(e);
            for x in &edges {
                take(*x, &mut covered);
            }
            let mut v = g.edge_endpoints(e).expect("edge exists").1;
            while edges.len() < self.depth {
                match g.edges(v).find(|r| !covered[r.id().index()]) {
                    Some(r) => {
                        take(r.id(), &mut covered);
                        edges.push(r.id());
                        v = r.target();
                    }
                    None => break,
                }
            }
            paths.push(CoverPath {
                actions: edges.iter().map(|x| g[*x].clone()).collect(),
                new_edges,
            });
        }
        paths
    }
}

/// A small deterministic generator (splitmix64): the same seed gives the same walks anywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// How much a walk favours an action: a delivery weighs 8, a client request 4, a leader's or
/// follower's routine timer 3, anything else (drop, duplicate, election timer, restart) 1, so
/// that walks make progress instead of drowning in network faults.
pub fn weight<P: Protocol>(spec: &P, a: &P::Action) -> usize {
    match spec.model_step(a) {
        ModelStep::Deliver(_) => 8,
        ModelStep::ClientRequest(..) => 4,
        ModelStep::Timer(_, Timer::Heartbeat | Timer::Fetch) => 3,
        _ => 1,
    }
}

/// Walks the model from its initial state for at most `len` actions. At step i,
/// `choose(total, i)` picks a number below the total weight of the enabled actions, which
/// selects an action in proportion to its [`weight`]. Stops early where no action is enabled
/// or the state is outside the model's boundary.
pub fn walk<P: Protocol>(
    spec: &P,
    len: usize,
    mut choose: impl FnMut(usize, usize) -> usize,
) -> Vec<P::Action> {
    let mut st = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    let mut out = Vec::with_capacity(len);
    let mut enabled = Vec::new();
    let mut weights = Vec::new();
    while out.len() < len && spec.within_boundary(&st) {
        enabled.clear();
        spec.actions(&st, &mut enabled);
        weights.clear();
        weights.extend(enabled.iter().map(|a| weight(spec, a)));
        let total: usize = weights.iter().sum();
        if total == 0 {
            break;
        }
        let mut pick = choose(total, out.len()) % total;
        let mut i = 0;
        while pick >= weights[i] {
            pick -= weights[i];
            i += 1;
        }
        let a = enabled.swap_remove(i);
        let Some(next) = spec.next_state(&st, a.clone()) else {
            break;
        };
        out.push(a);
        st = next;
    }
    out
}

/// A random walk of at most `len` actions (weighted, see [`walk`]).
pub fn random_walk<P: Protocol>(spec: &P, len: usize, rng: &mut Rng) -> Vec<P::Action> {
    walk(spec, len, |total, _| rng.below(total))
}

/// What the walks of a source have seen: model states, and action kinds (the action's
/// protocol name with the acting server's role, e.g. `HandleAppendEntriesRequest@Candidate`).
#[derive(Clone, Debug, Default)]
pub struct WalkCoverage {
    pub states: HashSet<u64>,
    pub kinds: HashSet<String>,
}

fn state_hash<S: Hash>(st: &S) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// An action's kind: its protocol name and the acting server's role before it.
pub fn action_kind<P: Protocol>(spec: &P, st: &P::State, a: &P::Action) -> String {
    let actor = match spec.model_step(a) {
        ModelStep::Deliver(m) => Some(P::endpoints(&m).1),
        ModelStep::Timer(s, _)
        | ModelStep::ClientRequest(s, _)
        | ModelStep::Restart(s)
        | ModelStep::SendTo(s, ..) => Some(s),
        ModelStep::Drop(_) | ModelStep::Duplicate(_) => None,
    };
    match actor {
        Some(s) => format!("{}@{:?}", spec.action_name(a), spec.node_state(st, s).role),
        None => spec.action_name(a).to_string(),
    }
}

/// A coverage-guided walk of at most `len` actions: at each step it draws up to four
/// candidates by [`weight`] and takes the first whose kind it has not seen yet, else the first
/// that leads to a state not seen yet, else the first drawn. Deterministic for a seed and the
/// coverage so far.
pub fn guided_walk<P: Protocol>(
    spec: &P,
    len: usize,
    rng: &mut Rng,
    cov: &mut WalkCoverage,
) -> Vec<P::Action> {
    let mut st = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    let mut out = Vec::with_capacity(len);
    let mut enabled = Vec::new();
    while out.len() < len && spec.within_boundary(&st) {
        enabled.clear();
        spec.actions(&st, &mut enabled);
        let weights: Vec<usize> = enabled.iter().map(|a| weight(spec, a)).collect();
        let total: usize = weights.iter().sum();
        if total == 0 {
            break;
        }
        let mut best: Option<(u8, P::Action, P::State, String)> = None;
        for _ in 0..4 {
            let mut pick = rng.below(total);
            let mut i = 0;
            while pick >= weights[i] {
                pick -= weights[i];
                i += 1;
            }
            let a = enabled[i].clone();
            let Some(next) = spec.next_state(&st, a.clone()) else {
                continue;
            };
            let kind = action_kind(spec, &st, &a);
            let novelty = if !cov.kinds.contains(&kind) {
                2
            } else {
                u8::from(!cov.states.contains(&state_hash(&next)))
            };
            if best.as_ref().is_none_or(|b| novelty > b.0) {
                best = Some((novelty, a, next, kind));
            }
            if novelty == 2 {
                break;
            }
        }
        let Some((_, a, next, kind)) = best else {
            break;
        };
        cov.kinds.insert(kind);
        cov.states.insert(state_hash(&next));
        out.push(a);
        st = next;
    }
    out
}

/// A hash of an action sequence, to count distinct traces.
pub fn trace_hash<A: std::fmt::Debug>(actions: &[A]) -> u64 {
    let mut h = DefaultHasher::new();
    for a in actions {
        // Actions are small; their Debug text is their identity.
        format!("{a:?}").hash(&mut h);
    }
    h.finish()
}

/// Why a trace file cannot be replayed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceProblem {
    /// Not a trace of this variant's model at its bounds: another variant's states or
    /// actions, bounds the model cannot hold (bad input).
    #[error("{0}")]
    NotATrace(String),
    /// A trace of the model that the model itself does not allow at some step.
    #[error("{0}")]
    Rejected(String),
}

/// A trace file's actions, after checking that the trace is one the model allows.
pub fn actions_of_trace<P: Protocol>(
    spec: &P,
    trace: &Trace,
) -> Result<Vec<P::Action>, TraceProblem> {
    let variant = spec.variant();
    if trace.variant != variant {
        return Err(TraceProblem::NotATrace(format!(
            "the trace is for {}, not {variant}",
            trace.variant
        )));
    }
    if let Err(d) = replay_on_model(spec, trace) {
        // The initial state, or an action that is not one of this variant's, is not ours.
        let unreadable = |i: usize| {
            let a = trace.steps[i].action.as_ref();
            a.is_none_or(|a| spec.action_from_json(&a.args).is_err())
        };
        let not_ours = d.step == 0 || unreadable(d.step);
        return Err(if not_ours {
            TraceProblem::NotATrace(format!("not a {variant} trace of this model: {d}"))
        } else {
            TraceProblem::Rejected(format!("the model rejects the trace at {d}"))
        });
    }
    Ok(trace
        .steps
        .iter()
        .skip(1)
        .map(|s| {
            let a = s.action.as_ref().expect("non-initial steps have actions");
            spec.action_from_json(&a.args)
                .expect("replay_on_model parsed every action")
        })
        .collect())
}
