//! Raft: model traces replayed against the implementation, from every source.

use raftspec_conformance::conform::{
    catalog_results, conform, default_options, replay_trace, Target,
};
use raftspec_conformance::driver::{
    Event, Inexpressible, Node, NodeFailure, NodeId, NodeState, Reaction, Timer,
};
use raftspec_conformance::raft::RaftNode;
use raftspec_conformance::replay::replay;
use raftspec_conformance::search::{is_model_trace, proptest_search};
use raftspec_conformance::sources::{build_graph, random_walk, Rng, TraceProblem};
use raftspec_model::raft::{Action, Msg, RaftModel, RequestVote};
use raftspec_model::trace::Trace;
use raftspec_model::{Bounds, NetworkSemantics, Variant};
use std::collections::HashSet;

fn small_bounds() -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts: 1,
        network: NetworkSemantics {
            drop: true,
            reorder: true,
            max_copies: 2,
            max_in_flight: 4,
            max_drops: None,
        },
        options: Default::default(),
    }
}

#[test]
fn the_edge_cover_takes_every_edge_with_valid_paths_no_longer_than_the_depth() {
    let spec = RaftModel::new(small_bounds(), None);
    let depth = 6;
    let g = build_graph(&spec, depth);
    let cover = g.edge_cover();
    assert!(g.states() > 10_000 && g.edges() > g.states());
    // Depth is counted in actions: states reached in at most `depth` actions, the deepest
    // ones not expanded, and some path of the cover is exactly `depth` long.
    assert_eq!(g.graph.node_weights().max(), Some(&(depth as u16)));
    assert_eq!(
        g.graph.node_weights().filter(|d| **d == 1).count(),
        {
            let mut first = Vec::new();
            stateright::Model::actions(
                &spec,
                &stateright::Model::init_states(&spec)[0],
                &mut first,
            );
            let init = &stateright::Model::init_states(&spec)[0];
            first
                .into_iter()
                .map(|a| format!("{:?}", stateright::Model::next_state(&spec, init, a)))
                .collect::<HashSet<_>>()
                .len()
        },
        "depth 1 holds the distinct successors of the initial state"
    );
    assert_eq!(
        cover.iter().map(|p| p.new_edges).sum::<usize>(),
        g.edges(),
        "each edge is counted once, by the path that first takes it"
    );
    let distinct: HashSet<Vec<Action>> = cover.iter().map(|p| p.actions.clone()).collect();
    assert_eq!(distinct.len(), cover.len(), "paths are distinct");
    assert_eq!(cover.iter().map(|p| p.actions.len()).max(), Some(depth));
    for p in &cover {
        assert!(!p.actions.is_empty() && p.actions.len() <= depth);
        assert!(p.new_edges >= 1);
        assert!(is_model_trace(&spec, &p.actions), "{:?}", p.actions);
    }
    // Every (state, action) pair up to depth-1 appears on some path: check it from the other
    // side by collecting every (prefix-state, action) the paths take.
    let mut taken = HashSet::new();
    for p in &cover {
        let mut st = stateright::Model::init_states(&spec).remove(0);
        for a in &p.actions {
            taken.insert((format!("{st:?}"), format!("{a:?}")));
            st = stateright::Model::next_state(&spec, &st, a.clone()).unwrap();
        }
    }
    assert_eq!(taken.len(), g.edges());
}

#[test]
fn the_implementation_conforms_on_thousands_of_traces_from_every_source() {
    let mut opts = default_options(Variant::Raft);
    for g in &mut opts.graphs {
        g.depth = g.depth.saturating_sub(3);
    }
    opts.walks = 500;
    opts.proptest_cases = 100;
    let r = conform(Variant::Raft, &opts, &Target::correct(), &mut |_| {}).unwrap();
    assert!(r.divergence.is_none(), "{}", r.divergence.unwrap());
    assert!(r.traces > 50_000, "{} traces", r.traces);
    assert_eq!(r.graphs.len(), 6);
    for g in &r.graphs {
        assert_eq!(g.edges_covered, g.edges, "{}: every edge replayed", g.name);
    }
}

