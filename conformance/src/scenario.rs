//! Data-driven scenarios, in the manner of etcd-io/raft's `testdata/*.txt`: a small script of
//! protocol steps runs against the model and the implementation core at once (through the
//! replay harness, so no transition code of its own), and its output is compared with the
//! expectation written in the same file.
//!
//! A file is blocks separated by blank lines. Each block is optional `#` comment lines, one
//! command, then `----` and the command's output. The first command names the variant and
//! bounds: `raft servers=3 max-term=4 max-log=2 values=2 max-restarts=1`. Then:
//! - `timeout S`, `heartbeat S`, `fetch S`, `check-quorum S`: a timer fires on server S;
//! - `propose S V`: a client asks S to append value V;
//! - `restart S`: S crashes and restarts from what it persisted;
//! - `deliver A->B KIND [TEXT]`, `drop …`, `dup …`: the network delivers (loses, duplicates)
//!   the one message from A to B of that kind whose description contains TEXT;
//! - `deliver-all`: delivers the first deliverable message until none is left;
//! - `print`: every server's state and the messages in flight.
//!
//! After every step the harness compares every server of the implementation with the model;
//! the first difference is printed as `DIVERGENCE` and ends the run.

use crate::conform::Target;
use crate::driver::{Node, NodeId, Timer};
use crate::protocol::{ModelStep, Protocol};
use crate::replay::{apply_step, compare_all, node_states, Harness};
use crate::variants::{with_binding, Binding, BindingVisitor};
use raftspec_model::bounds::NetworkSemantics;
use raftspec_model::{Bounds, Variant};

/// A scenario file that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("the first command must be `raft|kraft key=value...`: {0}")]
    Header(String),
}

/// One block of a file: its comments and its command (the output is computed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub comments: Vec<String>,
    pub command: String,
}

/// The blocks of a scenario file; a block's old output (after `----`) is ignored.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for chunk in text.split("\n\n").filter(|c| !c.trim().is_empty()) {
        let mut lines = chunk.lines().take_while(|l| *l != "----");
        let mut comments = Vec::new();
        for line in lines.by_ref() {
            if line.starts_with('#') {
                comments.push(line.to_string());
            } else if !line.trim().is_empty() {
                blocks.push(Block {
                    comments: std::mem::take(&mut comments),
                    command: line.trim().to_string(),
                });
                break;
            }
        }
    }
    blocks
}

/// The file text for blocks and their outputs.
pub fn render(blocks: &[Block], outputs: &[Vec<String>]) -> String {
    let parts: Vec<String> = blocks
        .iter()
        .zip(outputs)
        .map(|(b, out)| {
            let mut lines = b.comments.clone();
            lines.push(b.command.clone());
            lines.push("----".into());
            lines.extend(out.iter().cloned());
            lines.join("\n")
        })
        .collect();
    parts.join("\n\n") + "\n"
}

/// The variant and bounds a header line names. Defaults: 3 servers, max-term 4, max-log 2,
/// 2 values, 2 restarts, a network that may drop, duplicate and reorder.
pub fn header(line: &str) -> Result<(Variant, Bounds), ScenarioError> {
    let bad = |m: String| ScenarioError::Header(m);
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or_default();
    let variant =
        Variant::from_name(name).ok_or_else(|| bad(format!("unknown variant {name:?}")))?;
    let mut b = Bounds {
        servers: 3,
        max_term: 4,
        max_log: 2,
        values: 2,
        max_restarts: 2,
        network: NetworkSemantics {
            drop: true,
            reorder: true,
            max_copies: 2,
            max_in_flight: 24,
            max_drops: None,
        },
        options: Default::default(),
    };
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| bad(format!("{w:?} is not key=value")))?;
        let v: u8 = v
            .parse()
            .map_err(|_| bad(format!("{w:?}: not a small number")))?;
        match k {
            "servers" => b.servers = v,
            "max-term" => b.max_term = v,
            "max-log" => b.max_log = v,
            "values" => b.values = v,
            "max-restarts" => b.max_restarts = v,
            _ => return Err(bad(format!("unknown bound {k:?}"))),
        }
    }
    variant.validate(&b).map_err(|e| bad(e.to_string()))?;
    Ok((variant, b))
}

