//! KRaft states as bytes for the engine, and the view (fields dead in the current role).

use super::state::*;
use crate::bounds::MAX_SERVERS;
use crate::pack::{Packing, Reader, Writer};
use std::borrow::Cow;

const ROLES: [Role; 6] = [
    Role::Unattached,
    Role::Voted,
    Role::Candidate,
    Role::Leader,
    Role::Follower,
    Role::Resigned,
];

fn role_code(r: Role) -> u8 {
    ROLES.iter().position(|&x| x == r).expect("a role") as u8
}

fn pack_entry(w: &mut Writer<'_>, e: &Entry) {
    w.bytes(&[e.epoch, e.value]);
}

fn unpack_entry(r: &mut Reader<'_>) -> Entry {
    Entry {
        epoch: r.u8(),
        value: r.u8(),
    }
}

fn pack_server(w: &mut Writer<'_>, s: &Server, n: usize) {
    w.bytes(&[s.epoch, role_code(s.role), s.hw, s.votes, s.epoch_start]);
    w.opt(s.voted_for);
    w.opt(s.leader);
    w.seq(&s.log, pack_entry);
    w.bytes(&s.end_offsets[..n]);
}

fn unpack_server(r: &mut Reader<'_>, n: usize) -> Server {
    let (epoch, role, hw) = (r.u8(), ROLES[r.u8() as usize], r.u8());
    let (votes, epoch_start) = (r.u8(), r.u8());
    Server {
        epoch,
        role,
        hw,
        votes,
        epoch_start,
        voted_for: r.opt(),
        leader: r.opt(),
        log: r.seq(unpack_entry),
        end_offsets: r.array::<MAX_SERVERS>(n, 0),
    }
}

fn pack_result(w: &mut Writer<'_>, res: &FetchResult) {
    match res {
        FetchResult::Records {
            fetch_offset,
            last_fetched_epoch,
            records,
            high_watermark,
        } => {
            w.bytes(&[0, *fetch_offset, *last_fetched_epoch]);
            w.opt(*high_watermark);
            w.seq(records, pack_entry);
        }
        FetchResult::DivergingEpoch {
            fetch_offset,
            last_fetched_epoch,
            epoch,
            end_offset,
        } => w.bytes(&[1, *fetch_offset, *last_fetched_epoch, *epoch, *end_offset]),
        FetchResult::Error { error } => w.bytes(&[2, *error as u8]),
    }
}

fn unpack_result(r: &mut Reader<'_>) -> FetchResult {
    match r.u8() {
        0 => FetchResult::Records {
            fetch_offset: r.u8(),
            last_fetched_epoch: r.u8(),
            high_watermark: r.opt(),
            records: r.seq(unpack_entry),
        },
        1 => FetchResult::DivergingEpoch {
            fetch_offset: r.u8(),
            last_fetched_epoch: r.u8(),
            epoch: r.u8(),
            end_offset: r.u8(),
        },
        _ => FetchResult::Error {
            error: match r.u8() {
                0 => FetchError::FencedLeaderEpoch,
                _ => FetchError::NotLeaderOrFollower,
            },
        },
    }
}

fn pack_msg(w: &mut Writer<'_>, m: &Msg) {
    match m {
        Msg::Vote {
            from,
            to,
            epoch,
            last_epoch,
            last_offset,
        } => w.bytes(&[0, *from, *to, *epoch, *last_epoch, *last_offset]),
        Msg::VoteResponse {
            from,
            to,
            epoch,
            leader,
            granted,
        } => {
            w.bytes(&[1, *from, *to, *epoch, *granted as u8]);
            w.opt(*leader);
        }
        Msg::BeginQuorumEpoch { from, to, epoch } => w.bytes(&[2, *from, *to, *epoch]),
        Msg::EndQuorumEpoch {
            from,
            to,
            epoch,
            successors,
        } => {
            w.bytes(&[3, *from, *to, *epoch]);
            w.seq(successors, |w, s| w.u8(*s));
        }
        Msg::Fetch {
            from,
            to,
            epoch,
            fetch_offset,
            last_fetched_epoch,
        } => w.bytes(&[4, *from, *to, *epoch, *fetch_offset, *last_fetched_epoch]),
        Msg::FetchResponse {
            from,
            to,
            epoch,
            leader,
            result,
        } => {
            w.bytes(&[5, *from, *to, *epoch]);
            w.opt(*leader);
            pack_result(w, result);
        }
    }
}

fn unpack_msg(r: &mut Reader<'_>) -> Msg {
    let (tag, from, to, epoch) = (r.u8(), r.u8(), r.u8(), r.u8());
    match tag {
        0 => Msg::Vote {
            from,
            to,
            epoch,
            last_epoch: r.u8(),
            last_offset: r.u8(),
        },
        1 => Msg::VoteResponse {
            from,
            to,
            epoch,
            granted: r.bool(),
            leader: r.opt(),
        },
        2 => Msg::BeginQuorumEpoch { from, to, epoch },
        3 => Msg::EndQuorumEpoch {
            from,
            to,
            epoch,
            successors: r.seq(|r| r.u8()),
        },
        4 => Msg::Fetch {
            from,
            to,
            epoch,
            fetch_offset: r.u8(),
            last_fetched_epoch: r.u8(),
        },
        _ => Msg::FetchResponse {
            from,
            to,
            epoch,
            leader: r.opt(),
            result: unpack_result(r),
        },
    }
}

impl Packing for KraftState {
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
            w.u8(c.in_epoch);
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
            in_epoch: r.u8(),
        });
        KraftState {
            servers,
            network,
            restarts,
            drops,
            committed,
            commit_conflict,
            marker,
        }
    }

    /// Votes matter only to a candidate (reset on becoming one), end offsets only to a leader
    /// (reset on becoming one).
    fn view(&self) -> Cow<'_, Self> {
        let dead = |s: &Server| {
            (s.role != Role::Candidate && s.votes != 0)
                || (s.role != Role::Leader && s.end_offsets != [0; MAX_SERVERS])
        };
        if !self.servers.iter().any(dead) {
            return Cow::Borrowed(self);
        }
        let mut st = self.clone();
        for s in st.servers.iter_mut() {
            if s.role != Role::Candidate {
                s.votes = 0;
            }
            if s.role != Role::Leader {
                s.end_offsets = [0; MAX_SERVERS];
            }
        }
        Cow::Owned(st)
    }
}
