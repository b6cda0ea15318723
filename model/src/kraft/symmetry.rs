//! Symmetry: servers are interchangeable. The engine's canonical form (`raftspec_engine::
//! symmetry`) orders servers by their id-free contents and breaks ties by the smallest encoding,
//! so every renaming of a state has one representative.
//!
//! One id-dependent detail is not symmetric in the model itself: EndQuorumEpoch lists successors
//! with equal end offsets in id order. No step reads that list (see `handle_end_quorum_epoch`),
//! so under symmetry the list is kept as a set. The engine expands these normalised
//! representatives while stateright's DFS expands unnormalised states, and the network bag
//! treats two lists of one set as one message once normalised, so the two symmetric spaces
//! differ slightly (1,292,886 against 1,292,440 states at 1 restart; equal without restarts).
//! `model/tests/catalog.rs` reproduces every KRaft bug with symmetry: same verdicts and lengths.

use super::state::*;
use super::Kraft;
use crate::protocol::{rename_array, rename_mask, Renames};
use raftspec_engine::Renaming;

/// Whether an optional id is absent, another server, or the server itself.
fn relation(id: Option<ServerId>, me: usize) -> (bool, bool) {
    (id.is_some(), id == Some(me as ServerId))
}

impl Renames for Kraft {
    /// A server's contents without any server id.
    type Key = (
        Role,
        Epoch,
        Log,
        Offset,
        (bool, bool),
        (bool, bool),
        u32,
        Offset,
    );

    fn server_key(s: &Server, i: usize) -> Self::Key {
        (
            s.role,
            s.epoch,
            s.log.clone(),
            s.hw,
            relation(s.voted_for, i),
            relation(s.leader, i),
            s.votes.count_ones(),
            s.epoch_start,
        )
    }

    fn rename_server(s: &Server, r: &Renaming, n: usize) -> Server {
        Server {
            voted_for: s.voted_for.map(|v| r[v as usize]),
            leader: s.leader.map(|v| r[v as usize]),
            votes: rename_mask(s.votes, r, n),
            end_offsets: rename_array(&s.end_offsets, r, n),
            ..s.clone()
        }
    }

    fn rename_msg(m: &Msg, r: &Renaming) -> Msg {
        let mut m = m.clone();
        let (from, to) = m.ends_mut();
        *from = r[*from as usize];
        *to = r[*to as usize];
        match &mut m {
            Msg::VoteResponse(VoteResponse { leader, .. })
            | Msg::FetchResponse(FetchResponse { leader, .. }) => {
                *leader = leader.map(|l| r[l as usize]);
            }
            Msg::EndQuorumEpoch(EndQuorumEpoch { successors, .. }) => {
                for v in successors.iter_mut() {
                    *v = r[*v as usize];
                }
                // Ties in end offset are listed in id order, which no renaming preserves; no
                // step reads the list, so under symmetry it is kept as a set.
                successors.sort_unstable();
            }
            Msg::Vote(_) | Msg::BeginQuorumEpoch(_) | Msg::Fetch(_) => {}
        }
        m
    }
}