#[test]
fn every_catalog_counterexample_diverges_where_the_bug_acts() {
    // (bug, the step where the bug acts, field): where the correct implementation refuses the
    // buggy model. Which server and which step number depend on the counterexample the engine
    // picks among the shortest ones, so the test names the handler the bug lives in instead.
    let expected = [
        ("figure8", "handles AppendEntriesResponse", "commit"),
        ("vote-no-log-check", "handles RequestVote ", "votedFor"),
        ("vote-not-persisted", "crashes and restarts", "votedFor"),
        ("double-vote", "handles RequestVote ", "votedFor"),
        ("truncate-on-stale-append", "handles AppendEntries ", "log"),
        ("commit-regress", "handles AppendEntries ", "commit"),
        ("stale-vote-counted", "handles RequestVoteResponse", "role"),
        ("timeout-keeps-term", "election timeout", "term"),
        (
            "replicate-before-elected",
            "handles AppendEntries ",
            "message",
        ),
        ("candidate-accepts-writes", "client asks", "log"),
    ];
    let results = catalog_results(Variant::Raft, &Target::correct(), &mut |_| {});
    assert_eq!(results.len(), expected.len());
    for (r, (bug, acts, field)) in results.iter().zip(expected) {
        assert_eq!(r.bug, bug);
        let d = r
            .divergence
            .as_ref()
            .unwrap_or_else(|| panic!("{bug}: the implementation must refuse the buggy model"));
        assert!(d.action.contains(acts), "{bug}: {d}");
        assert_eq!(d.field, field, "{bug}: {d}");
        assert!(d.node.is_some(), "{bug}: a server differs: {d}");
        let step = d.step;
        // The report's prefix is the counterexample up to the divergence, as ITF.
        assert_eq!(d.prefix.steps.len(), step + 1);
        let back = Trace::from_itf(&d.prefix.to_itf_string()).unwrap();
        assert_eq!(back.bug.map(|b| b.name()), Some(bug));
    }
}

fn walk_trace(seed: u64, len: usize) -> (RaftModel, Trace) {
    let spec = RaftModel::new(default_options(Variant::Raft).walk_bounds, None);
    let actions = random_walk(&spec, len, &mut Rng::new(seed));
    let t = Trace::from_actions(&spec, &actions).unwrap();
    (spec, t)
}

#[test]
fn an_itf_file_replays_and_a_hand_edited_step_is_reported_at_that_step() {
    let (_, trace) = walk_trace(7, 30);
    assert_eq!(trace.steps.len(), 31);
    let text = trace.to_itf_string();
    let ok = replay_trace(&Trace::from_itf(&text).unwrap(), &Target::correct()).unwrap();
    assert_eq!(ok.unwrap(), 30);

    // Edit one state of the ITF document: step 12's first server gets another term.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let term = &mut doc["states"][12]["servers"][0]["term"];
    *term = serde_json::json!(term.as_u64().unwrap() + 7);
    let edited = Trace::from_itf(&doc.to_string()).unwrap();
    let err = replay_trace(&edited, &Target::correct()).unwrap_err();
    assert!(matches!(err, TraceProblem::Rejected(_)), "{err}");
    assert!(err.to_string().contains("step 12 "), "{err}");

    // Edit one action: step 5 becomes a different action.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["states"][5]["action_args"] = serde_json::json!({"tag": "Restart", "value": 9});
    let err = replay_trace(
        &Trace::from_itf(&doc.to_string()).unwrap(),
        &Target::correct(),
    )
    .unwrap_err();
    assert!(matches!(err, TraceProblem::Rejected(_)), "{err}");
    assert!(err.to_string().contains("step 5 "), "{err}");

    // The initial state of another model (or other bounds): not a trace of this model.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["states"][0]["servers"][2]["term"] = serde_json::json!(3);
    let err = replay_trace(
        &Trace::from_itf(&doc.to_string()).unwrap(),
        &Target::correct(),
    )
    .unwrap_err();
    assert!(matches!(err, TraceProblem::NotATrace(_)), "{err}");
}

