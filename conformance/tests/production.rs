//! The production configuration of raftspec's cores (`Config::production()`) replayed against
//! the model options that describe it (`Options::production()`, specs/raft.md "Options").

use raftspec_conformance::conform::{conform, default_options, CoreConfig, Target};
use raftspec_conformance::suite::{SuiteOptions, SuiteReport};
use raftspec_model::Variant;

/// A suite of seconds: the four- and five-server graphs, the faults graph, and short walks
/// on 3, 4 and 5 servers.
fn small(variant: Variant) -> SuiteOptions {
    let mut o = default_options(variant);
    o.graphs
        .retain(|g| ["four servers", "five servers", "faults"].contains(&g.name.as_str()));
    for g in &mut o.graphs {
        g.depth = if g.bounds.servers == 3 { 6 } else { 9 };
    }
    o.walks = 150;
    o.walk_len = 40;
    o.proptest_cases = 40;
    o.proptest_len = 30;
    o
}

fn run(variant: Variant, target: &Target) -> SuiteReport {
    run_with(variant, target, small(variant))
}

fn run_with(variant: Variant, target: &Target, opts: SuiteOptions) -> SuiteReport {
    let opts = target.suite_options(&opts);
    conform(variant, &opts, target, &mut |_| {}).unwrap()
}

fn production(variant: Variant) -> Target {
    Target::correct().in_config(CoreConfig::Production, variant)
}

#[test]
fn production_cores_conform_at_three_four_and_five_servers() {
    for variant in [Variant::Raft, Variant::Kraft] {
        let r = run(variant, &production(variant));
        assert!(
            r.divergence.is_none(),
            "{variant}: {}",
            r.divergence.unwrap()
        );
        for servers in [3, 4, 5] {
            let g = r
                .graphs
                .iter()
                .find(|g| g.bounds.as_ref().unwrap().servers == servers);
            assert!(
                g.is_some_and(|g| g.edges_covered > 100),
                "{variant} {servers}"
            );
        }
        assert!(r.walks > 0 && r.proptest_cases > 0);
    }
}

/// The production cores against the model with one describing option left out: each
/// option matters (the replay tells them apart), and so does the batch.
#[test]
fn production_cores_diverge_from_the_model_without_the_matching_options() {
    let full = production(Variant::Raft);
    let mut unmatched = Vec::new();
    for name in [
        "leader-noop",
        "send-on-election",
        "pipeline",
        "refusal-hint",
    ] {
        let mut t = full.clone();
        assert!(t.options.set_switch(&format!("no-{name}")));
        unmatched.push((name, t));
    }
    let mut one = full.clone();
    one.options.batch = 1;
    unmatched.push(("batch=1", one));
    for (name, t) in unmatched {
        let r = run(Variant::Raft, &t);
        assert!(r.divergence.is_some(), "raft without {name}: no divergence");
    }
    // KRaft's production core differs from the model's only in its batch.
    let mut k = production(Variant::Kraft);
    k.options.batch = 1;
    assert!(run(Variant::Kraft, &k).divergence.is_some());
    // And the model configuration's cores against the production options.
    let model_cores = Target {
        config: CoreConfig::Model,
        ..full
    };
    assert!(run(Variant::Raft, &model_cores).divergence.is_some());
}

#[cfg(feature = "mutants")]
mod mutants {
    use super::*;
    use raftspec_impl::core::Mutant;

    /// A mutant of a production rule (the reject hint, pipelining) breaks code that
    /// `Config::model()` never runs: it survives the model configuration's replay and dies in
    /// the production configuration's.
    #[test]
    fn production_rule_mutants_die_only_in_production_config() {
        let all: Vec<Mutant> = Mutant::of_variant("raft")
            .filter(|m| m.production_rule().is_some())
            .collect();
        assert_eq!(all.len(), 2);
        // The default proptest cases (a stale refusal after an acknowledgement takes 17 steps).
        let opts = SuiteOptions {
            proptest_cases: 300,
            proptest_len: 60,
            ..small(Variant::Raft)
        };
        for m in all {
            let r = run_with(Variant::Raft, &Target::mutant(m), opts.clone());
            assert!(r.divergence.is_none(), "{m} is seen in model config");
            let t = Target::mutant(m).in_config(CoreConfig::Production, Variant::Raft);
            let r = run_with(Variant::Raft, &t, opts.clone());
            assert!(r.divergence.is_some(), "{m} survived production config");
        }
    }
}
