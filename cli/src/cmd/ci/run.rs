//! Running a plan's entries (or taking them from the cache) into a [`Report`].

use super::manifest::{CatalogJob, CheckJob, ConformJob, Entry, Job, Plan};
use super::{cache, CiError};
use crate::cmd::check::explore_command;
use raftspec_conformance::conform::{catalog_results, conform, Target};
use raftspec_engine::Progress;
use raftspec_model::check::Verdict;
use raftspec_model::check::{try_check, CheckError, CheckOptions, CheckReport, Engine, Stop};
use raftspec_model::reproduce::reproduce;
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::{bugs, Spec, Variant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// One JUnit test case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Case {
    pub name: String,
    /// "pass", "fail" or "skip".
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Case {
    pub fn pass(name: &str) -> Case {
        Case::new(name, "pass", None)
    }
    pub fn new(name: &str, status: &str, message: Option<String>) -> Case {
        Case {
            name: name.to_string(),
            status: status.to_string(),
            message,
        }
    }
}

/// What a check's pins record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub unique: usize,
    pub generated: usize,
    pub depth: usize,
    /// Each witness reached, and the length of its shortest path.
    pub witnesses: BTreeMap<String, usize>,
}

/// A catalog entry's score: each bug with the length of its counterexample, if found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub found: usize,
    pub total: usize,
    pub required: usize,
    pub bugs: BTreeMap<String, Option<usize>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EntryResult {
    pub name: String,
    pub kind: String,
    pub variant: Variant,
    pub passed: bool,
    /// Taken from the cache, not run.
    pub cached: bool,
    /// Seconds the run took (when cached: the run that filled the cache).
    pub seconds: f64,
    pub budget: f64,
    /// Bounds, or what a suite replayed, in a few words.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    pub cases: Vec<Case>,
    /// Why the entry failed, one line each.
    pub failures: Vec<String>,
}

impl EntryResult {
    fn new(e: &Entry, detail: String) -> EntryResult {
        EntryResult {
            name: e.name.clone(),
            kind: e.job.kind().to_string(),
            variant: e.job.variant(),
            passed: true,
            cached: false,
            seconds: 0.0,
            budget: e.budget,
            detail,
            figures: None,
            score: None,
            cases: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Adds a failing test case; the entry fails.
    pub fn fail(&mut self, case: &str, msg: String) {
        self.passed = false;
        self.failures.push(format!("{case}: {msg}"));
        self.cases.push(Case::new(case, "fail", Some(msg)));
    }
}

/// The whole run (`--json` prints its entries as the reports, crate::json).
#[derive(Debug)]
pub struct Report {
    pub passed: bool,
    pub manifest: String,
    pub seconds: f64,
    pub entries: Vec<EntryResult>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn finish(&mut self) {
        self.passed = self.entries.iter().all(|e| e.passed);
    }
}

pub fn run_all(plan: &Plan, use_cache: bool) -> Result<Report, CiError> {
    let start = Instant::now();
    let n = plan.entries.len();
    let mut entries = Vec::new();
    for (i, e) in plan.entries.iter().enumerate() {
        eprintln!("ci: [{}/{n}] {} {}", i + 1, e.job.kind(), e.name);
        let key = cache::key(&e.job);
        if let Some(mut r) = use_cache
            .then(|| cache::load(&plan.cache_dir, &key))
            .flatten()
        {
            r.cached = true;
            r.name = e.name.clone();
            r.budget = e.budget;
            eprintln!("ci:   cached (sources and bounds unchanged): not re-run");
            entries.push(r);
            continue;
        }
        let t = Instant::now();
        let mut r = run_entry(e)?;
        r.seconds = t.elapsed().as_secs_f64();
        if r.seconds > e.budget {
            let msg = format!(
                "took {:.1} s, over its budget of {} s (raise `budget` or shrink the bounds)",
                r.seconds, e.budget
            );
            r.fail("time budget", msg);
        }
        eprintln!(
            "ci:   {} in {:.1} s",
            if r.passed { "pass" } else { "FAIL" },
            r.seconds
        );
        if r.passed {
            if let Err(err) = cache::store(&plan.cache_dir, &key, &r) {
                eprintln!("ci:   warning: result not cached: {err}");
            }
        }
        entries.push(r);
    }
    Ok(Report {
        passed: false,
        manifest: plan.manifest.display().to_string(),
        seconds: start.elapsed().as_secs_f64(),
        entries,
        notes: Vec::new(),
    })
}

fn run_entry(e: &Entry) -> Result<EntryResult, CiError> {
    match &e.job {
        Job::Check(j) => run_check(e, j),
        Job::Conform(j) => run_conform(e, j),
        Job::Catalog(j) => Ok(run_catalog(e, j)),
    }
}

struct CheckVisit<'a> {
    job: &'a CheckJob,
}

impl SpecVisitor for CheckVisit<'_> {
    type Output = Result<CheckReport, CheckError>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let mut progress = |p: &Progress| {
            eprintln!(
                "ci:   … {} unique ({} generated), depth {}, {:.0} s",
                p.unique, p.generated, p.depth, p.seconds
            )
        };
        let opts = CheckOptions {
            engine: Engine::Raftspec,
            threads: self.job.threads,
            symmetry: self.job.symmetry,
            view: false,
            stop: Stop::AtFirstViolation,
            memory_limit: None,
            spill_dir: None,
            progress: Some(&mut progress),
        };
        try_check(spec, opts).map(|o| o.report)
    }
}

