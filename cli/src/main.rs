//! raftspec: check, explore, replay and benchmark Raft and KRaft specifications, and run the
//! implementation they are held against.
//!
//! Exit codes: 0 everything holds, 1 a property failed (or conformance diverged), 2 bad
//! arguments or input.

mod args;
mod cmd;
mod json;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "raftspec",
    version,
    about = "Consensus protocols as executable specifications: check, explore, replay, compare",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Model-check a variant exhaustively within bounds (default: every variant).
    Check(cmd::check::CheckArgs),
    /// Swarm simulation: random walks that check every property, for spaces too large to
    /// enumerate (never a proof; violations are shrunk).
    Hunt(cmd::hunt::HuntArgs),
    /// List the bug catalog: each injectable protocol bug and the bounds that reach it.
    Bugs(cmd::bugs::BugsArgs),
    /// Serve a model in stateright's web Explorer (counterexamples open at #/steps/PATH).
    Explore(cmd::explore::ExploreArgs),
    /// Show an ITF trace: numbered steps, and a message sequence diagram with --svg.
    Trace(cmd::trace::TraceArgs),
    /// Export the state graph of a small model as Graphviz DOT.
    Graph(cmd::graph::GraphArgs),
    /// Run one node of the real implementation (a replicated KV store).
    Node(cmd::node::NodeArgs),
    /// Start a local cluster of node processes on loopback (foreground, Ctrl-C stops it).
    Cluster(cmd::cluster::ClusterArgs),
    /// Jepsen-style faults (kill -9, pauses, partitions, delays) against a local cluster.
    Chaos(cmd::chaos::ChaosArgs),
    /// Client for a running cluster: put, get, delete.
    Kv(cmd::kv::KvArgs),
    /// Benchmarks.
    Bench(cmd::bench::BenchArgs),
    /// Replay model traces against the implementation (exhaustive, walks, proptest, catalog).
    Conform(cmd::conform::ConformArgs),
    /// Replay an ITF trace against the implementation, after checking it against the model.
    Replay(cmd::replay::ReplayArgs),
    /// Check a recorded run of a real cluster against the model.
    Validate(cmd::validate::ValidateArgs),
    /// Run a real cluster (timers, loopback TCP), record it, and validate the recording.
    Record(cmd::validate::RecordArgs),
    /// Push (Raft) versus pull (KRaft) on the models under the same bounds.
    Compare(cmd::compare::CompareArgs),
    /// Gate merges: run a manifest (raftspec.toml), compare with pins, write JUnit and a summary.
    Ci(cmd::ci::CiArgs),
}

/// The outcome of a command: success, or a failed check/divergence (exit 1).
pub enum Outcome {
    Pass,
    Fail,
}

/// Commands that only print (no sockets): a closed pipe (`raftspec check | head`) ends them
/// quietly, as it ends `cat`, instead of a panic in `println!`. Commands that talk over TCP
/// keep Rust's default (SIGPIPE ignored, EPIPE as an error) so a peer that hangs up cannot kill
/// a node.
fn quiet_on_closed_pipe(command: &Command) {
    let prints_only = matches!(
        command,
        Command::Check(_)
            | Command::Hunt(_)
            | Command::Bugs(_)
            | Command::Trace(_)
            | Command::Graph(_)
            | Command::Compare(_)
            | Command::Replay(_)
            | Command::Validate(_)
            | Command::Conform(_)
    );
    if prints_only {
        // SAFETY: restoring the default disposition of one signal before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    quiet_on_closed_pipe(&cli.command);
    let result = match cli.command {
        Command::Check(a) => cmd::check::run(a),
        Command::Hunt(a) => cmd::hunt::run(a),
        Command::Bugs(a) => cmd::bugs::run(a),
        Command::Explore(a) => cmd::explore::run(a),
        Command::Trace(a) => cmd::trace::run(a),
        Command::Graph(a) => cmd::graph::run(a),
        Command::Node(a) => cmd::node::run(a),
        Command::Cluster(a) => cmd::cluster::run(a),
        Command::Chaos(a) => cmd::chaos::run(a),
        Command::Kv(a) => cmd::kv::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Conform(a) => cmd::conform::run(a),
        Command::Replay(a) => cmd::replay::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Record(a) => cmd::validate::run_record(a),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Ci(a) => cmd::ci::run(a),
    };
    match result {
        Ok(Outcome::Pass) => ExitCode::SUCCESS,
        Ok(Outcome::Fail) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
