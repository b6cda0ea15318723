//! Symmetry reduction: servers are interchangeable, so a state is replaced by a representative
//! in which servers are sorted by their id-free contents and every id is renamed to match.
//!
//! One id-dependent detail is not renamed away: EndQuorumEpoch lists successors with equal end
//! offsets in id order. No step reads that list (see `handle_end_quorum_epoch`), so states that
//! differ only there behave alike and every verdict is the same with or without symmetry.

use super::state::*;
use crate::bounds::MAX_SERVERS;
use stateright::Representative;

/// A server's contents without any server id, used only to order servers.
fn id_free_key(i: usize, s: &Server) -> impl Ord + '_ {
    let me = Some(i as ServerId);
    (
        s.role,
        s.epoch,
        &s.log,
        s.hw,
        (s.voted_for.is_some(), s.voted_for == me),
        (s.leader.is_some(), s.leader == me),
        s.votes.count_ones(),
        s.epoch_start,
    )
}

fn rename_msg(m: &Msg, r: &[u8; MAX_SERVERS]) -> Msg {
    let mut m = m.clone();
    let (from, to) = m.ends_mut();
    *from = r[*from as usize];
    *to = r[*to as usize];
    match &mut m {
        Msg::VoteResponse { leader, .. } | Msg::FetchResponse { leader, .. } => {
            *leader = leader.map(|l| r[l as usize]);
        }
        Msg::EndQuorumEpoch { successors, .. } => {
            for v in successors.iter_mut() {
                *v = r[*v as usize];
            }
        }
        Msg::Vote { .. } | Msg::BeginQuorumEpoch { .. } | Msg::Fetch { .. } => {}
    }
    m
}

impl Representative for KraftState {
    fn representative(&self) -> Self {
        let n = self.servers.len();
        let mut order: arrayvec::ArrayVec<usize, MAX_SERVERS> = (0..n).collect();
        order.sort_by(|&a, &b| {
            id_free_key(a, &self.servers[a]).cmp(&id_free_key(b, &self.servers[b]))
        });
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
                t.leader = s.leader.map(|v| rename[v as usize]);
                t.votes = 0;
                for (o, &nw) in rename[..n].iter().enumerate() {
                    if s.votes & (1 << o) != 0 {
                        t.votes |= 1 << nw;
                    }
                    t.end_offsets[nw as usize] = s.end_offsets[o];
                }
                t
            })
            .collect();
        KraftState {
            servers,
            network: self.network.rename(|m| rename_msg(m, &rename), true),
            restarts: self.restarts,
            committed: self.committed.clone(),
            commit_conflict: self.commit_conflict,
            marker: self.marker,
        }
    }
}
