//! What a search is asked to do and what it reports.

use stateright::{Expectation, Path};
use std::path::PathBuf;

/// When a search may stop before it has seen every reachable state. It always stops at the
/// end of a BFS level, so counts are the same at every thread count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At the end of the level where an `Always` property is first violated.
    AtFirstViolation,
    /// At the end of the level where this property is first matched.
    AtProperty(&'static str),
    /// Never: explore everything.
    Never,
}

/// A snapshot for the progress line (about once a second).
#[derive(Clone, Debug)]
pub struct Progress {
    pub unique: u64,
    pub generated: u64,
    /// The BFS level being expanded.
    pub depth: usize,
    /// States in that level.
    pub frontier: u64,
    pub seconds: f64,
    /// Resident memory of the process.
    pub memory_bytes: u64,
    /// Frontier and trace records are going to disk.
    pub spilling: bool,
}

impl Progress {
    pub fn states_per_second(&self) -> f64 {
        self.unique as f64 / self.seconds.max(1e-9)
    }
}

pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress);

pub struct Options<'a> {
    pub threads: usize,
    pub stop: Stop,
    /// Past this resident size, frontier blocks and trace records go to a file.
    pub memory_limit: Option<u64>,
    /// Where the spill file goes (the system's temporary directory by default).
    pub spill_dir: Option<PathBuf>,
    pub progress: Option<ProgressFn<'a>>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            threads: 1,
            stop: Stop::AtFirstViolation,
            memory_limit: None,
            spill_dir: None,
            progress: None,
        }
    }
}

impl Options<'_> {
    pub fn spill_dir(&self) -> PathBuf {
        self.spill_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

/// The first (shortest) match of a property: a violation of an `Always`, a witness of a
/// `Sometimes`.
pub struct Discovery<S, A> {
    pub property: &'static str,
    pub expectation: Expectation,
    pub path: Path<S, A>,
}

pub struct Outcome<S, A> {
    pub unique: u64,
    /// Successors within the boundary, repeats included (plus the initial states).
    pub generated: u64,
    /// BFS levels reached (an initial state has depth 1, as in stateright).
    pub max_depth: usize,
    /// Every reachable state within the boundary was explored.
    pub complete: bool,
    pub seconds: f64,
    /// Peak resident memory of the process during the run.
    pub peak_memory_bytes: u64,
    /// Resident memory when the run started.
    pub memory_at_start: u64,
    pub spilled_bytes: u64,
    /// In property order.
    pub discoveries: Vec<Discovery<S, A>>,
}

impl<S, A> Outcome<S, A> {
    /// Memory the run itself added, per unique state.
    pub fn bytes_per_state(&self) -> f64 {
        self.peak_memory_bytes.saturating_sub(self.memory_at_start) as f64
            / self.unique.max(1) as f64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("property {0:?} is an `eventually` property, which this engine does not check")]
    Eventually(&'static str),
    #[error("timely dataflow: {0}")]
    Timely(String),
    #[error("spill file: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "cannot replay step {step} of a counterexample on the model (is next_state deterministic?)"
    )]
    Replay { step: usize },
    #[error("step {step} of a counterexample has no match from the real state: the model is not symmetric under the codec's renaming")]
    NotSymmetric { step: usize },
}
