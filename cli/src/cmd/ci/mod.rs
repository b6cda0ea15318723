//! `raftspec ci`: run a manifest of checks, conformance suites and catalog scores; compare the
//! figures with pinned ones; write JUnit XML, a Markdown summary and a JSON report.
//!
//! Exit 0 when everything passes, 1 on a failure, 2 on a bad manifest (one `error:` line).

mod cache;
mod junit;
mod manifest;
mod pins;
mod run;
mod summary;

use crate::Outcome;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct CiArgs {
    /// The manifest: checks, conformance suites, catalog scores, budgets, pins file.
    #[arg(long, default_value = "raftspec.toml")]
    pub manifest: PathBuf,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Append a Markdown summary here (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the summary (progress stays on stderr).
    #[arg(long)]
    pub json: bool,
    /// Record this run's figures in the pins file instead of comparing with it.
    #[arg(long)]
    pub update_pins: bool,
    /// Run every entry, even those whose cached result is still valid.
    #[arg(long)]
    pub no_cache: bool,
}

/// What stops a run before (or instead of) a verdict: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum CiError {
    #[error("cannot read manifest {}: {error}", path.display())]
    ReadManifest { path: PathBuf, error: String },
    #[error("bad manifest {}: {msg}", path.display())]
    Manifest { path: PathBuf, msg: String },
    #[error("bad pins file {}: {msg}", path.display())]
    Pins { path: PathBuf, msg: String },
    #[error("cannot write {}: {error}", path.display())]
    Write { path: PathBuf, error: String },
    #[error("entry {name:?} cannot run: {msg}")]
    Run { name: String, msg: String },
}

impl CiError {
    pub fn write(path: &Path, e: impl std::fmt::Display) -> CiError {
        CiError::Write {
            path: path.to_path_buf(),
            error: e.to_string(),
        }
    }
}

pub fn run(a: CiArgs) -> anyhow::Result<Outcome> {
    let plan = manifest::load(&a.manifest)?;
    let pinned = if a.update_pins {
        None
    } else {
        pins::load(&plan.pins)?
    };
    let mut report = run::run_all(&plan, !a.no_cache)?;
    match &pinned {
        Some(p) => pins::apply(p, &plan, &mut report),
        None if a.update_pins => {
            pins::save(&plan.pins, &report)?;
            eprintln!("ci: pins written to {}", plan.pins.display());
        }
        None => report.notes.push(format!(
            "no pins file {}: run `raftspec ci --update-pins` to record the figures",
            plan.pins.display()
        )),
    }
    report.finish();
    if let Some(f) = &a.junit {
        std::fs::write(f, junit::render(&report)).map_err(|e| CiError::write(f, e))?;
    }
    let md = summary::render(&report);
    if let Some(f) = &a.summary {
        append(f, &md)?;
    }
    if a.json {
        let reports = report
            .entries
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        crate::json::Doc::reports("ci", reports)
            .passed(report.passed)
            .with("manifest", &report.manifest)?
            .with("seconds", report.seconds)?
            .with("notes", &report.notes)?
            .print()?;
    } else {
        print!("{md}");
    }
    Ok(if report.passed {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// `$GITHUB_STEP_SUMMARY` is appended to, never overwritten.
fn append(path: &Path, text: &str) -> Result<(), CiError> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| CiError::write(path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| CiError::write(path, e))
}
