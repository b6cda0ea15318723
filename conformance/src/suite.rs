//! The conformance suite: every trace source replayed against one implementation, with counts,
//! coverage and the first divergence.

use crate::driver::{Node, NodeId};
use crate::protocol::Protocol;
use crate::replay::{replay, Divergence, DivergenceJson};
use crate::search::{minimize, proptest_search};
use crate::sources::{build_graph, guided_walk, trace_hash, CoverPath, Rng, WalkCoverage};
use raftspec_model::Bounds;
use serde::Serialize;
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// The walks cycle through these cluster sizes (the walk bounds with `servers` replaced);
    /// proptest uses `walk_bounds` as they are.
    pub walk_servers: Vec<u8>,
    pub walks: usize,
    pub walk_len: usize,
    pub seed: u64,
    pub proptest_cases: u32,
    pub proptest_len: usize,
    /// Keep the actions on which model and implementation are known to differ
    /// ([`crate::conform::known_differences`]); by default the sources leave them out.
    pub include_known_differences: bool,
    /// Threads replaying the paths of a cover (the result does not depend on it).
    pub threads: usize,
    /// The implementation's coverage marks (rule branches) and their hits so far, if it
    /// counts them: each source reports the rules it exercised.
    #[serde(skip)]
    pub marks: Option<MarkReader>,
}

/// Reads the implementation's coverage marks: each rule branch's name and hits so far.
pub type MarkReader = fn() -> Vec<(&'static str, u64)>;

/// The rule branches of the implementation one source exercised (coverage marks).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleCoverage {
    pub source: String,
    pub hit: usize,
    pub total: usize,
    pub missed: Vec<&'static str>,
}

/// Counts the marks hit between `start` and now.
struct MarkCounter {
    read: Option<MarkReader>,
    at_start: Vec<(&'static str, u64)>,
}

impl MarkCounter {
    fn start(read: Option<MarkReader>) -> Self {
        MarkCounter {
            read,
            at_start: read.map(|r| r()).unwrap_or_default(),
        }
    }

    fn finish(self, source: &str, rep: &mut SuiteReport) {
        let Some(read) = self.read else { return };
        let now = read();
        let missed: Vec<&'static str> = now
            .iter()
            .zip(&self.at_start)
            .filter(|((_, n), (_, b))| n == b)
            .map(|((name, _), _)| *name)
            .collect();
        rep.rules.push(RuleCoverage {
            source: source.to_string(),
            hit: now.len() - missed.len(),
            total: now.len(),
            missed,
        });
    }
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
    /// Distinct model states the walks visited, and action kinds they took (see
    /// [`crate::sources::action_kind`]).
    pub walk_states: usize,
    pub walk_kinds: usize,
    /// Rule branches of the implementation hit, per source and by all together (empty when
    /// the implementation counts none: a build without the `mutants` feature).
    pub rules: Vec<RuleCoverage>,
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
    make: &(dyn Fn(NodeId, u8) -> N + Sync),
    progress: Progress<'_>,
) -> SuiteReport
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let start = Instant::now();
    // Counts are of what ran: a source after a divergence reports nothing.
    let rep = SuiteReport {
        walk_len: opts.walk_len,
        ..Default::default()
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let all_marks = MarkCounter::start(opts.marks);
    let rep = run_sources(make_spec, opts, make, progress, &mut seen, rep);
    let mut rep = finish(rep, seen, start);
    all_marks.finish("all sources", &mut rep);
    rep
}

/// The sources in turn (see [`run_suite`]): cheap random sources first, so that a broken
/// implementation is caught in a fraction of a second and proptest shrinks its trace; then the
/// exhaustive cover. The first divergence ends the run.
fn run_sources<P, N>(
    make_spec: &dyn Fn(&Bounds) -> P,
    opts: &SuiteOptions,
    make: &(dyn Fn(NodeId, u8) -> N + Sync),
    progress: Progress<'_>,
    seen: &mut HashSet<u64>,
    mut rep: SuiteReport,
) -> SuiteReport
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut run = Sources {
        make_spec,
        opts,
        make,
        progress,
        seen,
    };
    if run.proptest(&mut rep).is_break() || run.walks(&mut rep).is_break() {
        return rep;
    }
    for gc in &opts.graphs {
        if run.exhaustive(gc, &mut rep).is_break() {
            break;
        }
    }
    rep
}

/// What the sources of one suite run share: how to build specs and nodes, the options, where
/// progress goes, and the hashes of the traces replayed so far.
struct Sources<'a, 'p, P, N> {
    make_spec: &'a dyn Fn(&Bounds) -> P,
    opts: &'a SuiteOptions,
    make: &'a (dyn Fn(NodeId, u8) -> N + Sync),
    progress: Progress<'p>,
    seen: &'a mut HashSet<u64>,
}

