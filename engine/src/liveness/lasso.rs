//! Counterexamples to liveness: a path from an initial state, then a cycle that repeats
//! forever (or stuttering in the last state), built on state ids and then made concrete.

use super::graph::{fingerprint, Graph, FAULT};
use super::Fair;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A fair behaviour as a lasso: `states[0]` is initial, `actions[i]` leads from `states[i]` to
/// `states[i + 1]`. If `loop_start < states.len() - 1` the last state equals
/// `states[loop_start]` and the steps from there repeat forever; otherwise
/// (`loop_start == states.len() - 1`) no fair action is enabled in the last state and the
/// behaviour stays there (stutters) forever.
#[derive(Clone, Debug)]
pub struct Lasso<S, A> {
    pub states: Vec<S>,
    pub actions: Vec<A>,
    pub loop_start: usize,
}

impl<S, A> Lasso<S, A> {
    /// The behaviour ends by stuttering, not by a cycle.
    pub fn stutters(&self) -> bool {
        self.loop_start + 1 == self.states.len()
    }

    /// Steps before the loop.
    pub fn prefix_len(&self) -> usize {
        self.loop_start
    }

    /// Steps on the cycle (0 when it stutters).
    pub fn cycle_len(&self) -> usize {
        self.actions.len() - self.loop_start
    }
}

/// One transition of a lasso in state ids.
pub(crate) enum Step {
    /// The initial state.
    Start(u32),
    /// Along the BFS tree: any action that leads there.
    Tree(u32, u32),
    /// Along this edge (source, edge index): an action with its label.
    Edge(u32, usize),
}

/// Breadth-first over the edges `ok` accepts, from `from` to the first edge `hit` accepts:
/// the edges of that path, the hit edge last.
fn path_to(
    g: &Graph<impl Sized>,
    from: u32,
    ok: &impl Fn(usize) -> bool,
    hit: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut via: HashMap<u32, usize> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let back = |via: &HashMap<u32, usize>, mut e: usize| {
        let mut path = vec![e];
        let mut u = g.source(e);
        while u != from {
            e = via[&u];
            path.push(e);
            u = g.source(e);
        }
        path.reverse();
        path
    };
    while let Some(u) = queue.pop_front() {
        for e in g.edges(u).filter(|&e| ok(e)) {
            if hit(e) {
                return Some(back(&via, e));
            }
            let v = g.targets[e];
            if v != from && !via.contains_key(&v) {
                via.insert(v, e);
                queue.push_back(v);
            }
        }
    }
    None
}

/// A cycle through `t` inside fair component `c` that is itself fair: start with a shortest
/// cycle, then, while some class is enabled in all its states but never taken, add a detour
/// through an edge of that class or a state where it is disabled (one exists: the component
/// is fair) and back to `t`. Each detour settles one class for good, so this ends.
pub(crate) fn fair_cycle<S>(g: &Graph<S>, comp: &[u32], c: u32, t: u32) -> Vec<usize> {
    let ok = |e: usize| g.labels[e] != FAULT && comp[g.targets[e] as usize] == c;
    let mut cycle = path_to(g, t, &ok, |e| g.targets[e] == t).expect("t lies on a cycle");
    let (mut all, mut here) = (Vec::new(), Vec::new());
    loop {
        g.enabled(t, &mut all);
        for &e in &cycle {
            g.enabled(g.targets[e], &mut here);
            all.retain(|k| here.binary_search(k).is_ok());
        }
        let Some(&k) = all
            .iter()
            .find(|k| !cycle.iter().any(|&e| g.labels[e] == **k))
        else {
            return cycle;
        };
        let detour = path_to(g, t, &ok, |e| g.labels[e] == k).or_else(|| {
            path_to(g, t, &ok, |e| {
                let mut en = Vec::new();
                g.enabled(g.targets[e], &mut en);
                en.binary_search(&k).is_err()
            })
        });
        let detour = detour.expect("a fair component takes or disables each class");
        let end = g.targets[*detour.last().expect("nonempty")];
        cycle.extend(detour);
        if end != t {
            cycle.extend(path_to(g, end, &ok, |e| g.targets[e] == t).expect("strongly connected"));
        }
    }
}

/// An action from `from` to the state with fingerprint `to` (with this label, if given).
fn action_to<M>(
    model: &M,
    g: &Graph<M::State>,
    from: &M::State,
    to: u64,
    label: Option<u32>,
) -> M::Action
where
    M: Fair,
    M::State: Hash,
    M::Action: Clone,
{
    let mut actions = Vec::new();
    model.actions(from, &mut actions);
    actions
        .into_iter()
        .find(|a| {
            label.is_none_or(|l| g.label_of(model.fairness(from, a)) == Some(l))
                && model
                    .next_state(from, a.clone())
                    .is_some_and(|n| fingerprint(&n) == to)
        })
        .expect("every edge of the graph is an action of the model")
}

/// The concrete lasso: the prefix's states and actions, then the cycle's.
pub(crate) fn materialise<M>(
    model: &M,
    g: &Graph<M::State>,
    prefix: &[Step],
    cycle: &[usize],
) -> Lasso<M::State, M::Action>
where
    M: Fair,
    M::State: Hash + Clone,
    M::Action: Clone,
{
    let Some(&Step::Start(first)) = prefix.first() else {
        unreachable!("a prefix starts at an initial state")
    };
    let mut states = vec![g.states[first as usize].clone()];
    let mut actions = Vec::new();
    let mut push = |from: u32, to: u32, label: Option<u32>| {
        let (f, t) = (&g.states[from as usize], &g.states[to as usize]);
        actions.push(action_to(model, g, f, fingerprint(t), label));
        states.push(t.clone());
    };
    for step in &prefix[1..] {
        match *step {
            Step::Start(_) => unreachable!("one initial state per lasso"),
            Step::Tree(from, to) => push(from, to, None),
            Step::Edge(from, e) => push(from, g.targets[e], Some(g.labels[e])),
        }
    }
    for &e in cycle {
        push(g.source(e), g.targets[e], Some(g.labels[e]));
    }
    Lasso {
        states,
        actions,
        loop_start: prefix.len() - 1,
    }
}
