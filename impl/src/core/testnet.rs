//! A tiny in-memory network for the cores' unit tests: FIFO delivery, optional cut links.

use super::{Core, Input, NodeId, Output, Role, Timer};
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

/// A deterministic generator for the chaos runs (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

impl<C: Core + Clone> Net<C> {
    /// `steps` random events: timers, proposals, a queued message delivered out of order,
    /// lost or duplicated, a crash and restart (`restart` rebuilds a core from what it
    /// persisted).
    pub fn chaos(&mut self, rng: &mut Rng, steps: usize, restart: &dyn Fn(&C) -> C) {
        const TIMERS: [Timer; 3] = [
            Timer::ElectionTimeout,
            Timer::HeartbeatTimeout,
            Timer::FetchTimeout,
        ];
        let n = self.nodes.len();
        for _ in 0..steps {
            let id = rng.below(n) as NodeId;
            match rng.below(20) {
                0..=1 => {
                    self.fire(id, TIMERS[rng.below(3)]);
                }
                2 => {
                    self.propose(id, "v");
                }
                3 => {
                    if !self.queue.is_empty() {
                        let i = rng.below(self.queue.len());
                        self.queue.remove(i);
                    }
                }
                4 => {
                    if !self.queue.is_empty() {
                        let i = rng.below(self.queue.len());
                        let m = self.queue[i].clone();
                        self.queue.push_back(m);
                    }
                }
                5 => self.nodes[id as usize] = restart(&self.nodes[id as usize]),
                _ => {
                    if !self.queue.is_empty() {
                        let i = rng.below(self.queue.len());
                        let (from, to, msg) = self.queue.remove(i).expect("in range");
                        self.step(to, Input::Receive { from, msg });
                    }
                }
            }
        }
    }

    /// After the faults stop: the routine timers of every node each round (all it arms but
    /// the election timer: a heartbeat, a fetch, a quorum check, a BeginQuorumEpoch), an election timeout on one node while no leader exists, every message
    /// delivered. Returns the rounds it took until every node holds the same log and has
    /// committed all of it, or None if that did not happen within `rounds`.
    pub fn converge(&mut self, rounds: usize) -> Option<usize> {
        self.deliver_all();
        for r in 0..rounds {
            if self.converged() {
                return Some(r);
            }
            let n = self.nodes.len() as NodeId;
            if !self.nodes.iter().any(|c| c.summary().role == Role::Leader) {
                self.fire(r as NodeId % n, Timer::ElectionTimeout);
                self.deliver_all();
            }
            // Heartbeats and fetches are frequent, quorum checks and resends rare: the first
            // kind runs and is answered before the second kind looks at the round.
            let frequent = |t: &Timer| matches!(t, Timer::HeartbeatTimeout | Timer::FetchTimeout);
            for phase in [true, false] {
                for id in 0..n {
                    let armed = self.nodes[id as usize].timers();
                    for &t in armed.iter().filter(|t| **t != Timer::ElectionTimeout) {
                        if frequent(&t) == phase {
                            self.fire(id, t);
                        }
                    }
                }
                self.deliver_all();
            }
        }
        self.converged().then_some(rounds)
    }

    fn converged(&self) -> bool {
        let first = self.nodes[0].log();
        self.nodes.iter().all(|c| {
            c.log() == first
                && c.summary().committed == first.len() as u64
                && c.summary().role != Role::Candidate
        })
    }

    /// Committed prefixes agree (State Machine Safety across the nodes now).
    pub fn committed_prefixes_agree(&self) -> bool {
        self.nodes.iter().all(|a| {
            self.nodes.iter().all(|b| {
                let k = a.summary().committed.min(b.summary().committed) as usize;
                a.log()[..k] == b.log()[..k]
            })
        })
    }
}
