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

/// What the network can do with a message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkStep {
    Deliver,
    Drop,
    Duplicate,
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

    /// Sending `msg` would change the network: it is not already in flight at the copy limit
    /// (a send step that changes nothing would be a self-loop).
    pub fn has_room_for(&self, msg: &M, sem: &NetworkSemantics) -> bool {
        let copies = self
            .in_flight
            .iter()
            .find(|(m, _)| m == msg)
            .map_or(0, |(_, c)| *c);
        copies < sem.max_copies
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

    /// Everything the network may do next, in a fixed order: for each deliverable message,
    /// deliver it, lose a copy (if drop is on), copy it (below `max_copies`).
    /// `drops` is how many messages this run has lost so far (loss stops at the bound).
    pub fn steps<'a>(
        &'a self,
        sem: &'a NetworkSemantics,
        drops: u8,
    ) -> impl Iterator<Item = (NetworkStep, &'a M)> + 'a {
        let may_drop = sem.may_drop(drops);
        self.deliverable(sem).flat_map(move |(m, copies)| {
            [
                Some(NetworkStep::Deliver),
                may_drop.then_some(NetworkStep::Drop),
                (copies < sem.max_copies).then_some(NetworkStep::Duplicate),
            ]
            .into_iter()
            .flatten()
            .map(move |step| (step, m))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct M(u8, u8, u8);
    impl Envelope for M {
        fn from(&self) -> u8 {
            self.0
        }
        fn to(&self) -> u8 {
            self.1
        }
    }

    fn sem(reorder: bool, max_copies: u8) -> NetworkSemantics {
        NetworkSemantics {
            drop: true,
            reorder,
            max_copies,
            max_in_flight: 9,
            max_drops: None,
        }
    }

    #[test]
    fn identical_sends_saturate_at_max_copies() {
        let s = sem(true, 2);
        let mut n = Network::default();
        for _ in 0..5 {
            n.send(M(0, 1, 7), &s);
        }
        assert_eq!(n.len(), 2);
        assert!(n.take(&M(0, 1, 7)));
        assert!(n.take(&M(0, 1, 7)));
        assert!(!n.take(&M(0, 1, 7)));
        assert!(n.is_empty());
    }

    #[test]
    fn a_bag_is_canonical_whatever_the_send_order() {
        let s = sem(true, 1);
        let (mut a, mut b) = (Network::default(), Network::default());
        a.send(M(0, 1, 1), &s);
        a.send(M(2, 1, 0), &s);
        b.send(M(2, 1, 0), &s);
        b.send(M(0, 1, 1), &s);
        assert_eq!(a, b);
        assert_eq!(a.deliverable(&s).count(), 2);
    }

    #[test]
    fn fifo_delivers_only_the_oldest_of_each_channel() {
        let s = sem(false, 1);
        let mut n = Network::default();
        n.send(M(0, 1, 9), &s);
        n.send(M(0, 1, 1), &s);
        n.send(M(2, 1, 5), &s);
        let can: Vec<&M> = n.deliverable(&s).map(|(m, _)| m).collect();
        assert_eq!(can, vec![&M(0, 1, 9), &M(2, 1, 5)]);
    }

    #[test]
    fn duplicate_adds_a_copy() {
        let s = sem(true, 3);
        let mut n = Network::default();
        n.send(M(0, 1, 1), &s);
        n.duplicate(&M(0, 1, 1));
        assert_eq!(n.deliverable(&s).next().map(|(_, c)| c), Some(2));
    }
}
