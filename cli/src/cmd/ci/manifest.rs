//! The manifest (`raftspec.toml`): what `raftspec ci` runs, read strictly (an unknown key, a bad
//! bound or a missing file is one error line and exit 2) and resolved into a [`Plan`].

use super::CiError;
use crate::args::BoundsArgs;
use raftspec_conformance::conform::{default_options_in, CoreConfig};
use raftspec_conformance::suite::SuiteOptions;
use raftspec_model::{Bounds, Bug, Variant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Manifest {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    check: Vec<CheckSpec>,
    #[serde(default)]
    conform: Vec<ConformSpec>,
    #[serde(default)]
    catalog: Vec<CatalogSpec>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Settings {
    /// Pins file, relative to the manifest (default `raftspec.pins.json`).
    pins: Option<PathBuf>,
    /// How far (percent) a pinned figure may move before the run fails (default 0).
    tolerance: Option<f64>,
    /// Cache directory, relative to the manifest (default `.raftspec-cache`).
    cache: Option<PathBuf>,
    /// Time budget of an entry that sets none, in seconds (default 600).
    budget: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CheckSpec {
    name: Option<String>,
    variant: String,
    servers: Option<u8>,
    max_term: Option<u8>,
    max_log: Option<u8>,
    values: Option<u8>,
    max_restarts: Option<u8>,
    max_copies: Option<u8>,
    max_in_flight: Option<u8>,
    #[serde(default)]
    no_drop: bool,
    /// Message loss on, at most `max_drops` messages a run when that is set.
    #[serde(default)]
    drop: bool,
    max_drops: Option<u8>,
    #[serde(default)]
    fifo: bool,
    /// Protocol options: one peer per send step, entries per AppendEntries/Fetch response.
    #[serde(default)]
    per_peer: bool,
    batch: Option<u8>,
    threads: Option<usize>,
    #[serde(default)]
    symmetry: bool,
    tolerance: Option<f64>,
    budget: Option<f64>,
    /// A catalog bug (safety or liveness) injected into the model: what a mistaken edit to the
    /// model does to this check, e.g. a guard made too strong (`commit-needs-entries`) shrinks
    /// the state space, which the pins catch.
    bug: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ConformSpec {
    name: Option<String>,
    variant: String,
    depth: Option<usize>,
    walks: Option<usize>,
    len: Option<usize>,
    cases: Option<u32>,
    seed: Option<u64>,
    /// Replay the bug catalog's counterexamples too (default true).
    catalog: Option<bool>,
    /// Every mutant of the variant must be killed (needs a binary built with `mutants`).
    #[serde(default)]
    mutants: bool,
    /// The cores' configuration: "model" (default) or "production" (`conform --config`).
    config: Option<String>,
    budget: Option<f64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CatalogSpec {
    name: Option<String>,
    variant: String,
    /// Bugs that must be found (default: every one of the variant's catalog).
    require: Option<usize>,
    budget: Option<f64>,
}

/// What a whole run does, paths resolved against the manifest's directory.
#[derive(Debug)]
pub struct Plan {
    pub manifest: PathBuf,
    pub pins: PathBuf,
    pub cache_dir: PathBuf,
    pub entries: Vec<Entry>,
}

#[derive(Debug)]
pub struct Entry {
    pub name: String,
    /// Seconds the entry may take.
    pub budget: f64,
    pub job: Job,
}

/// One entry's work; its serialized form (with the source hashes) is its cache key.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Job {
    Check(CheckJob),
    Conform(ConformJob),
    Catalog(CatalogJob),
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Check(_) => "check",
            Job::Conform(_) => "conform",
            Job::Catalog(_) => "catalog",
        }
    }

    pub fn variant(&self) -> Variant {
        match self {
            Job::Check(j) => j.variant,
            Job::Conform(j) => j.variant,
            Job::Catalog(j) => j.variant,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckJob {
    pub variant: Variant,
    pub bounds: Bounds,
    pub threads: usize,
    pub symmetry: bool,
    /// A catalog bug injected into the model (part of the cache key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<Bug>,
    /// Percent a pinned figure may move.
    #[serde(skip)]
    pub tolerance: f64,
}

#[derive(Debug, Serialize)]
pub struct ConformJob {
    pub variant: Variant,
    pub options: SuiteOptions,
    pub catalog: bool,
    pub mutants: bool,
    pub config: CoreConfig,
}

#[derive(Debug, Serialize)]
pub struct CatalogJob {
    pub variant: Variant,
    pub require: Option<usize>,
}

/// Reads and resolves the manifest at `path`.
pub fn load(path: &Path) -> Result<Plan, CiError> {
    let text = std::fs::read_to_string(path).map_err(|e| CiError::ReadManifest {
        path: path.to_path_buf(),
        error: e.to_string(),
    })?;
    let m: Manifest = toml::from_str(&text).map_err(|e| parse_error(path, &text, &e))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let s = &m.settings;
    let tolerance = s.tolerance.unwrap_or(0.0);
    let budget = s.budget.unwrap_or(600.0);
    let bad = |msg: String| CiError::Manifest {
        path: path.to_path_buf(),
        msg,
    };
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(bad(format!(
            "settings.tolerance must be a percentage >= 0 (got {tolerance})"
        )));
    }
    positive_budget(Some(budget), "settings").map_err(bad)?;
    let mut entries = Vec::new();
    for c in &m.check {
        entries.push(check_entry(c, tolerance, budget).map_err(bad)?);
    }
    for c in &m.conform {
        entries.push(conform_entry(c, budget).map_err(bad)?);
    }
    for c in &m.catalog {
        entries.push(catalog_entry(c, budget).map_err(bad)?);
    }
    unique_names(&entries).map_err(bad)?;
    if entries.is_empty() {
        return Err(bad("no [[check]], [[conform]] or [[catalog]] entry".into()));
    }
    Ok(Plan {
        manifest: path.to_path_buf(),
        pins: dir.join(s.pins.clone().unwrap_or("raftspec.pins.json".into())),
        cache_dir: dir.join(s.cache.clone().unwrap_or(".raftspec-cache".into())),
        entries,
    })
}

/// toml's error, on one line: `line N: message`.
fn parse_error(path: &Path, text: &str, e: &toml::de::Error) -> CiError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    CiError::Manifest {
        path: path.to_path_buf(),
        msg: match line {
            Some(l) => format!("line {l}: {msg}"),
            None => msg,
        },
    }
}

fn parse_variant(name: &str, what: &str) -> Result<Variant, String> {
    Variant::from_name(name).ok_or_else(|| {
        format!(
            "{what}: unknown variant {name:?} (expected {})",
            raftspec_model::registry::names()
        )
    })
}

fn positive_budget(b: Option<f64>, what: &str) -> Result<(), String> {
    match b {
        Some(b) if !(b.is_finite() && b > 0.0) => Err(format!(
            "{what}: budget must be a positive number of seconds (got {b})"
        )),
        _ => Ok(()),
    }
}

/// A bug of the variant's safety or liveness catalog.
fn catalog_bug(variant: Variant, name: &str, what: &str) -> Result<Bug, String> {
    let bug = Bug::from_name(name)
        .ok_or_else(|| format!("{what}: unknown bug {name:?} (see `raftspec bugs`)"))?;
    let known = raftspec_model::bugs::entry(variant, bug).is_some()
        || raftspec_model::liveness::entry(variant, bug).is_some();
    known
        .then_some(bug)
        .ok_or_else(|| format!("{what}: bug {name} is not in the {variant} catalog"))
}

fn check_entry(c: &CheckSpec, tolerance: f64, budget: f64) -> Result<Entry, String> {
    let name = c.name.clone().unwrap_or_else(|| c.variant.clone());
    let what = format!("check {name:?}");
    let variant = parse_variant(&c.variant, &what)?;
    let args = BoundsArgs {
        servers: c.servers,
        max_term: c.max_term,
        max_log: c.max_log,
        values: c.values,
        max_restarts: c.max_restarts,
        max_copies: c.max_copies,
        max_in_flight: c.max_in_flight,
        no_drop: c.no_drop,
        drop: c.drop,
        max_drops: c.max_drops,
        fifo: c.fifo,
        per_peer: c.per_peer,
        batch: c.batch,
        profile: None,
        flavor: None,
        option: Vec::new(),
    };
    let bounds = args
        .resolve(variant, None)
        .map_err(|e| format!("{what}: {e}"))?;
    let threads = c.threads.unwrap_or(1);
    if !(1..=1024).contains(&threads) {
        return Err(format!(
            "{what}: threads must be between 1 and 1024 (got {threads})"
        ));
    }
    if c.symmetry && !bounds.network.reorder {
        return Err(format!(
            "{what}: symmetry needs a reordering network (drop fifo)"
        ));
    }
    let tolerance = c.tolerance.unwrap_or(tolerance);
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(format!("{what}: tolerance must be a percentage >= 0"));
    }
    positive_budget(c.budget, &what)?;
    let bug = c
        .bug
        .as_deref()
        .map(|b| catalog_bug(variant, b, &what))
        .transpose()?;
    Ok(Entry {
        name,
        budget: c.budget.unwrap_or(budget),
        job: Job::Check(CheckJob {
            variant,
            bounds,
            threads,
            symmetry: c.symmetry,
            bug,
            tolerance,
        }),
    })
}

fn conform_entry(c: &ConformSpec, budget: f64) -> Result<Entry, String> {
    let name = c
        .name
        .clone()
        .unwrap_or_else(|| format!("conform-{}", c.variant));
    let what = format!("conform {name:?}");
    let variant = parse_variant(&c.variant, &what)?;
    let config = match c.config.as_deref() {
        None => CoreConfig::Model,
        Some(n) => CoreConfig::parse(n).ok_or_else(|| {
            format!("{what}: config must be \"model\" or \"production\" (got {n:?})")
        })?,
    };
    let mut o = default_options_in(variant, config);
    if let Some(d) = c.depth {
        if !(1..=40).contains(&d) {
            return Err(format!("{what}: depth must be between 1 and 40 (got {d})"));
        }
        o.graphs.iter_mut().for_each(|g| g.depth = d);
    }
    if let Some(l) = c.len {
        if !(1..=1000).contains(&l) {
            return Err(format!("{what}: len must be between 1 and 1000 (got {l})"));
        }
        o.walk_len = l;
        o.proptest_len = l;
    }
    o.walks = c.walks.unwrap_or(o.walks);
    o.proptest_cases = c.cases.unwrap_or(o.proptest_cases);
    o.seed = c.seed.unwrap_or(o.seed);
    if c.mutants && !cfg!(feature = "mutants") {
        return Err(format!(
            "{what}: mutants = true needs a raftspec built with `--features mutants`"
        ));
    }
    positive_budget(c.budget, &what)?;
    Ok(Entry {
        name,
        budget: c.budget.unwrap_or(budget),
        job: Job::Conform(ConformJob {
            variant,
            options: o,
            catalog: c.catalog.unwrap_or(true),
            mutants: c.mutants,
            config,
        }),
    })
}

fn catalog_entry(c: &CatalogSpec, budget: f64) -> Result<Entry, String> {
    let name = c
        .name
        .clone()
        .unwrap_or_else(|| format!("catalog-{}", c.variant));
    let what = format!("catalog {name:?}");
    let variant = parse_variant(&c.variant, &what)?;
    let total = raftspec_model::bugs::catalog_for(variant).len();
    if let Some(r) = c.require {
        if r > total {
            return Err(format!(
                "{what}: require = {r}, but the {variant} catalog has {total} bugs"
            ));
        }
    }
    positive_budget(c.budget, &what)?;
    Ok(Entry {
        name,
        budget: c.budget.unwrap_or(budget),
        job: Job::Catalog(CatalogJob {
            variant,
            require: c.require,
        }),
    })
}

fn unique_names(entries: &[Entry]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for e in entries {
        if !seen.insert(e.name.as_str()) {
            return Err(format!(
                "two entries are named {:?}: give each a distinct `name`",
                e.name
            ));
        }
    }
    Ok(())
}
