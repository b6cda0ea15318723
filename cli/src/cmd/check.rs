//! `raftspec check`: exhaustive model checking with verdicts, counterexamples and ITF traces.

use super::distributed::Plan;
use crate::args::{parse_bug, parse_variants, BoundsArgs};
use crate::Outcome;
use anyhow::{Context, Result};
use clap::Args;
use raftspec_engine::Progress;
use raftspec_model::check::{
    try_check, try_check_distributed, CheckOptions, CheckReport, Engine, Stop, Verdict,
};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::Trace;
use raftspec_model::{bugs, Bounds, Spec, Variant};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[arg(default_value = "all", help = crate::args::variant_help(true))]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Inject a bug from the catalog (`raftspec bugs`); its bounds are used unless overridden.
    #[arg(long)]
    pub bug: Option<String>,
    /// Treat servers as interchangeable: exact symmetry reduction by a canonical form (with
    /// `--engine stateright` it runs DFS, so counterexamples may be longer than the shortest).
    #[arg(long)]
    pub symmetry: bool,
    /// Normalise fields that a server's current role never reads (TLC's VIEW): fewer states,
    /// same verdicts (raftspec engine only; see specs/engine.md).
    #[arg(long)]
    pub view: bool,
    /// Checker threads (the raftspec engine's counterexamples stay shortest at any count).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// raftspec (default: parallel BFS, exact symmetry, packed states), timely (the same BFS
    /// on timely dataflow: --workers, --processes; specs/distributed.md) or stateright.
    #[arg(long, default_value = "raftspec")]
    pub engine: String,
    #[command(flatten)]
    pub dist: super::distributed::DistArgs,
    /// Past this much resident memory (e.g. 8G, 512M) the raftspec engine moves its frontier
    /// and trace records to disk: the run slows down instead of running out of memory.
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// Directory for the spill file (default: the system's temporary directory).
    #[arg(long)]
    pub spill_dir: Option<PathBuf>,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
    /// Directory for ITF traces of counterexamples.
    #[arg(long, default_value = "traces")]
    pub trace_out: PathBuf,
    /// Check the liveness properties under fairness instead of safety (specs/engine.md,
    /// "Liveness"): its own default bounds, no symmetry, lassos as counterexamples.
    #[arg(long)]
    pub liveness: bool,
}

pub fn run(a: CheckArgs) -> Result<Outcome> {
    if a.liveness {
        return super::check_liveness::run(&a);
    }
    let bug = parse_bug(a.bug.as_deref())?;
    let variants = variants_with_bug(&a, bug)?;
    let opts = EngineChoice::from_args(&a)?;
    let cluster = match a.dist.plan(opts.engine == Engine::Timely, opts.threads)? {
        Plan::Spawn(processes) => {
            check_trace_dir(&a.trace_out)?;
            return super::distributed::spawn_local(processes);
        }
        Plan::Run(c) => Some(c),
        Plan::None => None,
    };
    check_engine_flags(&a, &opts)?;
    check_trace_dir(&a.trace_out)?;
    let plans = plan_runs(&a, variants, bug)?;
    let mut done = Vec::new();
    for (v, run, bounds) in plans {
        let run_opts = Run {
            args: &a,
            opts: &opts,
            run,
            cluster: cluster.as_ref(),
        };
        // A timely process other than the first takes part and reports nothing.
        let Some((mut report, traces)) = with_spec(v, bounds, bug, run_opts)? else {
            continue;
        };
        report.run = run.map(str::to_string);
        done.push((report, traces));
    }
    if let Some(raftspec_engine::Cluster::Processes { process, .. }) = cluster {
        if process > 0 {
            return Ok(Outcome::Pass);
        }
    }
    share_profile_witnesses(&mut done);
    print_all(&done, a.json)
}