fn run_check(e: &Entry, job: &CheckJob) -> Result<EntryResult, CiError> {
    let report =
        with_spec(job.variant, job.bounds.clone(), job.bug, CheckVisit { job }).map_err(|err| {
            CiError::Run {
                name: e.name.clone(),
                msg: err.to_string(),
            }
        })?;
    let detail = match job.bug {
        Some(b) => format!("{}, bug {b} injected", job.bounds),
        None => job.bounds.to_string(),
    };
    let mut r = EntryResult::new(e, detail);
    let mut again = explore_command(&report).replacen("raftspec explore", "raftspec check", 1);
    if job.symmetry {
        again.push_str(" --symmetry");
    }
    for p in &report.properties {
        let steps = p.steps.unwrap_or(0);
        match p.verdict {
            Verdict::Holds | Verdict::Witnessed | Verdict::WitnessedInProfile => {
                r.cases.push(Case::pass(&p.name))
            }
            Verdict::Violated => r.fail(
                &p.name,
                format!("violated in {steps} steps (see it: {again})"),
            ),
            Verdict::Missing => r.fail(
                &p.name,
                "witness never reached: every pass would be vacuous".to_string(),
            ),
            Verdict::Unchecked => r.cases.push(Case::new(
                &p.name,
                "skip",
                Some("unchecked: the run stopped at a violation".into()),
            )),
        }
    }
    r.figures = Some(Figures {
        unique: report.unique_states,
        generated: report.total_states,
        depth: report.max_depth,
        witnesses: report
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Witnessed)
            .map(|p| (p.name.clone(), p.steps.unwrap_or(0)))
            .collect(),
    });
    Ok(r)
}

fn run_catalog(e: &Entry, job: &CatalogJob) -> EntryResult {
    let rows = bugs::catalog_for(job.variant);
    let mut r = EntryResult::new(e, "each bug at its catalog bounds".into());
    let mut score = Score {
        total: rows.len(),
        required: job.require.unwrap_or(rows.len()),
        ..Score::default()
    };
    let mut missed = Vec::new();
    for row in &rows {
        let name = row.bug.name();
        eprintln!("ci:   bug {name}: {} must be violated", row.property);
        let rep = reproduce(row);
        let found = rep.verdict == Verdict::Violated
            && rep.replays_on_buggy_model
            && rep.leaves_correct_model;
        score
            .bugs
            .insert(name.to_string(), found.then_some(rep.steps.unwrap_or(0)));
        if found {
            score.found += 1;
            r.cases.push(Case::pass(name));
        } else {
            let why = format!(
                "not found: {} was {:?} at {} (replays on buggy model: {}, leaves correct model: {})",
                row.property, rep.verdict, row.bounds, rep.replays_on_buggy_model, rep.leaves_correct_model
            );
            missed.push((name, why));
        }
    }
    let met = score.found >= score.required;
    for (name, why) in missed {
        if met {
            r.cases.push(Case::new(name, "skip", Some(why)));
        } else {
            r.fail(name, why);
        }
    }
    if !met {
        r.failures.push(format!(
            "score {}/{} below the {} required",
            score.found, score.total, score.required
        ));
    }
    r.detail = format!(
        "{}/{} bugs found ({} required)",
        score.found, score.total, score.required
    );
    r.score = Some(score);
    r
}

