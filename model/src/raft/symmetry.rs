//! Symmetry: servers are interchangeable. The engine's canonical form (`raftspec_engine::
//! symmetry`) orders servers by their id-free contents and breaks ties by the smallest encoding,
//! so every renaming of a state has one representative.

use super::state::*;
use crate::bounds::MAX_SERVERS;
use raftspec_engine::{Renaming, Symmetric};
use stateright::Representative;

fn rename_msg(m: &Msg, r: &Renaming) -> Msg {
    let mut m = m.clone();
    match &mut m {
        Msg::RequestVote { from, to, .. }
        | Msg::RequestVoteResponse { from, to, .. }
        | Msg::AppendEntries { from, to, .. }
        | Msg::AppendEntriesResponse { from, to, .. }
        | Msg::Heartbeat { from, to, .. }
        | Msg::HeartbeatResponse { from, to, .. }
        | Msg::AppendEntriesReject { from, to, .. } => {
            *from = r[*from as usize];
            *to = r[*to as usize];
        }
    }
    m
}

fn rename_server(s: &Server, r: &Renaming, n: usize) -> Server {
    let mut t = s.clone();
    t.voted_for = s.voted_for.map(|v| r[v as usize]);
    t.votes_granted = 0;
    t.votes_rejected = 0;
    t.leader = s.leader.map(|v| r[v as usize]);
    for (old, &new) in r.iter().enumerate().take(n) {
        let new = new as usize;
        if s.votes_granted & (1 << old) != 0 {
            t.votes_granted |= 1 << new;
        }
        if s.votes_rejected & (1 << old) != 0 {
            t.votes_rejected |= 1 << new;
        }
        t.progress[new] = s.progress[old];
        t.next_index[new] = s.next_index[old];
        t.match_index[new] = s.match_index[old];
    }
    t
}

impl Symmetric for RaftState {
    /// A server's contents without any server id.
    type Key = (Role, Term, Log, Index, bool, u32);

    fn processes(&self) -> usize {
        self.servers.len()
    }

    fn process_key(&self, i: usize) -> Self::Key {
        let s = &self.servers[i];
        (
            s.role,
            s.term,
            s.log.clone(),
            s.commit_index,
            s.voted_for.is_some(),
            s.votes_granted.count_ones(),
        )
    }

    fn rename(&self, r: &Renaming) -> Self {
        let n = self.servers.len();
        debug_assert!(n <= MAX_SERVERS);
        // Built in their new order, each server renamed once (this runs for every successor).
        let mut from = [0usize; MAX_SERVERS];
        for old in 0..n {
            from[r[old] as usize] = old;
        }
        let servers = from[..n]
            .iter()
            .map(|&old| rename_server(&self.servers[old], r, n))
            .collect();
        RaftState {
            servers,
            network: self.network.rename(|m| rename_msg(m, r), true),
            restarts: self.restarts,
            drops: self.drops,
            committed: self.committed.clone(),
            commit_conflict: self.commit_conflict,
            marker: self.marker,
        }
    }
}

impl Representative for RaftState {
    fn representative(&self) -> Self {
        crate::pack::representative(self)
    }
}
