//! The protocol options (per-peer sends, batches) are sound to turn on: the correct models pass
//! under them with every witness reached, and the catalog bugs stay findable. Per-peer sends
//! add interleavings (partial broadcasts) that the atomic broadcast never shows.

use raftspec_model::bugs::{catalog_for, CatalogEntry};
use raftspec_model::check::{check, CheckOptions, Engine, Stop, Verdict};
use raftspec_model::options::Options;
use raftspec_model::reproduce::{reproduce_with, Reductions};
use raftspec_model::spec::{with_spec, Spec, SpecVisitor};
use raftspec_model::{Bounds, NetworkSemantics, Variant};

const FAST: Reductions = Reductions {
    engine: Engine::Raftspec,
    threads: 2,
    symmetry: true,
    view: false,
};

fn with_options(row: CatalogEntry, options: Options) -> CatalogEntry {
    let mut row = row;
    row.bounds.options = options;
    row
}

fn assert_found(row: CatalogEntry) {
    let label = format!("{} {} [{}]", row.variant, row.bug, row.bounds.options);
    let r = reproduce_with(&row, FAST);
    assert_eq!(
        r.verdict,
        Verdict::Violated,
        "{label}: {} holds",
        row.property
    );
    assert!(
        r.replays_on_buggy_model,
        "{label}: replays on the buggy model"
    );
    assert!(
        r.leaves_correct_model,
        "{label}: the correct model cannot follow it"
    );
}

/// Batching is a configuration, not a reduction: a batching leader never sends one record when
/// two are there, so some interleavings are gone. hw-at-epoch-start needs a follower whose
/// fetch position stops exactly at a new leader's epoch start, between two LeaderChange
/// records; with batches of two it holds at its catalog bounds (specs/kraft.md, "Options").
const NEEDS_SINGLE_RECORD_FETCHES: &[&str] = &["hw-at-epoch-start"];

/// Bugs that need a log longer than one batch: a follower that receives everything the
/// leader has in one response cannot be behind it (follower-hw-unclamped needs a follower
/// whose log ends before the leader's HW).
const NEEDS_A_LONGER_LOG: &[&str] = &["follower-hw-unclamped"];

#[test]
fn catalog_bugs_are_found_with_batches_of_two() {
    for &v in Variant::ALL {
        for row in catalog_for(v) {
            if NEEDS_SINGLE_RECORD_FETCHES.contains(&row.bug.name()) {
                continue;
            }
            let mut row = row;
            if NEEDS_A_LONGER_LOG.contains(&row.bug.name()) {
                row.bounds.max_log += 2;
            }
            let batch = Options {
                batch: 2,
                ..Options::default()
            };
            assert_found(with_options(row, batch));
        }
    }
}

/// figure8 (26 steps), replicate-before-elected (22) and hw-at-epoch-start (29) take minutes
/// with per-peer sends; every other catalog bug is checked with them here.
const TOO_LONG_FOR_PER_PEER: &[&str] =
    &["figure8", "replicate-before-elected", "hw-at-epoch-start"];

#[test]
fn catalog_bugs_are_found_with_per_peer_sends() {
    for &v in Variant::ALL {
        for row in catalog_for(v) {
            if TOO_LONG_FOR_PER_PEER.contains(&row.bug.name()) {
                continue;
            }
            let per_peer = Options {
                per_peer: true,
                ..Options::default()
            };
            assert_found(with_options(row, per_peer));
        }
    }
}

fn small(options: Options) -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts: 1,
        network: NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight: 2,
            max_drops: None,
        },
        options,
    }
}

struct Passes;

impl SpecVisitor for Passes {
    type Output = (usize, Vec<String>);
    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let outcome = check(
            spec,
            CheckOptions {
                threads: 2,
                symmetry: true,
                stop: Stop::Never,
                ..Default::default()
            },
        );
        let failing = outcome
            .report
            .properties
            .iter()
            .filter(|p| !matches!(p.verdict, Verdict::Holds | Verdict::Witnessed))
            .map(|p| format!("{} {:?}", p.name, p.verdict))
            .collect();
        (outcome.report.unique_states, failing)
    }
}

#[test]
fn correct_models_pass_with_both_options_on() {
    let both = Options {
        per_peer: true,
        batch: 2,
        ..Options::default()
    };
    for &v in Variant::ALL {
        let (on, failing) = with_spec(v, small(both), None, Passes);
        assert!(failing.is_empty(), "{v} [{both}]: {failing:?}");
        let (off, _) = with_spec(v, small(Options::default()), None, Passes);
        assert!(
            on > off,
            "{v}: per-peer sends add interleavings ({on} vs {off} states)"
        );
    }
}
