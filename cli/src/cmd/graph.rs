//! `raftspec graph`: the state graph of a (small) model as Graphviz DOT, built with petgraph by
//! breadth-first search over `init_states`/`actions`/`next_state`. States outside the model's
//! boundary are nodes but are not expanded, as in the checker. Refuses bounds with more states
//! than `--max-states`.

use crate::args::{parse_bug, parse_variants, BoundsArgs};
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::Args;
use petgraph::dot::Dot;
use petgraph::graph::{DiGraph, NodeIndex};
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::{bugs, Spec};
use raftspec_view::text;
use stateright::Expectation;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct GraphArgs {
    #[arg(help = crate::args::variant_help(false))]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Inject a bug from the catalog; its bounds are used unless overridden.
    #[arg(long)]
    pub bug: Option<String>,
    /// Write the graph here (Graphviz DOT; render with `dot -Tsvg OUT.dot -o OUT.svg`); `-`
    /// writes it to stdout.
    #[arg(long, value_name = "OUT.dot")]
    pub dot: PathBuf,
    /// Refuse bounds whose graph has more states than this.
    #[arg(long, default_value_t = 5000)]
    pub max_states: usize,
}

/// A node: the state in a few lines; properties that fail there; whether it was expanded.
#[derive(Clone, Debug)]
pub struct Node {
    pub label: String,
    pub init: bool,
    pub boundary: bool,
    pub violated: Vec<&'static str>,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)?;
        for v in &self.violated {
            writeln!(f, "✗ {v} violated")?;
        }
        if self.boundary {
            f.write_str("(at the boundary: not expanded)\n")?;
        }
        Ok(())
    }
}

pub type StateGraph = DiGraph<Node, String>;

pub fn run(a: GraphArgs) -> Result<Outcome> {
    if a.variant == "all" {
        bail!("graph draws one variant at a time: raft or kraft");
    }
    let variant = parse_variants(&a.variant)?[0];
    let bug = parse_bug(a.bug.as_deref())?;
    if let Some(b) = bug {
        if bugs::entry(variant, b).is_none() {
            bail!("bug {b} is not in the catalog of variant {variant} (see `raftspec bugs`)");
        }
    }
    anyhow::ensure!(a.max_states >= 1, "--max-states must be at least 1");
    let bounds = a.bounds.resolve(variant, bug)?;
    let text = format!(
        "{variant} ({}) {bounds}",
        bug.map_or("no bug".into(), |b| format!("bug {b}"))
    );
    let g = with_spec(variant, bounds, bug, Build { max: a.max_states })
        .with_context(|| format!("cannot draw the state graph of {text}"))?;
    let dot = to_dot(&g);
    if a.dot.as_os_str() == "-" {
        // `--dot -`: the graph on stdout (for a pipe), the summary on stderr.
        print!("{dot}");
        eprintln!(
            "state graph of {text}: {} states, {} transitions",
            g.node_count(),
            g.edge_count()
        );
        return Ok(Outcome::Pass);
    }
    if let Some(dir) = a.dot.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&a.dot, dot).with_context(|| format!("cannot write {}", a.dot.display()))?;
    let boundary = g.node_weights().filter(|n| n.boundary).count();
    let bad = g.node_weights().filter(|n| !n.violated.is_empty()).count();
    println!("state graph of {text}");
    println!(
        "{} states ({boundary} at the boundary, {bad} violating a property), {} transitions",
        g.node_count(),
        g.edge_count()
    );
    println!("wrote {}", a.dot.display());
    println!(
        "render: dot -Tsvg {} -o {}",
        a.dot.display(),
        a.dot.with_extension("svg").display()
    );
    Ok(Outcome::Pass)
}

struct Build {
    max: usize,
}

impl SpecVisitor for Build {
    type Output = Result<StateGraph>;
    fn visit<S: Spec>(self, spec: S) -> Result<StateGraph> {
        build(&spec, self.max)
    }
}

/// Every state reachable within the bounds, by BFS; fails once there are more than `max`.
pub fn build<S: Spec>(spec: &S, max: usize) -> Result<StateGraph> {
    let properties = spec.properties();
    let words = spec.vocabulary();
    let node = |state: &S::State, init: bool| Node {
        label: text::state_summary(&spec.state_view(state), &words)
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
            .collect(),
        init,
        boundary: !spec.within_boundary(state),
        violated: properties
            .iter()
            .filter(|p| p.expectation == Expectation::Always && !(p.condition)(spec, state))
            .map(|p| p.name)
            .collect(),
    };
    let mut g = StateGraph::new();
    let mut index: HashMap<S::State, NodeIndex> = HashMap::new();
    let mut queue: VecDeque<(S::State, NodeIndex)> = VecDeque::new();
    let too_many = || {
        anyhow::anyhow!(
            "the state graph has more than {max} states within these bounds; give smaller bounds \
             (e.g. --servers 2 --max-term 1 --max-log 1 --max-restarts 0) or raise --max-states",
        )
    };
    for s in spec.init_states() {
        if index.contains_key(&s) {
            continue;
        }
        if index.len() >= max {
            return Err(too_many());
        }
        let i = g.add_node(node(&s, true));
        index.insert(s.clone(), i);
        queue.push_back((s, i));
    }
    while let Some((state, i)) = queue.pop_front() {
        if !spec.within_boundary(&state) {
            continue;
        }
        let mut actions = Vec::new();
        spec.actions(&state, &mut actions);
        for action in actions {
            let label = text::short_event(
                &spec.event_view(&action),
                &spec.format_action(&action),
                &words,
            );
            let Some(next) = spec.next_state(&state, action) else {
                continue;
            };
            let j = match index.get(&next) {
                Some(&j) => j,
                None => {
                    if index.len() >= max {
                        return Err(too_many());
                    }
                    let j = g.add_node(node(&next, false));
                    index.insert(next.clone(), j);
                    queue.push_back((next, j));
                    j
                }
            };
            g.add_edge(i, j, label);
        }
    }
    Ok(g)
}

/// DOT text: boxed, left-aligned state summaries; the initial state bold, violating states red,
/// unexpanded boundary states dashed; edges labelled with the step.
pub fn to_dot(g: &StateGraph) -> String {
    let node_attrs = |_: &StateGraph, (_, n): (NodeIndex, &Node)| {
        let mut attrs = String::from("shape=box fontname=\"monospace\" fontsize=10");
        if n.init {
            attrs.push_str(" penwidth=2.5 style=filled fillcolor=\"#e0f2fe\"");
        } else if !n.violated.is_empty() {
            attrs.push_str(" color=red penwidth=2 style=filled fillcolor=\"#fee2e2\"");
        } else if n.boundary {
            attrs.push_str(" style=dashed");
        }
        attrs
    };
    let edge_attrs = |_: &StateGraph, _: petgraph::graph::EdgeReference<'_, String>| {
        "fontname=\"sans-serif\" fontsize=9".to_string()
    };
    let dot = Dot::with_attr_getters(g, &[], &edge_attrs, &node_attrs);
    format!("{dot}")
}
