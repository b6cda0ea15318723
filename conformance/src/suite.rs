//! The conformance suite: every trace source replayed against one implementation, with counts,
//! coverage and the first divergence.

use crate::driver::{Node, NodeId};
use crate::protocol::Protocol;
use crate::replay::{replay, Divergence, DivergenceJson};
use crate::search::{minimize, proptest_search};
use crate::sources::{build_graph, random_walk, trace_hash, Rng};
use raftspec_model::Bounds;
use serde::Serialize;
use std::collections::HashSet;
use std::time::Instant;

/// One state graph of the exhaustive source.
#[derive(Clone, Debug, Serialize)]
pub struct GraphConfig {
    /// What these bounds stress ("faults", "replication", ...).
    pub name: String,
    pub bounds: Bounds,
    /// The graph holds every state reachable in at most this many actions and every edge out
    /// of the states at fewer; every path of the cover is at most this long.
    pub depth: usize,
}

/// What to replay.
#[derive(Clone, Debug, Serialize)]
pub struct SuiteOptions {
    /// Exhaustive source: state graphs whose edges are covered, one per set of bounds.
    pub graphs: Vec<GraphConfig>,
    /// Random walks and proptest: bounds of the model they walk (larger than the graph's).
    pub walk_bounds: Bounds,
    pub walks: usize,
    pub walk_len: usize,
    pub seed: u64,
    pub proptest_cases: u32,
    pub proptest_len: usize,
    /// Keep the actions on which model and implementation are known to differ
    /// ([`crate::conform::known_differences`]); by default the sources leave them out.
    pub include_known_differences: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct GraphStats {
    pub name: String,
    pub bounds: Option<Bounds>,
    pub depth: usize,
    pub states: usize,
    pub edges: usize,
    pub paths: usize,
    /// Edges taken by the paths replayed (all of them unless a replay diverged).
    pub edges_covered: usize,
    pub seconds_building: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SuiteReport {
    pub graphs: Vec<GraphStats>,
    pub walks: usize,
    pub walk_len: usize,
    pub proptest_cases: u32,
    /// Distinct traces replayed (all sources together).
    pub traces: usize,
    /// Traces replayed, counting repeats.
    pub replays: usize,
    /// Actions replayed in all.
    pub steps: usize,
    pub seconds: f64,
    /// The source of the first divergence ("exhaustive", "walk", "proptest").
    pub diverged_in: Option<String>,
    #[serde(skip)]
    pub divergence: Option<Box<Divergence>>,
    #[serde(rename = "divergence")]
    pub divergence_json: Option<DivergenceJson>,
}

impl SuiteReport {
    fn diverged(&mut self, source: &str, d: Box<Divergence>) {
        self.diverged_in = Some(source.to_string());
        self.divergence_json = Some(d.to_json());
        self.divergence = Some(d);
    }
}

/// Progress lines (to stderr in the CLI).
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// Replays every source in turn against the nodes `make` builds, stopping at the first
/// divergence. `make_spec` builds the model at a set of bounds.
pub fn run_suite<P, N>(
    make_spec: &dyn Fn(&Bounds) -> P,
    opts: &SuiteOptions,
    make: &dyn Fn(NodeId, u8) -> N,
    progress: Progress<'_>,
) -> SuiteReport
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let start = Instant::now();
    let mut rep = SuiteReport {
        walks: opts.walks,
        walk_len: opts.walk_len,
        proptest_cases: opts.proptest_cases,
        ..Default::default()
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let walk_spec = make_spec(&opts.walk_bounds);
    let walk_spec = &walk_spec;

    // Cheap random sources first: a broken implementation is caught in a fraction of a
    // second and proptest shrinks its trace; then the exhaustive cover.
    // (e) proptest, shrinking on failure
    if opts.proptest_cases > 0 {
        match proptest_search(
            walk_spec,
            opts.proptest_cases,
            opts.proptest_len,
            opts.seed,
            make,
        ) {
            Ok(s) => {
                rep.replays += s.runs;
                rep.steps += s.steps;
                seen.extend(s.hashes);
            }
            Err((s, d)) => {
                rep.replays += s.runs;
                seen.extend(s.hashes);
                rep.diverged("proptest", d);
                return finish(rep, seen, start);
            }
        }
        progress(&format!("proptest: {} cases", opts.proptest_cases));
    }
    // (b) random walks (weighted)
    let mut rng = Rng::new(opts.seed);
    for _ in 0..opts.walks {
        let actions = random_walk(walk_spec, opts.walk_len, &mut rng);
        rep.replays += 1;
        seen.insert(trace_hash(&actions));
        match replay(walk_spec, &actions, make) {
            Ok(r) => rep.steps += r.steps,
            Err(d) => {
                rep.diverged("walk", minimize(walk_spec, d, make));
                return finish(rep, seen, start);
            }
        }
    }
    progress(&format!(
        "walks: {} of at most {} actions (seed {})",
        opts.walks, opts.walk_len, opts.seed
    ));

    // (a) exhaustive: an edge cover of each state graph up to its depth
    for gc in &opts.graphs {
        let t = Instant::now();
        let spec = make_spec(&gc.bounds);
        let graph = build_graph(&spec, gc.depth);
        let cover = graph.edge_cover();
        let mut stats = GraphStats {
            name: gc.name.clone(),
            bounds: Some(gc.bounds.clone()),
            depth: gc.depth,
            states: graph.states(),
            edges: graph.edges(),
            paths: cover.len(),
            edges_covered: 0,
            seconds_building: t.elapsed().as_secs_f64(),
        };
        drop(graph);
        let mut diverged = None;
        for p in &cover {
            rep.replays += 1;
            seen.insert(trace_hash(&p.actions));
            match replay(&spec, &p.actions, make) {
                Ok(r) => {
                    rep.steps += r.steps;
                    stats.edges_covered += p.new_edges;
                }
                Err(d) => {
                    diverged = Some(minimize(&spec, d, make));
                    break;
                }
            }
        }
        progress(&format!(
            "exhaustive {}: {} states, {} edges up to depth {}, {} paths, {} edges replayed ({:.1} s)",
            gc.name,
            stats.states,
            stats.edges,
            gc.depth,
            stats.paths,
            stats.edges_covered,
            t.elapsed().as_secs_f64()
        ));
        rep.graphs.push(stats);
        if let Some(d) = diverged {
            rep.diverged(&format!("exhaustive {}", gc.name), d);
            return finish(rep, seen, start);
        }
    }

    finish(rep, seen, start)
}

fn finish(mut rep: SuiteReport, seen: HashSet<u64>, start: Instant) -> SuiteReport {
    rep.traces += seen.len();
    rep.seconds = start.elapsed().as_secs_f64();
    rep
}
