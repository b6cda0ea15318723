//! `raftspec conform`: model traces replayed against the implementation (exhaustive edge
//! cover, random walks, proptest, the bug catalog), and the kill rate of its mutants.

use crate::Outcome;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use raftspec_conformance::conform::{
    catalog_results, conform, default_options_in, known_differences, CatalogResult, CoreConfig,
    Target,
};
use raftspec_conformance::suite::{SuiteOptions, SuiteReport};
use raftspec_model::options::Options;
use raftspec_model::Variant;
use serde_json::json;

#[derive(Args, Debug)]
pub struct ConformArgs {
    #[arg(help = crate::args::variant_help(false))]
    pub variant: String,
    /// Depth (in actions) of the state graphs of the exhaustive source: `D` for all, or
    /// `NAME=D,NAME=D` per graph (defaults: four-servers 12, five-servers 10, faults 9,
    /// replication 15, elections 12, mixed 15; 0 leaves a graph out).
    #[arg(long)]
    pub depth: Option<String>,
    /// Threads replaying the exhaustive covers (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Random walks to replay.
    #[arg(long)]
    pub walks: Option<usize>,
    /// Longest random walk and proptest case, in actions.
    #[arg(long)]
    pub len: Option<usize>,
    /// Seed of the walks and of proptest.
    #[arg(long)]
    pub seed: Option<u64>,
    /// proptest cases (0: none).
    #[arg(long)]
    pub cases: Option<u32>,
    /// Skip replaying the bug catalog's counterexamples.
    #[arg(long)]
    pub no_catalog: bool,
    /// Keep the actions on which model and implementation are known to differ (listed in the
    /// report and in specs/conformance.md); by default the sources leave them out.
    #[arg(long)]
    pub include_known_differences: bool,
    /// Run against the implementation with this injected bug (`raft:NAME`; needs a binary
    /// built with `--features mutants`).
    #[arg(long, conflicts_with = "mutants")]
    pub mutant: Option<String>,
    /// `all`: run against every mutant of the variant and print the kill rate.
    #[arg(long)]
    pub mutants: Option<String>,
    /// Entries per AppendEntries / Fetch response, in the model (`--batch` of check) and in
    /// the implementation alike (1-8).
    #[arg(long, value_name = "N")]
    pub batch: Option<u8>,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// On a divergence, write the trace up to it (minimized) to this ITF file.
    #[arg(long)]
    pub trace_out: Option<std::path::PathBuf>,
    /// The implementation under test: `raftspec` (our own cores, the default) or `raft-rs`
    /// (tikv/raft-rs 0.7; needs a binary built with `--features raft-rs`; raft only).
    #[arg(long = "impl", value_name = "NAME")]
    pub implementation: Option<String>,
    /// The Raft model's flavor: `raft` or `raft-rs` (default: raft-rs with `--impl raft-rs`,
    /// raft otherwise).
    #[arg(long)]
    pub flavor: Option<String>,
    /// One raft-rs model option on (repeatable; see `raftspec check --help`).
    #[arg(long = "option", value_name = "NAME")]
    pub option: Vec<String>,
    /// The configuration of raftspec's cores: `model` (the default) or `production`
    /// (`Config::production()`, replayed against `--flavor production`; raftspec cores only).
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
}

/// `--config` (with what it excludes).
fn config_of(a: &ConformArgs) -> Result<CoreConfig> {
    let config = match a.config.as_deref() {
        None => CoreConfig::Model,
        Some(name) => CoreConfig::parse(name)
            .ok_or_else(|| anyhow!("unknown config {name:?}: expected model or production"))?,
    };
    if config == CoreConfig::Production {
        anyhow::ensure!(
            a.implementation.as_deref().unwrap_or("raftspec") == "raftspec",
            "--config production configures raftspec's own cores (not --impl raft-rs)"
        );
        anyhow::ensure!(
            a.batch.is_none(),
            "--config production sends every entry in one message: --batch does not apply"
        );
    }
    Ok(config)
}

/// tikv/raft-rs as the target, possibly with a wrapper mutant (an error without the feature).
pub fn raft_rs_target(mutant: Option<&str>) -> Result<Target> {
    raft_rs::target(mutant)
}

