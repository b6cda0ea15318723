//! The network as a bag of messages: each distinct message with the number of copies in flight.
//!
//! The bag is a sorted vector, so equal bags hash equally whatever order messages were sent in.
//! With FIFO semantics it keeps send order instead, and only the oldest message of each channel
//! can be delivered.

use crate::bounds::NetworkSemantics;
use serde::{Deserialize, Serialize};

/// A message that knows its channel.
pub trait Envelope: Clone + Ord {
    fn from(&self) -> u8;
    fn to(&self) -> u8;
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Network<M> {
    pub in_flight: Vec<(M, u8)>,
}

impl<M> Default for Network<M> {
    fn default() -> Self {
        Network {
            in_flight: Vec::new(),
        }
    }
}

impl<M: Envelope> Network<M> {
    /// Puts a message in flight; an identical message already at `max_copies` absorbs it.
    pub fn send(&mut self, msg: M, sem: &NetworkSemantics) {
        if let Some(slot) = self.in_flight.iter_mut().find(|(m, _)| *m == msg) {
            slot.1 = (slot.1 + 1).min(sem.max_copies);
            return;
        }
        if sem.reorder {
            let at = self.in_flight.partition_point(|(m, _)| *m < msg);
            self.in_flight.insert(at, (msg, 1));
        } else {
            self.in_flight.push((msg, 1));
        }
    }

    /// Removes one copy of a message; false if it was not in flight.
    pub fn take(&mut self, msg: &M) -> bool {
        match self.in_flight.iter().position(|(m, _)| m == msg) {
            Some(i) => {
                if self.in_flight[i].1 > 1 {
                    self.in_flight[i].1 -= 1;
                } else {
                    self.in_flight.remove(i);
                }
                true
            }
            None => false,
        }
    }

    /// Adds a copy of a message in flight (the network duplicating it).
    pub fn duplicate(&mut self, msg: &M) {
        if let Some(slot) = self.in_flight.iter_mut().find(|(m, _)| m == msg) {
            slot.1 += 1;
        }
    }

    /// Messages that may be delivered now, with their copy counts.
    pub fn deliverable<'a>(
        &'a self,
        sem: &'a NetworkSemantics,
    ) -> impl Iterator<Item = (&'a M, u8)> + 'a {
        self.in_flight
            .iter()
            .enumerate()
            .filter(move |(i, (m, _))| {
                sem.reorder
                    || !self.in_flight[..*i]
                        .iter()
                        .any(|(o, _)| o.from() == m.from() && o.to() == m.to())
            })
            .map(|(_, (m, c))| (m, *c))
    }

    pub fn len(&self) -> usize {
        self.in_flight.iter().map(|(_, c)| *c as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// Applies a server renaming to every message (symmetry reduction), keeping the bag canonical.
    pub fn rename(&self, f: impl Fn(&M) -> M, sem_reorder: bool) -> Self {
        let mut in_flight: Vec<(M, u8)> = self.in_flight.iter().map(|(m, c)| (f(m), *c)).collect();
        if sem_reorder {
            in_flight.sort();
        }
        Network { in_flight }
    }
}
