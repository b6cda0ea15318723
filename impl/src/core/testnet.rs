//! A tiny in-memory network for the cores' unit tests: FIFO delivery, optional cut links.

use super::{Core, Input, NodeId, Output, Timer};
use std::collections::{BTreeSet, VecDeque};

pub struct Net<C: Core> {
    pub nodes: Vec<C>,
    pub queue: VecDeque<(NodeId, NodeId, C::Message)>,
    /// Nodes whose messages (in and out) are dropped.
    pub down: BTreeSet<NodeId>,
    /// Outputs of every step, in order (for assertions on persistence).
    pub outputs: Vec<(NodeId, Output<C::Message>)>,
}

impl<C: Core> Net<C> {
    pub fn new(nodes: Vec<C>) -> Self {
        Net {
            nodes,
            queue: VecDeque::new(),
            down: BTreeSet::new(),
            outputs: Vec::new(),
        }
    }

    pub fn step(&mut self, id: NodeId, input: Input<C::Message>) -> Output<C::Message> {
        let out = self.nodes[id as usize].step(input);
        assert!(out.fatal.is_none(), "fatal: {:?}", out.fatal);
        for (to, m) in &out.send {
            self.queue.push_back((id, *to, m.clone()));
        }
        self.outputs.push((id, out.clone()));
        out
    }

    pub fn fire(&mut self, id: NodeId, t: Timer) -> Output<C::Message> {
        self.step(id, Input::Timer(t))
    }

    pub fn propose(&mut self, id: NodeId, v: &str) -> Output<C::Message> {
        self.step(id, Input::Propose(v.as_bytes().to_vec()))
    }

    /// Deliver queued messages (and what they cause) until the queue is empty.
    pub fn deliver_all(&mut self) {
        let mut budget = 10_000;
        while let Some((from, to, msg)) = self.queue.pop_front() {
            budget -= 1;
            assert!(budget > 0, "message storm");
            if self.down.contains(&from) || self.down.contains(&to) {
                continue;
            }
            self.step(to, Input::Receive { from, msg });
        }
    }
}
