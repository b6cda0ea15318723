//! Judging one `P ~> Q` on the graph: the region of ¬Q states reachable from a P∧¬Q state,
//! its strongly connected components, and which of them (or which stuck states) are fair.

use super::graph::{self, Graph, GraphError, GraphLimits, GraphProgressFn, FAULT};
use super::lasso::{self, Lasso};
use super::scc::tarjan;
use super::{Fair, LeadsTo, Premise};
use std::hash::Hash;
use std::time::Instant;

/// What a property's check looked at: evidence that a pass is not vacuous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionStats {
    /// Reachable states where the premise holds and the goal does not (where the obligation
    /// starts; none means the property holds vacuously).
    pub premise_states: usize,
    /// Goal states in the graph.
    pub goal_states: usize,
    /// ¬goal states reachable from a premise state through ¬goal states.
    pub region_states: usize,
    /// Cycles examined: nontrivial strongly connected components of the region (fault edges
    /// left out).
    pub cycles: usize,
    /// States in the largest of them.
    pub largest_cycle: usize,
    /// Of those cycles, the fair ones (each is a violation).
    pub fair_cycles: usize,
    /// Region states in which no fair class is enabled (each is a violation: a fair
    /// behaviour may stop there).
    pub stuck_states: usize,
    /// Region states whose only enabled fair actions are cut by the bounds: behaviours the
    /// bounds end, never reported.
    pub bound_ended: usize,
}

#[derive(Clone, Debug)]
pub struct PropertyVerdict<S, A> {
    pub name: &'static str,
    pub stats: RegionStats,
    /// A fair behaviour that never reaches the goal, if there is one.
    pub lasso: Option<Lasso<S, A>>,
}

