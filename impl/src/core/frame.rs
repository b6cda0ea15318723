//! The step frame both cores share: remember the term, vote and commit count, run the role's
//! reaction to one input, hand the durable log's changes and the hard state to the driver, and
//! check the step's postconditions. Each core supplies only what differs (its role step
//! functions, the leader it persists, its vote mutants, its own postconditions).

use super::durable::DurableLog;
use super::{HardState, Input, NodeId, Output, Role, Summary};

/// A core's term (KRaft: epoch), vote and commit count (Raft: commit index; KRaft: high
/// watermark) at one moment of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    pub committed: u64,
}

impl Snapshot {
    /// The variant-independent summary of a core in this state.
    pub fn summary(self, id: NodeId, role: Role, leader: Option<NodeId>, log_len: u64) -> Summary {
        Summary {
            id,
            role,
            term: self.term,
            leader,
            log_len,
            committed: self.committed,
        }
    }
}

/// Which vote a step writes: the current one, or (mutants) none or the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VoteWrite {
    Current,
    /// Mutant: the vote is never persisted.
    Never,
    /// Mutant: the vote of this step is written with the next step's state.
    AfterSend,
}

impl VoteWrite {
    /// The vote a core writes, given which of the two vote mutants it runs with.
    pub fn chosen(never: bool, after_send: bool) -> VoteWrite {
        match (never, after_send) {
            (true, _) => VoteWrite::Never,
            (false, true) => VoteWrite::AfterSend,
            (false, false) => VoteWrite::Current,
        }
    }
}

/// How a variant names its term and its commit count, for the postcondition messages.
pub(crate) struct Words {
    pub term: &'static str,
    pub commit: &'static str,
}

/// What the shared step frame needs of a core.
pub(crate) trait Framed {
    type Message;
    fn snapshot(&self) -> Snapshot;
    fn durable_log(&mut self) -> &mut DurableLog;
    /// The leader the hard state records (KRaft's quorum-state file; Raft: none).
    fn persisted_leader(&self) -> Option<NodeId>;
    fn vote_write(&self) -> VoteWrite;
    /// Postconditions of every step (a core skips them when a mutant breaks rules on purpose).
    fn check_step(&self, before: &Snapshot);
}

/// A role's reaction to one input: what the frame wraps.
pub(crate) type React<C> =
    fn(&mut C, Input<<C as Framed>::Message>, &mut Output<<C as Framed>::Message>);

/// One step of a core: the frame around `react`, the role's reaction to one input (etcd's
/// `Step`).
pub(crate) fn step<C: Framed>(
    core: &mut C,
    input: Input<C::Message>,
    react: React<C>,
) -> Output<C::Message> {
    let mut out = Output::default();
    let before = core.snapshot();
    core.durable_log().begin_step();
    react(core, input, &mut out);
    let now = core.snapshot();
    let hs = HardState {
        term: now.term,
        voted_for: vote_to_persist(core.vote_write(), &before, &now),
        leader: core.persisted_leader(),
    };
    core.durable_log().finish_step(hs, &mut out.persist);
    if now.committed != before.committed {
        out.committed = Some(now.committed);
    }
    core.check_step(&before);
    out
}

/// The vote the step writes: its current vote (mutants: none, or the previous one).
fn vote_to_persist(write: VoteWrite, before: &Snapshot, now: &Snapshot) -> Option<NodeId> {
    match write {
        VoteWrite::Current => now.voted_for,
        VoteWrite::Never => None,
        VoteWrite::AfterSend => (now.term == before.term)
            .then_some(before.voted_for)
            .flatten(),
    }
}

/// The postconditions both cores share: term and commit count never go back, the commit count
/// stays within the log (`log_len` entries), and a term holds at most one vote.
pub(crate) fn check_common(before: &Snapshot, now: &Snapshot, log_len: u64, words: Words) {
    debug_assert!(now.term >= before.term, "the {} went back", words.term);
    debug_assert!(
        now.committed >= before.committed,
        "the {} went back",
        words.commit
    );
    debug_assert!(now.committed <= log_len, "{} beyond the log", words.commit);
    debug_assert!(
        now.term != before.term || before.voted_for.is_none() || now.voted_for == before.voted_for,
        "a second vote in {} {}",
        words.term,
        now.term
    );
}
