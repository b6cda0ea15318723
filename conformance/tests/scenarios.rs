//! Scenario files (`testdata/*.txt`) run on the model and the implementation core at once;
//! their output is golden (`RAFTSPEC_REWRITE=1` rewrites it).

use raftspec_conformance::raft::RaftNode;
use raftspec_conformance::scenario;
use raftspec_view::golden;
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios_agree_on_model_and_core_and_match_their_expectations() {
    let files = scenario_files();
    assert!(files.len() >= 3, "{files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let out = scenario::run(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(e) = golden::check(f, &out) {
            failures.push(e.to_string());
        }
        for bad in ["DIVERGENCE", "error:", "skipped:"] {
            assert!(!out.contains(bad), "{}: {bad}\n{out}", f.display());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A changed expectation is reported as a diff, at the changed line.
#[test]
fn a_changed_expectation_is_reported() {
    let f = testdata().join("raft-figure8.txt");
    let text = std::fs::read_to_string(f).unwrap();
    let out = scenario::run(&text).unwrap();
    let changed = text.replacen("commit 0", "commit 1", 1);
    assert_ne!(changed, text, "the file holds a commit index to change");
    let diff = golden::diff(&changed, &out).expect("the change is seen");
    assert!(
        diff.contains("commit 1") && diff.contains("commit 0"),
        "{diff}"
    );
}

/// An implementation that differs from the model is caught at the step where it does.
#[test]
fn a_core_that_ignores_clients_diverges_at_the_proposal() {
    use raftspec_conformance::driver::*;
    struct Deaf(RaftNode);
    impl Node for Deaf {
        type Message = <RaftNode as Node>::Message;
        type Abstract = <RaftNode as Node>::Abstract;
        fn step(
            &mut self,
            e: Event<Self::Message>,
        ) -> Result<Reaction<Self::Message>, NodeFailure> {
            match e {
                Event::ClientRequest(_) => Ok(Reaction::sent(Vec::new())),
                other => self.0.step(other),
            }
        }
        fn restart(&mut self) -> Result<(), NodeFailure> {
            self.0.restart()
        }
        fn state(&self) -> NodeState {
            self.0.state()
        }
        fn timers(&self) -> Vec<Timer> {
            self.0.timers()
        }
        fn abstract_message(
            &self,
            f: NodeId,
            t: NodeId,
            m: &Self::Message,
        ) -> Result<Self::Abstract, Inexpressible> {
            self.0.abstract_message(f, t, m)
        }
    }
    let text = std::fs::read_to_string(testdata().join("raft-figure8.txt")).unwrap();
    let blocks = scenario::parse(&text);
    let (_, bounds) = scenario::header(&blocks[0].command).unwrap();
    let spec = raftspec_model::raft::RaftModel::new(bounds, None);
    let out = scenario::run_blocks(&spec, &blocks[1..], &|i, n| Deaf(RaftNode::model(i, n)));
    let propose = blocks[1..]
        .iter()
        .position(|b| b.command.starts_with("propose"))
        .unwrap();
    assert!(
        out[propose]
            .iter()
            .any(|l| l.starts_with("DIVERGENCE: S0 log")),
        "{:?}",
        out[propose]
    );
    assert!(out[propose + 1][0].starts_with("skipped:"));
}
