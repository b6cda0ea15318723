//! `raftspec hunt`: swarm simulation, random walks for spaces too large to enumerate.

use crate::args::{parse_bug, threads, BoundsArgs};
use crate::Outcome;
use anyhow::{ensure, Result};
use clap::Args;
use raftspec_engine::hunt::{hunt, Finding, HuntOptions, HuntReport};
use raftspec_model::pack::SpecCodec;
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::Trace;
use raftspec_model::{bugs, Spec};
use serde_json::json;
use stateright::Expectation;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct HuntArgs {
    #[arg(help = crate::args::variant_help(false))]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Inject a bug from the catalog (`raftspec bugs`); its bounds are used unless overridden.
    #[arg(long)]
    pub bug: Option<String>,
    /// Seconds of walking (shrinking the violations found comes after).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Walker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the walks: the same seed and thread count walk alike.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Steps of one walk at most.
    #[arg(long, default_value_t = 200)]
    pub max_depth: usize,
    /// Stop at the first violation (to time how long finding one takes).
    #[arg(long)]
    pub first: bool,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Directory for ITF traces of violations.
    #[arg(long, default_value = "traces")]
    pub trace_out: PathBuf,
}

pub fn run(a: HuntArgs) -> Result<Outcome> {
    let variant = crate::args::parse_variant(&a.variant)?;
    let bug = parse_bug(a.bug.as_deref())?;
    if let Some(b) = bug {
        ensure!(
            bugs::entry(variant, b).is_some(),
            "bug {b} is not in the catalog of variant {variant}"
        );
    }
    ensure!(
        a.seconds.is_finite() && a.seconds > 0.0 && a.seconds <= 86_400.0,
        "--seconds must be between 0 and 86400 (got {})",
        a.seconds
    );
    ensure!(
        (1..=100_000).contains(&a.max_depth),
        "--max-depth must be between 1 and 100000 (got {})",
        a.max_depth
    );
    let threads = threads(a.threads)?;
    let bounds = a.bounds.resolve(variant, bug)?;
    with_spec(variant, bounds, bug, Hunt { args: &a, threads })
}

struct Hunt<'a> {
    args: &'a HuntArgs,
    threads: usize,
}

impl SpecVisitor for Hunt<'_> {
    type Output = Result<Outcome>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let a = self.args;
        if !a.json {
            eprintln!(
                "hunting in {} ({}): {}; {} s on {} thread(s), seed {}",
                spec.variant(),
                spec.bug()
                    .map_or("no bug".to_string(), |b| format!("bug {b}")),
                spec.bounds(),
                a.seconds,
                self.threads,
                a.seed
            );
        }
        let classify = |x: &S::Action| spec.action_name(x);
        let opts = HuntOptions {
            seconds: a.seconds,
            threads: self.threads,
            seed: a.seed,
            max_depth: a.max_depth,
            classify: &classify,
            stop_at_violation: a.first,
            shrink_states: 2_000_000,
        };
        let report = hunt(
            &spec,
            &raftspec_engine::Packed(SpecCodec::<S>::new(false, false)),
            &opts,
        );
        let violated = report
            .findings
            .iter()
            .any(|f| f.expectation == Expectation::Always);
        let traces = write_traces(&spec, &report, a);
        if a.json {
            // A hunt passes when it found no violation; it never claims completeness.
            let r = crate::json::report(to_json(&spec, &report, a, &traces), !violated)?;
            crate::json::Doc::reports("hunt", vec![r]).print()?;
        } else {
            print_report(&spec, &report, a, self.threads, &traces);
        }
        Ok(if violated {
            Outcome::Fail
        } else {
            Outcome::Pass
        })
    }
}

type Report<S> = HuntReport<<S as stateright::Model>::State, <S as stateright::Model>::Action>;

/// Each violation as a trace, written to the trace directory (the verdict stands if it cannot
/// be written).
fn write_traces<S: Spec>(spec: &S, r: &Report<S>, a: &HuntArgs) -> Vec<(Trace, Option<PathBuf>)> {
    r.findings
        .iter()
        .filter(|f| f.expectation == Expectation::Always)
        .map(|f| {
            let t = Trace::from_path(spec, f.path.clone(), Some(f.property));
            let file = super::check::trace_file(&a.trace_out, &t)
                .ok()
                .filter(|file| std::fs::write(file, t.to_itf_string()).is_ok());
            (t, file)
        })
        .collect()
}

