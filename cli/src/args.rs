//! Arguments shared by every command that builds a model: variant, bounds, bug.

use anyhow::{anyhow, bail, Result};
use clap::Args;
use raftspec_model::bugs::{self, Bug};
use raftspec_model::options::{Flavor, Options};
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
    /// Requests go to one peer per step (Raft RequestVote/AppendEntries, KRaft Vote/
    /// BeginQuorumEpoch), so partial broadcasts happen; off, a timer step sends to every peer.
    #[arg(long)]
    pub per_peer: bool,
    /// Entries one AppendEntries (Raft) or Fetch response (KRaft) carries at most (1-8; 1 as
    /// raft.tla).
    #[arg(long, value_name = "N")]
    pub batch: Option<u8>,
    /// Start from a named set of bounds: quick (the default) or deep; flags given override it.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Raft as an implementation runs it: `raft` (the paper, the default), `raft-rs`
    /// (tikv/raft-rs 0.7: every raft-rs option on; specs/raft.md, "The raft-rs flavor") or
    /// `production` (raftspec's core as a real node runs it; specs/raft.md, "Options"; for
    /// kraft: no cap on records per Fetch response).
    #[arg(long, value_name = "FLAVOR")]
    pub flavor: Option<String>,
    /// One raft-rs option on (repeatable; `no-NAME` switches one off, e.g. after
    /// `--flavor raft-rs`): leader-noop, separate-heartbeats, eager-append, flow-control,
    /// reject-hint, silent-lower-term, vote-needs-no-leader, lost-election-steps-down,
    /// persist-commit, ack-below-commit, commit-by-vote; raftspec's production rules:
    /// send-on-election, pipeline, refusal-hint.
    #[arg(long = "option", value_name = "NAME")]
    pub option: Vec<String>,
}

