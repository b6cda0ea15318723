//! First-discovery latches for properties.
//!
//! stateright's BFS re-evaluates every property on every state and overwrites a discovery each
//! time the condition holds again, so a witness's reported path is the *last* state found, not
//! the shortest, and every later match clones a path. A model armed for checking wraps each
//! condition in a latch: it reports only the first match of each property and skips evaluating
//! it afterwards. Explorer and replay use unarmed models, whose conditions are plain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const MAX_PROPERTIES: usize = 32;

#[derive(Debug, Default)]
pub struct Latches {
    armed: bool,
    hit: [AtomicBool; MAX_PROPERTIES],
}

impl Latches {
    /// Latches for a checking run: each property reports its first match only.
    pub fn armed() -> Arc<Latches> {
        Arc::new(Latches {
            armed: true,
            ..Default::default()
        })
    }

    /// Plain evaluation (Explorer, replay, tests).
    pub fn unarmed() -> Arc<Latches> {
        Arc::new(Latches::default())
    }

    /// True the first time `cond` holds for property `i` (every time when unarmed).
    pub fn first(&self, i: usize, cond: impl FnOnce() -> bool) -> bool {
        if !self.armed {
            return cond();
        }
        if self.hit[i].load(Ordering::Relaxed) {
            return false;
        }
        cond() && !self.hit[i].swap(true, Ordering::Relaxed)
    }

    /// An `Always` condition: false only at its first violation.
    pub fn holds(&self, i: usize, cond: impl FnOnce() -> bool) -> bool {
        !self.first(i, || !cond())
    }
}