#[test]
fn malformed_and_foreign_itf_is_refused_with_one_line() {
    let (_, trace) = walk_trace(3, 5);
    let mut doc = trace.to_itf();
    doc["#meta"]["variant"] = serde_json::json!("paxos");
    let e = Trace::from_itf(&doc.to_string()).unwrap_err();
    assert!(e.0.contains("paxos") && !e.0.contains('\n'), "{e}");
    assert!(Trace::from_itf("{\"states\": [").is_err());
}

/// A model delivery of a message the implementation never sent is a divergence.
#[test]
fn delivering_a_message_the_implementation_did_not_send_diverges() {
    let spec = RaftModel::new(small_bounds(), None);
    // S0 times out and sends RequestVote; S1 handles it. With the real node that replays; a
    // node that sends nothing makes the same delivery a divergence, reported at the sender.
    let rv = Msg::RequestVote(RequestVote {
        from: 0,
        to: 1,
        term: 1,
        last_log_term: 0,
        last_log_index: 0,
        commit: 0,
        commit_term: 0,
    });
    let ok = [Action::ElectionTimeout(0), Action::Deliver(rv)];
    assert!(replay(&spec, &ok, &|i, n| RaftNode::model(i, n)).is_ok());
    // A node that sends nothing: every delivery is missing.
    struct Mute(RaftNode);
    impl Node for Mute {
        type Message = <RaftNode as Node>::Message;
        type Abstract = Msg;
        fn step(
            &mut self,
            e: Event<Self::Message>,
        ) -> Result<Reaction<Self::Message>, NodeFailure> {
            self.0.step(e).map(|r| Reaction {
                sent: Vec::new(),
                reset_election_timer: r.reset_election_timer,
            })
        }
        fn restart(&mut self) -> Result<(), NodeFailure> {
            self.0.restart()
        }
        fn state(&self) -> NodeState {
            self.0.state()
        }
        fn timers(&self) -> Vec<Timer> {
            self.0.timers()
        }
        fn abstract_message(
            &self,
            f: NodeId,
            t: NodeId,
            m: &Self::Message,
        ) -> Result<Msg, Inexpressible> {
            self.0.abstract_message(f, t, m)
        }
    }
    let d = replay(&spec, &ok, &|i, n| Mute(RaftNode::model(i, n))).unwrap_err();
    assert_eq!((d.step, d.field.as_str(), d.node), (2, "message", Some(0)));
    assert!(d.actual.contains("no message in flight"), "{d}");
    // The report points at the step where the model sent it, and shows what the node sent.
    let c = d.context.as_ref().unwrap();
    assert_eq!(c.sent_at, Some(1), "{d}");
    assert!(c.impl_sent_then.is_empty(), "{d}");
    assert_eq!(c.model_states.len(), 3);
    assert!(d.to_string().contains("sent at:  step 1"), "{d}");
}

/// The driver API is all a harness needs: an adapter whose messages are opaque JSON bytes
/// (as another Raft library's would be) conforms just the same.
#[test]
fn an_adapter_with_its_own_message_type_plugs_in() {
    struct Bytes(RaftNode);
    impl Node for Bytes {
        type Message = Vec<u8>;
        type Abstract = Msg;
        fn step(&mut self, e: Event<Vec<u8>>) -> Result<Reaction<Vec<u8>>, NodeFailure> {
            let e = match e {
                Event::Receive { from, msg } => Event::Receive {
                    from,
                    msg: serde_json::from_slice(&msg)
                        .map_err(|e| NodeFailure::Stopped(e.into()))?,
                },
                Event::Timer(t) => Event::Timer(t),
                Event::ClientRequest(v) => Event::ClientRequest(v),
            };
            let r = self.0.step(e)?;
            Ok(Reaction {
                sent: r
                    .sent
                    .into_iter()
                    .map(|(to, m)| (to, serde_json::to_vec(&m).unwrap()))
                    .collect(),
                reset_election_timer: r.reset_election_timer,
            })
        }
        fn restart(&mut self) -> Result<(), NodeFailure> {
            self.0.restart()
        }
        fn state(&self) -> NodeState {
            self.0.state()
        }
        fn timers(&self) -> Vec<Timer> {
            self.0.timers()
        }
        fn abstract_message(
            &self,
            f: NodeId,
            t: NodeId,
            m: &Vec<u8>,
        ) -> Result<Msg, Inexpressible> {
            let m = serde_json::from_slice(m).map_err(|e| Inexpressible::Other(e.into()))?;
            self.0.abstract_message(f, t, &m)
        }
    }
    let spec = RaftModel::new(default_options(Variant::Raft).walk_bounds, None);
    let mut rng = Rng::new(11);
    for _ in 0..200 {
        let actions = random_walk(&spec, 40, &mut rng);
        if let Err(d) = replay(&spec, &actions, &|i, n| Bytes(RaftNode::model(i, n))) {
            panic!("{d}");
        }
    }
    let s = proptest_search(&spec, 50, 30, 5, &|i, n| Bytes(RaftNode::model(i, n))).unwrap();
    assert_eq!(s.cases, 50);
}