/// Runs a scenario file on both sides; returns the file as it should read.
pub fn run(text: &str) -> Result<String, ScenarioError> {
    let blocks = parse(text);
    let first = blocks.first().map_or("", |b| b.command.as_str());
    let (variant, bounds) = header(first)?;
    let mut outputs = vec![vec![format!("{variant}: {bounds}")]];
    let rest = &blocks[1..];
    struct Run<'a> {
        bounds: Bounds,
        blocks: &'a [Block],
    }
    impl BindingVisitor for Run<'_> {
        type Output = Vec<Vec<String>>;
        fn visit<B: Binding>(self) -> Self::Output {
            let spec = B::spec(self.bounds, None);
            let target = Target::correct();
            run_blocks(&spec, self.blocks, &|id, n| B::core(&target, id, n))
        }
    }
    outputs.extend(with_binding(
        variant,
        Run {
            bounds,
            blocks: rest,
        },
    ));
    Ok(render(&blocks, &outputs))
}

/// Runs commands on the model and on nodes made by `make`; one output per command.
pub fn run_blocks<P, N>(
    spec: &P,
    blocks: &[Block],
    make: &dyn Fn(NodeId, u8) -> N,
) -> Vec<Vec<String>>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut r = Runner {
        spec,
        state: spec.init_states().remove(0),
        harness: Harness::new(spec.bounds().servers, make),
        diverged: false,
    };
    blocks.iter().map(|b| r.command(&b.command)).collect()
}

struct Runner<'a, P: Protocol, N: Node<Abstract = P::Msg>> {
    spec: &'a P,
    state: P::State,
    harness: Harness<N>,
    diverged: bool,
}

/// A test on a model step whose message is described (see [`described`]).
type StepTest = Box<dyn Fn(&ModelStep<String>) -> bool>;

/// What a command asks for: a step the model must offer, or something else.
enum Want {
    Step(StepTest, String),
    DeliverAll,
    Print,
}

fn server(w: Option<&str>) -> Result<NodeId, String> {
    w.and_then(|s| s.parse().ok())
        .ok_or_else(|| "expected a server number".to_string())
}

/// `A->B KIND TEXT` as a test on a message's (from, to) and description.
fn message(words: &[&str]) -> Result<impl Fn(&str, NodeId, NodeId) -> bool, String> {
    let (a, b) = words
        .first()
        .and_then(|w| w.split_once("->"))
        .ok_or_else(|| "expected A->B".to_string())?;
    let (a, b) = (server(Some(a))?, server(Some(b))?);
    let kind = format!("{} ", words.get(1).ok_or("expected a message kind")?);
    let filter = words[2..].join(" ");
    Ok(move |text: &str, from, to| {
        (from, to) == (a, b) && text.starts_with(&kind) && text.contains(filter.as_str())
    })
}

