//! Reproducing a catalog bug: check the buggy model at the row's bounds until the row's
//! property fails, and show that the counterexample is a behaviour of the buggy model that the
//! correct model cannot follow. Shared by the catalog tests of every variant.

use crate::bugs::CatalogEntry;
use crate::check::{check, CheckOptions, Engine, Stop, Verdict};
use crate::spec::{with_spec, Spec, SpecVisitor};
use crate::trace::{replay_on_model, Trace};

pub struct Reproduction {
    /// The verdict of the row's property on the buggy model.
    pub verdict: Verdict,
    /// Shortest counterexample length in actions (BFS, one thread).
    pub steps: Option<usize>,
    pub unique_states: usize,
    pub trace: Option<Trace>,
    /// The counterexample replays step by step on the buggy model.
    pub replays_on_buggy_model: bool,
    /// The correct model cannot follow it: the bug is what makes it possible.
    pub leaves_correct_model: bool,
}

/// How the checker is asked to explore: every combination must give every catalog verdict.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reductions {
    pub engine: Engine,
    pub threads: usize,
    pub symmetry: bool,
    pub view: bool,
}

/// Runs the checker on the row's buggy model until the row's property is settled.
pub fn reproduce(row: &CatalogEntry) -> Reproduction {
    reproduce_with(row, Reductions::default())
}

/// [`reproduce`] with the given engine, threads and reductions.
pub fn reproduce_with(row: &CatalogEntry, with: Reductions) -> Reproduction {
    with_spec(
        row.variant,
        row.bounds.clone(),
        Some(row.bug),
        Reproduce { row, with },
    )
}

struct Reproduce<'a> {
    row: &'a CatalogEntry,
    with: Reductions,
}

impl SpecVisitor for Reproduce<'_> {
    type Output = Reproduction;

    fn visit<S: Spec>(self, buggy: S) -> Reproduction {
        let outcome = check(
            buggy.clone(),
            CheckOptions {
                stop: Stop::AtProperty(self.row.property),
                engine: self.with.engine,
                threads: self.with.threads.max(1),
                symmetry: self.with.symmetry,
                view: self.with.view,
                ..Default::default()
            },
        );
        let result = outcome
            .report
            .property(self.row.property)
            .expect("the catalog names a property of the model");
        let trace = outcome
            .counterexamples
            .iter()
            .find(|t| t.property.as_deref() == Some(self.row.property))
            .cloned();
        let correct = with_spec(
            self.row.variant,
            self.row.bounds.clone(),
            None,
            Replays {
                trace: trace.as_ref(),
            },
        );
        Reproduction {
            verdict: result.verdict,
            steps: result.steps,
            unique_states: outcome.report.unique_states,
            replays_on_buggy_model: trace
                .as_ref()
                .is_some_and(|t| replay_on_model(&buggy, t).is_ok()),
            leaves_correct_model: trace.is_some() && !correct,
            trace,
        }
    }
}

struct Replays<'a> {
    trace: Option<&'a Trace>,
}

impl SpecVisitor for Replays<'_> {
    type Output = bool;
    fn visit<S: Spec>(self, spec: S) -> bool {
        self.trace
            .is_some_and(|t| replay_on_model(&spec, t).is_ok())
    }
}

/// Every `Always` property of the correct model holds at the row's bounds (else the row would
/// prove nothing about the bug). Returns the properties that fail.
pub fn correct_model_failures(row: &CatalogEntry, symmetry: bool) -> Vec<String> {
    struct Run {
        symmetry: bool,
    }
    impl SpecVisitor for Run {
        type Output = Vec<String>;
        fn visit<S: Spec>(self, spec: S) -> Vec<String> {
            let r = check(
                spec,
                CheckOptions {
                    symmetry: self.symmetry,
                    ..Default::default()
                },
            )
            .report;
            r.properties
                .iter()
                .filter(|p| p.expectation == "always" && p.verdict != Verdict::Holds)
                .map(|p| p.name.clone())
                .collect()
        }
    }
    with_spec(row.variant, row.bounds.clone(), None, Run { symmetry })
}