impl<S, A> PropertyVerdict<S, A> {
    pub fn holds(&self) -> bool {
        self.lasso.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct LivenessOutcome<S, A> {
    pub states: usize,
    pub edges: usize,
    pub fair_classes: usize,
    pub max_depth: usize,
    /// Building the graph, then judging every property.
    pub graph_seconds: f64,
    pub seconds: f64,
    pub peak_memory_bytes: u64,
    pub properties: Vec<PropertyVerdict<S, A>>,
}

/// What a liveness run may use, and whom it tells how far it got.
#[derive(Default)]
pub struct LivenessOptions<'a> {
    pub limits: GraphLimits,
    pub progress: Option<GraphProgressFn<'a>>,
}

/// Builds the reachable graph of `model` and judges each property under the model's fairness.
pub fn check_liveness<M>(
    model: &M,
    properties: &[LeadsTo<M>],
    opts: LivenessOptions<'_>,
) -> Result<LivenessOutcome<M::State, M::Action>, GraphError>
where
    M: Fair,
    M::State: Hash + Clone,
    M::Action: Clone,
{
    let start = Instant::now();
    crate::memory::reset_peak();
    let g = graph::build(model, opts.limits, opts.progress)?;
    let graph_seconds = start.elapsed().as_secs_f64();
    let verdicts = properties.iter().map(|p| judge(model, &g, p)).collect();
    Ok(LivenessOutcome {
        states: g.len(),
        edges: g.targets.len(),
        fair_classes: g.class_ids.len(),
        max_depth: g.max_depth,
        graph_seconds,
        seconds: start.elapsed().as_secs_f64(),
        peak_memory_bytes: crate::memory::peak_resident_bytes().unwrap_or(0),
        properties: verdicts,
    })
}

/// How a region state was reached: from a premise state, or by an edge.
const UNREACHED: usize = usize::MAX;
const PREMISE: usize = usize::MAX - 1;

struct Region {
    /// For each state: UNREACHED, PREMISE, or the edge it was first reached by.
    via: Vec<usize>,
    /// Region states in BFS order from the premise states.
    order: Vec<u32>,
    premise_states: usize,
}

impl Region {
    fn contains(&self, u: u32) -> bool {
        self.via[u as usize] != UNREACHED
    }
}

fn region<M: Fair>(model: &M, g: &Graph<M::State>, p: &LeadsTo<M>, goal: &[bool]) -> Region {
    let mut via = vec![UNREACHED; g.len()];
    let mut order: Vec<u32> = match p.premise {
        Premise::Init => (0..g.inits as u32).collect(),
        Premise::State(pre) => (0..g.len() as u32)
            .filter(|&u| pre(model, &g.states[u as usize]))
            .collect(),
    };
    order.retain(|&u| !goal[u as usize]);
    for &u in &order {
        via[u as usize] = PREMISE;
    }
    let premise_states = order.len();
    let mut i = 0;
    while i < order.len() {
        for e in g.edges(order[i]) {
            let v = g.targets[e] as usize;
            if !goal[v] && via[v] == UNREACHED {
                via[v] = e;
                order.push(v as u32);
            }
        }
        i += 1;
    }
    Region {
        via,
        order,
        premise_states,
    }
}

fn judge<M>(model: &M, g: &Graph<M::State>, p: &LeadsTo<M>) -> PropertyVerdict<M::State, M::Action>
where
    M: Fair,
    M::State: Hash + Clone,
    M::Action: Clone,
{
    let goal: Vec<bool> = g.states.iter().map(|s| (p.goal)(model, s)).collect();
    let r = region(model, g, p, &goal);
    let mut stats = RegionStats {
        premise_states: r.premise_states,
        goal_states: goal.iter().filter(|&&q| q).count(),
        region_states: r.order.len(),
        ..RegionStats::default()
    };
    let mut enabled = Vec::new();
    for &u in &r.order {
        g.enabled(u, &mut enabled);
        if enabled.is_empty() {
            stats.stuck_states += 1;
        } else if g.only_cut(u) {
            stats.bound_ended += 1;
        }
    }
    let fair_comps = fair_components(g, &r, &mut stats);
    // The violation closest to the premise states: the first in BFS order.
    let target = r.order.iter().copied().find(|&u| {
        g.enabled(u, &mut enabled);
        enabled.is_empty() || fair_comps.0[u as usize] != graph::NONE
    });
    let lasso = target.map(|t| {
        let prefix = prefix_transitions(g, &r, t);
        g.enabled(t, &mut enabled);
        let cycle = if enabled.is_empty() {
            Vec::new() // stuck: the behaviour stutters in t
        } else {
            lasso::fair_cycle(g, &fair_comps.0, fair_comps.0[t as usize], t)
        };
        lasso::materialise(model, g, &prefix, &cycle)
    });
    PropertyVerdict {
        name: p.name,
        stats,
        lasso,
    }
}

/// For each region state, its component if that component is a fair cycle (else NONE).
struct FairComps(Vec<u32>);

fn fair_components<S>(g: &Graph<S>, r: &Region, stats: &mut RegionStats) -> FairComps {
    let comps = tarjan(g, &r.order, |v| r.contains(v), |e| g.labels[e] != FAULT);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); comps.count as usize];
    for &u in &r.order {
        members[comps.comp[u as usize] as usize].push(u);
    }
    let mut fair = vec![false; comps.count as usize];
    let (mut all, mut here, mut taken) = (Vec::new(), Vec::new(), Vec::new());
    for (c, ms) in members.iter().enumerate() {
        let inside =
            |e: usize| g.labels[e] != FAULT && comps.comp[g.targets[e] as usize] == c as u32;
        let nontrivial = ms.len() > 1 || g.edges(ms[0]).any(inside);
        if !nontrivial {
            continue;
        }
        stats.cycles += 1;
        stats.largest_cycle = stats.largest_cycle.max(ms.len());
        // Fair iff every class enabled in all its states is taken by one of its edges.
        g.enabled(ms[0], &mut all);
        taken.clear();
        for &u in ms {
            g.enabled(u, &mut here);
            all.retain(|k| here.binary_search(k).is_ok());
            taken.extend(g.edges(u).filter(|&e| inside(e)).map(|e| g.labels[e]));
        }
        taken.sort_unstable();
        if all.iter().all(|k| taken.binary_search(k).is_ok()) {
            fair[c] = true;
            stats.fair_cycles += 1;
        }
    }
    let mut out = vec![graph::NONE; g.len()];
    for &u in &r.order {
        let c = comps.comp[u as usize];
        if fair[c as usize] {
            out[u as usize] = c;
        }
    }
    FairComps(out)
}

/// The transitions from an initial state to `t`: the BFS tree to the premise state the region
/// search started from, then the region's own edges.
fn prefix_transitions<S>(g: &Graph<S>, r: &Region, t: u32) -> Vec<lasso::Step> {
    let mut steps = Vec::new();
    let mut u = t;
    while r.via[u as usize] != PREMISE {
        let e = r.via[u as usize];
        let from = g.source(e);
        steps.push(lasso::Step::Edge(from, e));
        u = from;
    }
    while g.parent[u as usize] != graph::NONE {
        let from = g.parent[u as usize];
        steps.push(lasso::Step::Tree(from, u));
        u = from;
    }
    steps.push(lasso::Step::Start(u));
    steps.reverse();
    steps
}
