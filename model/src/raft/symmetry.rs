//! Symmetry reduction: servers are interchangeable, so a state is replaced by a representative
//! in which servers are sorted by their id-free contents and every id is renamed to match.

use super::state::*;
use crate::bounds::MAX_SERVERS;
use stateright::Representative;

/// A server's contents without any server id, used only to order servers.
fn id_free_key(s: &Server) -> impl Ord + '_ {
    (
        s.role,
        s.term,
        &s.log,
        s.commit_index,
        s.voted_for.is_some(),
        s.votes_granted.count_ones(),
    )
}

fn rename_msg(m: &Msg, r: &[u8; MAX_SERVERS]) -> Msg {
    let mut m = m.clone();
    match &mut m {
        Msg::RequestVote { from, to, .. }
        | Msg::RequestVoteResponse { from, to, .. }
        | Msg::AppendEntries { from, to, .. }
        | Msg::AppendEntriesResponse { from, to, .. } => {
            *from = r[*from as usize];
            *to = r[*to as usize];
        }
    }
    m
}

impl Representative for RaftState {
    fn representative(&self) -> Self {
        let n = self.servers.len();
        let mut order: arrayvec::ArrayVec<usize, MAX_SERVERS> = (0..n).collect();
        order.sort_by(|&a, &b| id_free_key(&self.servers[a]).cmp(&id_free_key(&self.servers[b])));
        // rename[old] = new
        let mut rename = [0u8; MAX_SERVERS];
        for (new, &old) in order.iter().enumerate() {
            rename[old] = new as u8;
        }
        let servers = order
            .iter()
            .map(|&old| {
                let s = &self.servers[old];
                let mut t = s.clone();
                t.voted_for = s.voted_for.map(|v| rename[v as usize]);
                t.votes_granted = 0;
                for (o, &nw) in rename.iter().enumerate().take(n) {
                    let nw = nw as usize;
                    if s.votes_granted & (1 << o) != 0 {
                        t.votes_granted |= 1 << nw;
                    }
                    t.next_index[nw] = s.next_index[o];
                    t.match_index[nw] = s.match_index[o];
                }
                t
            })
            .collect();
        RaftState {
            servers,
            network: self.network.rename(|m| rename_msg(m, &rename), true),
            restarts: self.restarts,
            committed: self.committed.clone(),
            commit_conflict: self.commit_conflict,
            marker: self.marker,
        }
    }
}