/// The variants to check: those asked for, and with `--bug` only those whose catalog has it.
fn variants_with_bug(a: &CheckArgs, bug: Option<bugs::Bug>) -> Result<Vec<Variant>> {
    let mut variants = parse_variants(&a.variant)?;
    if let Some(b) = bug {
        let live = variants
            .iter()
            .any(|v| raftspec_model::liveness::entry(*v, b).is_some());
        variants.retain(|v| bugs::entry(*v, b).is_some());
        anyhow::ensure!(
            !(variants.is_empty() && live),
            "bug {b} is a liveness bug (no safety property catches it): add --liveness"
        );
        anyhow::ensure!(
            !variants.is_empty(),
            "bug {b} is not in the catalog of variant {}",
            a.variant
        );
    }
    Ok(variants)
}

/// Flags that only some engines support, and the spill directory.
fn check_engine_flags(a: &CheckArgs, opts: &EngineChoice) -> Result<()> {
    anyhow::ensure!(
        !a.view || opts.engine != Engine::Stateright,
        "--view needs the raftspec engine (drop --engine stateright)"
    );
    anyhow::ensure!(
        opts.memory_limit.is_none() || opts.engine == Engine::Raftspec,
        "--memory-limit needs the raftspec engine (drop --engine {})",
        opts.engine.name()
    );
    if let Some(dir) = &a.spill_dir {
        anyhow::ensure!(
            dir.is_dir(),
            "--spill-dir {} is not a directory",
            dir.display()
        );
    }
    Ok(())
}

/// Every variant's runs (one, or a profile's) with their bounds, resolved before running
/// anything: bad input fails fast.
fn plan_runs(
    a: &CheckArgs,
    variants: Vec<Variant>,
    bug: Option<bugs::Bug>,
) -> Result<Vec<(Variant, Option<&'static str>, Bounds)>> {
    let mut plans = Vec::new();
    for v in variants {
        for (run, bounds) in a.bounds.resolve_runs(v, bug)? {
            anyhow::ensure!(
                !a.symmetry || bounds.network.reorder,
                "--symmetry needs a reordering network (drop --fifo)"
            );
            plans.push((v, run, bounds));
        }
    }
    Ok(plans)
}

