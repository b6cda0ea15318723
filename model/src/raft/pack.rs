//! Raft's parts as bytes for the engine, and the view (fields dead in the current role). The
//! state frame around them is packed by [`crate::protocol::Cluster`].

use super::state::*;
use super::Raft;
use crate::bounds::MAX_SERVERS;
use crate::network::Envelope;
use crate::pack::{Reader, Writer};
use crate::protocol::Packs;

fn role_code(r: Role) -> u8 {
    match r {
        Role::Follower => 0,
        Role::Candidate => 1,
        Role::Leader => 2,
    }
}

fn role_from(c: u8) -> Role {
    match c {
        0 => Role::Follower,
        1 => Role::Candidate,
        _ => Role::Leader,
    }
}

/// Set in the role byte when the raft-rs options' fields follow (no byte at their defaults).
const RAFT_RS_FIELDS: u8 = 0x80;

fn msg_tag(m: &Msg) -> u8 {
    match m {
        Msg::RequestVote(_) => 0,
        Msg::RequestVoteResponse(_) => 1,
        Msg::AppendEntries(_) => 2,
        Msg::AppendEntriesResponse(_) => 3,
        Msg::Heartbeat(_) => 4,
        Msg::HeartbeatResponse(_) => 5,
        Msg::AppendEntriesReject(_) => 6,
    }
}

impl Packs for Raft {
    fn pack_server(w: &mut Writer<'_>, s: &Server, n: usize) {
        let rs =
            s.leader.is_some() || s.votes_rejected != 0 || s.progress[..n].iter().any(|&p| p != 0);
        let role = role_code(s.role) | if rs { RAFT_RS_FIELDS } else { 0 };
        w.bytes(&[s.term, role, s.commit_index, s.votes_granted]);
        w.opt(s.voted_for);
        w.seq(&s.log, Self::pack_entry);
        w.bytes(&s.next_index[..n]);
        w.bytes(&s.match_index[..n]);
        if rs {
            w.opt(s.leader);
            w.u8(s.votes_rejected);
            w.bytes(&s.progress[..n]);
        }
    }

    fn unpack_server(r: &mut Reader<'_>, n: usize) -> Server {
        let (term, code, commit_index, votes_granted) = (r.u8(), r.u8(), r.u8(), r.u8());
        let role = role_from(code & !RAFT_RS_FIELDS);
        let mut s = Server {
            term,
            role,
            commit_index,
            votes_granted,
            voted_for: r.opt(),
            log: r.seq(Self::unpack_entry),
            next_index: r.array::<MAX_SERVERS>(n, 1),
            match_index: r.array::<MAX_SERVERS>(n, 0),
            ..Server::new()
        };
        if code & RAFT_RS_FIELDS != 0 {
            s.leader = r.opt();
            s.votes_rejected = r.u8();
            s.progress = r.array::<MAX_SERVERS>(n, 0);
        }
        s
    }

    /// The tag, both ends and the term, then the message's own fields.
    fn pack_msg(w: &mut Writer<'_>, m: &Msg) {
        w.bytes(&[msg_tag(m), m.from(), m.to(), m.term()]);
        match m {
            Msg::RequestVote(RequestVote {
                last_log_term,
                last_log_index,
                commit,
                commit_term,
                ..
            }) => w.bytes(&[*last_log_term, *last_log_index, *commit, *commit_term]),
            Msg::RequestVoteResponse(RequestVoteResponse {
                granted,
                commit,
                commit_term,
                ..
            }) => w.bytes(&[*granted as u8, *commit, *commit_term]),
            Msg::AppendEntries(AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ..
            }) => {
                w.bytes(&[*prev_log_index, *prev_log_term, *leader_commit]);
                w.seq(entries, Self::pack_entry);
            }
            Msg::AppendEntriesResponse(AppendEntriesResponse {
                success,
                match_index,
                ..
            }) => w.bytes(&[*success as u8, *match_index]),
            Msg::Heartbeat(Heartbeat { commit, .. }) => w.u8(*commit),
            Msg::HeartbeatResponse(_) => {}
            Msg::AppendEntriesReject(AppendEntriesReject {
                rejected,
                hint_index,
                hint_term,
                ..
            }) => w.bytes(&[*rejected, *hint_index, *hint_term]),
        }
    }

    fn unpack_msg(r: &mut Reader<'_>) -> Msg {
        let (tag, from, to, term) = (r.u8(), r.u8(), r.u8(), r.u8());
        match tag {
            0 => Msg::RequestVote(RequestVote {
                from,
                to,
                term,
                last_log_term: r.u8(),
                last_log_index: r.u8(),
                commit: r.u8(),
                commit_term: r.u8(),
            }),
            1 => Msg::RequestVoteResponse(RequestVoteResponse {
                from,
                to,
                term,
                granted: r.bool(),
                commit: r.u8(),
                commit_term: r.u8(),
            }),
            2 => Msg::AppendEntries(AppendEntries {
                from,
                to,
                term,
                prev_log_index: r.u8(),
                prev_log_term: r.u8(),
                leader_commit: r.u8(),
                entries: r.seq(Self::unpack_entry),
            }),
            4 => Msg::Heartbeat(Heartbeat {
                from,
                to,
                term,
                commit: r.u8(),
            }),
            5 => Msg::HeartbeatResponse(HeartbeatResponse { from, to, term }),
            6 => Msg::AppendEntriesReject(AppendEntriesReject {
                from,
                to,
                term,
                rejected: r.u8(),
                hint_index: r.u8(),
                hint_term: r.u8(),
            }),
            _ => Msg::AppendEntriesResponse(AppendEntriesResponse {
                from,
                to,
                term,
                success: r.bool(),
                match_index: r.u8(),
            }),
        }
    }

    fn pack_entry(w: &mut Writer<'_>, e: &Entry) {
        w.bytes(&[e.term, e.value]);
    }

    fn unpack_entry(r: &mut Reader<'_>) -> Entry {
        Entry {
            term: r.u8(),
            value: r.u8(),
        }
    }

    /// votesGranted matters only to a candidate (set on becoming one), nextIndex and
    /// matchIndex only to a leader (set on becoming one).
    fn server_view(s: &Server) -> Option<Server> {
        let dead_votes =
            s.role != Role::Candidate && (s.votes_granted != 0 || s.votes_rejected != 0);
        let dead_leader = s.role != Role::Leader
            && (s.next_index != [1; MAX_SERVERS]
                || s.match_index != [0; MAX_SERVERS]
                || s.progress != [0; MAX_SERVERS]);
        if !dead_votes && !dead_leader {
            return None;
        }
        let mut s = s.clone();
        if s.role != Role::Candidate {
            s.votes_granted = 0;
            s.votes_rejected = 0;
        }
        if s.role != Role::Leader {
            s.next_index = [1; MAX_SERVERS];
            s.match_index = [0; MAX_SERVERS];
            s.progress = [0; MAX_SERVERS];
        }
        Some(s)
    }
}
