//! Messages over a whole story: every copy followed from the step that sent it to the step
//! that ended it (delivered, dropped, discarded unread, or still in flight at the end).

use crate::story::Frame;
use raftspec_model::view::{EventView, MsgView, StateView};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Delivered(usize),
    Dropped(usize),
    /// Removed without being handled (a stale response the model discards, or absorbed).
    Discarded(usize),
    InFlight,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub msg: MsgView,
    pub start: usize,
    pub end: End,
}

/// The arrows of a story and the steps where the network duplicated a message.
#[derive(Default, Debug)]
pub struct Flow {
    pub arrows: Vec<Arrow>,
    pub dups: Vec<(usize, MsgView)>,
}

type Bag = BTreeMap<MsgView, i64>;

fn bag(s: &StateView) -> Bag {
    let mut out = Bag::new();
    for (m, c) in &s.network {
        *out.entry(m.clone()).or_default() += *c as i64;
    }
    out
}

#[derive(Default)]
struct Tracker {
    pending: Vec<(MsgView, usize)>,
    flow: Flow,
}

impl Tracker {
    fn finish(&mut self, m: &MsgView, end: End) {
        if let Some(pos) = self.pending.iter().position(|(p, _)| p == m) {
            let (msg, start) = self.pending.remove(pos);
            self.flow.arrows.push(Arrow { msg, start, end });
        }
    }

    /// A network action at step `i`; returns how it changes the copies of its message.
    fn network_action<'e>(&mut self, i: usize, event: &'e EventView) -> Option<(&'e MsgView, i64)> {
        match event {
            EventView::Deliver(m) => {
                self.finish(m, End::Delivered(i));
                Some((m, -1))
            }
            EventView::Drop(m) => {
                self.finish(m, End::Dropped(i));
                Some((m, -1))
            }
            EventView::Duplicate(m) => {
                let start = self.pending.iter().find(|(p, _)| p == m).map_or(i, |c| c.1);
                self.pending.push((m.clone(), start));
                self.flow.dups.push((i, m.clone()));
                Some((m, 1))
            }
            _ => None,
        }
    }

    /// Copies that vanished without a network action were discarded; new ones were sent.
    fn settle(&mut self, i: usize, expected: &Bag, next: &Bag) {
        let keys: std::collections::BTreeSet<&MsgView> =
            expected.keys().chain(next.keys()).collect();
        for m in keys {
            let have = next.get(m).copied().unwrap_or(0);
            let want = expected.get(m).copied().unwrap_or(0);
            for _ in have..want {
                self.finish(m, End::Discarded(i));
            }
            for _ in want.max(0)..have {
                self.pending.push((m.clone(), i));
            }
        }
    }
}

/// Follows every message of a story.
pub fn flow(frames: &[Frame]) -> Flow {
    let mut t = Tracker::default();
    let Some(first) = frames.first() else {
        return Flow::default();
    };
    let mut prev = bag(&first.state);
    for (m, c) in &prev {
        t.pending.extend((0..*c).map(|_| (m.clone(), 0)));
    }
    for (i, frame) in frames.iter().enumerate().skip(1) {
        let next = bag(&frame.state);
        let mut expected = prev.clone();
        if let Some((m, delta)) = frame.event.as_ref().and_then(|e| t.network_action(i, e)) {
            *expected.entry(m.clone()).or_default() += delta;
        }
        t.settle(i, &expected, &next);
        prev = next;
    }
    for (msg, start) in std::mem::take(&mut t.pending) {
        t.flow.arrows.push(Arrow {
            msg,
            start,
            end: End::InFlight,
        });
    }
    t.flow
}