fn to_json<S: Spec>(
    spec: &S,
    r: &Report<S>,
    a: &HuntArgs,
    traces: &[(Trace, Option<PathBuf>)],
) -> serde_json::Value {
    let findings: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            let always = f.expectation == Expectation::Always;
            let trace = traces
                .iter()
                .find(|(t, _)| t.property.as_deref() == Some(f.property))
                .and_then(|(_, file)| file.as_ref().map(|p| p.display().to_string()));
            json!({
                "name": f.property,
                "expectation": if always { "always" } else { "sometimes" },
                "verdict": if always { "violated" } else { "witnessed" },
                "hits": f.hits,
                "first_seconds": f.first_seconds,
                "walk_steps": f.walk_steps,
                "steps": f.path.clone().into_actions().len(),
                "trace": trace,
            })
        })
        .collect();
    json!({
        "variant": spec.variant(),
        "bug": spec.bug().map(|b| b.name()),
        "bounds": spec.bounds(),
        "seed": a.seed,
        "seconds": r.seconds,
        "walks": r.walks,
        "steps": r.steps,
        "distinct_states": r.distinct_states,
        "actions": r.actions,
        "complete": false,
        "findings": findings,
    })
}

/// The human report of a hunt: what it sampled, each property's finding, each counterexample,
/// and the result line.
fn print_report<S: Spec>(
    spec: &S,
    r: &Report<S>,
    a: &HuntArgs,
    threads: usize,
    traces: &[(Trace, Option<PathBuf>)],
) {
    print_sampled(spec, r, a, threads);
    print_properties(spec, r);
    for (t, file) in traces {
        print_counterexample(t, file.as_deref());
    }
    match traces.is_empty() {
        true => println!(
            "result:     no violation found in {} walks (a hunt is not exhaustive)",
            r.walks
        ),
        false => println!("result:     FAIL: a violation was found"),
    }
}

/// The heading and what the walks covered.
fn print_sampled<S: Spec>(spec: &S, r: &Report<S>, a: &HuntArgs, threads: usize) {
    println!(
        "== hunt {} {}",
        spec.variant(),
        spec.bug()
            .map_or("(no bug injected)".to_string(), |b| format!("with bug {b}"))
    );
    println!("bounds:     {}", spec.bounds());
    println!(
        "walks:      {} walks of at most {} steps, {} steps in all, {:.1} s on {} thread(s), seed {}",
        r.walks, a.max_depth, r.steps, r.seconds, threads, a.seed
    );
    println!(
        "coverage:   {} distinct states (a hunt samples the space; it never proves a property)",
        r.distinct_states
    );
    let actions: Vec<String> = r.actions.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("actions:    {}", actions.join(", "));
}

/// One line a property: its mark, name, expectation and what the walks found.
fn print_properties<S: Spec>(spec: &S, r: &Report<S>) {
    println!("properties:");
    let props = spec.properties();
    let width = props.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &props {
        let f = r.findings.iter().find(|f| f.property == p.name);
        let always = p.expectation == Expectation::Always;
        let (mark, text) = finding_text(f, always);
        println!(
            "  {mark} {:width$}  {:9} {text}",
            p.name,
            if always { "always" } else { "sometimes" }
        );
    }
}

/// A property's mark and words: violated or witnessed (how often, how soon, how short), or
/// not seen.
fn finding_text<S: Clone, A: Clone>(
    f: Option<&Finding<S, A>>,
    always: bool,
) -> (&'static str, String) {
    match (f, always) {
        (Some(f), true) => (
            "FAIL",
            format!(
                "VIOLATED: {} walk(s), first after {:.2} s, shortest walk {} steps, shrunk to {}",
                f.hits,
                f.first_seconds,
                f.walk_steps,
                f.path.clone().into_actions().len()
            ),
        ),
        (Some(f), false) => (
            "ok  ",
            format!(
                "witnessed by {} walk(s), first after {:.2} s, shortest walk {} steps",
                f.hits, f.first_seconds, f.walk_steps
            ),
        ),
        (None, true) => ("--  ", "no violation seen (not a proof)".to_string()),
        (None, false) => ("--  ", "not reached by any walk".to_string()),
    }
}

/// A counterexample: its steps, its path and where its trace went.
fn print_counterexample(t: &Trace, file: Option<&std::path::Path>) {
    println!();
    println!(
        "counterexample: {} violated after {} steps",
        t.property.as_deref().unwrap_or("?"),
        t.steps.len() - 1
    );
    print!("{}", t.render());
    println!("  path:     {}", t.path.as_deref().unwrap_or(""));
    match file {
        Some(f) => println!("  trace:    {}", f.display()),
        None => println!("  trace:    not written"),
    }
}
