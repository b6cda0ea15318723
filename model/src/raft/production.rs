//! raftspec's production rules of the Raft model (impl/src/core/raft.rs
//! `Config::production()`): the steps our own core takes where the Raft paper leaves a choice.
//! Each function is one rule; each runs only under its option (see `crate::options::Options`),
//! so the default model never reaches them.

use super::state::*;
use super::RaftModel;
use crate::bugs::Bug;

impl RaftModel {
    /// SendOnElection: a new leader sends every peer an AppendEntries at once, as its
    /// heartbeat would (option `send_on_election`).
    pub(crate) fn pr_send_on_election(&self, st: &mut RaftState, s: ServerId) {
        if self.bounds.options.send_on_election {
            for to in self.peers(s) {
                self.append_entries(st, s, to);
            }
        }
    }

    /// Pipeline: an AppendEntries that carries entries moves the peer's nextIndex past them
    /// at once, without waiting for the acknowledgement (option `pipeline`).
    pub(crate) fn pr_pipeline_sent(&self, st: &mut RaftState, s: ServerId, a: &AppendEntries) {
        if self.bounds.options.pipeline && !a.entries.is_empty() {
            let next = a.prev_log_index + a.entries.len() as Index + 1;
            st.servers[s as usize].next_index[a.to as usize] = next;
        }
    }

    /// RefusalHint: a refusal carries (in its matchIndex field) the highest index that may
    /// still match, min(last index, prevLogIndex - 1); 0 without option `refusal_hint`.
    pub(crate) fn pr_refusal_hint(&self, srv: &Server, prev: Index) -> Index {
        match self.bounds.options.refusal_hint {
            true => srv.last_index().min(prev.saturating_sub(1)),
            false => 0,
        }
    }

    /// Whether the production rules of HandleAppendEntriesResponse apply.
    pub(crate) fn pr_handles_responses(&self) -> bool {
        self.bounds.options.pipeline || self.bounds.options.refusal_hint
    }

    /// HandleAppendEntriesResponse (options `pipeline`, `refusal_hint`), current term, as
    /// leader. Accepted: matchIndex rises, nextIndex = matchIndex + 1 (pipeline: never
    /// lowered), then commit. Refused: a hint below matchIndex lowers matchIndex to it (the
    /// follower's log was rebuilt); nextIndex steps back by one, to at most hint + 1
    /// (pipeline without a hint: to matchIndex + 1), never below 1 (pipeline: never below
    /// matchIndex + 1).
    pub(crate) fn pr_handle_response(
        &self,
        st: &mut RaftState,
        s: ServerId,
        peer: ServerId,
        success: bool,
        index: Index,
    ) {
        let o = self.bounds.options;
        let srv = &mut st.servers[s as usize];
        let p = peer as usize;
        if success {
            srv.match_index[p] = srv.match_index[p].max(index);
            let after = srv.match_index[p] + 1;
            srv.next_index[p] = match o.pipeline {
                true => srv.next_index[p].max(after),
                false => after,
            };
            if self.bug != Some(Bug::CommitOnlyOnAppend) {
                self.advance_commit_index(st, s);
            }
            return;
        }
        if self.bug == Some(Bug::RejectIgnored) {
            return; // (BUG reject-ignored, liveness: the leader never backs off.)
        }
        let hint = o.refusal_hint.then_some(index);
        let mut matched = srv.match_index[p];
        if let Some(h) = hint.filter(|&h| h < matched) {
            matched = h;
            srv.match_index[p] = h;
        }
        let mut n = srv.next_index[p].saturating_sub(1).max(1);
        match hint {
            Some(h) => n = n.min(h + 1).max(1),
            None if o.pipeline => n = matched + 1,
            None => {}
        }
        if o.pipeline {
            n = n.max(matched + 1);
        }
        srv.next_index[p] = n;
    }
}
