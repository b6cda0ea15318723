//! Arguments shared by every command that builds a model: variant, bounds, bug.

use anyhow::{anyhow, bail, Result};
use clap::Args;
use raftspec_model::bugs::{self, Bug};
use raftspec_model::{Bounds, Variant};

/// Bounds of the state space; any left out take the variant's defaults (or, with --bug, the
/// bounds the catalog lists as reaching that bug).
#[derive(Args, Clone, Debug, Default)]
pub struct BoundsArgs {
    /// Number of servers (1-5).
    #[arg(long)]
    pub servers: Option<u8>,
    /// Highest term/epoch an election may start.
    #[arg(long)]
    pub max_term: Option<u8>,
    /// Longest log a leader may grow through client requests.
    #[arg(long)]
    pub max_log: Option<u8>,
    /// Distinct client values.
    #[arg(long)]
    pub values: Option<u8>,
    /// Crashes (each followed by a possible restart) in one run.
    #[arg(long)]
    pub max_restarts: Option<u8>,
    /// Copies of one message in flight; 1 disables duplication.
    #[arg(long)]
    pub max_copies: Option<u8>,
    /// Messages the network holds at once (states with more are not explored further).
    #[arg(long)]
    pub max_in_flight: Option<u8>,
    /// The network may lose messages (message loss on).
    #[arg(long, conflicts_with = "no_drop")]
    pub drop: bool,
    /// At most N messages lost in one run (with --drop; no bound when left out).
    #[arg(long, value_name = "N")]
    pub max_drops: Option<u8>,
    /// The network never loses a message (the default; overrides a bug's catalog bounds).
    #[arg(long)]
    pub no_drop: bool,
    /// The network delivers messages between two servers in order.
    #[arg(long)]
    pub fifo: bool,
    /// Start from a named set of bounds: quick (the default) or deep; flags given override it.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
}

/// A named starting point for the bounds (and reductions) of a check; the one place each
/// variant's profiles are stated. Figures in README.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Each variant in seconds on a 2-core machine: one entry, two terms.
    #[default]
    Quick,
    /// Minutes on a 2-core machine, with symmetry: logs of two entries, a server leading in two
    /// terms, a restart and message loss.
    Deep,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Deep => "deep",
        }
    }

    pub fn bounds(self, variant: Variant) -> Bounds {
        match self {
            Profile::Quick => default_bounds(variant),
            Profile::Deep => deep_bounds(variant),
        }
    }

    /// Deep spaces are checked with (exact) symmetry, or they would not fit in minutes.
    pub fn symmetry(self) -> bool {
        self == Profile::Deep
    }
}

/// The deep profile: every variant reaches two-entry logs, a second term for a leader, a
/// restart and a lost message.
fn deep_bounds(variant: Variant) -> Bounds {
    let mut b = default_bounds(variant);
    b.max_log = 2;
    b.max_restarts = 1;
    b.network.drop = true;
    b.network.max_drops = Some(1);
    b.network.max_in_flight = 3;
    b.max_term = match variant {
        Variant::Raft => DEEP_RAFT_TERM,
        Variant::Kraft => DEEP_KRAFT_EPOCH,
    };
    b
}

const DEEP_RAFT_TERM: u8 = 3;
const DEEP_KRAFT_EPOCH: u8 = 2;

/// The bounds that `raftspec check` uses when given none: each finishes in under 2 minutes on
/// a 2-core machine (figures in README.md).
pub fn default_bounds(variant: Variant) -> Bounds {
    use raftspec_model::NetworkSemantics;
    match variant {
        Variant::Raft => Bounds {
            servers: 3,
            max_term: 2,
            max_log: 1,
            values: 1,
            max_restarts: 1,
            network: NetworkSemantics {
                drop: false,
                reorder: true,
                max_copies: 1,
                max_in_flight: 4,
                max_drops: None,
            },
        },
        // Pull needs more messages per commit than push: at Raft's bounds (one restart, four
        // messages in flight) KRaft has 12M+ states; these finish in seconds (specs/kraft.md).
        Variant::Kraft => Bounds {
            servers: 3,
            max_term: 2,
            max_log: 1,
            values: 1,
            max_restarts: 0,
            network: NetworkSemantics {
                drop: false,
                reorder: true,
                max_copies: 1,
                max_in_flight: 3,
                max_drops: None,
            },
        },
    }
}

impl BoundsArgs {
    /// Resolves the bounds for a variant (and bug), validating them.
    pub fn resolve(&self, variant: Variant, bug: Option<Bug>) -> Result<Bounds> {
        let base = match (self.profile, bug.and_then(|b| bugs::entry(variant, b))) {
            (Some(p), _) => p.bounds(variant),
            (None, Some(row)) => row.bounds,
            (None, None) => default_bounds(variant),
        };
        self.resolve_on(base, variant)
    }

    /// Applies the bound flags given to `base` (a default chosen by the caller), validating.
    pub fn resolve_on(&self, base: Bounds, variant: Variant) -> Result<Bounds> {
        let mut b = base;
        if let Some(v) = self.servers {
            b.servers = v;
        }
        if let Some(v) = self.max_term {
            b.max_term = v;
        }
        if let Some(v) = self.max_log {
            b.max_log = v;
        }
        if let Some(v) = self.values {
            b.values = v;
        }
        if let Some(v) = self.max_restarts {
            b.max_restarts = v;
        }
        if let Some(v) = self.max_copies {
            b.network.max_copies = v;
        }
        match self.max_in_flight {
            Some(v) => b.network.max_in_flight = v,
            // An election sends a request to every peer at once: room for that much, at least.
            None => {
                b.network.max_in_flight = b.network.max_in_flight.max(b.servers.saturating_sub(1))
            }
        }
        anyhow::ensure!(
            !(self.drop && self.no_drop),
            "--drop and --no-drop contradict each other"
        );
        if self.drop {
            b.network.drop = true;
        }
        if self.no_drop {
            b.network.drop = false;
            b.network.max_drops = None;
        }
        if let Some(v) = self.max_drops {
            b.network.max_drops = Some(v);
        }
        if self.fifo {
            b.network.reorder = false;
        }
        variant.validate(&b).map_err(|e| anyhow!("{e}"))?;
        Ok(b)
    }
}

/// A `--threads` value: 1 to 1024 (more is a typo, and would only exhaust the system's thread
/// limit); left out, every core.
pub fn threads(n: Option<usize>) -> Result<usize> {
    match n {
        Some(n) if (1..=1024).contains(&n) => Ok(n),
        Some(n) => bail!("--threads must be between 1 and 1024 (got {n})"),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Parses `--bug NAME`, listing the catalog on a typo.
pub fn parse_bug(name: Option<&str>) -> Result<Option<Bug>> {
    match name {
        None => Ok(None),
        Some(n) => match Bug::from_name(n) {
            Some(b) => Ok(Some(b)),
            None => {
                let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
                bail!("unknown bug {n:?}; the catalog has: {}", names.join(", "))
            }
        },
    }
}

/// Parses a variant name, or `all`.
pub fn parse_variants(name: &str) -> Result<Vec<Variant>> {
    if name == "all" {
        return Ok(Variant::ALL.to_vec());
    }
    Variant::from_name(name)
        .map(|v| vec![v])
        .ok_or_else(|| anyhow!("unknown variant {name:?}: expected raft, kraft or all"))
}
