//! `raftspec bugs`: the catalog of injectable protocol bugs, and with `--score` the mutation
//! score of the specification at a profile: which catalog bugs a check at that profile's
//! bounds finds.

use crate::args::Profile;
use crate::Outcome;
use anyhow::Result;
use clap::Args;
use raftspec_model::bugs::{catalog, CatalogEntry};
use raftspec_model::check::{try_check, CheckOptions, Engine, Stop};
use raftspec_model::spec::{with_spec, Spec, SpecVisitor};
use serde::Serialize;

#[derive(Args, Debug)]
pub struct BugsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check every catalog bug at a profile's bounds and report which are found.
    #[arg(long)]
    pub score: bool,
    /// The profile to score (with --score): quick or deep.
    #[arg(long, value_enum, default_value = "quick", requires = "score")]
    pub profile: Profile,
    /// Checker threads for --score (default: every core).
    #[arg(long, requires = "score")]
    pub threads: Option<usize>,
}

pub fn run(a: BugsArgs) -> Result<Outcome> {
    if a.score {
        return score(&a);
    }
    let rows = catalog();
    let live = raftspec_model::liveness::catalog();
    if a.json {
        let mut all = Vec::new();
        for r in &rows {
            let mut v = serde_json::to_value(r)?;
            v["kind"] = "safety".into();
            all.push(v);
        }
        for r in &live {
            let mut v = serde_json::to_value(r)?;
            v["kind"] = "liveness".into();
            all.push(v);
        }
        crate::json::Doc::new("bugs")
            .with("catalog", all)?
            .print()?;
        return Ok(Outcome::Pass);
    }
    for r in &rows {
        println!("{} ({})", r.bug, r.variant);
        println!("  injected in:   {}", r.step);
        println!("  rule broken:   {}", r.rule);
        println!("  must violate:  {}", r.property);
        println!("  reached with:  {}", r.bounds);
        println!(
            "  check it:      raftspec check {} --bug {}",
            r.variant, r.bug
        );
    }
    println!();
    println!("liveness bugs (no safety property catches them; `check --liveness` does):");
    for r in &live {
        println!("{} ({})", r.bug, r.variant);
        println!("  rule broken:   {}", r.rule);
        println!("  must violate:  {}", r.property);
        println!("  reached with:  {}", r.bounds);
        println!(
            "  check it:      raftspec check {} --liveness --bug {}",
            r.variant, r.bug
        );
    }
    Ok(Outcome::Pass)
}

/// One catalog bug checked at a profile.
#[derive(Serialize)]
struct Scored {
    variant: String,
    bug: String,
    /// The property the catalog names.
    expected: &'static str,
    /// The step of the protocol the bug is injected into.
    step: &'static str,
    /// The profile run that found it (the last one tried if none did).
    run: &'static str,
    found: bool,
    /// Every property the check found violated (it stops at the first BFS level with one).
    violated: Vec<String>,
    steps: Option<usize>,
    unique_states: usize,
    seconds: f64,
}

#[derive(Serialize)]
struct Score {
    profile: Profile,
    found: usize,
    total: usize,
    fraction: f64,
    bugs: Vec<Scored>,
}

struct ScoreRun<'a> {
    row: &'a CatalogEntry,
    symmetry: bool,
    threads: usize,
    run: &'static str,
}

impl SpecVisitor for ScoreRun<'_> {
    type Output = Result<Scored>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let opts = CheckOptions {
            engine: Engine::Raftspec,
            threads: self.threads,
            symmetry: self.symmetry,
            stop: Stop::AtFirstViolation,
            ..Default::default()
        };
        let r = try_check(spec, opts)?.report;
        let violated: Vec<_> = r.violated().collect();
        Ok(Scored {
            variant: self.row.variant.to_string(),
            bug: self.row.bug.to_string(),
            expected: self.row.property,
            step: self.row.step,
            run: self.run,
            found: !violated.is_empty(),
            violated: violated.iter().map(|p| p.name.clone()).collect(),
            steps: violated.first().and_then(|p| p.steps),
            unique_states: r.unique_states,
            seconds: r.seconds,
        })
    }
}

/// Checks one bug at each run of the profile in turn, until one finds it: the last run first,
/// as a profile lists its runs from the largest space to the smallest.
fn score_row(row: &CatalogEntry, profile: Profile, threads: usize) -> Result<Scored> {
    let runs = profile.runs(row.variant);
    let mut tried = Vec::new();
    for run in runs.iter().rev() {
        let bounds = run.bounds.clone();
        eprintln!(
            "scoring {} {} at {} (run {}): {bounds}",
            row.variant,
            row.bug,
            profile.name(),
            run.name
        );
        let symmetry = profile.symmetry() && bounds.network.reorder;
        let check = ScoreRun {
            row,
            symmetry,
            threads,
            run: run.name,
        };
        let scored = with_spec(row.variant, bounds, Some(row.bug), check)?;
        if scored.found {
            return Ok(scored);
        }
        tried.push(scored);
    }
    Ok(tried.pop().expect("a profile has at least one run"))
}

fn score(a: &BugsArgs) -> Result<Outcome> {
    let threads = crate::args::threads(a.threads)?;
    let mut bugs = Vec::new();
    for row in catalog() {
        bugs.push(score_row(&row, a.profile, threads)?);
    }
    let found = bugs.iter().filter(|b| b.found).count();
    let s = Score {
        profile: a.profile,
        found,
        total: bugs.len(),
        fraction: found as f64 / bugs.len().max(1) as f64,
        bugs,
    };
    if a.json {
        let reports = s
            .bugs
            .iter()
            .map(|b| crate::json::report(b, b.found))
            .collect::<Result<Vec<_>>>()?;
        // The score is a measurement, not a gate (exit 0): `passed` says whether it is whole.
        crate::json::Doc::reports("bugs --score", reports)
            .with("profile", s.profile)?
            .with("found", s.found)?
            .with("total", s.total)?
            .with("fraction", s.fraction)?
            .print()?;
    } else {
        print_score(&s);
    }
    Ok(Outcome::Pass)
}

fn print_score(s: &Score) {
    println!("catalog score at profile {}", s.profile.name());
    println!(
        "  {:7} {:26} {:30} {:6} {:13} {:36} {:>5} {:>12} {:>8}",
        "variant",
        "bug",
        "injected in",
        "found",
        "run",
        "violated (first level)",
        "steps",
        "states",
        "seconds"
    );
    for b in &s.bugs {
        println!(
            "  {:7} {:26} {:30} {:6} {:13} {:36} {:>5} {:>12} {:>8.1}",
            b.variant,
            b.bug,
            b.step,
            if b.found { "yes" } else { "NO" },
            b.run,
            if b.found {
                b.violated.join(", ")
            } else {
                "-".into()
            },
            b.steps.map_or("-".into(), |n| n.to_string()),
            b.unique_states,
            b.seconds
        );
    }
    println!(
        "score: {}/{} ({:.0}%) of the catalog found at profile {}",
        s.found,
        s.total,
        100.0 * s.fraction,
        s.profile.name()
    );
}