#[cfg(feature = "mutants")]
mod mutants {
    use super::*;
    use raftspec_conformance::suite::SuiteOptions;
    use raftspec_impl::core::Mutant;

    #[test]
    fn every_raft_mutant_is_killed_and_its_trace_shrunk() {
        // (A production-rule mutant breaks code `Config::model()` never runs: see
        // tests/production.rs.)
        let all: Vec<Mutant> = Mutant::of_variant("raft")
            .filter(|m| m.production_rule().is_none())
            .collect();
        assert!(all.len() >= 6);
        let opts = default_options(Variant::Raft);
        for m in all {
            let opts = Target::options_for_mutant(&opts, m);
            let r = conform(Variant::Raft, &opts, &Target::mutant(m), &mut |_| {}).unwrap();
            let d = r
                .divergence
                .unwrap_or_else(|| panic!("mutant {m} survived {} traces", r.traces));
            // Shrunk (1-minimal): never a whole 80-step walk.
            assert!(d.step <= 50, "{m}: {d}");
            assert!(is_model_trace(
                &RaftModel::new(d.prefix.bounds.clone(), None),
                &d.prefix
                    .steps
                    .iter()
                    .skip(1)
                    .map(
                        |s| serde_json::from_value(s.action.as_ref().unwrap().args.clone())
                            .unwrap()
                    )
                    .collect::<Vec<Action>>()
            ));
        }
    }

    /// Each source has teeth on its own: random walks alone, and proptest alone, kill every
    /// Raft mutant but the quorum arithmetic, which is right for the walks' three servers and
    /// needs the four-server graph (the exhaustive cover kills them all; measured in
    /// specs/conformance.md).
    #[test]
    fn walks_alone_and_proptest_alone_kill_every_raft_mutant() {
        let base = default_options(Variant::Raft);
        let mut even = base.clone();
        even.walks = 0;
        even.proptest_cases = 0;
        even.graphs.retain(|g| g.bounds.servers == 4);
        let m = Mutant::RaftQuorumRoundsDown;
        let r = conform(Variant::Raft, &even, &Target::mutant(m), &mut |_| {}).unwrap();
        assert_eq!(r.diverged_in.as_deref(), Some("exhaustive four servers"));
        let mut odd = base.clone();
        odd.graphs.retain(|g| g.bounds.servers == 3);
        odd.walk_servers = vec![3];
        odd.graphs.iter_mut().for_each(|g| g.depth = 8);
        let r = conform(Variant::Raft, &odd, &Target::mutant(m), &mut |_| {}).unwrap();
        assert!(r.divergence.is_none(), "(n+1)/2 is n/2+1 for 3 servers");
        let (mut walk_survivors, mut prop_survivors) = (Vec::new(), Vec::new());
        for m in Mutant::of_variant("raft").filter(|m| m.production_rule().is_none()) {
            let base = Target::options_for_mutant(&base, m);
            let mut walks = base.clone();
            walks.graphs.clear();
            walks.proptest_cases = 0;
            let r = conform(Variant::Raft, &walks, &Target::mutant(m), &mut |_| {}).unwrap();
            if r.diverged_in.as_deref() != Some("walk") {
                walk_survivors.push(m.name());
            }
            let mut prop = base.clone();
            prop.graphs.clear();
            prop.walks = 0;
            let r = conform(Variant::Raft, &prop, &Target::mutant(m), &mut |_| {}).unwrap();
            if r.diverged_in.as_deref() != Some("proptest") {
                prop_survivors.push(m.name());
            }
        }
        // The walks run on 3, 4 and 5 servers: they kill the quorum mutant too.
        assert_eq!(walk_survivors, Vec::<&str>::new());
        // A follower committing past the last new entry needs a deep trace that proptest's
        // 300 cases rarely build (three entries, a stale suffix, a late AppendEntries): the
        // coverage-guided walks of 80 actions kill it. So for a batch whose second entry
        // conflicts while its first matches (two terms, three entries), and for a lost
        // truncation (a conflicting suffix cut, then a restart of that follower).
        assert_eq!(
            prop_survivors,
            [
                "raft:quorum-rounds-down",
                "raft:commit-to-last-index",
                "raft:batch-checks-first-only",
                "storage:ignores-truncate"
            ]
        );
    }

