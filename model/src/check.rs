//! Runs an exhaustive check of any [`Spec`] and reports verdicts, counts and counterexamples.
//!
//! Without symmetry: breadth-first search (shortest counterexamples when single-threaded).
//! With symmetry: stateright applies the representative only in DFS, so an unbounded DFS is
//! used (never a depth-limited one, which would be incomplete). See ../shared/stateright-notes.md.

use crate::bounds::Bounds;
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

pub struct CheckOptions<'a> {
    pub threads: usize,
    pub symmetry: bool,
    pub stop: Stop,
    /// Called about once a second with (unique states, total states, depth, seconds).
    pub progress: ProgressFn<'a>,
}

impl Default for CheckOptions<'_> {
    fn default() -> Self {
        CheckOptions {
            threads: 1,
            symmetry: false,
            stop: Stop::AtFirstViolation,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub variant: Variant,
    pub bug: Option<String>,
    pub bounds: Bounds,
    pub symmetry: bool,
    pub engine: &'static str,
    pub threads: usize,
    /// Every reachable state within the bounds was explored.
    pub complete: bool,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    pub properties: Vec<PropertyResult>,
}

impl CheckReport {
    /// Every safety property holds and every witness was reached.
    pub fn passed(&self) -> bool {
        self.properties
            .iter()
            .all(|p| matches!(p.verdict, Verdict::Holds | Verdict::Witnessed))
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

/// Explores the model within its bounds and judges every property.
pub fn check<S: Spec>(spec: S, opts: CheckOptions<'_>) -> CheckOutcome {
    let properties = spec.properties();
    let finish_when = match &opts.stop {
        Stop::AtFirstViolation => HasDiscoveries::AnyFailures,
        Stop::AtProperty(p) => HasDiscoveries::AnyOf(BTreeSet::from([*p])),
        Stop::Never => HasDiscoveries::All,
    };
    let threads = opts.threads.max(1);
    let builder = spec
        .for_checking()
        .checker()
        .threads(threads)
        .finish_when(finish_when);
    let start = Instant::now();
    let mut progress = opts.progress;
    let (engine, unique, total, depth, discoveries) = if opts.symmetry {
        let c = builder.symmetry_fn(S::representative).spawn_dfs();
        wait(&c, start, &mut progress);
        let c = c.join();
        let d = collect(&spec, &c);
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
        let d = collect(&spec, &c);
        (
            "bfs",
            c.unique_state_count(),
            c.state_count(),
            c.max_depth(),
            d,
        )
    };
    let seconds = start.elapsed().as_secs_f64();
    let any_violation = discoveries
        .iter()
        .any(|(p, _)| p.expectation == Expectation::Always);
    let complete = opts.stop == Stop::Never || !any_violation;
    let mut results = Vec::new();
    let mut counterexamples = Vec::new();
    for p in &properties {
        let found = discoveries.iter().find(|(q, _)| q.name == p.name);
        let always = p.expectation == Expectation::Always;
        let verdict = match (always, found.is_some(), complete) {
            (true, true, _) => Verdict::Violated,
            (true, false, true) => Verdict::Holds,
            (false, true, _) => Verdict::Witnessed,
            (false, false, true) => Verdict::Missing,
            (_, false, false) => Verdict::Unchecked,
        };
        if let (true, Some((_, trace))) = (always, found) {
            counterexamples.push(trace.clone());
        }
        results.push(PropertyResult {
            name: p.name.to_string(),
            expectation: if always { "always" } else { "sometimes" },
            verdict,
            path: found.and_then(|(_, t)| t.path.clone()),
            steps: found.map(|(_, t)| t.steps.len() - 1),
        });
    }
    CheckOutcome {
        report: CheckReport {
            variant: spec.variant(),
            bug: spec.bug().map(|b| b.name().to_string()),
            bounds: spec.bounds().clone(),
            symmetry: opts.symmetry,
            engine,
            threads,
            complete,
            unique_states: unique,
            total_states: total,
            max_depth: depth,
            seconds,
            states_per_second: unique as f64 / seconds.max(1e-9),
            properties: results,
        },
        counterexamples,
    }
}

type ProgressFn<'a> = Option<&'a mut dyn FnMut(usize, usize, usize, f64)>;

/// Polls a running checker, reporting progress about once a second.
fn wait<M: Model>(c: &impl Checker<M>, start: Instant, progress: &mut ProgressFn<'_>) {
    let mut next = Duration::from_secs(1);
    while !c.is_done() {
        std::thread::sleep(Duration::from_millis(20));
        if start.elapsed() >= next {
            next += Duration::from_secs(1);
            if let Some(p) = progress {
                p(
                    c.unique_state_count(),
                    c.state_count(),
                    c.max_depth(),
                    start.elapsed().as_secs_f64(),
                );
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
