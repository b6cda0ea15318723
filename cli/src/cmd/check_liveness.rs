//! `raftspec check --liveness`: liveness properties under fairness, with lassos as
//! counterexamples (printed with the cycle marked, written as ITF with its loop index).

use super::check::{explore_command_for, trace_file, CheckArgs};
use crate::args::{parse_bug, parse_variants};
use crate::Outcome;
use anyhow::{Context, Result};
use raftspec_engine::liveness::{GraphLimits, GraphProgress, GraphProgressFn, LivenessOptions};
use raftspec_model::liveness::{self, LassoTrace, LiveSpec, LiveVisitor, LivenessReport};
use raftspec_model::{bugs, Bounds, Bug, Variant};
use std::path::PathBuf;

/// Flags that mean nothing to a liveness run: refused, not silently ignored.
fn refuse_safety_only_flags(a: &CheckArgs) -> Result<()> {
    let bad = [
        (
            a.symmetry,
            "--symmetry (liveness runs without symmetry: fairness is per concrete message)",
        ),
        (a.view, "--view"),
        (a.engine != "raftspec", "--engine"),
        (
            a.spill_dir.is_some(),
            "--spill-dir (the liveness graph lives in memory)",
        ),
        (
            a.bounds.profile.is_some(),
            "--profile (liveness has its own default bounds)",
        ),
    ];
    if let Some((_, flag)) = bad.iter().find(|(given, _)| *given) {
        anyhow::bail!("--liveness does not take {flag}");
    }
    Ok(())
}

/// The bounds of a liveness run: the liveness catalog's for a liveness bug, the safety
/// catalog's for a safety bug, else the liveness defaults; then the flags given.
fn bounds_for(a: &CheckArgs, v: Variant, bug: Option<Bug>) -> Result<Bounds> {
    let base = bug
        .and_then(|b| liveness::entry(v, b).map(|r| r.bounds))
        .or_else(|| bug.and_then(|b| bugs::entry(v, b).map(|r| r.bounds)))
        .unwrap_or_else(|| liveness::default_bounds(v));
    a.bounds.apply(base, v)
}

