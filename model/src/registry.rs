//! The variant registry: every fact the tool states about a protocol variant, in one place.
//!
//! A new variant adds its module (`model/src/NAME/`), and here a [`Variant`] name, one
//! [`VariantInfo`] row and one arm of [`Variant::info`] and of [`with_model`]; the CLI's help, errors, profiles and defaults are read
//! from here (and the conformance harness's from `conformance/src/variants.rs`). A protocol
//! option (pre-vote, per-peer sends, the raft-rs profile) is not a variant: it lives in
//! [`crate::options::Options`] and is part of the bounds.

use crate::bounds::NetworkSemantics;
use crate::bounds::{Bounds, BoundsError};
use crate::bugs::{Bug, CatalogEntry};
use crate::liveness::{LiveSpec, LiveVisitor};
use serde::{Deserialize, Serialize};

/// A protocol variant: a model of its own (options of a variant are not variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Raft,
    Kraft,
}

/// What one variant is, and the numbers the tool starts it from.
pub struct VariantInfo {
    pub variant: Variant,
    /// The name on the command line and in traces.
    pub name: &'static str,
    /// How the variant replicates, in a few words (comparison tables, `--help`).
    pub style: &'static str,
    /// The bounds `raftspec check` uses when given none (the quick profile).
    pub quick: fn() -> Bounds,
    /// The deep profile's first run: the variant's terms (epochs) for two-entry logs, a
    /// restart and a lost message.
    pub deep_term: u8,
    /// The deep profile's second run (four terms): the client entries the logs may hold.
    pub deep_history_log: u8,
    /// Messages in flight in `check --liveness`'s default bounds.
    pub liveness_in_flight: u8,
    /// Restarts a recorded run of the implementation makes when not told.
    pub record_restarts: u8,
    /// Whether tikv/raft-rs is this variant: its profile's options (`--flavor raft-rs`,
    /// `--option`) apply, and `--impl raft-rs` implements it.
    pub raft_rs: bool,
    /// The protocol steps a bug can live in: every message handler, timer and the restart
    /// (ITF action names).
    pub protocol_steps: &'static [&'static str],
    /// The variant's rows of the bug catalog.
    pub catalog: fn() -> Vec<CatalogEntry>,
    /// Limits of the variant's model beyond [`Bounds::validate`].
    pub check_bounds: fn(&Bounds) -> Result<(), BoundsError>,
    /// Fields only this variant's servers have in an ITF state: how a trace written by
    /// another tool is recognised (none: the variant assumed when no other matches).
    pub server_markers: &'static [&'static str],
}

/// The network every variant starts from: reordering, no loss, one copy of a message.
fn network(max_in_flight: u8) -> NetworkSemantics {
    NetworkSemantics {
        drop: false,
        reorder: true,
        max_copies: 1,
        max_in_flight,
        max_drops: None,
    }
}

/// Three servers, two terms, one entry: seconds on a 2-core machine.
fn quick(max_restarts: u8, max_in_flight: u8) -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts,
        network: network(max_in_flight),
        options: Default::default(),
    }
}

fn no_limits(_: &Bounds) -> Result<(), BoundsError> {
    Ok(())
}

static RAFT: VariantInfo = VariantInfo {
    variant: Variant::Raft,
    name: "raft",
    style: "push",
    quick: || quick(1, 4),
    deep_term: 3,
    deep_history_log: 1,
    liveness_in_flight: 4,
    record_restarts: 1,
    raft_rs: true,
    protocol_steps: crate::raft::Action::PROTOCOL_STEPS,
    catalog: crate::raft::catalog,
    check_bounds: no_limits,
    server_markers: &[],
};

// Pull needs more messages per commit than push: at Raft's bounds (one restart, four messages
// in flight) KRaft has 12M+ states; its quick bounds finish in seconds (specs/kraft.md). Its
// deep runs are smaller for the same reason, and a KRaft log's LeaderChange records fill it
// without client entries.
static KRAFT: VariantInfo = VariantInfo {
    variant: Variant::Kraft,
    name: "kraft",
    style: "pull",
    quick: || quick(0, 3),
    deep_term: 2,
    deep_history_log: 0,
    liveness_in_flight: 3,
    record_restarts: 0,
    raft_rs: false,
    protocol_steps: crate::kraft::Action::PROTOCOL_STEPS,
    catalog: crate::kraft::catalog,
    check_bounds: crate::kraft::validate_bounds,
    server_markers: &["epoch", "highWatermark"],
};

impl Variant {
    /// The variants that have a model.
    pub const ALL: &'static [Variant] = &[Variant::Raft, Variant::Kraft];

    /// This variant's row of the registry.
    pub fn info(self) -> &'static VariantInfo {
        match self {
            Variant::Raft => &RAFT,
            Variant::Kraft => &KRAFT,
        }
    }
}

/// Generic work over whichever model a variant names: the one place a variant name becomes a
/// concrete model (safety work goes through [`crate::spec::with_spec`], which calls this).
pub fn with_model<V: LiveVisitor>(
    variant: Variant,
    bounds: Bounds,
    bug: Option<Bug>,
    visitor: V,
) -> V::Output {
    match variant {
        Variant::Raft => visitor.visit(crate::raft::RaftModel::new(bounds, bug)),
        Variant::Kraft => visitor.visit(crate::kraft::KraftModel::new(bounds, bug)),
    }
}

/// The variant names for a help text or an error: "raft, kraft".
pub fn names() -> String {
    Variant::ALL
        .iter()
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The variant whose servers an ITF server record (from any tool) looks like: the first with
/// one of its marker fields, else the first with none.
pub fn recognise(server: &serde_json::Value) -> Variant {
    let marked = Variant::ALL.iter().copied().find(|v| {
        let markers = v.info().server_markers;
        markers.iter().any(|m| server.get(m).is_some())
    });
    let unmarked = || {
        Variant::ALL
            .iter()
            .copied()
            .find(|v| v.info().server_markers.is_empty())
            .expect("one variant is recognised by default")
    };
    marked.unwrap_or_else(unmarked)
}

/// Adapts a safety visitor to [`with_model`]: every live model is a model.
pub(crate) struct AsLive<V>(pub V);

impl<V: crate::spec::SpecVisitor> LiveVisitor for AsLive<V> {
    type Output = V::Output;
    fn visit<S: LiveSpec>(self, spec: S) -> V::Output {
        self.0.visit(spec)
    }
}
