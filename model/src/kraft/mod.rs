//! KRaft (pull, KIP-595): followers fetch from the leader, which tracks their end offsets and
//! advances the high watermark. Rules follow KIP-595 and Kafka's raft module (KafkaRaftClient,
//! QuorumState, LeaderState); specs/kraft.md names the source of each.

mod actions;
mod catalog;
mod describe;
mod encode;
mod pack;
mod properties;
mod state;
mod symmetry;
mod view;

pub use actions::Action;
pub use catalog::catalog;
pub use describe::{kraft_action, kraft_msg};
pub use state::*;

use crate::bounds::{Bounds, BoundsError};
use crate::bugs::Bug;
use crate::protocol::{Protocol, ProtocolModel};
use stateright::Property;

/// KRaft as a [`Protocol`]: the marker the shared model skeleton is instantiated with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Kraft;

/// The KRaft model: the shared skeleton over KRaft's steps.
pub type KraftModel = ProtocolModel<Kraft>;

/// Rejects bounds whose logs would not fit a model state: every election appends a
/// LeaderChange record, and a restarted leader may win its epoch again.
pub fn validate_bounds(b: &Bounds) -> Result<(), BoundsError> {
    let need = b.max_term as usize + b.max_log as usize + b.max_restarts as usize;
    if need > LOG_CAPACITY {
        return Err(BoundsError(format!(
            "kraft logs hold one LeaderChange record per election: --max-term + --max-log + \
             --max-restarts must be at most {LOG_CAPACITY} (got {need})"
        )));
    }
    Ok(())
}

impl KraftModel {
    /// Per-peer sends: a Candidate's SendVoteRequest to each voter whose vote it lacks, a
    /// Leader's SendBeginQuorumEpoch to each voter, where the send puts something new in flight.
    fn per_peer_actions(&self, st: &KraftState, s: ServerId, out: &mut Vec<Action>) {
        let srv = &st.servers[s as usize];
        for to in self.peers(s) {
            let (m, action) = if srv.role == Role::Leader {
                let epoch = srv.epoch;
                let m = Msg::BeginQuorumEpoch(BeginQuorumEpoch { from: s, to, epoch });
                (m, Action::SendBeginQuorumEpoch(s, to))
            } else if srv.votes & (1 << to) == 0 {
                (
                    Self::vote_request(srv, s, to),
                    Action::SendVoteRequest(s, to),
                )
            } else {
                continue;
            };
            if st.network.has_room_for(&m, &self.bounds.network) {
                out.push(action);
            }
        }
    }

    /// Whether a server in this (non-Leader) role has a running election timer (bug
    /// candidate-no-retry: a candidate does not re-arm it).
    pub(crate) fn election_timer_runs(&self, role: Role) -> bool {
        !(self.bug == Some(Bug::CandidateNoRetry) && role == Role::Candidate)
    }

    /// A Fetch from `s`, or a Fetch response to it, is in flight. Kafka's RequestManager keeps
    /// one request in flight per destination and ignores a response it no longer expects, so a
    /// follower fetches again only once the previous exchange is over (a lost request or
    /// response is the network's `Drop`, after which it may fetch again).
    fn fetch_outstanding(st: &KraftState, s: ServerId) -> bool {
        st.network.in_flight.iter().any(|(m, _)| match *m {
            Msg::Fetch(Fetch { from, .. }) => from == s,
            Msg::FetchResponse(FetchResponse { to, .. }) => to == s,
            _ => false,
        })
    }

    /// Ends a step: clears the volatile fields a server's new role does not use (leader state
    /// off Leader, votes off Candidate), so equal situations are equal states; then judges the
    /// properties that compare the states before and after the step (keeping them out of every
    /// protocol step): the HW of a server that did not restart never goes down, and every role
    /// change is one QuorumState allows.
    fn finish_step(before: &KraftState, action: &Action, after: &mut KraftState) {
        let restarted = match action {
            Action::Restart(s) => Some(*s as usize),
            _ => None,
        };
        let mut mark = 0;
        for (i, (b, a)) in before
            .servers
            .iter()
            .zip(after.servers.iter_mut())
            .enumerate()
        {
            if a.role != Role::Leader {
                a.epoch_start = 0;
                a.end_offsets = [0; crate::bounds::MAX_SERVERS];
            }
            if a.role != Role::Candidate {
                a.votes = 0;
            }
            if Some(i) == restarted {
                continue;
            }
            if a.hw < b.hw {
                mark |= marker::HW_REGRESSED;
            }
            if !actions::transition_allowed(b, a) {
                mark |= marker::ILLEGAL;
            }
        }
        after.marker |= mark;
    }

    /// A restart that gives back exactly the server it stopped leads where staying up leads,
    /// with less budget, so it is not offered. Judged on the restart handler's own result,
    /// so a bug in `restart` stays visible.
    fn restart_changes(&self, st: &KraftState, s: ServerId) -> bool {
        let srv = &st.servers[s as usize];
        self.restored(s, srv) != *srv
    }
}

impl Protocol for Kraft {
    crate::protocol::network_and_restart_actions!();

    fn server_actions(m: &KraftModel, st: &KraftState, s: ServerId, out: &mut Vec<Action>) {
        let b = &m.bounds;
        let srv = &st.servers[s as usize];
        let room = srv.log.len() < LOG_CAPACITY && srv.data_records() < b.max_log as usize;
        match srv.role {
            Role::Leader => {
                if b.servers > 1 {
                    out.push(Action::CheckQuorumTimeout(s));
                }
                if b.options.per_peer {
                    m.per_peer_actions(st, s, out);
                }
                if room {
                    out.extend((1..=b.values).map(|v| Action::ClientRequest(s, v)));
                }
            }
            role => {
                // BUG (candidate-accepts-writes): no role check on client requests.
                if role == Role::Candidate && m.has(Bug::CandidateAcceptsWrites) && room {
                    out.extend((1..=b.values).map(|v| Action::ClientRequest(s, v)));
                }
                if role == Role::Candidate && b.options.per_peer {
                    m.per_peer_actions(st, s, out);
                }
                if role == Role::Follower && !KraftModel::fetch_outstanding(st, s) {
                    out.push(Action::SendFetch(s));
                }
                if srv.epoch < b.max_term && m.election_timer_runs(role) {
                    out.push(Action::ElectionTimeout(s));
                }
            }
        }
    }

