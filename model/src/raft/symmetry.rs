//! Symmetry: servers are interchangeable. The engine's canonical form (`raftspec_engine::
//! symmetry`) orders servers by their id-free contents and breaks ties by the smallest encoding,
//! so every renaming of a state has one representative. The frame is renamed by
//! [`crate::protocol::Cluster`]; here is what in a Raft server or message is a server id.

use super::state::*;
use super::Raft;
use crate::protocol::{rename_array, rename_mask, Renames};
use raftspec_engine::Renaming;

impl Renames for Raft {
    /// A server's contents without any server id.
    type Key = (Role, Term, Log, Index, bool, u32);

    fn server_key(s: &Server, _i: usize) -> Self::Key {
        (
            s.role,
            s.term,
            s.log.clone(),
            s.commit_index,
            s.voted_for.is_some(),
            s.votes_granted.count_ones(),
        )
    }

    fn rename_server(s: &Server, r: &Renaming, n: usize) -> Server {
        Server {
            voted_for: s.voted_for.map(|v| r[v as usize]),
            leader: s.leader.map(|v| r[v as usize]),
            votes_granted: rename_mask(s.votes_granted, r, n),
            votes_rejected: rename_mask(s.votes_rejected, r, n),
            progress: rename_array(&s.progress, r, n),
            next_index: rename_array(&s.next_index, r, n),
            match_index: rename_array(&s.match_index, r, n),
            ..s.clone()
        }
    }

    fn rename_msg(m: &Msg, r: &Renaming) -> Msg {
        let mut m = m.clone();
        match &mut m {
            Msg::RequestVote(RequestVote { from, to, .. })
            | Msg::RequestVoteResponse(RequestVoteResponse { from, to, .. })
            | Msg::AppendEntries(AppendEntries { from, to, .. })
            | Msg::AppendEntriesResponse(AppendEntriesResponse { from, to, .. })
            | Msg::Heartbeat(Heartbeat { from, to, .. })
            | Msg::HeartbeatResponse(HeartbeatResponse { from, to, .. })
            | Msg::AppendEntriesReject(AppendEntriesReject { from, to, .. }) => {
                *from = r[*from as usize];
                *to = r[*to as usize];
            }
        }
        m
    }
}
