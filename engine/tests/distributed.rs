//! The timely engine against the single-machine engine on a model that is not Raft: the same
//! counts, depth, verdicts and path lengths at 1, 2 and 4 workers, with and without a stop at
//! a violation, and with a codec that reduces symmetric states.

use raftspec_engine::{
    explore, explore_distributed, Cluster, Codec, Options, Outcome, Packed, Stop,
};
use stateright::{Model, Property};

/// Three counters that each step may raise (by one or two), up to a bound.
#[derive(Clone)]
struct Counters {
    max: u8,
    /// The sum an `always` property forbids.
    forbidden: u8,
}

impl Model for Counters {
    type State = [u8; 3];
    type Action = (usize, u8);

    fn init_states(&self) -> Vec<[u8; 3]> {
        vec![[0, 0, 0], [1, 0, 0]]
    }

    fn actions(&self, s: &[u8; 3], out: &mut Vec<(usize, u8)>) {
        for (i, &v) in s.iter().enumerate() {
            for by in [1, 2] {
                if v + by <= self.max {
                    out.push((i, by));
                }
            }
        }
    }

    fn next_state(&self, s: &[u8; 3], (i, by): (usize, u8)) -> Option<[u8; 3]> {
        let mut n = *s;
        n[i] += by;
        Some(n)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("sum not forbidden", |m: &Self, s: &[u8; 3]| {
                s.iter().sum::<u8>() != m.forbidden
            }),
            Property::sometimes("all equal and raised", |_, s: &[u8; 3]| {
                s[0] > 0 && s[0] == s[1] && s[1] == s[2]
            }),
            Property::sometimes("one at max", |m: &Self, s: &[u8; 3]| s.contains(&m.max)),
        ]
    }
}

/// Bytes of the counters, sorted when `symmetric` (the counters are interchangeable).
struct Bytes {
    symmetric: bool,
}

impl Codec<[u8; 3]> for Bytes {
    fn encode(&self, s: &[u8; 3], out: &mut Vec<u8>) {
        let mut s = *s;
        if self.symmetric {
            s.sort();
        }
        out.extend_from_slice(&s);
    }
    fn decode(&self, b: &[u8]) -> [u8; 3] {
        [b[0], b[1], b[2]]
    }
}

fn summary(o: &Outcome<[u8; 3], (usize, u8)>) -> (u64, u64, usize, bool, Vec<(&str, usize)>) {
    let found = o
        .discoveries
        .iter()
        .map(|d| (d.property, d.path.clone().into_actions().len()))
        .collect();
    (o.unique, o.generated, o.max_depth, o.complete, found)
}

fn compare(model: Counters, symmetric: bool, stop: Stop) {
    let single = explore(
        &model,
        &Packed(Bytes { symmetric }),
        Options {
            stop: stop.clone(),
            ..Default::default()
        },
    )
    .expect("single-machine run");
    for workers in [1, 2, 4] {
        let dist = explore_distributed(
            model.clone(),
            Bytes { symmetric },
            &Cluster::Threads(workers),
            stop.clone(),
        )
        .expect("timely run");
        let out = dist.outcome.expect("the first process has the outcome");
        assert_eq!(summary(&out), summary(&single), "{workers} workers");
        // Every path is a real path of the model ending where the property matches.
        for d in &out.discoveries {
            let last = d.path.last_state();
            let p = model
                .properties()
                .into_iter()
                .find(|p| p.name == d.property)
                .unwrap();
            let holds = (p.condition)(&model, last);
            assert_eq!(holds, p.expectation != stateright::Expectation::Always);
        }
        assert_eq!(dist.wire.workers, workers);
        assert_eq!(
            dist.wire.remote_bytes, 0,
            "one process sends nothing on the wire"
        );
    }
}

#[test]
fn complete_runs_match_the_single_machine_engine() {
    let model = Counters {
        max: 9,
        forbidden: 100,
    };
    compare(model.clone(), false, Stop::Never);
    compare(model, true, Stop::Never);
}

#[test]
fn a_violation_stops_at_the_same_level_with_a_path_as_short() {
    let model = Counters {
        max: 9,
        forbidden: 13,
    };
    compare(model.clone(), false, Stop::AtFirstViolation);
    compare(model, true, Stop::AtFirstViolation);
    let out = explore_distributed(
        Counters {
            max: 9,
            forbidden: 13,
        },
        Bytes { symmetric: false },
        &Cluster::Threads(2),
        Stop::AtFirstViolation,
    )
    .unwrap()
    .outcome
    .unwrap();
    assert!(!out.complete);
    assert!(out
        .discoveries
        .iter()
        .any(|d| d.property == "sum not forbidden"));
}
