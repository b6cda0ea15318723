//! The engine on a model that is not Raft and brings no codec: the generic `Plain` packer.
//! Counts and depth equal stateright's BFS, a violation comes with a shortest real path, and a
//! representative function reduces symmetric states.

use raftspec_engine::{explore, Options, Plain, Stop};
use stateright::{Checker, Model, Property};

/// Two counters that each step may raise, up to a bound.
#[derive(Clone)]
struct Counters {
    max: u8,
}

impl Model for Counters {
    type State = (u8, u8);
    type Action = u8;

    fn init_states(&self) -> Vec<(u8, u8)> {
        vec![(0, 0)]
    }

    fn actions(&self, s: &(u8, u8), out: &mut Vec<u8>) {
        if s.0 < self.max {
            out.push(0);
        }
        if s.1 < self.max {
            out.push(1);
        }
    }

    fn next_state(&self, s: &(u8, u8), a: u8) -> Option<(u8, u8)> {
        Some(if a == 0 {
            (s.0 + 1, s.1)
        } else {
            (s.0, s.1 + 1)
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("sum below 7", |_, s: &(u8, u8)| s.0 + s.1 < 7),
            Property::sometimes("first reaches 3", |_, s: &(u8, u8)| s.0 == 3),
        ]
    }
}

#[test]
fn counts_and_depth_equal_stateright_bfs() {
    let model = Counters { max: 3 };
    let ours = explore(
        &model,
        &Plain::new(),
        Options {
            stop: Stop::Never,
            ..Default::default()
        },
    )
    .expect("a run");
    let theirs = model.clone().checker().spawn_bfs().join();
    assert_eq!(ours.unique as usize, theirs.unique_state_count());
    assert_eq!(ours.generated as usize, theirs.state_count());
    assert_eq!(ours.max_depth, theirs.max_depth());
    assert!(ours.complete);
    // (3, 0) is reached in three steps; the sum never passes 6 with max 3.
    let names: Vec<_> = ours.discoveries.iter().map(|d| d.property).collect();
    assert_eq!(names, ["first reaches 3"]);
    assert_eq!(ours.discoveries[0].path.clone().into_actions().len(), 3);
}

#[test]
fn a_violation_has_a_shortest_real_path_at_any_thread_count() {
    let model = Counters { max: 5 };
    for threads in [1, 2, 4] {
        let out = explore(
            &model,
            &Plain::new(),
            Options {
                threads,
                ..Default::default()
            },
        )
        .expect("a run");
        let d = out
            .discoveries
            .iter()
            .find(|d| d.property == "sum below 7")
            .expect("the sum reaches 7");
        let states = d.path.clone().into_states();
        assert_eq!(states.len(), 8, "seven steps, the fewest that sum to 7");
        let last = states.last().unwrap();
        assert_eq!(last.0 + last.1, 7);
        assert!(!out.complete, "the run stopped at the violation");
    }
}

#[test]
fn a_representative_function_reduces_symmetric_states() {
    let model = Counters { max: 4 };
    let sorted = |s: &(u8, u8)| (s.0.min(s.1), s.0.max(s.1));
    let plain = explore(
        &model,
        &Plain::new(),
        Options {
            stop: Stop::Never,
            ..Default::default()
        },
    )
    .unwrap();
    let reduced = explore(
        &model,
        &Plain::with_representative(sorted),
        Options {
            stop: Stop::Never,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(plain.unique, 25, "5 x 5 pairs");
    assert_eq!(reduced.unique, 15, "unordered pairs");
    // Paths still replay on the real model through the representative.
    let d = reduced
        .discoveries
        .iter()
        .find(|d| d.property == "sum below 7")
        .expect("a violation");
    assert_eq!(d.path.clone().into_actions().len(), 7);
}
