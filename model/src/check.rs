//! Runs an exhaustive check of any [`Spec`] and reports verdicts, counts and counterexamples.
//!
//! Two engines: raftspec's own (`raftspec-engine`, the default: level-synchronous parallel BFS,
//! shortest counterexamples at any thread count, exact symmetry) and stateright's (kept as the
//! differential oracle). With symmetry stateright applies the representative only in DFS, so an
//! unbounded DFS is used there (never a depth-limited one, which would be incomplete); see
//! ../shared/stateright-notes.md.

use crate::bounds::Bounds;
use crate::pack::SpecCodec;
use crate::spec::{Spec, Variant};
use crate::trace::Trace;
use serde::Serialize;
use stateright::{Checker, Expectation, HasDiscoveries, Model};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// When a run may stop before it has seen every reachable state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At the first violated `Always` property (the default).
    AtFirstViolation,
    /// Once this property has a discovery (used by the catalog tests).
    AtProperty(&'static str),
    /// Never: explore everything.
    Never,
}

/// Which checker explores the state space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// raftspec's own engine (`raftspec-engine`): parallel level-synchronous BFS, exact
    /// symmetry, packed states.
    #[default]
    Raftspec,
    /// The same BFS on timely dataflow workers, in one process or across processes and
    /// machines (`raftspec_engine::distributed`).
    Timely,
    /// stateright's checkers: BFS, or DFS with symmetry (the differential oracle).
    Stateright,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Raftspec => "raftspec",
            Engine::Timely => "timely",
            Engine::Stateright => "stateright",
        }
    }
}

pub struct CheckOptions<'a> {
    pub engine: Engine,
    pub threads: usize,
    pub symmetry: bool,
    /// Normalise fields dead in a server's current role (raftspec engine only).
    pub view: bool,
    pub stop: Stop,
    /// Past this resident size the raftspec engine spills frontier and trace records to disk.
    pub memory_limit: Option<u64>,
    pub spill_dir: Option<std::path::PathBuf>,
    /// Called about once a second.
    pub progress: Option<ProgressFn<'a>>,
}

impl Default for CheckOptions<'_> {
    fn default() -> Self {
        CheckOptions {
            engine: Engine::default(),
            threads: 1,
            symmetry: false,
            view: false,
            stop: Stop::AtFirstViolation,
            memory_limit: None,
            spill_dir: None,
            progress: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// An `Always` property held in every state explored.
    Holds,
    /// An `Always` property failed; `path` leads to the failing state.
    Violated,
    /// A `Sometimes` witness was reached.
    Witnessed,
    /// A `Sometimes` witness was never reached in a complete run: the pass would be vacuous.
    Missing,
    /// The run stopped at a violation before this property was settled.
    Unchecked,
    /// A `Sometimes` witness these bounds cannot reach, reached by another run of the same
    /// profile (which judges witnesses over all its runs).
    #[serde(rename = "witnessed-in-profile")]
    WitnessedInProfile,
}

#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    pub name: String,
    /// "always" or "sometimes".
    pub expectation: &'static str,
    pub verdict: Verdict,
    /// Action-index encoding of the path (also the Explorer's `#/steps/...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Actions on that path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// The ITF file the counterexample was written to (set by whoever writes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub variant: Variant,
    /// The profile run this report belongs to (set by the CLI), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    pub bug: Option<String>,
    pub bounds: Bounds,
    pub symmetry: bool,
    pub view: bool,
    pub engine: Engine,
    /// "bfs" or "dfs" (stateright with symmetry).
    pub search: &'static str,
    pub threads: usize,
    /// Every reachable state within the bounds was explored.
    pub complete: bool,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Peak resident memory of the process during the run.
    pub peak_memory_bytes: u64,
    /// Memory the run added (peak less the resident size at its start) per unique state.
    pub bytes_per_state: f64,
    /// Bytes of frontier and trace records written to disk (past `--memory-limit`).
    pub spilled_bytes: u64,
    pub properties: Vec<PropertyResult>,
    /// The timely engine's traffic and memory per process (`--engine timely`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distributed: Option<raftspec_engine::WireStats>,
}

