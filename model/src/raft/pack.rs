//! Raft states as bytes for the engine, and the view (fields dead in the current role).

use super::state::*;
use crate::bounds::MAX_SERVERS;
use crate::pack::{Packing, Reader, Writer};
use std::borrow::Cow;

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

fn pack_entry(w: &mut Writer<'_>, e: &Entry) {
    w.bytes(&[e.term, e.value]);
}

fn unpack_entry(r: &mut Reader<'_>) -> Entry {
    Entry {
        term: r.u8(),
        value: r.u8(),
    }
}

/// Set in the role byte when the raft-rs options' fields follow (no byte at their defaults).
const RAFT_RS_FIELDS: u8 = 0x80;

fn pack_server(w: &mut Writer<'_>, s: &Server, n: usize) {
    let rs = s.leader.is_some() || s.votes_rejected != 0 || s.progress[..n].iter().any(|&p| p != 0);
    let role = role_code(s.role) | if rs { RAFT_RS_FIELDS } else { 0 };
    w.bytes(&[s.term, role, s.commit_index, s.votes_granted]);
    w.opt(s.voted_for);
    w.seq(&s.log, pack_entry);
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
        log: r.seq(unpack_entry),
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

fn pack_msg(w: &mut Writer<'_>, m: &Msg) {
    match m {
        Msg::RequestVote {
            from,
            to,
            term,
            last_log_term,
            last_log_index,
            commit,
            commit_term,
        } => w.bytes(&[
            0,
            *from,
            *to,
            *term,
            *last_log_term,
            *last_log_index,
            *commit,
            *commit_term,
        ]),
        Msg::RequestVoteResponse {
            from,
            to,
            term,
            granted,
            commit,
            commit_term,
        } => w.bytes(&[1, *from, *to, *term, *granted as u8, *commit, *commit_term]),
        Msg::AppendEntries {
            from,
            to,
            term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
        } => {
            w.bytes(&[
                2,
                *from,
                *to,
                *term,
                *prev_log_index,
                *prev_log_term,
                *leader_commit,
            ]);
            w.seq(entries, pack_entry);
        }
        Msg::AppendEntriesResponse {
            from,
            to,
            term,
            success,
            match_index,
        } => w.bytes(&[3, *from, *to, *term, *success as u8, *match_index]),
        Msg::Heartbeat {
            from,
            to,
            term,
            commit,
        } => w.bytes(&[4, *from, *to, *term, *commit]),
        Msg::HeartbeatResponse { from, to, term } => w.bytes(&[5, *from, *to, *term]),
        Msg::AppendEntriesReject {
            from,
            to,
            term,
            rejected,
            hint_index,
            hint_term,
        } => w.bytes(&[6, *from, *to, *term, *rejected, *hint_index, *hint_term]),
    }
}

fn unpack_msg(r: &mut Reader<'_>) -> Msg {
    let (tag, from, to, term) = (r.u8(), r.u8(), r.u8(), r.u8());
    match tag {
        0 => Msg::RequestVote {
            from,
            to,
            term,
            last_log_term: r.u8(),
            last_log_index: r.u8(),
            commit: r.u8(),
            commit_term: r.u8(),
        },
        1 => Msg::RequestVoteResponse {
            from,
            to,
            term,
            granted: r.bool(),
            commit: r.u8(),
            commit_term: r.u8(),
        },
        2 => Msg::AppendEntries {
            from,
            to,
            term,
            prev_log_index: r.u8(),
            prev_log_term: r.u8(),
            leader_commit: r.u8(),
            entries: r.seq(unpack_entry),
        },
        4 => Msg::Heartbeat {
            from,
            to,
            term,
            commit: r.u8(),
        },
        5 => Msg::HeartbeatResponse { from, to, term },
        6 => Msg::AppendEntriesReject {
            from,
            to,
            term,
            rejected: r.u8(),
            hint_index: r.u8(),
            hint_term: r.u8(),
        },
        _ => Msg::AppendEntriesResponse {
            from,
            to,
            term,
            success: r.bool(),
            match_index: r.u8(),
        },
    }
}

impl Packing for RaftState {
    fn pack(&self, w: &mut Writer<'_>) {
        let n = self.servers.len();
        w.bytes(&[
            n as u8,
            self.restarts,
            self.drops,
            self.commit_conflict as u8,
            self.marker,
        ]);
        for s in &self.servers {
            pack_server(w, s, n);
        }
        w.seq(&self.network.in_flight, |w, (m, copies)| {
            pack_msg(w, m);
            w.u8(*copies);
        });
        w.seq(&self.committed, |w, c| {
            pack_entry(w, &c.entry);
            w.u8(c.in_term);
        });
    }

    fn unpack(r: &mut Reader<'_>) -> Self {
        let (n, restarts, drops) = (r.u8() as usize, r.u8(), r.u8());
        let (commit_conflict, marker) = (r.bool(), r.u8());
        let servers = (0..n).map(|_| unpack_server(r, n)).collect();
        let network = crate::network::Network {
            in_flight: r.seq(|r| (unpack_msg(r), r.u8())),
        };
        let committed = r.seq(|r| Committed {
            entry: unpack_entry(r),
            in_term: r.u8(),
        });
        RaftState {
            servers,
            network,
            restarts,
            drops,
            committed,
            commit_conflict,
            marker,
        }
    }

    /// votesGranted matters only to a candidate (set on becoming one), nextIndex and
    /// matchIndex only to a leader (set on becoming one).
    fn view(&self) -> Cow<'_, Self> {
        let dead = |s: &Server| {
            (s.role != Role::Candidate && (s.votes_granted != 0 || s.votes_rejected != 0))
                || (s.role != Role::Leader
                    && (s.next_index != [1; MAX_SERVERS]
                        || s.match_index != [0; MAX_SERVERS]
                        || s.progress != [0; MAX_SERVERS]))
        };
        if !self.servers.iter().any(dead) {
            return Cow::Borrowed(self);
        }
        let mut st = self.clone();
        for s in st.servers.iter_mut() {
            if s.role != Role::Candidate {
                s.votes_granted = 0;
                s.votes_rejected = 0;
            }
            if s.role != Role::Leader {
                s.next_index = [1; MAX_SERVERS];
                s.match_index = [0; MAX_SERVERS];
                s.progress = [0; MAX_SERVERS];
            }
        }
        Cow::Owned(st)
    }
}