/// `--impl`, `--flavor`, `--option` and `--mutant` as a target.
fn target_of(a: &ConformArgs, variant: Variant) -> Result<Target> {
    let rs = match a.implementation.as_deref() {
        None | Some("raftspec") => false,
        Some("raft-rs") => true,
        Some(other) => bail!("unknown implementation {other:?}: expected raftspec or raft-rs"),
    };
    anyhow::ensure!(
        !rs || variant.info().raft_rs,
        "--impl raft-rs implements {} (not {variant})",
        crate::args::raft_rs_variants()
    );
    let config = config_of(a)?;
    let production = config == CoreConfig::Production;
    let flavor = a.flavor.as_deref().or(rs.then_some("raft-rs"));
    let flavor = flavor.or(production.then_some("production"));
    let options = crate::args::flavor_options(flavor, &a.option, Options::default(), variant)?;
    let mut target = match (rs, &a.mutant) {
        (true, m) => raft_rs::target(m.as_deref())?,
        (false, Some(name)) => mutants::target(variant, name)?,
        (false, None) => Target::correct(),
    };
    target.config = config;
    target.options = options;
    Ok(target)
}

#[cfg(feature = "raft-rs")]
mod raft_rs {
    use super::*;
    use raftspec_conformance::raftrs::RsMutant;

    pub fn target(mutant: Option<&str>) -> Result<Target> {
        let m = match mutant {
            None => None,
            Some(name) => Some(RsMutant::parse(name).ok_or_else(|| {
                let known: Vec<&str> = RsMutant::ALL.iter().map(|m| m.name()).collect();
                anyhow!(
                    "unknown raft-rs mutant {name:?}: expected one of {}",
                    known.join(", ")
                )
            })?),
        };
        Ok(Target::raft_rs(m))
    }

    pub fn all() -> Vec<(String, Target)> {
        RsMutant::ALL
            .iter()
            .map(|m| (m.name().to_string(), Target::raft_rs(Some(*m))))
            .collect()
    }
}

#[cfg(not(feature = "raft-rs"))]
mod raft_rs {
    use super::*;

    const NO_RAFT_RS: &str =
        "this raftspec was built without the raft-rs adapter: build it with `--features raft-rs`";

    pub fn target(_: Option<&str>) -> Result<Target> {
        bail!(NO_RAFT_RS)
    }

    pub fn all() -> Vec<(String, Target)> {
        Vec::new()
    }
}

fn options(a: &ConformArgs, variant: Variant) -> Result<SuiteOptions> {
    let mut o = default_options_in(variant, config_of(a)?);
    if let Some(d) = &a.depth {
        set_depths(&mut o, d)?;
    }
    o.threads = crate::args::threads(a.threads)?;
    if let Some(w) = a.walks {
        o.walks = w;
    }
    if let Some(l) = a.len {
        anyhow::ensure!((1..=1000).contains(&l), "--len must be between 1 and 1000");
        o.walk_len = l;
        o.proptest_len = l;
    }
    if let Some(s) = a.seed {
        o.seed = s;
    }
    if let Some(c) = a.cases {
        o.proptest_cases = c;
    }
    o.include_known_differences = a.include_known_differences;
    if let Some(n) = a.batch {
        for b in o
            .graphs
            .iter_mut()
            .map(|g| &mut g.bounds)
            .chain([&mut o.walk_bounds])
        {
            b.options.batch = n;
        }
        o.walk_bounds
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(o)
}

/// `--depth D` (every graph) or `--depth NAME=D,...` (graph names with `-` for spaces).
fn set_depths(o: &mut SuiteOptions, spec: &str) -> Result<()> {
    let depth = |v: &str| -> Result<usize> {
        match v.trim().parse::<usize>() {
            Ok(d) if d <= 40 => Ok(d),
            _ => bail!("--depth: {v:?} is not a depth between 0 and 40"),
        }
    };
    if !spec.contains('=') {
        let d = depth(spec)?;
        anyhow::ensure!(d >= 1, "--depth must be between 1 and 40");
        o.graphs.iter_mut().for_each(|g| g.depth = d);
        return Ok(());
    }
    for part in spec.split(',') {
        let (name, d) = part
            .split_once('=')
            .ok_or_else(|| anyhow!("--depth: expected NAME=D, got {part:?}"))?;
        let d = depth(d)?;
        let key = name.trim().replace('-', " ");
        let Some(g) = o.graphs.iter_mut().find(|g| g.name == key) else {
            let known: Vec<String> = o.graphs.iter().map(|g| g.name.replace(' ', "-")).collect();
            bail!("--depth: no graph {name:?}; graphs: {}", known.join(", "));
        };
        g.depth = d;
    }
    o.graphs.retain(|g| g.depth > 0);
    Ok(())
}

fn parse_variant(name: &str) -> Result<Variant> {
    Variant::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        anyhow!(
            "unknown variant {name:?}: expected one of {} (a variant needs a model to conform to)",
            known.join(", ")
        )
    })
}