/// The reports, human or one JSON object; the outcome is a pass only if every run passed.
fn print_all(done: &[(CheckReport, Vec<Written>)], json: bool) -> Result<Outcome> {
    let all_passed = done.iter().all(|(r, _)| r.passed());
    if json {
        let reports = done
            .iter()
            .map(|(r, _)| crate::json::report(r, r.passed()))
            .collect::<Result<Vec<_>>>()?;
        crate::json::Doc::reports("check", reports)
            .with("peak_memory_mb", peak_memory_mb())?
            .print()?;
    } else {
        for (report, traces) in done {
            print_report(report, traces);
        }
    }
    Ok(if all_passed {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

struct Run<'a> {
    args: &'a CheckArgs,
    opts: &'a EngineChoice,
    /// The profile run this is, if the check runs a profile.
    run: Option<&'static str>,
    /// Where the timely engine's workers run (`--engine timely`).
    cluster: Option<&'a raftspec_engine::Cluster>,
}

/// The runs of a profile judge witnesses together: a witness one run's bounds cannot reach
/// (the long-history run has no restart) is met if another run of the same variant, bug and
/// profile reached it. Safety verdicts stay per run.
fn share_profile_witnesses(done: &mut [(CheckReport, Vec<Written>)]) {
    let witnessed: Vec<(raftspec_model::Variant, String)> = done
        .iter()
        .flat_map(|(r, _)| {
            r.properties
                .iter()
                .filter(|p| p.verdict == Verdict::Witnessed)
                .map(move |p| (r.variant, p.name.clone()))
        })
        .collect();
    for (r, _) in done.iter_mut().filter(|(r, _)| r.run.is_some()) {
        let variant = r.variant;
        for p in &mut r.properties {
            if p.verdict == Verdict::Missing && witnessed.contains(&(variant, p.name.clone())) {
                p.verdict = Verdict::WitnessedInProfile;
            }
        }
    }
}

/// The engine options, validated (bad values are one `error:` line and exit 2).
struct EngineChoice {
    engine: Engine,
    /// The profile asks for symmetry (`--profile deep`).
    profile_symmetry: bool,
    threads: usize,
    memory_limit: Option<u64>,
}

impl EngineChoice {
    fn from_args(a: &CheckArgs) -> Result<Self> {
        let memory_limit = match &a.memory_limit {
            Some(s) => Some(parse_bytes(s).map_err(anyhow::Error::msg)?),
            None => None,
        };
        Ok(EngineChoice {
            profile_symmetry: a.bounds.profile.is_some_and(|p| p.symmetry()),
            engine: parse_engine(&a.engine).map_err(anyhow::Error::msg)?,
            threads: crate::args::threads(Some(a.threads))?,
            memory_limit,
        })
    }
}

/// A counterexample as written to disk.
struct Written {
    trace: Trace,
    /// Where it was written, or why it could not be: the verdict stands either way.
    file: std::result::Result<PathBuf, String>,
}

impl SpecVisitor for Run<'_> {
    type Output = Result<Option<(CheckReport, Vec<Written>)>>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let a = self.args;
        let first_process = !matches!(
            self.cluster,
            Some(raftspec_engine::Cluster::Processes { process: 1.., .. })
        );
        if first_process {
            eprintln!(
                "checking {}{} ({}): {}",
                spec.variant(),
                self.run
                    .map_or(String::new(), |r| format!(" [profile run {r}]")),
                spec.bug()
                    .map_or("no bug".to_string(), |b| format!("bug {b}")),
                spec.bounds()
            );
        }
        let tty = std::io::stderr().is_terminal();
        let mut progress = |p: &Progress| {
            let line = progress_line(p);
            if tty {
                eprint!("\r{line}   ");
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{line}");
            }
        };
        let opts = CheckOptions {
            engine: self.opts.engine,
            threads: self.opts.threads,
            // A profile that needs symmetry gets it wherever the network allows it.
            symmetry: a.symmetry || (self.opts.profile_symmetry && spec.bounds().network.reorder),
            view: a.view,
            stop: Stop::AtFirstViolation,
            memory_limit: self.opts.memory_limit,
            spill_dir: a.spill_dir.clone(),
            progress: Some(&mut progress),
        };
        let outcome = match self.cluster {
            Some(c) => match try_check_distributed(spec, opts, c)?.outcome {
                Some(o) => o,
                None => return Ok(None),
            },
            None => try_check(spec, opts)?,
        };
        if tty {
            eprint!("\r{:100}\r", "");
        }
        let mut report = outcome.report;
        let mut written = Vec::new();
        for t in outcome.counterexamples {
            let file = write_trace(&a.trace_out, &t).map_err(|e| format!("{e:#}"));
            match &file {
                Ok(f) => {
                    let p = report
                        .properties
                        .iter_mut()
                        .find(|p| t.property.as_deref() == Some(&p.name));
                    if let Some(p) = p {
                        p.trace = Some(f.display().to_string());
                    }
                }
                Err(e) => {
                    eprintln!("error: {e} (the verdict stands; the counterexample is printed)")
                }
            }
            written.push(Written { trace: t, file });
        }
        Ok(Some((report, written)))
    }
}

/// Fail before the search, not after it, if counterexample traces could not be written to
/// `dir`: it must be a writable directory, or creatable under one.
fn check_trace_dir(dir: &Path) -> Result<()> {
    let mut at = dir;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => return Ok(()), // relative path under the current directory
        }
    }
    anyhow::ensure!(
        at.is_dir(),
        "--trace-out {}: {} is not a directory",
        dir.display(),
        at.display()
    );
    let c = std::ffi::CString::new(at.as_os_str().as_encoded_bytes())
        .map_err(|_| anyhow::anyhow!("--trace-out {}: bad path", dir.display()))?;
    // SAFETY: access only reads the NUL-terminated path.
    let writable = unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0;
    anyhow::ensure!(
        writable,
        "--trace-out {}: {} is not writable",
        dir.display(),
        at.display()
    );
    Ok(())
}

