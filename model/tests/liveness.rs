//! Liveness of the models: the correct models pass at small bounds, each liveness catalog bug
//! is found by its property, and no safety property catches it.

use raftspec_engine::liveness::GraphLimits;
use raftspec_model::check::{check, CheckOptions};
use raftspec_model::liveness::{self, LiveSpec, LiveVisitor, LivenessCheck};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::{Bounds, Bug, Variant};

struct Live;
impl LiveVisitor for Live {
    type Output = LivenessCheck;
    fn visit<S: LiveSpec>(self, spec: S) -> LivenessCheck {
        liveness::check(&spec, GraphLimits::default()).expect("fits in memory")
    }
}

fn live(v: Variant, b: Bounds, bug: Option<Bug>) -> LivenessCheck {
    liveness::with_live_spec(v, b, bug, Live)
}

fn show(c: &LivenessCheck) {
    let r = &c.report;
    eprintln!("{} {:?}: {} states {} edges {:.2}s", r.variant, r.bug, r.states, r.edges, r.seconds);
    for p in &r.properties {
        eprintln!("  {p:?}");
    }
    for l in &c.lassos {
        eprintln!("{}", l.render());
    }
}

#[test]
fn explore_defaults() {
    for v in Variant::ALL {
        let c = live(*v, liveness::default_bounds(*v), None);
        show(&c);
    }
    for row in liveness::catalog() {
        let c = live(row.variant, row.bounds.clone(), Some(row.bug));
        show(&c);
    }
}
