//! The durable-log bookkeeping both cores share, in the manner of etcd-io/raft's
//! `log_unstable.go`: the core edits its log in memory during a step, this helper remembers the
//! first position the step changed and the hard state last handed out, and at the end of the
//! step says what the driver must make durable (`Persist`).
//!
//! Positions here are 0-based places in the entry vector; Raft's 1-based indices and KRaft's
//! offsets are both "the number of entries before", so either core converts trivially.

use super::{Entry, HardState, Persist, PersistentState};

#[derive(Clone, Debug)]
pub(crate) struct DurableLog {
    entries: Vec<Entry>,
    /// The log length when the current step began.
    start_len: usize,
    /// First position changed in the current step.
    dirty_from: Option<usize>,
    /// The hard state last handed to the driver to persist: what a restart gets back.
    durable: HardState,
}

impl DurableLog {
    /// A log rebuilt from what was persisted: nothing is pending.
    pub fn new(entries: Vec<Entry>, durable: HardState) -> DurableLog {
        DurableLog {
            start_len: entries.len(),
            entries,
            dirty_from: None,
            durable,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The number of entries (Raft: the last index; KRaft: the log end offset).
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The term (epoch) of the last entry; 0 for an empty log.
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at 0-based position `pos`, if there is one.
    pub fn term_at_pos(&self, pos: usize) -> Option<u64> {
        self.entries.get(pos).map(|e| e.term)
    }

    /// Entries in `[from, to)`, clamped to the log.
    pub fn slice(&self, from: usize, to: usize) -> Vec<Entry> {
        let to = to.min(self.entries.len());
        self.entries[from.min(to)..to].to_vec()
    }

    fn mark_dirty(&mut self, pos: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(pos, |d| d.min(pos)));
    }

    pub fn push(&mut self, e: Entry) {
        self.mark_dirty(self.entries.len());
        self.entries.push(e);
    }

    /// Keep only the first `len` entries (no-op if the log is not longer). The caller states
    /// how many entries are committed: a correct core never drops one of them.
    pub fn truncate(&mut self, len: usize, committed: u64, may_break_rules: bool) {
        debug_assert!(
            may_break_rules || len as u64 >= committed,
            "truncating the log to {len} entries, below the {committed} committed"
        );
        if len < self.entries.len() {
            self.entries.truncate(len);
            self.mark_dirty(len);
        }
    }

    /// Starts a step: nothing of it is pending yet.
    pub fn begin_step(&mut self) {
        self.start_len = self.entries.len();
        self.dirty_from = None;
    }

    /// Ends a step: fills `persist` with the log changes since `begin_step` and with `hs` if it
    /// differs from the hard state handed out last.
    pub fn finish_step(&mut self, hs: HardState, persist: &mut Persist) {
        if let Some(from) = self.dirty_from.take() {
            let from = from.min(self.entries.len());
            if from < self.start_len {
                persist.truncate_to = Some(from as u64);
            }
            persist.append = self.entries[from..].to_vec();
        }
        if hs != self.durable {
            self.durable = hs.clone();
            persist.hard_state = Some(hs);
        }
    }

    /// The hard state as of the last emitted `Persist`.
    pub fn durable_hard_state(&self) -> &HardState {
        &self.durable
    }

    /// What a crash right now would leave on disk (all emitted `Persist`s applied).
    pub fn persistent_state(&self) -> PersistentState {
        PersistentState {
            hard_state: self.durable.clone(),
            log: self.entries.clone(),
        }
    }
}