    fn restart_offered(m: &KraftModel, st: &KraftState, s: ServerId) -> bool {
        m.restart_changes(st, s)
    }

    fn deliver(m: &KraftModel, st: &mut KraftState, msg: &Msg) {
        m.deliver(st, msg)
    }

    fn step(m: &KraftModel, st: &mut KraftState, a: &Action) {
        match *a {
            Action::ElectionTimeout(s) => m.election_timeout(st, s),
            Action::SendFetch(s) => m.send_fetch(st, s),
            Action::CheckQuorumTimeout(s) => m.check_quorum_timeout(st, s),
            Action::ClientRequest(s, v) => m.client_request(st, s, v),
            Action::Restart(s) => m.restart(st, s),
            Action::SendVoteRequest(s, to) => m.send_vote_request(st, s, to),
            Action::SendBeginQuorumEpoch(s, to) => m.send_begin_quorum_epoch(st, s, to),
            Action::Deliver(_) | Action::Drop(_) | Action::Duplicate(_) => {
                unreachable!("network steps are the skeleton's")
            }
        }
    }

    fn finish_step(before: &KraftState, a: &Action, after: &mut KraftState) {
        KraftModel::finish_step(before, a, after)
    }

    fn properties() -> Vec<Property<KraftModel>> {
        properties::all()
    }

    fn format_action(a: &Action) -> String {
        kraft_action(a)
    }

    fn action_name(a: &Action) -> &'static str {
        a.name()
    }
}

#[cfg(test)]
mod tests {
    use super::actions::transition_allowed;
    use super::*;

    fn srv(
        role: Role,
        epoch: Epoch,
        voted_for: Option<ServerId>,
        leader: Option<ServerId>,
    ) -> Server {
        Server {
            role,
            epoch,
            voted_for,
            leader,
            ..Server::new()
        }
    }

    #[test]
    fn the_transition_table_is_quorum_states() {
        use Role::*;
        let ok = |b: Server, a: Server| transition_allowed(&b, &a);
        // Allowed.
        assert!(ok(
            srv(Unattached, 1, None, None),
            srv(Voted, 1, Some(2), None)
        ));
        assert!(ok(
            srv(Voted, 1, Some(2), None),
            srv(Follower, 1, Some(2), Some(2))
        ));
        assert!(ok(
            srv(Candidate, 1, Some(0), None),
            srv(Leader, 1, Some(0), Some(0))
        ));
        assert!(ok(
            srv(Candidate, 1, Some(0), None),
            srv(Follower, 1, Some(0), Some(1))
        ));
        assert!(ok(
            srv(Leader, 1, Some(0), Some(0)),
            srv(Resigned, 1, Some(0), Some(0))
        ));
        assert!(ok(
            srv(Leader, 1, Some(0), Some(0)),
            srv(Unattached, 2, None, None)
        ));
        assert!(ok(
            srv(Follower, 1, None, Some(1)),
            srv(Candidate, 2, Some(0), None)
        ));
        assert!(ok(
            srv(Resigned, 1, Some(0), Some(0)),
            srv(Candidate, 2, Some(0), None)
        ));
        assert!(ok(
            srv(Follower, 1, None, Some(1)),
            srv(Follower, 3, None, Some(2))
        ));
        // Forbidden.
        assert!(!ok(
            srv(Leader, 1, Some(0), Some(0)),
            srv(Candidate, 2, Some(0), None)
        ));
        assert!(!ok(
            srv(Candidate, 1, Some(0), None),
            srv(Unattached, 1, None, None)
        ));
        assert!(!ok(
            srv(Follower, 1, None, Some(1)),
            srv(Leader, 1, None, Some(0))
        ));
        assert!(!ok(
            srv(Voted, 1, Some(1), None),
            srv(Voted, 1, Some(2), None)
        ));
        assert!(!ok(
            srv(Follower, 1, None, Some(1)),
            srv(Follower, 1, None, Some(2))
        ));
        assert!(!ok(
            srv(Resigned, 1, Some(0), Some(0)),
            srv(Follower, 1, Some(0), Some(1))
        ));
        assert!(!ok(
            srv(Unattached, 2, None, None),
            srv(Unattached, 1, None, None)
        ));
        assert!(!ok(
            srv(Candidate, 1, Some(0), None),
            srv(Candidate, 3, Some(0), None)
        ));
        assert!(!ok(
            srv(Follower, 1, None, Some(1)),
            srv(Resigned, 1, None, Some(1))
        ));
    }

    #[test]
    fn end_offset_for_epoch_is_kafkas() {
        let mut s = Server::new();
        assert_eq!(s.end_offset_for_epoch(3), (0, 0));
        for epoch in [1, 1, 3, 3, 4] {
            s.log.push(Entry { epoch, value: 1 });
        }
        assert_eq!(s.end_offset_for_epoch(0), (0, 0));
        assert_eq!(s.end_offset_for_epoch(1), (1, 2));
        assert_eq!(s.end_offset_for_epoch(2), (1, 2));
        assert_eq!(s.end_offset_for_epoch(3), (3, 4));
        assert_eq!(s.end_offset_for_epoch(9), (4, 5));
    }
}