fn parse_command(line: &str) -> Result<Want, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (verb, args) = words.split_first().ok_or("empty command")?;
    let timer = |t: Timer| -> Result<Want, String> {
        let s = server(args.first().copied())?;
        Ok(Want::Step(
            Box::new(move |m| *m == ModelStep::Timer(s, t)),
            line.to_string(),
        ))
    };
    match *verb {
        "timeout" => timer(Timer::Election),
        "heartbeat" => timer(Timer::Heartbeat),
        "fetch" => timer(Timer::Fetch),
        "check-quorum" => timer(Timer::CheckQuorum),
        "propose" => {
            let (s, v) = (
                server(args.first().copied())?,
                server(args.get(1).copied())?,
            );
            Ok(Want::Step(
                Box::new(move |m| *m == ModelStep::ClientRequest(s, v)),
                line.into(),
            ))
        }
        "restart" => {
            let s = server(args.first().copied())?;
            Ok(Want::Step(
                Box::new(move |m| *m == ModelStep::Restart(s)),
                line.into(),
            ))
        }
        "deliver" | "drop" | "dup" => network(verb, args, line),
        "deliver-all" => Ok(Want::DeliverAll),
        "print" => Ok(Want::Print),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// Messages are matched by their description (`ModelStep<String>`: the message described).
fn network(verb: &str, args: &[&str], line: &str) -> Result<Want, String> {
    let test = message(args)?;
    let verb = verb.to_string();
    let want = move |m: &ModelStep<String>| match (verb.as_str(), m) {
        ("deliver", ModelStep::Deliver(d))
        | ("drop", ModelStep::Drop(d))
        | ("dup", ModelStep::Duplicate(d)) => {
            let (text, ends) = d.split_once('\u{0}').unwrap_or((d, ""));
            let (f, t) = ends.split_once(',').unwrap_or(("", ""));
            matches!((f.parse(), t.parse()), (Ok(f), Ok(t)) if test(text, f, t))
        }
        _ => false,
    };
    Ok(Want::Step(Box::new(want), line.to_string()))
}

/// A model step with its message replaced by the message's description and endpoints.
fn described<P: Protocol>(step: ModelStep<P::Msg>) -> ModelStep<String> {
    let d = |m: P::Msg| {
        let (f, t) = P::endpoints(&m);
        format!("{}\u{0}{f},{t}", P::describe(&m))
    };
    match step {
        ModelStep::Deliver(m) => ModelStep::Deliver(d(m)),
        ModelStep::Drop(m) => ModelStep::Drop(d(m)),
        ModelStep::Duplicate(m) => ModelStep::Duplicate(d(m)),
        ModelStep::Timer(s, t) => ModelStep::Timer(s, t),
        ModelStep::ClientRequest(s, v) => ModelStep::ClientRequest(s, v),
        ModelStep::Restart(s) => ModelStep::Restart(s),
        ModelStep::SendTo(s, to, name) => ModelStep::SendTo(s, to, name),
    }
}

impl<P: Protocol, N: Node<Abstract = P::Msg>> Runner<'_, P, N> {
    fn command(&mut self, line: &str) -> Vec<String> {
        if self.diverged {
            return vec!["skipped: model and implementation diverged earlier".into()];
        }
        match parse_command(line) {
            Err(e) => vec![format!("error: {e}")],
            Ok(Want::Print) => self.print(),
            Ok(Want::DeliverAll) => self.deliver_all(),
            Ok(Want::Step(want, what)) => match self.find(&*want) {
                Ok(action) => self.step(action),
                Err(e) => vec![format!("error: {what}: {e}")],
            },
        }
    }

    /// The one enabled model action the command names.
    fn find(&self, want: &dyn Fn(&ModelStep<String>) -> bool) -> Result<P::Action, String> {
        let mut enabled = Vec::new();
        self.spec.actions(&self.state, &mut enabled);
        let mut found: Vec<P::Action> = enabled
            .into_iter()
            .filter(|a| want(&described::<P>(self.spec.model_step(a))))
            .collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err("the model offers no such step here".into()),
            n => {
                let names: Vec<String> = found.iter().map(|a| self.spec.format_action(a)).collect();
                Err(format!("{n} steps match, add words: {}", names.join(" | ")))
            }
        }
    }

    /// Takes one step on both sides and compares every server.
    fn step(&mut self, action: P::Action) -> Vec<String> {
        let mut out = vec![self.spec.format_action(&action)];
        let next = self.spec.next_state(&self.state, action.clone());
        self.state = next.expect("an enabled action has a next state");
        self.harness.begin_step();
        let result = apply_step::<P, N>(&mut self.harness, &self.spec.model_step(&action))
            .and_then(|_| compare_all(self.spec, &self.state, &self.harness));
        if let Err(f) = result {
            self.diverged = true;
            let who = f.node.map_or(String::new(), |n| format!("S{n} "));
            out.push(format!(
                "DIVERGENCE: {who}{}: model {}, implementation {}",
                f.field, f.expected, f.actual
            ));
        }
        out
    }

    fn deliver_all(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..200 {
            let Ok(a) = self.find_first_delivery() else {
                break;
            };
            out.extend(self.step(a));
            if self.diverged {
                break;
            }
        }
        out
    }

    fn find_first_delivery(&self) -> Result<P::Action, ()> {
        let mut enabled = Vec::new();
        self.spec.actions(&self.state, &mut enabled);
        enabled
            .into_iter()
            .find(|a| matches!(self.spec.model_step(a), ModelStep::Deliver(_)))
            .ok_or(())
    }

    /// Every server (the implementation's line too where it differs) and the network.
    fn print(&self) -> Vec<String> {
        let model = self.spec.node_states(&self.state);
        let real = node_states(&self.harness);
        let mut out = Vec::new();
        for (i, m) in model.iter().enumerate() {
            out.push(format!("S{i}: {m}"));
            match real.get(i) {
                Some(r) if m.first_difference(r).is_none() => {}
                r => out.push(format!(
                    "S{i} (implementation): {}",
                    r.map_or("-".into(), |r| r.to_string())
                )),
            }
        }
        for (m, c) in self.spec.in_flight(&self.state) {
            let times = if c > 1 {
                format!(" x{c}")
            } else {
                String::new()
            };
            out.push(format!("in flight: {}{times}", P::describe(&m)));
        }
        out
    }
}
