//! `raftspec compare`: push (Raft) versus pull (KRaft), measured on the two models under the
//! same bounds: reachable states, and the messages and steps of the shortest behaviours that
//! elect a leader and commit one client entry (the BFS witness traces of `LeaderElected` and
//! `EntryCommitted`). specs/push-vs-pull.md explains the figures.

use crate::args::BoundsArgs;
use crate::Outcome;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use raftspec_model::check::{check, CheckOptions, Verdict};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::Trace;
use raftspec_model::{Bounds, Spec, Variant};
use serde::Serialize;
use serde_json::Value;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Bounds for both models (KRaft's `check` defaults unless given).
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Also print the two shortest traces that commit an entry.
    #[arg(long)]
    pub traces: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The shortest behaviour reaching a witness, counted.
#[derive(Clone, Debug, Serialize)]
pub struct Shortest {
    /// Actions on the path (the BFS depth of the first state that satisfies the witness).
    pub steps: usize,
    /// Messages handled by a server on the way.
    pub delivered: usize,
    /// Messages put in flight on the way (copies made by the network not counted).
    pub sent: usize,
    /// Action-index encoding (Explorer `#/steps/...`).
    pub path: String,
    #[serde(skip)]
    pub trace: Trace,
}

#[derive(Clone, Debug, Serialize)]
pub struct Measured {
    pub variant: Variant,
    pub unique_states: usize,
    pub total_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    /// No safety (`Always`) property was violated. Witnesses other than the two measured may
    /// be out of reach of the bounds (e.g. Raft's RestartedAfterVote without restarts).
    pub safe: bool,
    pub leader_elected: Shortest,
    pub entry_committed: Shortest,
}

pub fn run(a: CompareArgs) -> Result<Outcome> {
    // KRaft's defaults: the smaller space, so that both finish in seconds.
    let bounds = a.bounds.resolve(Variant::Kraft, None)?;
    for v in Variant::ALL {
        v.validate(&bounds).map_err(|e| anyhow!("{e}"))?;
    }
    eprintln!(
        "comparing {}: {bounds}",
        raftspec_model::registry::names().replace(", ", " and ")
    );
    let mut rows = Vec::new();
    for &v in Variant::ALL {
        eprintln!("  checking {v} ...");
        rows.push(with_spec(v, bounds.clone(), None, Measure)?);
    }
    let passed = rows.iter().all(|r| r.safe);
    if a.json {
        let reports = rows
            .iter()
            .map(|r| crate::json::report(r, r.safe))
            .collect::<Result<Vec<_>>>()?;
        crate::json::Doc::reports("compare", reports)
            .with("bounds", &bounds)?
            .print()?;
    } else {
        print_table(&bounds, &rows);
        if a.traces {
            for r in &rows {
                println!();
                println!(
                    "{}: shortest behaviour that commits an entry ({} steps)",
                    r.variant, r.entry_committed.steps
                );
                print!("{}", r.entry_committed.trace.render());
            }
        }
    }
    Ok(if passed { Outcome::Pass } else { Outcome::Fail })
}

struct Measure;

impl SpecVisitor for Measure {
    type Output = Result<Measured>;

    fn visit<S: Spec>(self, spec: S) -> Self::Output {
        let outcome = check(spec.clone(), CheckOptions::default());
        let r = &outcome.report;
        if !r.complete {
            bail!(
                "{} did not explore every state: {:?}",
                r.variant,
                r.violated().map(|p| &p.name).collect::<Vec<_>>()
            );
        }
        let shortest = |name: &str| -> Result<Shortest> {
            let p = r
                .property(name)
                .filter(|p| p.verdict == Verdict::Witnessed)
                .ok_or_else(|| {
                    anyhow!("{}: witness {name} not reached at these bounds", r.variant)
                })?;
            let path = p.path.clone().expect("a witnessed property has a path");
            let trace = decode(&spec, &path)
                .ok_or_else(|| anyhow!("{}: cannot replay path {path}", r.variant))?;
            Ok(count(trace, path))
        };
        let safe = r.violated().next().is_none();
        Ok(Measured {
            variant: r.variant,
            unique_states: r.unique_states,
            total_states: r.total_states,
            max_depth: r.max_depth,
            seconds: r.seconds,
            safe,
            leader_elected: shortest("LeaderElected")?,
            entry_committed: shortest("EntryCommitted")?,
        })
    }
}

/// Rebuilds the trace of an action-index path (`init/a1/a2/...`) by re-running the model.
fn decode<S: Spec>(spec: &S, encoded: &str) -> Option<Trace> {
    let mut idx = encoded.split('/').map(|i| i.parse::<usize>().ok());
    let mut state = spec.init_states().into_iter().nth(idx.next()??)?;
    let mut actions = Vec::new();
    for i in idx {
        let mut enabled = Vec::new();
        spec.actions(&state, &mut enabled);
        let a = enabled.into_iter().nth(i?)?;
        state = spec.next_state(&state, a.clone())?;
        actions.push(a);
    }
    Trace::from_actions(spec, &actions)
}

/// Counts deliveries (steps in which a server handles a message) and sends (copies added to
/// the network by a step other than the network's own duplication).
fn count(trace: Trace, path: String) -> Shortest {
    let mut delivered = 0;
    let mut sent = 0;
    for w in trace.steps.windows(2) {
        let Some(a) = &w[1].action else { continue };
        if a.name.starts_with("Handle") {
            delivered += 1;
        }
        if a.name != "DuplicateMessage" {
            sent += added(&w[0].state, &w[1].state);
        }
    }
    Shortest {
        steps: trace.steps.len() - 1,
        delivered,
        sent,
        path,
        trace,
    }
}

/// Copies in the `network` of `after` beyond those in `before`.
fn added(before: &Value, after: &Value) -> usize {
    let bag = |v: &Value| -> Vec<(Value, u64)> {
        v.get("network")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|m| {
                        let copies = m.get("copies").and_then(Value::as_u64).unwrap_or(1);
                        (m.get("msg").cloned().unwrap_or(Value::Null), copies)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = bag(before);
    bag(after)
        .into_iter()
        .map(|(m, c)| {
            let had = before.iter().find(|(b, _)| *b == m).map_or(0, |(_, c)| *c);
            c.saturating_sub(had) as usize
        })
        .sum()
}

/// The comparison as a Markdown table (a line a figure, a column a variant), then the paths
/// of the shortest behaviours measured.
fn print_table(bounds: &Bounds, rows: &[Measured]) {
    let sides: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({})", r.variant.info().style, r.variant))
        .collect();
    println!("== {}, same bounds: {bounds}", sides.join(" vs "));
    println!("search: bfs, 1 thread, symmetry off; figures of the shortest behaviours are those of the first witness states BFS reaches");
    println!();
    let heads: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({})", r.variant, r.variant.info().style))
        .collect();
    print_markdown(&heads, &table_lines(rows));
    for r in rows {
        println!(
            "{} paths: elect #/steps/{}  commit #/steps/{}",
            r.variant, r.leader_elected.path, r.entry_committed.path
        );
    }
}

/// The table's lines: a label and one cell a row.
fn table_lines(rows: &[Measured]) -> Vec<(&'static str, Vec<String>)> {
    let cell = |f: &dyn Fn(&Measured) -> String| -> Vec<String> { rows.iter().map(f).collect() };
    vec![
        ("reachable states", cell(&|r| r.unique_states.to_string())),
        ("states generated", cell(&|r| r.total_states.to_string())),
        ("max depth", cell(&|r| r.max_depth.to_string())),
        ("check time (s)", cell(&|r| format!("{:.2}", r.seconds))),
        (
            "elect a leader: steps",
            cell(&|r| r.leader_elected.steps.to_string()),
        ),
        (
            "elect a leader: messages delivered",
            cell(&|r| r.leader_elected.delivered.to_string()),
        ),
        (
            "elect a leader: messages sent",
            cell(&|r| r.leader_elected.sent.to_string()),
        ),
        (
            "commit one entry: steps (depth to first commit)",
            cell(&|r| r.entry_committed.steps.to_string()),
        ),
        (
            "commit one entry: messages delivered",
            cell(&|r| r.entry_committed.delivered.to_string()),
        ),
        (
            "commit one entry: messages sent",
            cell(&|r| r.entry_committed.sent.to_string()),
        ),
        (
            "safety properties hold",
            cell(&|r| if r.safe { "yes".into() } else { "NO".into() }),
        ),
    ]
}

/// A Markdown table: labels left-aligned in the first column, cells right-aligned.
fn print_markdown(heads: &[String], lines: &[(&str, Vec<String>)]) {
    let w0 = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let w1 = lines
        .iter()
        .flat_map(|(_, c)| c.iter().map(String::len))
        .chain(heads.iter().map(String::len))
        .max()
        .unwrap_or(0);
    print!("| {:w0$} |", "");
    for h in heads {
        print!(" {h:>w1$} |");
    }
    println!();
    print!("|{}|", "-".repeat(w0 + 2));
    for _ in heads {
        print!("{}:|", "-".repeat(w1 + 1));
    }
    println!();
    for (label, cells) in lines {
        print!("| {label:w0$} |");
        for c in cells {
            print!(" {c:>w1$} |");
        }
        println!();
    }
}
