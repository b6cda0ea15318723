//! Pinned figures: per check its state counts, depth and witness lengths, per catalog entry
//! its score. A run fails when a figure moves beyond the tolerance or a witness or bug goes.

use super::manifest::{Job, Plan};
use super::run::{Case, EntryResult, Figures, Report, Score};
use super::CiError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    pub version: u32,
    #[serde(default)]
    pub checks: BTreeMap<String, PinnedCheck>,
    #[serde(default)]
    pub catalog: BTreeMap<String, Score>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PinnedCheck {
    /// The bounds the figures were taken at (for a reader; the manifest decides).
    pub bounds: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The pins file, or None when there is none yet.
pub fn load(path: &Path) -> Result<Option<Pins>, CiError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(pins_error(path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| pins_error(path, e))
}

fn pins_error(path: &Path, e: impl std::fmt::Display) -> CiError {
    CiError::Pins {
        path: path.to_path_buf(),
        msg: e.to_string(),
    }
}

/// Records the figures of every entry that passed.
pub fn save(path: &Path, report: &Report) -> Result<(), CiError> {
    let mut pins = Pins {
        version: 1,
        ..Pins::default()
    };
    for e in report.entries.iter().filter(|e| e.passed) {
        if let Some(f) = &e.figures {
            let pinned = PinnedCheck {
                bounds: e.detail.clone(),
                figures: f.clone(),
            };
            pins.checks.insert(e.name.clone(), pinned);
        }
        if let Some(s) = &e.score {
            pins.catalog.insert(e.name.clone(), s.clone());
        }
    }
    let text = serde_json::to_string_pretty(&pins).map_err(|e| CiError::write(path, e))?;
    std::fs::write(path, text + "\n").map_err(|e| CiError::write(path, e))
}

/// Compares every entry with its pins: one `pins` test case per pinned entry.
pub fn apply(pins: &Pins, plan: &Plan, report: &mut Report) {
    for (entry, r) in plan.entries.iter().zip(report.entries.iter_mut()) {
        let moved = match (&entry.job, &r.figures, &r.score) {
            (Job::Check(j), Some(now), _) => match pins.checks.get(&r.name) {
                Some(p) => compare_figures(&p.figures, now, j.tolerance),
                None => {
                    not_pinned(r);
                    continue;
                }
            },
            (Job::Catalog(_), _, Some(now)) => match pins.catalog.get(&r.name) {
                Some(p) => compare_score(p, now),
                None => {
                    not_pinned(r);
                    continue;
                }
            },
            _ => continue,
        };
        if moved.is_empty() {
            r.cases.push(Case::pass("pins"));
        } else {
            r.fail("pins", moved.join("; "));
        }
    }
}

fn not_pinned(r: &mut EntryResult) {
    r.cases.push(Case::new(
        "pins",
        "skip",
        Some("not in the pins file: run `raftspec ci --update-pins`".into()),
    ));
}

/// How `now` differs from `pinned` beyond `tolerance` percent, one phrase per figure.
pub fn compare_figures(pinned: &Figures, now: &Figures, tolerance: f64) -> Vec<String> {
    let mut out = Vec::new();
    let figures = [
        ("unique states", pinned.unique, now.unique),
        ("generated states", pinned.generated, now.generated),
        ("depth", pinned.depth, now.depth),
    ];
    for (what, was, is) in figures {
        out.extend(moved(what, was, is, tolerance));
    }
    for (w, &was) in &pinned.witnesses {
        match now.witnesses.get(w) {
            None => out.push(format!(
                "witness {w} disappeared (pinned: reached in {was} steps)"
            )),
            Some(&is) => out.extend(moved(&format!("witness {w} length"), was, is, tolerance)),
        }
    }
    out
}

fn moved(what: &str, was: usize, is: usize, tolerance: f64) -> Option<String> {
    if was == is {
        return None;
    }
    let pct = if was == 0 {
        f64::INFINITY
    } else {
        100.0 * (is as f64 - was as f64) / was as f64
    };
    (pct.abs() > tolerance)
        .then(|| format!("{what} moved from {was} to {is} ({pct:+.2}%, tolerance {tolerance}%)"))
}

fn compare_score(pinned: &Score, now: &Score) -> Vec<String> {
    let mut out = Vec::new();
    for (bug, was) in &pinned.bugs {
        let is = now.bugs.get(bug).copied().flatten();
        match (was, is) {
            (Some(steps), None) => out.push(format!(
                "catalog bug {bug} no longer found (pinned: found in {steps} steps)"
            )),
            (Some(a), Some(b)) if *a != b => out.push(format!(
                "catalog bug {bug}: counterexample length moved from {a} to {b} steps"
            )),
            _ => {}
        }
    }
    if now.found < pinned.found {
        out.push(format!(
            "catalog score fell from {}/{} to {}/{}",
            pinned.found, pinned.total, now.found, now.total
        ));
    }
    out
}