pub fn run(a: &CheckArgs) -> Result<Outcome> {
    refuse_safety_only_flags(a)?;
    let bug = parse_bug(a.bug.as_deref())?;
    let mut variants = parse_variants(&a.variant)?;
    if let Some(b) = bug {
        variants.retain(|v| liveness::entry(*v, b).is_some() || bugs::entry(*v, b).is_some());
        anyhow::ensure!(
            !variants.is_empty(),
            "bug {b} is not in the catalog of variant {}",
            a.variant
        );
    }
    let limits = limits(a)?;
    let plans = variants
        .into_iter()
        .map(|v| Ok((v, bounds_for(a, v, bug)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut reports = Vec::new();
    for (v, bounds) in plans {
        eprintln!("checking liveness of {v}: {bounds}");
        let run = Run { args: a, limits };
        let (report, lassos) = liveness::with_live_spec(v, bounds, bug, run)?;
        if !a.json {
            print_report(&report, &lassos);
        }
        reports.push(report);
    }
    let passed = reports.iter().all(LivenessReport::passed);
    if a.json {
        let out = reports
            .iter()
            .map(|r| crate::json::report(r, r.passed()))
            .collect::<Result<Vec<_>>>()?;
        crate::json::Doc::reports("check", out)
            .with("liveness", true)?
            .print()?;
    }
    Ok(if passed { Outcome::Pass } else { Outcome::Fail })
}

struct Run<'a> {
    args: &'a CheckArgs,
    limits: GraphLimits,
}

/// `--memory-limit` is where a liveness run gives up (its graph cannot spill to disk).
fn limits(a: &CheckArgs) -> Result<GraphLimits> {
    let mut limits = GraphLimits::default();
    if let Some(s) = &a.memory_limit {
        limits.max_memory = Some(super::check::parse_bytes(s).map_err(anyhow::Error::msg)?);
    }
    Ok(limits)
}

/// A lasso and where it was written (or why not: the verdict stands either way).
struct Written {
    lasso: LassoTrace,
    file: std::result::Result<PathBuf, String>,
}

impl LiveVisitor for Run<'_> {
    type Output = Result<(LivenessReport, Vec<Written>)>;

    fn visit<S: LiveSpec>(self, spec: S) -> Self::Output {
        let mut line = |p: &GraphProgress| {
            eprintln!(
                "  … {} states, {} edges, {:.0} s, {:.0} MiB",
                p.states,
                p.edges,
                p.seconds,
                p.memory_bytes as f64 / (1 << 20) as f64
            )
        };
        // A progress line on stderr about once a second (also with --json: stdout is the JSON).
        let progress: Option<GraphProgressFn<'_>> = Some(&mut line);
        let opts = LivenessOptions {
            limits: self.limits,
            progress,
        };
        let checked = liveness::check(&spec, opts)?;
        let mut report = checked.report;
        let mut written = Vec::new();
        for lasso in checked.lassos {
            let file = write_lasso(&self.args.trace_out, &lasso).map_err(|e| format!("{e:#}"));
            match &file {
                Ok(f) => {
                    let name = lasso.trace.property.as_deref();
                    if let Some(p) = report
                        .properties
                        .iter_mut()
                        .find(|p| Some(p.name.as_str()) == name)
                    {
                        p.trace = Some(f.display().to_string());
                    }
                }
                Err(e) => eprintln!("error: {e} (the verdict stands; the lasso is printed)"),
            }
            written.push(Written { lasso, file });
        }
        Ok((report, written))
    }
}

fn write_lasso(dir: &std::path::Path, l: &LassoTrace) -> Result<PathBuf> {
    let file = trace_file(dir, &l.trace)?;
    std::fs::write(&file, l.to_itf_string())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

fn print_report(r: &LivenessReport, lassos: &[Written]) {
    let bug = r
        .bug
        .as_ref()
        .map_or("(no bug injected)".to_string(), |b| format!("with bug {b}"));
    println!("== {} {bug}: liveness", r.variant);
    println!("bounds:     {}", r.bounds);
    println!("fair:       {}", r.fairness[0]);
    println!("unfair:     {}", r.fairness[1]);
    println!("faults:     {}", r.fairness[2]);
    println!("search:     explicit state graph (BFS, 1 thread, symmetry off), SCC decomposition under weak fairness");
    println!(
        "explored:   {} states, {} edges, {} fair classes, max depth {}, graph {:.2} s, total {:.2} s (complete)",
        r.states, r.edges, r.fair_classes, r.max_depth, r.graph_seconds, r.seconds
    );
    println!(
        "memory:     peak {:.0} MiB, {:.0} bytes/state",
        r.peak_memory_bytes as f64 / (1 << 20) as f64,
        r.peak_memory_bytes as f64 / r.states.max(1) as f64
    );
    println!("properties:");
    let width = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &r.properties {
        let verdict = match (p.holds, p.cycle_steps) {
            (true, _) => "holds".to_string(),
            (false, Some(0)) => format!(
                "VIOLATED: {} steps, then stuck",
                p.prefix_steps.unwrap_or(0)
            ),
            (false, c) => format!(
                "VIOLATED: {} steps, then a cycle of {}",
                p.prefix_steps.unwrap_or(0),
                c.unwrap_or(0)
            ),
        };
        let mark = if p.holds { "ok  " } else { "FAIL" };
        println!("  {mark} {:width$}  {verdict}", p.name);
        println!("  {:width$}       claim: {}", "", p.claim);
        println!(
            "  {:width$}       looked at: {} premise states, {} not-yet-goal states reachable from them, {} cycles ({} fair, largest {} states), {} stuck, {} ended only by the bounds",
            "", p.premise_states, p.region_states, p.cycles, p.fair_cycles, p.largest_cycle, p.stuck_states, p.bound_ended
        );
        if p.holds && p.premise_states == 0 {
            println!(
                "  {:width$}       (vacuous: no reachable state starts the obligation)",
                ""
            );
        }
    }
    for w in lassos {
        print_lasso(r, w);
    }
    if r.passed() {
        println!("result:     PASS: every liveness property holds under the fairness above");
    } else {
        let failed: Vec<&str> = r
            .properties
            .iter()
            .filter(|p| !p.holds)
            .map(|p| p.name.as_str())
            .collect();
        println!("result:     FAIL: violated [{}]", failed.join(", "));
    }
    println!();
}

fn print_lasso(r: &LivenessReport, w: &Written) {
    let l = &w.lasso;
    let steps = l.trace.steps.len() - 1;
    println!();
    println!(
        "counterexample: {} violated: a fair behaviour that never reaches its goal ({})",
        l.trace.property.as_deref().unwrap_or("?"),
        if l.stutters {
            format!("{steps} steps, then stuck")
        } else {
            format!(
                "{} steps, then steps {}..{} forever",
                l.loop_start,
                l.loop_start + 1,
                steps
            )
        }
    );
    print!("{}", l.render());
    let path = l.trace.path.as_deref().unwrap_or("");
    println!("  path:     {path}");
    match &w.file {
        Ok(file) => println!(
            "  trace:    {} (ITF, \"loop\" marks the cycle)",
            file.display()
        ),
        Err(e) => println!("  trace:    not written: {e}"),
    }
    println!(
        "  explore:  {}   then open http://127.0.0.1:3000/#/steps/{path}",
        explore_command_for(r.variant, &r.bounds, r.bug.as_deref())
    );
}