/// Where a trace of `t`'s variant, bug and property goes (the directory is created).
pub(crate) fn trace_file(dir: &Path, t: &Trace) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create trace directory {}", dir.display()))?;
    Ok(dir.join(format!(
        "{}{}-{}.itf.json",
        t.variant,
        t.bug.map_or(String::new(), |b| format!("-{b}")),
        t.property.as_deref().unwrap_or("trace")
    )))
}

fn write_trace(dir: &Path, t: &Trace) -> Result<PathBuf> {
    let file = trace_file(dir, t)?;
    std::fs::write(&file, t.to_itf_string())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

/// The command that serves a checked model in the Explorer (same variant, bounds and bug).
pub fn explore_command(r: &CheckReport) -> String {
    explore_command_for(r.variant, &r.bounds, r.bug.as_deref())
}

/// The command that serves this model in the Explorer.
pub fn explore_command_for(
    variant: raftspec_model::Variant,
    b: &raftspec_model::Bounds,
    bug: Option<&str>,
) -> String {
    let mut cmd = format!(
        "raftspec explore {} --servers {} --max-term {} --max-log {} --values {} --max-restarts {} --max-copies {} --max-in-flight {}",
        variant, b.servers, b.max_term, b.max_log, b.values, b.max_restarts, b.network.max_copies, b.network.max_in_flight
    );
    if b.network.drop {
        cmd.push_str(" --drop");
        if let Some(m) = b.network.max_drops {
            cmd.push_str(&format!(" --max-drops {m}"));
        }
    } else {
        cmd.push_str(" --no-drop");
    }
    if !b.network.reorder {
        cmd.push_str(" --fifo");
    }
    if let Some(bug) = bug {
        cmd.push_str(&format!(" --bug {bug}"));
    }
    cmd
}

/// The human report of one checked model: what was searched, each property's verdict, each
/// counterexample, and the result line.
fn print_report(r: &CheckReport, traces: &[Written]) {
    print_search(r);
    print_properties(r);
    for w in traces {
        print_counterexample(r, w);
    }
    print_result(r);
    println!();
}

/// The heading and what the search covered: bounds, engine, states, time and memory.
fn print_search(r: &CheckReport) {
    println!(
        "== {} {}{}",
        r.variant,
        r.bug
            .as_ref()
            .map_or("(no bug injected)".to_string(), |b| format!("with bug {b}")),
        r.run
            .as_ref()
            .map_or(String::new(), |run| format!(", profile run {run}"))
    );
    println!("bounds:     {}", r.bounds);
    let on_off = |b: bool| if b { "on" } else { "off" };
    println!(
        "search:     {} engine ({}), {} thread(s), symmetry {}, view {}",
        r.engine.name(),
        r.search,
        r.threads,
        on_off(r.symmetry),
        on_off(r.view)
    );
    println!(
        "explored:   {} unique states, {} total, max depth {}, {:.2} s, {:.0} states/s{}",
        r.unique_states,
        r.total_states,
        r.max_depth,
        r.seconds,
        r.states_per_second,
        if r.complete {
            " (complete)"
        } else {
            " (stopped at first violation)"
        }
    );
    println!(
        "memory:     peak {:.0} MiB, {:.1} bytes/state{}",
        r.peak_memory_bytes as f64 / (1 << 20) as f64,
        r.bytes_per_state,
        if r.spilled_bytes > 0 {
            format!(
                ", {:.0} MiB spilled to disk",
                r.spilled_bytes as f64 / (1 << 20) as f64
            )
        } else {
            String::new()
        }
    );
}

/// One line a property: its mark, name, expectation and verdict.
fn print_properties(r: &CheckReport) {
    println!("properties:");
    let width = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &r.properties {
        let (mark, text) = verdict_text(p.verdict, p.steps.unwrap_or(0));
        println!("  {mark} {:width$}  {:9} {text}", p.name, p.expectation);
    }
}

/// A verdict's mark (`ok`, `FAIL`, `--`) and its words; `steps`: the length of its trace.
fn verdict_text(verdict: Verdict, steps: usize) -> (&'static str, String) {
    match verdict {
        Verdict::Holds => ("ok  ", "holds".to_string()),
        Verdict::Witnessed => ("ok  ", format!("witnessed in {steps} steps")),
        Verdict::Violated => ("FAIL", format!("VIOLATED in {steps} steps")),
        Verdict::Missing => (
            "FAIL",
            "MISSING: never reached (a pass would be vacuous)".into(),
        ),
        Verdict::Unchecked => ("--  ", "unchecked (run stopped at a violation)".into()),
        Verdict::WitnessedInProfile => (
            "ok  ",
            "not reachable at these bounds; witnessed by another run of the profile".into(),
        ),
    }
}

/// A counterexample: its steps, its path, where its trace went and how to explore it.
fn print_counterexample(r: &CheckReport, w: &Written) {
    let t = &w.trace;
    let path = t.path.as_deref().unwrap_or("");
    println!();
    println!(
        "counterexample: {} violated after {} steps",
        t.property.as_deref().unwrap_or("?"),
        t.steps.len() - 1
    );
    print!("{}", t.render());
    println!("  path:     {path}");
    match &w.file {
        Ok(file) => println!("  trace:    {}", file.display()),
        Err(e) => println!("  trace:    not written: {e}"),
    }
    println!(
        "  explore:  {}   then open http://127.0.0.1:3000/#/steps/{path}",
        explore_command(r)
    );
}

/// PASS, or FAIL with the violated properties and the missing witnesses.
fn print_result(r: &CheckReport) {
    let violated: Vec<&str> = r.violated().map(|p| p.name.as_str()).collect();
    let missing: Vec<&str> = r
        .properties
        .iter()
        .filter(|p| p.verdict == Verdict::Missing)
        .map(|p| p.name.as_str())
        .collect();
    if r.passed() {
        println!("result:     PASS: every property holds, every witness reached");
    } else {
        println!(
            "result:     FAIL: violated [{}] missing witnesses [{}]",
            violated.join(", "),
            missing.join(", ")
        );
    }
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_memory_mb() -> Option<f64> {
    raftspec_engine::memory::peak_resident_bytes().map(|b| b as f64 / (1 << 20) as f64)
}

/// The progress line on stderr, about once a second (also in `--json` mode).
fn progress_line(p: &Progress) -> String {
    format!(
        "  … {} unique ({} generated), depth {}, frontier {}, {:.0} s, {:.0} states/s, {:.0} MiB{}",
        p.unique,
        p.generated,
        p.depth,
        p.frontier,
        p.seconds,
        p.states_per_second(),
        p.memory_bytes as f64 / (1 << 20) as f64,
        if p.spilling { ", spilling to disk" } else { "" }
    )
}

fn parse_engine(s: &str) -> Result<Engine, String> {
    match s {
        "raftspec" => Ok(Engine::Raftspec),
        "timely" => Ok(Engine::Timely),
        "stateright" => Ok(Engine::Stateright),
        _ => Err(format!(
            "unknown engine {s:?}: expected raftspec, timely or stateright"
        )),
    }
}

/// A size such as 512M, 8G or 1000000 (bytes).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => {
                    return Err(format!(
                        "bad --memory-limit {s:?}: use a number with K, M, G or T"
                    ))
                }
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad --memory-limit {s:?}: use a number with K, M, G or T"))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!("bad --memory-limit {s:?}: must be positive"));
    }
    Ok((n * mult as f64) as u64)
}