    /// The models keep stale messages in flight and deliver them like any other, so the
    /// stale-message checks of the cores are exercised by ordinary steps (and by the late
    /// delivery of what the model dropped): both variants' stale-message mutants die.
    #[test]
    fn late_deliveries_kill_the_stale_message_mutants() {
        let opts = default_options(Variant::Raft);
        for (variant, m) in [
            (Variant::Raft, Mutant::RaftCountsStaleVote),
            (Variant::Kraft, Mutant::KraftCountsStaleVote),
            (Variant::Kraft, Mutant::KraftAcceptsStaleBeginEpoch),
        ] {
            let opts = SuiteOptions {
                walk_bounds: default_options(variant).walk_bounds,
                ..opts.clone()
            };
            let r = conform(variant, &opts, &Target::mutant(m), &mut |_| {}).unwrap();
            let d = r.divergence.expect("killed");
            assert!(d.known.is_none(), "{m} is killed by a real difference: {d}");
        }
    }

    /// A buggy model and the implementation with the same bug injected agree on the bug's
    /// counterexample up to where the two injections differ.
    #[test]
    fn the_twin_mutant_follows_the_double_vote_counterexample() {
        let t = raftspec_conformance::conform::catalog_trace(
            Variant::Raft,
            raftspec_model::Bug::DoubleVote,
        )
        .unwrap();
        let r = replay_trace(&t, &Target::mutant(Mutant::RaftDoubleVote)).unwrap();
        assert_eq!(r.unwrap(), t.steps.len() - 1);
        let r = replay_trace(&t, &Target::correct()).unwrap();
        assert!(r.is_err());
    }
}

/// Replay checks every step's armed timers against `role_timers` and the model's enabled timer
/// actions only at a trace's end; this keeps the two model-side views in step: along many
/// walks, every timer action the model enables is among its server's role timers.
#[test]
fn role_timers_cover_every_enabled_timer_action() {
    use raftspec_conformance::protocol::{ModelStep, Protocol};
    use raftspec_model::kraft::KraftModel;
    fn check<P: Protocol>(spec: &P) -> usize {
        let mut rng = Rng::new(7);
        let mut checked = 0;
        for _ in 0..200 {
            let walk = random_walk(spec, 40, &mut rng);
            let mut st = spec.init_states().remove(0);
            for a in walk {
                let mut enabled = Vec::new();
                spec.actions(&st, &mut enabled);
                for e in &enabled {
                    if let ModelStep::Timer(s, t) = spec.model_step(e) {
                        assert!(spec.role_timers(&st, s).contains(&t), "{t:?} of S{s}");
                        checked += 1;
                    }
                }
                st = spec.next_state(&st, a).unwrap();
            }
        }
        checked
    }
    let raft = default_options(Variant::Raft).walk_bounds;
    assert!(check(&RaftModel::new(raft, None)) > 1000);
    let kraft = default_options(Variant::Kraft).walk_bounds;
    assert!(check(&KraftModel::new(kraft, None)) > 1000);
}
