//! The liveness checker on small hand-made graphs (no Raft): fair and unfair cycles, weak
//! fairness that needs continuous enabling, faults kept off cycles, stuttering, bound cuts.

use super::*;
use stateright::{Model, Property};

/// A graph as a model: states are numbers, actions are indices into `edges`.
struct Toy {
    edges: Vec<(u8, u8, Fairness)>,
    /// States from here on are outside the boundary.
    boundary: u8,
    /// Fair classes the "bounds" cut, per state.
    cut: Vec<(u8, u64)>,
}

const A: Fairness = Fairness::Weak(1);
const B: Fairness = Fairness::Weak(2);
const U: Fairness = Fairness::Unfair;
const F: Fairness = Fairness::Fault;

fn toy(edges: &[(u8, u8, Fairness)]) -> Toy {
    Toy {
        edges: edges.to_vec(),
        boundary: u8::MAX,
        cut: Vec::new(),
    }
}

impl Model for Toy {
    type State = u8;
    type Action = usize;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<usize>) {
        out.extend((0..self.edges.len()).filter(|&i| self.edges[i].0 == *s));
    }
    fn next_state(&self, _: &u8, a: usize) -> Option<u8> {
        Some(self.edges[a].1)
    }
    fn within_boundary(&self, s: &u8) -> bool {
        *s < self.boundary
    }
    fn properties(&self) -> Vec<Property<Self>> {
        Vec::new()
    }
}

impl Fair for Toy {
    fn fairness(&self, _: &u8, a: &usize) -> Fairness {
        self.edges[*a].2
    }
    fn cut_classes(&self, s: &u8, out: &mut Vec<u64>) {
        out.extend(self.cut.iter().filter(|(at, _)| at == s).map(|(_, k)| *k));
    }
}

fn never(_: &Toy, s: &u8) -> bool {
    *s == 99
}
fn is_2(_: &Toy, s: &u8) -> bool {
    *s == 2
}
fn is_1(_: &Toy, s: &u8) -> bool {
    *s == 1
}

fn run(m: &Toy, p: LeadsTo<Toy>) -> PropertyVerdict<u8, usize> {
    let out = check_liveness(m, &[p], LivenessOptions::default()).expect("small graph");
    out.properties.into_iter().next().expect("one property")
}

/// The lasso is a behaviour of the model, never meets the goal, and its cycle is weakly fair.
fn assert_valid(m: &Toy, l: &Lasso<u8, usize>, goal: fn(&Toy, &u8) -> bool) {
    assert_eq!(l.states.len(), l.actions.len() + 1);
    for (i, &a) in l.actions.iter().enumerate() {
        assert_eq!(
            m.edges[a].0, l.states[i],
            "action {i} starts where the path is"
        );
        assert_eq!(m.edges[a].1, l.states[i + 1]);
    }
    assert!(l.states[l.loop_start..].iter().all(|s| !goal(m, s)));
    let class_of = |a: usize| match m.edges[a].2 {
        Fairness::Weak(k) => Some(k),
        _ => None,
    };
    let enabled = |s: u8| -> Vec<u64> {
        let mut v: Vec<u64> = (0..m.edges.len())
            .filter(|&a| m.edges[a].0 == s)
            .filter_map(class_of)
            .collect();
        v.extend(m.cut.iter().filter(|(at, _)| *at == s).map(|(_, k)| *k));
        v
    };
    if l.stutters() {
        assert!(enabled(*l.states.last().unwrap()).is_empty());
        return;
    }
    assert_eq!(l.states.last(), l.states.get(l.loop_start));
    let cycle = &l.actions[l.loop_start..];
    assert!(cycle.iter().all(|&a| m.edges[a].2 != Fairness::Fault));
    for k in enabled(l.states[l.loop_start]) {
        let always = l.states[l.loop_start..]
            .iter()
            .all(|&s| enabled(s).contains(&k));
        assert!(!always || cycle.iter().any(|&a| class_of(a) == Some(k)));
    }
}

#[test]
fn a_fair_cycle_that_never_reaches_the_goal_is_reported() {
    let m = toy(&[(0, 1, A), (1, 2, A), (2, 0, A)]);
    let v = run(&m, LeadsTo::eventually("Never", never));
    let l = v.lasso.as_ref().expect("violated");
    assert_eq!((l.loop_start, l.cycle_len()), (0, 3));
    assert_valid(&m, l, never);
    assert_eq!((v.stats.cycles, v.stats.fair_cycles), (1, 1));
    assert!(run(&m, LeadsTo::eventually("Two", is_2)).holds());
}

