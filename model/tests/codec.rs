//! The engine codec of both models over reachable states with message loss bounded: every
//! state packs and unpacks to itself (the drop counter included), its canonical form under
//! server renaming keeps the counter, and the Drop action is offered only below the bound.

use raftspec_model::bounds::{Bounds, NetworkSemantics};
use raftspec_model::kraft::{self, KraftModel};
use raftspec_model::pack::{decode_plain, encode_plain, Packing};
use raftspec_model::raft::{self, RaftModel};
use stateright::{Model, Representative};
use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

const MAX_DROPS: u8 = 2;
const STATES: usize = 5_000;

fn lossy(max_restarts: u8) -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts,
        network: NetworkSemantics {
            drop: true,
            reorder: true,
            max_copies: 1,
            max_in_flight: 3,
            max_drops: Some(MAX_DROPS),
        },
        options: Default::default(),
    }
}

/// Up to `limit` states reachable within the model's boundary, breadth first.
fn reachable<M>(model: &M, limit: usize) -> Vec<M::State>
where
    M: Model,
    M::State: Clone + Eq + Hash,
{
    let mut seen: HashSet<M::State> = HashSet::new();
    let mut queue: VecDeque<M::State> = model.init_states().into();
    let mut out = Vec::new();
    while let Some(s) = queue.pop_front() {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(s.clone()) {
            continue;
        }
        out.push(s.clone());
        if !model.within_boundary(&s) {
            continue;
        }
        for (_, next) in model.next_steps(&s) {
            if !seen.contains(&next) {
                queue.push_back(next);
            }
        }
    }
    out
}

fn assert_round_trips<S: Packing + Representative + Debug + PartialEq>(
    states: &[S],
    drops: impl Fn(&S) -> u8,
) {
    for s in states {
        let mut bytes = Vec::new();
        encode_plain(s, &mut bytes);
        let back: S = decode_plain(&bytes);
        assert_eq!(&back, s, "decode(encode(s)) == s");
        assert_eq!(drops(&s.representative()), drops(s), "renaming keeps drops");
    }
}

/// Every reachable state round-trips, every drop count up to the bound occurs, and Drop is
/// offered exactly while the bound allows it and something is in flight.
fn assert_bounded_loss<M>(
    model: &M,
    drops: fn(&M::State) -> u8,
    in_flight: fn(&M::State) -> bool,
    is_drop: fn(&M::Action) -> bool,
) where
    M: Model,
    M::State: Packing + Representative + Debug + PartialEq + Clone + Eq + Hash,
{
    let states = reachable(model, STATES);
    assert_eq!(states.len(), STATES);
    assert_round_trips(&states, drops);
    for d in 0..=MAX_DROPS {
        assert!(
            states.iter().any(|s| drops(s) == d),
            "some state has lost {d}"
        );
    }
    for s in &states {
        assert!(drops(s) <= MAX_DROPS, "{s:?}");
        let mut actions = Vec::new();
        model.actions(s, &mut actions);
        let drop_offered = actions.iter().any(is_drop);
        assert_eq!(drop_offered, drops(s) < MAX_DROPS && in_flight(s), "{s:?}");
    }
}

#[test]
fn raft_states_round_trip_with_bounded_loss() {
    assert_bounded_loss(
        &RaftModel::new(lossy(1), None),
        |s| s.drops,
        |s| !s.network.is_empty(),
        |a| matches!(a, raft::Action::Drop(_)),
    );
}

#[test]
fn kraft_states_round_trip_with_bounded_loss() {
    assert_bounded_loss(
        &KraftModel::new(lossy(1), None),
        |s| s.drops,
        |s| !s.network.is_empty(),
        |a| matches!(a, kraft::Action::Drop(_)),
    );
}

/// Unbounded loss does not count (the counter would make the space infinite).
#[test]
fn unbounded_loss_is_not_counted() {
    let mut b = lossy(0);
    b.network.max_drops = None;
    let states = reachable(&RaftModel::new(b.clone(), None), STATES);
    assert!(states.iter().all(|s| s.drops == 0));
    let states = reachable(&KraftModel::new(b, None), STATES);
    assert!(states.iter().all(|s| s.drops == 0));
}

#[test]
fn max_drops_is_validated_and_printed() {
    let b = lossy(1);
    assert!(b.validate().is_ok());
    assert!(b.to_string().contains("drop<=2 "), "{b}");
    let mut unbounded = b.clone();
    unbounded.network.max_drops = None;
    assert!(unbounded.to_string().contains("[drop "), "{unbounded}");
    let mut off = b.clone();
    off.network.drop = false;
    assert!(off.validate().is_err(), "--max-drops without --drop");
    let mut zero = b;
    zero.network.max_drops = Some(0);
    assert!(zero.validate().is_err());
}

/// States of the raft-rs flavor (leader known, denials counted, per-peer flow control, the
/// new message kinds) pack and unpack to themselves, and their canonical form is a renaming.
#[test]
fn raft_rs_flavor_states_round_trip() {
    let b = Bounds {
        options: raftspec_model::options::Options::raft_rs(),
        ..lossy(1)
    };
    let states = reachable(&RaftModel::new(b, None), STATES);
    assert!(states.iter().any(|s| s
        .servers
        .iter()
        .any(|v| v.leader.is_some() && v.progress.iter().any(|&p| p != 0))));
    let round = |s: &raft::RaftState| {
        let mut bytes = Vec::new();
        encode_plain(s, &mut bytes);
        decode_plain::<raft::RaftState>(&bytes)
    };
    for s in &states {
        assert_eq!(&round(s), s);
        let c = s.representative();
        assert_eq!(round(&c), c);
    }
}