/// The Raft model options of `--flavor F` and `--option NAME ...` over `base`; refused for
/// KRaft (its options are per-peer and batch only).
pub fn flavor_options(
    flavor: Option<&str>,
    switches: &[String],
    base: Options,
    variant: Variant,
) -> Result<Options> {
    if flavor.is_none() && switches.is_empty() {
        return Ok(base);
    }
    let mut o = base;
    if let Some(f) = flavor {
        let f = Flavor::parse(f).ok_or_else(|| {
            let known: Vec<&str> = Flavor::ALL.iter().map(|f| f.name()).collect();
            anyhow!("unknown flavor {f:?}: expected one of {}", known.join(", "))
        })?;
        let flavored = match (f, variant) {
            // KRaft's production core differs from the model's only in its batch.
            (Flavor::Production, Variant::Kraft) => Options {
                batch: Options::production().batch,
                ..Options::default()
            },
            _ => f.options(),
        };
        o = Options {
            per_peer: o.per_peer,
            // production: no cap on entries per message (the flavor's batch)
            batch: o.batch.max(flavored.batch),
            ..flavored
        };
    }
    for name in switches {
        anyhow::ensure!(
            o.set_switch(name),
            "unknown option {name:?}: expected one of {}",
            raftspec_model::options::SWITCHES
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    anyhow::ensure!(
        variant.info().raft_rs || !o.any_raft_rs(),
        "--flavor raft-rs and --option apply to {} only ({variant} has no such options)",
        raft_rs_variants()
    );
    Ok(o)
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

/// One run of a profile: its name (shown beside the report) and bounds.
#[derive(Clone, Debug)]
pub struct ProfileRun {
    pub name: &'static str,
    pub bounds: Bounds,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Deep => "deep",
        }
    }

    /// The runs of the profile for one variant, in order. Deep has two, since no single bound
    /// affordable on two cores reaches both a varied history (two entries, a restart, a lost
    /// message) and a long one (four terms or epochs, as Figure 8 and KAFKA-12619 need).
    pub fn runs(self, variant: Variant) -> Vec<ProfileRun> {
        match self {
            Profile::Quick => vec![ProfileRun {
                name: "quick",
                bounds: default_bounds(variant),
            }],
            Profile::Deep => vec![
                ProfileRun {
                    name: "deep",
                    bounds: deep_bounds(variant),
                },
                ProfileRun {
                    name: "deep-history",
                    bounds: deep_history_bounds(variant),
                },
            ],
        }
    }

    /// Deep spaces are checked with (exact) symmetry, or they would not fit in minutes.
    pub fn symmetry(self) -> bool {
        self == Profile::Deep
    }
}

/// The deep profile's first run: every variant reaches two-entry logs, a second term for a
/// leader, a restart and a lost message (its terms from the registry).
fn deep_bounds(variant: Variant) -> Bounds {
    let mut b = default_bounds(variant);
    b.max_log = 2;
    b.max_restarts = 1;
    b.network.drop = true;
    b.network.max_drops = Some(1);
    b.network.max_in_flight = 3;
    b.max_term = variant.info().deep_term;
    b
}

/// The deep profile's second run: four terms (epochs), where a server can lead, lose and lead
/// again, with the registry's entries (Raft one, KRaft only the leaders' LeaderChange
/// records), no restart, no loss and three messages in flight.
fn deep_history_bounds(variant: Variant) -> Bounds {
    let mut b = default_bounds(variant);
    b.max_term = 4;
    b.max_restarts = 0;
    b.network.max_in_flight = 3;
    b.max_log = variant.info().deep_history_log;
    b
}

/// The bounds that `raftspec check` uses when given none (the registry's quick bounds): each
/// finishes in under 2 minutes on a 2-core machine (figures in README.md).
pub fn default_bounds(variant: Variant) -> Bounds {
    (variant.info().quick)()
}

impl BoundsArgs {
    /// Resolves the bounds for a variant (and bug), validating them: one run for each run of
    /// the profile (flags override each), else one unnamed run.
    pub fn resolve_runs(
        &self,
        variant: Variant,
        bug: Option<Bug>,
    ) -> Result<Vec<(Option<&'static str>, Bounds)>> {
        match self.profile {
            Some(p) => p
                .runs(variant)
                .into_iter()
                .map(|r| Ok((Some(r.name), self.apply(r.bounds, variant)?)))
                .collect(),
            None => Ok(vec![(None, self.resolve(variant, bug)?)]),
        }
    }

    /// Resolves the bounds for a variant (and bug), validating them; with a profile, its first run.
    pub fn resolve(&self, variant: Variant, bug: Option<Bug>) -> Result<Bounds> {
        let base = match (self.profile, bug.and_then(|b| bugs::entry(variant, b))) {
            (Some(p), _) => p.runs(variant).remove(0).bounds,
            (None, Some(row)) => row.bounds,
            (None, None) => default_bounds(variant),
        };
        self.apply(base, variant)
    }

    /// The flags given, applied over `base` (also by `check --liveness`, over its own
    /// defaults).
    pub fn apply(&self, base: Bounds, variant: Variant) -> Result<Bounds> {
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
        if self.per_peer {
            b.options.per_peer = true;
        }
        if let Some(v) = self.batch {
            b.options.batch = v;
        }
        b.options = flavor_options(self.flavor.as_deref(), &self.option, b.options, variant)?;
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
    Variant::from_name(name).map(|v| vec![v]).ok_or_else(|| {
        anyhow!(
            "unknown variant {name:?}: expected {} or all",
            raftspec_model::registry::names()
        )
    })
}

/// The help of a variant argument, from the registry: "raft (push), kraft (pull)[, or all]".
pub fn variant_help(or_all: bool) -> String {
    let names: Vec<String> = Variant::ALL
        .iter()
        .map(|v| format!("{v} ({})", v.info().style))
        .collect();
    let all = if or_all { ", or all" } else { "" };
    format!("The protocol variant: {}{all}", names.join(", "))
}

/// Parses one variant name (the registry's names).
pub fn parse_variant(name: &str) -> Result<Variant> {
    Variant::from_name(name).ok_or_else(|| {
        anyhow!(
            "unknown variant {name:?}: expected {}",
            raftspec_model::registry::names()
        )
    })
}

/// The variants the raft-rs profile's options apply to ("raft").
pub fn raft_rs_variants() -> String {
    Variant::ALL
        .iter()
        .filter(|v| v.info().raft_rs)
        .map(|v| v.name())
        .collect::<Vec<_>>()
        .join(", ")
}
