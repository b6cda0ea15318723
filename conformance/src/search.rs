//! proptest as a trace source: random choice sequences turned into model traces, replayed
//! against the implementation, and shrunk to a minimal diverging trace on failure.

use crate::driver::{Node, NodeId};
use crate::protocol::Protocol;
use crate::replay::{replay, Divergence};
use crate::sources::{trace_hash, walk};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::HashSet;

/// What a proptest search did.
#[derive(Clone, Debug, Default)]
pub struct SearchStats {
    pub cases: u32,
    /// Replays run, shrinking included.
    pub runs: usize,
    /// Distinct traces among the cases (a choice sequence may stop early and repeat another).
    pub distinct: usize,
    pub steps: usize,
    /// Hashes of the traces (see [`crate::sources::trace_hash`]).
    pub hashes: HashSet<u64>,
}

/// The trace a choice sequence stands for: a walk ([`walk`]) whose i-th pick is
/// `choices[i]` (modulo the total weight), so smaller choices pick earlier actions.
pub fn trace_of<P: Protocol>(spec: &P, choices: &[u16]) -> Vec<P::Action> {
    walk(spec, choices.len(), |total, i| choices[i] as usize % total)
}

/// Runs `cases` proptest cases of at most `len` actions (deterministic for a seed). On a
/// divergence proptest shrinks the choice sequence (shorter, smaller choices) and the minimal
/// diverging trace is returned.
pub fn proptest_search<P, N>(
    spec: &P,
    cases: u32,
    len: usize,
    seed: u64,
    make: &dyn Fn(NodeId, u8) -> N,
) -> Result<SearchStats, (SearchStats, Box<Divergence>)>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    seed_bytes[8..16].copy_from_slice(b"raftspec");
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 10_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let seen = RefCell::new(HashSet::new());
    let steps = RefCell::new(0usize);
    let runs = RefCell::new(0usize);
    let strategy = proptest::collection::vec(any::<u16>(), 0..=len);
    let result = runner.run(&strategy, |choices| {
        let actions = trace_of(spec, &choices);
        seen.borrow_mut().insert(trace_hash(&actions));
        *steps.borrow_mut() += actions.len();
        *runs.borrow_mut() += 1;
        match replay(spec, &actions, make) {
            Ok(_) => Ok(()),
            Err(d) => Err(TestCaseError::fail(format!(
                "step {} field {}",
                d.step, d.field
            ))),
        }
    });
    let distinct = seen.borrow().len();
    let stats = SearchStats {
        cases,
        runs: runs.take(),
        distinct,
        steps: *steps.borrow(),
        hashes: seen.take(),
    };
    match result {
        Ok(()) => Ok(stats),
        Err(TestError::Fail(_, minimal)) => {
            let actions = trace_of(spec, &minimal);
            match replay(spec, &actions, make) {
                Err(d) => Err((stats, minimize(spec, d, make))),
                Ok(_) => unreachable!("a failing case fails again: replay is deterministic"),
            }
        }
        Err(TestError::Abort(reason)) => panic!("proptest aborted: {reason}"),
    }
}

/// True if every action is enabled where it is taken and no state before it is outside the
/// model's boundary: the sequence is a trace of the model.
pub fn is_model_trace<P: Protocol>(spec: &P, actions: &[P::Action]) -> bool {
    let mut st = spec
        .init_states()
        .into_iter()
        .next()
        .expect("one init state");
    let mut enabled = Vec::new();
    for a in actions {
        if !spec.within_boundary(&st) {
            return false;
        }
        enabled.clear();
        spec.actions(&st, &mut enabled);
        if !enabled.contains(a) {
            return false;
        }
        match spec.next_state(&st, a.clone()) {
            Some(n) => st = n,
            None => return false,
        }
    }
    true
}

/// Shrinks a diverging trace: removes actions (halves, then quarters, ... then single actions)
/// as long as what is left is still a model trace that diverges in the same field. The result
/// is 1-minimal: removing any one action leaves a trace that is invalid or conforms.
pub fn minimize<P, N>(
    spec: &P,
    divergence: Box<Divergence>,
    make: &dyn Fn(NodeId, u8) -> N,
) -> Box<Divergence>
where
    P: Protocol,
    N: Node<Abstract = P::Msg>,
{
    let Some(mut actions) = divergence
        .prefix
        .steps
        .iter()
        .skip(1)
        .map(|s| {
            s.action
                .as_ref()
                .and_then(|a| spec.action_from_json(&a.args).ok())
        })
        .collect::<Option<Vec<P::Action>>>()
    else {
        return divergence;
    };
    let field = divergence.field.clone();
    let mut best = divergence;
    let mut chunk = actions.len().div_ceil(2).max(1);
    loop {
        let mut removed_any = false;
        let mut i = 0;
        while i < actions.len() {
            let end = (i + chunk).min(actions.len());
            let mut candidate = actions[..i].to_vec();
            candidate.extend_from_slice(&actions[end..]);
            if is_model_trace(spec, &candidate) {
                if let Err(d) = replay(spec, &candidate, make) {
                    if d.field == field {
                        // keep only the prefix up to the divergence
                        candidate.truncate(d.step);
                        actions = candidate;
                        best = d;
                        removed_any = true;
                        continue;
                    }
                }
            }
            i += chunk;
        }
        if chunk == 1 && !removed_any {
            return best;
        }
        if !removed_any {
            chunk = chunk.div_ceil(2);
        }
    }
}