fn run_conform(e: &Entry, job: &ConformJob) -> Result<EntryResult, CiError> {
    let target = Target::correct().in_config(job.config, job.variant);
    let opts = target.suite_options(&job.options);
    let mut progress = |s: &str| eprintln!("ci:   {s}");
    let rep = conform(job.variant, &opts, &target, &mut progress).map_err(|err| CiError::Run {
        name: e.name.clone(),
        msg: err.to_string(),
    })?;
    let mut r = EntryResult::new(
        e,
        format!("{} traces, {} actions replayed", rep.traces, rep.steps),
    );
    match &rep.divergence {
        None => r.cases.push(Case::pass("replay")),
        Some(d) => r.fail(
            "replay",
            format!(
                "diverges ({}): {}",
                rep.diverged_in.as_deref().unwrap_or("?"),
                one_line(&d.to_string())
            ),
        ),
    }
    if job.catalog {
        let cat = catalog_results(job.variant, &target, &mut progress);
        let followed: Vec<&str> = cat
            .iter()
            .filter(|c| c.followed())
            .map(|c| c.bug.as_str())
            .collect();
        if followed.is_empty() {
            r.cases.push(Case::pass("catalog"));
        } else {
            r.fail(
                "catalog",
                format!(
                    "the implementation follows buggy counterexamples: {}",
                    followed.join(", ")
                ),
            );
        }
    }
    if job.mutants {
        mutants::kill_all(job, &mut r)?;
    }
    Ok(r)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(feature = "mutants")]
mod mutants {
    use super::*;
    use raftspec_conformance::conform::not_applicable;
    use raftspec_impl::core::Mutant;

    /// Every mutant of the variant must make a replay diverge.
    pub fn kill_all(job: &ConformJob, r: &mut EntryResult) -> Result<(), CiError> {
        // A production-rule mutant is n/a where the cores run `Config::model()`, a
        // partial-batch one where they run `Config::production()`.
        let all: Vec<Mutant> = Mutant::of_variant(job.variant.name())
            .filter(|m| not_applicable(*m, job.config).is_none())
            .collect();
        let mut survivors = Vec::new();
        for m in &all {
            let target = Target::mutant(*m).in_config(job.config, job.variant);
            let opts = target.suite_options(&job.options);
            let rep =
                conform(job.variant, &opts, &target, &mut |_| {}).map_err(|err| CiError::Run {
                    name: r.name.clone(),
                    msg: err.to_string(),
                })?;
            let killed = rep.divergence.is_some();
            eprintln!(
                "ci:   mutant {}: {}",
                m.name(),
                if killed { "killed" } else { "SURVIVED" }
            );
            if !killed {
                survivors.push(m.name().to_string());
            }
        }
        let total = all.len();
        r.detail.push_str(&format!(
            ", mutants killed {}/{total}",
            total - survivors.len()
        ));
        if survivors.is_empty() {
            r.cases.push(Case::pass("mutants"));
        } else {
            r.fail("mutants", format!("survived: {}", survivors.join(", ")));
        }
        Ok(())
    }
}

#[cfg(not(feature = "mutants"))]
mod mutants {
    use super::*;

    /// The manifest refuses `mutants = true` in a build without them.
    pub fn kill_all(_: &ConformJob, _: &mut EntryResult) -> Result<(), CiError> {
        Ok(())
    }
}