impl CheckReport {
    /// Every safety property holds and every witness was reached.
    pub fn passed(&self) -> bool {
        self.properties.iter().all(|p| {
            matches!(
                p.verdict,
                Verdict::Holds | Verdict::Witnessed | Verdict::WitnessedInProfile
            )
        })
    }

    pub fn violated(&self) -> impl Iterator<Item = &PropertyResult> {
        self.properties
            .iter()
            .filter(|p| p.verdict == Verdict::Violated)
    }

    pub fn property(&self, name: &str) -> Option<&PropertyResult> {
        self.properties.iter().find(|p| p.name == name)
    }
}

pub struct CheckOutcome {
    pub report: CheckReport,
    /// One trace per violated property, in property order.
    pub counterexamples: Vec<Trace>,
}

/// What either engine found, before verdicts.
struct Explored {
    search: &'static str,
    unique: usize,
    total: usize,
    depth: usize,
    /// Every state within the bounds was explored (no early stop).
    complete: bool,
    peak_memory_bytes: u64,
    bytes_per_state: f64,
    spilled_bytes: u64,
    discoveries: Vec<(Found, Trace)>,
}

/// Why a check could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Engine(#[from] raftspec_engine::EngineError),
    #[error("--view needs the raftspec engine")]
    ViewNeedsEngine,
}

/// Explores the model within its bounds and judges every property. For runs that cannot fail:
/// no memory limit (so no spill file), and the raftspec models have no `eventually` property.
/// Anything that takes options from a user calls [`try_check`].
pub fn check<S: Spec>(spec: S, opts: CheckOptions<'_>) -> CheckOutcome {
    assert!(
        opts.memory_limit.is_none(),
        "runs with a memory limit use try_check"
    );
    try_check(spec, opts).expect("a check without spill file or eventually property")
}

/// Explores the model within its bounds and judges every property.
pub fn try_check<S: Spec>(spec: S, opts: CheckOptions<'_>) -> Result<CheckOutcome, CheckError> {
    let threads = opts.threads.max(1);
    if opts.engine == Engine::Timely {
        let cluster = raftspec_engine::Cluster::Threads(threads);
        let out = try_check_distributed(spec, opts, &cluster)?;
        return Ok(out.outcome.expect("a one-process run has the outcome"));
    }
    let (engine, symmetry, view) = (opts.engine, opts.symmetry, opts.view);
    let start = Instant::now();
    let found = match engine {
        Engine::Raftspec | Engine::Timely => explore_with_engine(&spec, opts)?,
        Engine::Stateright if view => return Err(CheckError::ViewNeedsEngine),
        Engine::Stateright => explore_with_stateright(&spec, opts),
    };
    let seconds = start.elapsed().as_secs_f64();
    Ok(finish(
        &spec,
        found,
        seconds,
        (engine, symmetry, view, threads),
    ))
}

/// What a check on timely dataflow gives each process: the outcome in the first process, and
/// every process's traffic and memory.
pub struct DistributedCheck {
    pub outcome: Option<CheckOutcome>,
    pub wire: raftspec_engine::WireStats,
}

/// Explores the model on timely dataflow workers (`cluster`: threads of this process, or one
/// process of several) and judges every property, as [`try_check`] does; every process of a
/// cluster calls it with the same spec and options.
pub fn try_check_distributed<S: Spec>(
    spec: S,
    opts: CheckOptions<'_>,
    cluster: &raftspec_engine::Cluster,
) -> Result<DistributedCheck, CheckError> {
    let (symmetry, view) = (opts.symmetry, opts.view);
    let workers = match cluster {
        raftspec_engine::Cluster::Threads(n) => *n,
        raftspec_engine::Cluster::Processes {
            threads, addresses, ..
        } => threads * addresses.len(),
    };
    let start = Instant::now();
    let (found, wire) = explore_with_timely(&spec, opts, cluster)?;
    let seconds = start.elapsed().as_secs_f64();
    let outcome = found.map(|f| {
        let mut out = finish(&spec, f, seconds, (Engine::Timely, symmetry, view, workers));
        out.report.distributed = Some(wire.clone());
        out
    });
    Ok(DistributedCheck { outcome, wire })
}

