//! KRaft's parts as bytes for the engine, and the view (fields dead in the current role). The
//! state frame around them is packed by [`crate::protocol::Cluster`].

use super::state::*;
use super::Kraft;
use crate::bounds::MAX_SERVERS;
use crate::network::Envelope;
use crate::pack::{Reader, Writer};
use crate::protocol::Packs;

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
            w.seq(records, Kraft::pack_entry);
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
            records: r.seq(Kraft::unpack_entry),
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

fn msg_tag(m: &Msg) -> u8 {
    match m {
        Msg::Vote(_) => 0,
        Msg::VoteResponse(_) => 1,
        Msg::BeginQuorumEpoch(_) => 2,
        Msg::EndQuorumEpoch(_) => 3,
        Msg::Fetch(_) => 4,
        Msg::FetchResponse(_) => 5,
    }
}

impl Packs for Kraft {
    fn pack_server(w: &mut Writer<'_>, s: &Server, n: usize) {
        w.bytes(&[s.epoch, role_code(s.role), s.hw, s.votes, s.epoch_start]);
        w.opt(s.voted_for);
        w.opt(s.leader);
        w.seq(&s.log, Self::pack_entry);
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
            log: r.seq(Self::unpack_entry),
            end_offsets: r.array::<MAX_SERVERS>(n, 0),
        }
    }

    /// The tag, both ends and the epoch, then the message's own fields.
    fn pack_msg(w: &mut Writer<'_>, m: &Msg) {
        w.bytes(&[msg_tag(m), m.from(), m.to(), m.epoch()]);
        match m {
            Msg::Vote(Vote {
                last_epoch,
                last_offset,
                ..
            }) => w.bytes(&[*last_epoch, *last_offset]),
            Msg::VoteResponse(VoteResponse {
                leader, granted, ..
            }) => {
                w.u8(*granted as u8);
                w.opt(*leader);
            }
            Msg::BeginQuorumEpoch(_) => {}
            Msg::EndQuorumEpoch(EndQuorumEpoch { successors, .. }) => {
                w.seq(successors, |w, s| w.u8(*s))
            }
            Msg::Fetch(Fetch {
                fetch_offset,
                last_fetched_epoch,
                ..
            }) => w.bytes(&[*fetch_offset, *last_fetched_epoch]),
            Msg::FetchResponse(FetchResponse { leader, result, .. }) => {
                w.opt(*leader);
                pack_result(w, result);
            }
        }
    }

    fn unpack_msg(r: &mut Reader<'_>) -> Msg {
        let (tag, from, to, epoch) = (r.u8(), r.u8(), r.u8(), r.u8());
        match tag {
            0 => Msg::Vote(Vote {
                from,
                to,
                epoch,
                last_epoch: r.u8(),
                last_offset: r.u8(),
            }),
            1 => Msg::VoteResponse(VoteResponse {
                from,
                to,
                epoch,
                granted: r.bool(),
                leader: r.opt(),
            }),
            2 => Msg::BeginQuorumEpoch(BeginQuorumEpoch { from, to, epoch }),
            3 => Msg::EndQuorumEpoch(EndQuorumEpoch {
                from,
                to,
                epoch,
                successors: r.seq(|r| r.u8()),
            }),
            4 => Msg::Fetch(Fetch {
                from,
                to,
                epoch,
                fetch_offset: r.u8(),
                last_fetched_epoch: r.u8(),
            }),
            _ => Msg::FetchResponse(FetchResponse {
                from,
                to,
                epoch,
                leader: r.opt(),
                result: unpack_result(r),
            }),
        }
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

    /// Votes matter only to a candidate (reset on becoming one), end offsets only to a leader
    /// (reset on becoming one).
    fn server_view(s: &Server) -> Option<Server> {
        let dead_votes = s.role != Role::Candidate && s.votes != 0;
        let dead_offsets = s.role != Role::Leader && s.end_offsets != [0; MAX_SERVERS];
        if !dead_votes && !dead_offsets {
            return None;
        }
        let mut s = s.clone();
        if s.role != Role::Candidate {
            s.votes = 0;
        }
        if s.role != Role::Leader {
            s.end_offsets = [0; MAX_SERVERS];
        }
        Some(s)
    }
}