pub fn run(a: ConformArgs) -> Result<Outcome> {
    let variant = parse_variant(&a.variant)?;
    let target = target_of(&a, variant)?;
    let opts = raftspec_conformance::conform::with_options(&options(&a, variant)?, target.options);
    let opts = match &a.mutants {
        Some(_) => opts, // each mutant's target adjusts them (`Target::suite_options`)
        None => target.suite_options(&opts),
    };
    if let Some(all) = &a.mutants {
        anyhow::ensure!(all == "all", "--mutants takes `all` (or use --mutant NAME)");
        if a.implementation.as_deref() == Some("raft-rs") {
            return run_mutants(&a, variant, &opts, raft_rs::all());
        }
        return mutants::run_all(&a, variant, &opts);
    }
    let mut progress = |s: &str| eprintln!("{s}");
    let report = conform(variant, &opts, &target, &mut progress)?;
    let catalog = if a.no_catalog || a.mutant.is_some() {
        Vec::new()
    } else {
        catalog_results(variant, &target, &mut progress)
    };
    let catalog_ok = !catalog.iter().any(|c| c.followed());
    if let (Some(file), Some(d)) = (&a.trace_out, &report.divergence) {
        std::fs::write(file, d.prefix.to_itf_string())
            .map_err(|e| anyhow!("cannot write {}: {e}", file.display()))?;
        eprintln!("wrote the diverging trace to {}", file.display());
    }
    let conforms = report.divergence.is_none() && catalog_ok;
    if a.json {
        let mut out = json!({
            "variant": variant,
            "target": target.name(),
            "config": target.config,
            "passed": conforms,
            "options": opts,
            "report": report,
            "catalog": catalog,
            "known_differences_left_out": if opts.include_known_differences {
                Vec::new()
            } else {
                known_differences(variant)
            },
        });
        // The ITF file of the diverging trace, when one was written.
        if let Some(f) = a.trace_out.as_ref().filter(|_| report.divergence.is_some()) {
            out["trace"] = json!(f);
        }
        crate::json::Doc::reports("conform", vec![out]).print()?;
    } else {
        print_report(variant, &target, &opts, &report, &catalog);
    }
    Ok(if conforms {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

fn print_report(
    variant: Variant,
    target: &Target,
    opts: &SuiteOptions,
    r: &SuiteReport,
    catalog: &[CatalogResult],
) {
    println!(
        "== conform {variant}: model traces replayed against {}",
        target.name()
    );
    for g in &r.graphs {
        let b = g.bounds.as_ref().map(|b| b.to_string()).unwrap_or_default();
        println!(
            "exhaustive {:<12} depth {:>2}: {} states, {} edges, {} paths; edges replayed {}/{} ({:.1}%)",
            g.name,
            g.depth,
            g.states,
            g.edges,
            g.paths,
            g.edges_covered,
            g.edges,
            100.0 * g.edges_covered as f64 / g.edges.max(1) as f64
        );
        println!("  bounds:   {b}");
    }
    println!(
        "walks:      {} of at most {} actions, seed {}, on {:?} servers, coverage-guided: {} states, {} action kinds (bounds: {})",
        r.walks, r.walk_len, opts.seed, opts.walk_servers, r.walk_states, r.walk_kinds, opts.walk_bounds
    );
    println!(
        "proptest:   {} cases of at most {} actions",
        r.proptest_cases, opts.proptest_len
    );
    print_rules(target, r);
    if !opts.include_known_differences {
        for k in known_differences(variant) {
            println!("left out:   known difference: {k}");
        }
    }
    print_catalog(catalog);
    println!(
        "replayed:   {} distinct traces ({} replays, {} actions) in {:.1} s",
        r.traces, r.replays, r.steps, r.seconds
    );
    print_result(r, catalog);
}

/// The rule branches of the core each source hit.
fn print_rules(target: &Target, r: &SuiteReport) {
    if r.rules.is_empty() && target.is_raft_rs() {
        println!("rules:      not counted (raft-rs has no coverage marks)");
    } else if r.rules.is_empty() {
        println!("rules:      not counted (coverage marks need a build with --features mutants)");
    }
    for c in &r.rules {
        println!(
            "rules:      {:<24} {}/{} rule branches of the core hit",
            c.source, c.hit, c.total
        );
    }
    if let Some(all) = r.rules.iter().find(|c| c.source == "all sources") {
        for m in &all.missed {
            println!("  never hit: {m}");
        }
    }
}

/// The bug catalog's counterexamples and where the implementation left each.
fn print_catalog(catalog: &[CatalogResult]) {
    if !catalog.is_empty() {
        let rejected = catalog.iter().filter(|c| c.divergence.is_some()).count();
        let with = catalog.iter().filter(|c| c.steps.is_some()).count();
        println!(
            "catalog:    {rejected}/{with} buggy-model counterexamples rejected by the implementation"
        );
        for c in catalog {
            println!("  {}", c.summary());
        }
    }
}

/// The verdict line (and the divergence, if any).
fn print_result(r: &SuiteReport, catalog: &[CatalogResult]) {
    match &r.divergence {
        None if !catalog.iter().any(|c| c.followed()) => {
            println!("result:     CONFORMS: every trace replayed without a divergence")
        }
        None => {
            println!("result:     FAIL: the implementation follows a buggy model's counterexample")
        }
        Some(d) => {
            println!(
                "result:     DIVERGES ({}; trace minimized)",
                r.diverged_in.as_deref().unwrap_or("?")
            );
            print!("{d}");
        }
    }
}

#[cfg(feature = "mutants")]
mod mutants {
    use super::*;
    use raftspec_conformance::conform::not_applicable;
    use raftspec_impl::core::Mutant;

    pub fn target(variant: Variant, name: &str) -> Result<Target> {
        let m: Mutant = name.parse()?;
        if !Mutant::of_variant(variant.name()).any(|x| x == m) {
            bail!("mutant {m} is not a {variant} mutant");
        }
        Ok(Target::mutant(m))
    }

    pub fn run_all(a: &ConformArgs, variant: Variant, opts: &SuiteOptions) -> Result<Outcome> {
        let base = target_of(a, variant)?;
        let (all, off): (Vec<Mutant>, Vec<Mutant>) = Mutant::of_variant(variant.name())
            .partition(|m| not_applicable(*m, base.config).is_none());
        if !a.json {
            for m in &off {
                let why = not_applicable(*m, base.config).unwrap_or_default();
                println!("  n/a       {:<36} {why}", m.name());
            }
        }
        let all: Vec<(String, Target)> = all
            .into_iter()
            .map(|m| {
                let t = Target {
                    config: base.config,
                    options: base.options,
                    ..Target::mutant(m)
                };
                (m.name().to_string(), t)
            })
            .collect();
        run_mutants(a, variant, opts, all)
    }
}

/// Runs the suite against every mutant target; each must diverge.
fn run_mutants(
    a: &ConformArgs,
    variant: Variant,
    opts: &SuiteOptions,
    all: Vec<(String, Target)>,
) -> Result<Outcome> {
    anyhow::ensure!(!all.is_empty(), "no mutants for {variant}");
    if !a.json {
        println!(
            "== conform {variant} --mutants all: each injected bug must make a replay diverge"
        );
    }
    let mut rows = Vec::new();
    for (name, target) in &all {
        rows.push(run_mutant(a, variant, opts, name, target)?);
    }
    let killed = rows.iter().filter(|r| r["killed"] == true).count();
    let total = all.len();
    if a.json {
        crate::json::Doc::reports("conform --mutants", rows)
            .with("variant", variant)?
            .with("config", all[0].1.config)?
            .with("killed", killed)?
            .with("total", total)?
            .with("kill_rate", killed as f64 / total as f64)?
            .print()?;
    } else {
        println!(
            "kill rate:  {killed}/{total} ({:.0}%)",
            100.0 * killed as f64 / total as f64
        );
    }
    Ok(if killed == total {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// One mutant's suite: its JSON row (the human line printed unless `--json`).
fn run_mutant(
    a: &ConformArgs,
    variant: Variant,
    opts: &SuiteOptions,
    name: &str,
    target: &Target,
) -> Result<serde_json::Value> {
    let t = std::time::Instant::now();
    let opts = &target.suite_options(opts);
    let r = conform(variant, opts, target, &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    if !a.json {
        match &r.divergence {
            Some(d) => println!(
                "  killed    {:<36} by {} at step {} ({}{}: model {} / impl {}), {:.2} s",
                name,
                r.diverged_in.as_deref().unwrap_or("?"),
                d.step,
                d.node.map(|n| format!("S{n}.")).unwrap_or_default(),
                d.field,
                d.expected,
                d.actual,
                secs
            ),
            None => println!(
                "  SURVIVED  {:<36} {} distinct traces replayed, {:.2} s",
                name, r.traces, secs
            ),
        }
    }
    Ok(json!({
        "mutant": name,
        "passed": r.divergence.is_some(),
        "killed": r.divergence.is_some(),
        "source": r.diverged_in,
        "traces": r.traces,
        "seconds": secs,
        "divergence": r.divergence_json,
    }))
}

#[cfg(not(feature = "mutants"))]
mod mutants {
    use super::*;

    const NO_MUTANTS: &str =
        "this raftspec was built without mutants: build it with `--features mutants`";

    pub fn target(_: Variant, _: &str) -> Result<Target> {
        bail!(NO_MUTANTS)
    }

    pub fn run_all(_: &ConformArgs, _: Variant, _: &SuiteOptions) -> Result<Outcome> {
        bail!(NO_MUTANTS)
    }
}