impl<P, N> Sources<'_, '_, P, N>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    /// (e) proptest, shrinking on failure.
    fn proptest(&mut self, rep: &mut SuiteReport) -> ControlFlow<()> {
        let opts = self.opts;
        if opts.proptest_cases == 0 {
            return ControlFlow::Continue(());
        }
        let marks = MarkCounter::start(opts.marks);
        rep.proptest_cases = opts.proptest_cases;
        let walk_spec = (self.make_spec)(&opts.walk_bounds);
        let found = proptest_search(
            &walk_spec,
            opts.proptest_cases,
            opts.proptest_len,
            opts.seed,
            self.make,
        );
        let (s, divergence) = match found {
            Ok(s) => (s, None),
            Err((s, d)) => (s, Some(d)),
        };
        rep.replays += s.runs;
        rep.steps += s.steps;
        self.seen.extend(s.hashes);
        if let Some(d) = divergence {
            rep.diverged("proptest", d);
            return ControlFlow::Break(());
        }
        marks.finish("proptest", rep);
        (self.progress)(&format!("proptest: {} cases", opts.proptest_cases));
        ControlFlow::Continue(())
    }

    /// (b) random walks (weighted), spread over the walk sizes in turn.
    fn walks(&mut self, rep: &mut SuiteReport) -> ControlFlow<()> {
        let opts = self.opts;
        let mut rng = Rng::new(opts.seed);
        let specs = self.walk_specs();
        let mut covs = vec![WalkCoverage::default(); specs.len()];
        let marks = MarkCounter::start(opts.marks);
        for i in 0..opts.walks {
            let (spec, cov) = (&specs[i % specs.len()], &mut covs[i % specs.len()]);
            let actions = guided_walk(spec, opts.walk_len, &mut rng, cov);
            rep.walks += 1;
            rep.replays += 1;
            self.seen.insert(trace_hash(&actions));
            rep.steps += actions.len();
            if let Err(d) = replay(spec, &actions, self.make) {
                rep.diverged("walk", minimize(spec, d, self.make));
                break;
            }
        }
        rep.walk_states = covs.iter().map(|c| c.states.len()).sum();
        rep.walk_kinds = covs
            .iter()
            .flat_map(|c| c.kinds.iter())
            .collect::<HashSet<_>>()
            .len();
        if rep.divergence.is_some() {
            return ControlFlow::Break(());
        }
        if opts.walks > 0 {
            marks.finish("walks", rep);
        }
        (self.progress)(&format!(
            "walks: {} of at most {} actions (seed {})",
            opts.walks, opts.walk_len, opts.seed
        ));
        ControlFlow::Continue(())
    }

    /// One spec per walk size (the walk bounds' own size if none is given).
    fn walk_specs(&self) -> Vec<P> {
        let opts = self.opts;
        let sizes: Vec<u8> = match opts.walk_servers.as_slice() {
            [] => vec![opts.walk_bounds.servers],
            s => s.to_vec(),
        };
        sizes
            .iter()
            .map(|&servers| {
                (self.make_spec)(&Bounds {
                    servers,
                    ..opts.walk_bounds.clone()
                })
            })
            .collect()
    }

    /// (a) exhaustive: an edge cover of one state graph up to its depth.
    fn exhaustive(&mut self, gc: &GraphConfig, rep: &mut SuiteReport) -> ControlFlow<()> {
        let t = Instant::now();
        let marks = MarkCounter::start(self.opts.marks);
        let spec = (self.make_spec)(&gc.bounds);
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
        let run = replay_cover(&spec, &cover, self.make, self.opts.threads);
        rep.replays += run.replayed;
        rep.steps += run.steps;
        stats.edges_covered += run.new_edges;
        let replayed = cover[..run.replayed].iter();
        self.seen.extend(replayed.map(|p| trace_hash(&p.actions)));
        let diverged = run.divergence.map(|d| minimize(&spec, d, self.make));
        (self.progress)(&format!(
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
            return ControlFlow::Break(());
        }
        marks.finish(&format!("exhaustive {}", gc.name), rep);
        ControlFlow::Continue(())
    }
}

fn finish(mut rep: SuiteReport, seen: HashSet<u64>, start: Instant) -> SuiteReport {
    rep.traces += seen.len();
    rep.seconds = start.elapsed().as_secs_f64();
    rep
}

/// What replaying a cover did: paths replayed up to the first diverging one (in cover
/// order), their actions and first-covered edges, and that divergence.
struct CoverRun {
    replayed: usize,
    steps: usize,
    new_edges: usize,
    divergence: Option<Box<Divergence>>,
}

/// Replays the paths of a cover on `threads` threads. The result is the one a single thread
/// gives: every path before the first diverging one (in cover order) is counted, and that
/// path's divergence is reported.
fn replay_cover<P, N>(
    spec: &P,
    cover: &[CoverPath<P::Action>],
    make: &(dyn Fn(NodeId, u8) -> N + Sync),
    threads: usize,
) -> CoverRun
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let threads = threads.clamp(1, 64);
    let first_bad = AtomicUsize::new(usize::MAX);
    // Per path: its actions replayed, or its divergence.
    type PathResults = Vec<(usize, Result<usize, Box<Divergence>>)>;
    let results: Vec<PathResults> = std::thread::scope(|sc| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let first_bad = &first_bad;
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for i in (t..cover.len()).step_by(threads) {
                        if i > first_bad.load(Ordering::Relaxed) {
                            break;
                        }
                        let r = replay(spec, &cover[i].actions, make);
                        if r.is_err() {
                            first_bad.fetch_min(i, Ordering::Relaxed);
                        }
                        out.push((i, r.map(|r| r.steps)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("replay thread"))
            .collect()
    });
    let stop = first_bad.into_inner();
    let mut run = CoverRun {
        replayed: stop.min(cover.len()),
        steps: 0,
        new_edges: 0,
        divergence: None,
    };
    for (i, r) in results.into_iter().flatten() {
        match r {
            Ok(steps) if i < stop => {
                run.steps += steps;
                run.new_edges += cover[i].new_edges;
            }
            Err(d) if i == stop => run.divergence = Some(d),
            _ => {}
        }
    }
    if run.divergence.is_some() {
        run.replayed += 1;
    }
    run
}
