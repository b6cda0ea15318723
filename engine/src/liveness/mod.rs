//! Liveness under weak fairness: `eventually Q` and `P leads-to Q` over any stateright
//! [`Model`], checked on the explicit reachable graph by SCC decomposition (TLC's method).
//!
//! The model names, for each action taken in a state, its [`Fairness`]: a weakly fair class
//! (if continuously enabled, eventually taken), unfair (may or may not happen), or a fault
//! (may happen, but only finitely often: a fault never lies on the cycle of a lasso). The
//! checker looks for a fair behaviour in which P holds at some point and Q never holds from
//! then on. In a finite graph such a behaviour ends in either
//! - a *fair cycle*: a strongly connected set of ¬Q states (size > 1, or a self-loop) reachable
//!   from a P∧¬Q state through ¬Q states, in which every fair class enabled in all of its
//!   states is taken by one of its (non-fault) edges; or
//! - *stuttering*: a ¬Q state in which no fair class is enabled (the system may stop there).
//!
//! Bounds must not manufacture violations: a fair action that the model's bounds cut (its
//! successor is outside `within_boundary`, or the model reports it in
//! [`Fair::cut_classes`]) counts as enabled and never as taken, so a behaviour that only the
//! bounds keep from progressing is never reported. Such states are counted instead.
//!
//! Symmetry reduction is not used: fairness is per action instance, and a lasso must be a
//! path of concrete states. See specs/engine.md, "Liveness".

mod check;
mod graph;
mod lasso;
mod scc;

pub use check::{check_liveness, LivenessOptions, LivenessOutcome, PropertyVerdict, RegionStats};
pub use graph::{GraphError, GraphLimits, GraphProgress, GraphProgressFn};
pub use lasso::Lasso;

use stateright::Model;

/// How fairness treats an action taken in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fairness {
    /// Weakly fair: if actions of this class stay enabled, one is eventually taken. The key
    /// names the class (e.g. a hash of "deliver message m", or of "server 2's heartbeat").
    Weak(u64),
    /// May be taken or not, forever (clients, timers the property does not rely on).
    Unfair,
    /// May happen only finitely often: never on the cycle of a lasso (message loss, crashes).
    Fault,
}

/// A model whose actions have a [`Fairness`].
pub trait Fair: Model {
    fn fairness(&self, state: &Self::State, action: &Self::Action) -> Fairness;

    /// Weakly fair classes the protocol enables in `state` but the model's own bounds cut
    /// (e.g. an election timeout at the term bound). They count as enabled, never as taken.
    fn cut_classes(&self, _state: &Self::State, _out: &mut Vec<u64>) {}
}

/// A state predicate, as stateright's properties take them.
pub type Predicate<M> = fn(&M, &<M as Model>::State) -> bool;

/// Where the obligation starts.
pub enum Premise<M: Model> {
    /// In the initial states: `eventually goal`.
    Init,
    /// In every reachable state satisfying this: `premise leads-to goal`.
    State(Predicate<M>),
}

/// `premise ~> goal`: from every state where the premise holds, every fair behaviour reaches
/// a goal state.
pub struct LeadsTo<M: Model> {
    pub name: &'static str,
    pub premise: Premise<M>,
    pub goal: Predicate<M>,
}

impl<M: Model> LeadsTo<M> {
    /// `eventually goal` (from the initial states).
    pub fn eventually(name: &'static str, goal: Predicate<M>) -> Self {
        LeadsTo {
            name,
            premise: Premise::Init,
            goal,
        }
    }

    /// `premise leads-to goal`.
    pub fn new(name: &'static str, premise: Predicate<M>, goal: Predicate<M>) -> Self {
        LeadsTo {
            name,
            premise: Premise::State(premise),
            goal,
        }
    }
}

#[cfg(test)]
mod tests;