fn finish<S: Spec>(
    spec: &S,
    found: Explored,
    seconds: f64,
    (engine, symmetry, view, threads): (Engine, bool, bool, usize),
) -> CheckOutcome {
    let (properties, counterexamples) = verdicts(spec, &found);
    CheckOutcome {
        report: CheckReport {
            run: None,
            variant: spec.variant(),
            bug: spec.bug().map(|b| b.name().to_string()),
            bounds: spec.bounds().clone(),
            symmetry,
            view,
            engine,
            search: found.search,
            threads,
            complete: found.complete,
            unique_states: found.unique,
            total_states: found.total,
            max_depth: found.depth,
            seconds,
            states_per_second: found.unique as f64 / seconds.max(1e-9),
            peak_memory_bytes: found.peak_memory_bytes,
            bytes_per_state: found.bytes_per_state,
            spilled_bytes: found.spilled_bytes,
            properties,
            distributed: None,
        },
        counterexamples,
    }
}

/// A verdict per property, and the counterexamples of violated ones in property order.
fn verdicts<S: Spec>(spec: &S, found: &Explored) -> (Vec<PropertyResult>, Vec<Trace>) {
    let mut results = Vec::new();
    let mut counterexamples = Vec::new();
    for p in &spec.properties() {
        let hit = found.discoveries.iter().find(|(q, _)| q.name == p.name);
        let always = p.expectation == Expectation::Always;
        let verdict = match (always, hit.is_some(), found.complete) {
            (true, true, _) => Verdict::Violated,
            (true, false, true) => Verdict::Holds,
            (false, true, _) => Verdict::Witnessed,
            (false, false, true) => Verdict::Missing,
            (_, false, false) => Verdict::Unchecked,
        };
        if let (true, Some((_, trace))) = (always, hit) {
            counterexamples.push(trace.clone());
        }
        results.push(PropertyResult {
            name: p.name.to_string(),
            expectation: if always { "always" } else { "sometimes" },
            verdict,
            path: hit.and_then(|(_, t)| t.path.clone()),
            steps: hit.map(|(_, t)| t.steps.len() - 1),
            trace: None,
        });
    }
    (results, counterexamples)
}

fn engine_stop(stop: &Stop) -> raftspec_engine::Stop {
    match stop {
        Stop::AtFirstViolation => raftspec_engine::Stop::AtFirstViolation,
        Stop::AtProperty(p) => raftspec_engine::Stop::AtProperty(p),
        Stop::Never => raftspec_engine::Stop::Never,
    }
}

fn explore_with_timely<S: Spec>(
    spec: &S,
    opts: CheckOptions<'_>,
    cluster: &raftspec_engine::Cluster,
) -> Result<(Option<Explored>, raftspec_engine::WireStats), raftspec_engine::EngineError> {
    let codec = SpecCodec::<S>::new(opts.symmetry, opts.view);
    let out = raftspec_engine::explore_distributed(
        spec.clone(),
        codec,
        cluster,
        engine_stop(&opts.stop),
    )?;
    let found = out.outcome.map(|o| engine_explored(spec, o));
    Ok((found, out.wire))
}

/// The raftspec engine's outcome (either search) with its paths as traces.
fn engine_explored<S: Spec>(
    spec: &S,
    out: raftspec_engine::Outcome<S::State, S::Action>,
) -> Explored {
    let bytes_per_state = out.bytes_per_state();
    let discoveries = out
        .discoveries
        .into_iter()
        .map(|d| {
            let found = Found {
                expectation: d.expectation,
                name: d.property,
            };
            (found, Trace::from_path(spec, d.path, Some(d.property)))
        })
        .collect();
    Explored {
        search: "bfs",
        unique: out.unique as usize,
        total: out.generated as usize,
        depth: out.max_depth,
        complete: out.complete,
        peak_memory_bytes: out.peak_memory_bytes,
        bytes_per_state,
        spilled_bytes: out.spilled_bytes,
        discoveries,
    }
}