#[test]
fn an_unfair_cycle_is_ignored_and_fairness_decides() {
    // 0 spins (unfair); the way out to 2 is weakly fair and always enabled in 0.
    let m = toy(&[(0, 0, U), (0, 2, B)]);
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert!(v.holds());
    assert_eq!((v.stats.cycles, v.stats.fair_cycles), (1, 0));
    // The same graph with an unfair way out: spinning forever is fair.
    let m = toy(&[(0, 0, A), (0, 2, U)]);
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert_valid(&m, v.lasso.as_ref().expect("violated"), is_2);
}

#[test]
fn weak_fairness_needs_continuous_enabling() {
    // The way out (B) is enabled in 0 but not in 1: a cycle through 1 is weakly fair.
    let m = toy(&[(0, 1, A), (1, 0, A), (0, 2, B)]);
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert_valid(&m, v.lasso.as_ref().expect("violated"), is_2);
    // Enabled in both: every cycle must take it.
    let m = toy(&[(0, 1, A), (1, 0, A), (0, 2, B), (1, 2, B)]);
    assert!(run(&m, LeadsTo::eventually("Two", is_2)).holds());
}

#[test]
fn faults_never_lie_on_the_cycle() {
    let edges = |f| [(0, 1, f), (1, 0, A), (0, 2, B)];
    let m = toy(&edges(U));
    assert!(!run(&m, LeadsTo::eventually("Two", is_2)).holds());
    let m = toy(&edges(F));
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert!(v.holds(), "the cycle needs a fault on every turn");
    assert_eq!(v.stats.cycles, 0);
}

#[test]
fn a_state_without_fair_actions_is_a_stuttering_violation() {
    let m = toy(&[(0, 1, A), (1, 1, U)]);
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    let l = v.lasso.as_ref().expect("violated");
    assert!(l.stutters());
    assert_eq!(l.states, vec![0, 1]);
    assert_valid(&m, l, is_2);
    assert_eq!(v.stats.stuck_states, 1);
}

#[test]
fn progress_cut_by_the_bounds_is_never_a_violation() {
    // Outside the boundary: the fair step from 0 to 3 is cut.
    let mut m = toy(&[(0, 3, A)]);
    m.boundary = 3;
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert!(v.holds());
    assert_eq!((v.stats.bound_ended, v.stats.stuck_states), (1, 0));
    // Cut by the model's own bound (cut_classes).
    let mut m = toy(&[]);
    m.cut = vec![(0, 5)];
    assert!(run(&m, LeadsTo::eventually("Two", is_2)).holds());
    // Without the cut the same state is stuck.
    let m = toy(&[]);
    let v = run(&m, LeadsTo::eventually("Two", is_2));
    assert_eq!(v.lasso.expect("violated").states, vec![0]);
}

#[test]
fn leads_to_starts_at_the_premise() {
    // 1 and 2 cycle fairly; 3 (the goal) is reachable only by an unfair step.
    let m = toy(&[(0, 1, A), (1, 2, A), (2, 1, B), (2, 3, U)]);
    let is_3 = |_: &Toy, s: &u8| *s == 3;
    let v = run(&m, LeadsTo::new("OneLeadsTo3", is_1, is_3));
    assert_eq!(v.stats.premise_states, 1);
    let l = v.lasso.as_ref().expect("violated");
    assert_eq!((l.loop_start, l.cycle_len()), (1, 2));
    assert_valid(&m, l, is_3);
    // A premise that implies the goal starts no obligation.
    let v = run(&m, LeadsTo::new("Vacuous", is_1, is_1));
    assert!(v.holds());
    assert_eq!(v.stats.premise_states, 0);
}

#[test]
fn the_reported_cycle_is_fair_even_when_the_shortest_one_is_not() {
    // B leads to the goal and is enabled in 0 and 1 but not in 2: the component {0,1,2} is
    // fair, the short cycle 0-1-0 is not; the lasso must pass through 2.
    let m = toy(&[
        (0, 1, A),
        (1, 0, A),
        (0, 2, A),
        (2, 0, A),
        (0, 3, B),
        (1, 3, B),
    ]);
    let is_3 = |_: &Toy, s: &u8| *s == 3;
    let v = run(&m, LeadsTo::eventually("Three", is_3));
    let l = v.lasso.as_ref().expect("violated");
    assert!(l.states.contains(&2));
    assert_valid(&m, l, is_3);
}

#[test]
fn a_graph_past_its_limit_is_an_error_not_a_crash() {
    let m = toy(&[(0, 1, A), (1, 2, A), (2, 0, A)]);
    let opts = LivenessOptions {
        limits: GraphLimits {
            max_states: 2,
            max_memory: None,
        },
        progress: None,
    };
    let p = [LeadsTo::eventually("Never", never)];
    assert!(matches!(
        check_liveness(&m, &p, opts),
        Err(GraphError::TooManyStates(2))
    ));
}