fn explore_with_engine<S: Spec>(
    spec: &S,
    opts: CheckOptions<'_>,
) -> Result<Explored, raftspec_engine::EngineError> {
    let packer = raftspec_engine::Packed(SpecCodec::<S>::new(opts.symmetry, opts.view));
    let stop = engine_stop(&opts.stop);
    let out = raftspec_engine::explore(
        spec,
        &packer,
        raftspec_engine::Options {
            threads: opts.threads.max(1),
            stop,
            memory_limit: opts.memory_limit,
            spill_dir: opts.spill_dir,
            progress: opts.progress,
        },
    )?;
    Ok(engine_explored(spec, out))
}

fn explore_with_stateright<S: Spec>(spec: &S, opts: CheckOptions<'_>) -> Explored {
    let finish_when = match &opts.stop {
        Stop::AtFirstViolation => HasDiscoveries::AnyFailures,
        Stop::AtProperty(p) => HasDiscoveries::AnyOf(BTreeSet::from([*p])),
        Stop::Never => HasDiscoveries::All,
    };
    let builder = spec
        .for_checking()
        .checker()
        .threads(opts.threads.max(1))
        .finish_when(finish_when);
    let start = Instant::now();
    raftspec_engine::memory::reset_peak();
    let rss_start = raftspec_engine::memory::resident_bytes().unwrap_or(0);
    let mut progress = opts.progress;
    let (search, unique, total, depth, discoveries) = if opts.symmetry {
        let c = builder.symmetry_fn(S::representative).spawn_dfs();
        wait(&c, start, &mut progress);
        let c = c.join();
        let d = collect(spec, &c);
        (
            "dfs",
            c.unique_state_count(),
            c.state_count(),
            c.max_depth(),
            d,
        )
    } else {
        let c = builder.spawn_bfs();
        wait(&c, start, &mut progress);
        let c = c.join();
        let d = collect(spec, &c);
        (
            "bfs",
            c.unique_state_count(),
            c.state_count(),
            c.max_depth(),
            d,
        )
    };
    let peak = raftspec_engine::memory::peak_resident_bytes().unwrap_or(0);
    let any_violation = discoveries
        .iter()
        .any(|(p, _)| p.expectation == Expectation::Always);
    Explored {
        search,
        unique,
        total,
        depth,
        complete: opts.stop == Stop::Never || !any_violation,
        peak_memory_bytes: peak,
        bytes_per_state: peak.saturating_sub(rss_start) as f64 / unique.max(1) as f64,
        spilled_bytes: 0,
        discoveries,
    }
}

pub type ProgressFn<'a> = raftspec_engine::ProgressFn<'a>;

/// Polls a running stateright checker, reporting progress about once a second.
fn wait<M: Model>(c: &impl Checker<M>, start: Instant, progress: &mut Option<ProgressFn<'_>>) {
    let mut next = Duration::from_secs(1);
    while !c.is_done() {
        std::thread::sleep(Duration::from_millis(20));
        if start.elapsed() >= next {
            next += Duration::from_secs(1);
            if let Some(p) = progress {
                p(&raftspec_engine::Progress {
                    unique: c.unique_state_count() as u64,
                    generated: c.state_count() as u64,
                    depth: c.max_depth(),
                    frontier: 0,
                    seconds: start.elapsed().as_secs_f64(),
                    memory_bytes: raftspec_engine::memory::resident_bytes().unwrap_or(0),
                    spilling: false,
                });
            }
        }
    }
}

struct Found {
    expectation: Expectation,
    name: &'static str,
}

fn collect<S: Spec>(spec: &S, c: &impl Checker<S>) -> Vec<(Found, Trace)> {
    let props = spec.properties();
    let mut out = Vec::new();
    for (name, path) in c.discoveries() {
        let p = props
            .iter()
            .find(|p| p.name == name)
            .expect("known property");
        let trace = Trace::from_path(spec, path, Some(name));
        out.push((
            Found {
                expectation: p.expectation.clone(),
                name,
            },
            trace,
        ));
    }
    out
}
