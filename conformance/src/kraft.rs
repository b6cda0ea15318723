//! KRaft: the model's side ([`Protocol`] for `KraftModel`) and the adapter for raftspec's own
//! implementation core ([`KraftNode`] over `raftspec_impl::core::kraft::KraftCore`).
//!
//! Two events need a word:
//! - The model's `CheckQuorumTimeout(s)` is "the leader's check-quorum timer expired without
//!   fetches from a majority since the previous check". The implementation's timer input checks
//!   the fetches of the period that just ended. The adapter therefore feeds the timer until the
//!   leader resigns, at most twice: a first expiry may close a period in which a majority did
//!   fetch, the second closes a period with no fetch at all. Both steps' messages are sent.
//! - The implementation answers a Fetch of a newer epoch with UNKNOWN_LEADER_EPOCH; the model
//!   sends nothing (the requester always ignores it). Such a response cannot be expressed in
//!   the model and is a divergence if it is ever sent (a follower's leader always has at least
//!   its epoch, so it is not).

use crate::driver::{CoreNode, HarnessCore};
use crate::driver::{
    Detail, Event, Inexpressible, LogEntry, Node, NodeFailure, NodeId, NodeState, Payload,
    Reaction, Role, Timer,
};
use crate::protocol::{ModelStep, Protocol};

use crate::raft::{abstract_entry, bounded, id_of, small, value_payload};
use raftspec_impl::core::kraft::{Config, DivergingEpoch, ErrorCode, KraftCore, Message};
use raftspec_impl::core::{Core, Entry as ImplEntry, Input, PersistentState, Role as ImplRole};
use raftspec_model::kraft::{
    Action, BeginQuorumEpoch, EndQuorumEpoch, Entry, Fetch, FetchError, FetchResponse, FetchResult,
    KraftModel, KraftState, Msg, Records, Role as ModelRole, Server, Successors, Vote,
    VoteResponse, LEADER_CHANGE,
};
use raftspec_model::network::Envelope;
use std::collections::BTreeMap;

fn model_role(r: ModelRole) -> Role {
    match r {
        ModelRole::Unattached => Role::Unattached,
        ModelRole::Voted => Role::Voted,
        ModelRole::Candidate => Role::Candidate,
        ModelRole::Leader => Role::Leader,
        ModelRole::Follower => Role::Follower,
        ModelRole::Resigned => Role::Resigned,
    }
}

fn model_node(srv: &Server, id: NodeId, servers: u8) -> NodeState {
    let mut detail = BTreeMap::new();
    match srv.role {
        ModelRole::Leader => {
            detail.insert(
                "epochStartOffset",
                Detail::Position(Some(srv.epoch_start as u64)),
            );
            detail.insert(
                "endOffsets",
                Detail::PerServer(
                    (0..servers)
                        .filter(|&p| p != id)
                        .map(|p| (p, Some(srv.end_offsets[p as usize] as u64)))
                        .collect(),
                ),
            );
        }
        ModelRole::Candidate => {
            detail.insert(
                "votesGranted",
                Detail::Servers((0..servers).filter(|i| srv.votes & (1 << i) != 0).collect()),
            );
        }
        _ => {}
    }
    NodeState {
        term: srv.epoch as u64,
        role: model_role(srv.role),
        voted_for: srv.voted_for,
        log: srv
            .log
            .iter()
            .map(|e| LogEntry {
                term: e.epoch as u64,
                payload: if e.value == LEADER_CHANGE {
                    Payload::LeaderChange
                } else {
                    Payload::Value(e.value)
                },
            })
            .collect(),
        commit: srv.hw as u64,
        leader: Some(srv.leader),
        detail,
    }
}

impl Protocol for KraftModel {
    type Msg = Msg;

    fn model_step(&self, action: &Action) -> ModelStep<Msg> {
        match action {
            Action::Deliver(m) => ModelStep::Deliver(m.clone()),
            Action::Drop(m) => ModelStep::Drop(m.clone()),
            Action::Duplicate(m) => ModelStep::Duplicate(m.clone()),
            Action::ElectionTimeout(s) => ModelStep::Timer(*s, Timer::Election),
            Action::SendFetch(s) => ModelStep::Timer(*s, Timer::Fetch),
            Action::CheckQuorumTimeout(s) => ModelStep::Timer(*s, Timer::CheckQuorum),
            Action::ClientRequest(s, v) => ModelStep::ClientRequest(*s, *v),
            Action::Restart(s) => ModelStep::Restart(*s),
            Action::SendVoteRequest(s, to) | Action::SendBeginQuorumEpoch(s, to) => {
                ModelStep::SendTo(*s, *to, action.name())
            }
        }
    }

    fn action_of(&self, step: ModelStep<Msg>) -> Action {
        match step {
            ModelStep::Deliver(m) => Action::Deliver(m),
            ModelStep::Drop(m) => Action::Drop(m),
            ModelStep::Duplicate(m) => Action::Duplicate(m),
            ModelStep::Timer(s, Timer::Fetch) => Action::SendFetch(s),
            ModelStep::Timer(s, Timer::CheckQuorum) => Action::CheckQuorumTimeout(s),
            ModelStep::Timer(s, _) => Action::ElectionTimeout(s),
            ModelStep::SendTo(s, to, "SendVoteRequest") => Action::SendVoteRequest(s, to),
            ModelStep::SendTo(s, to, _) => Action::SendBeginQuorumEpoch(s, to),
            ModelStep::ClientRequest(s, v) => Action::ClientRequest(s, v),
            ModelStep::Restart(s) => Action::Restart(s),
        }
    }

    fn endpoints(msg: &Msg) -> (NodeId, NodeId) {
        (msg.from(), msg.to())
    }

    fn describe(msg: &Msg) -> String {
        raftspec_model::kraft::kraft_msg(msg)
    }

    fn node_states(&self, st: &KraftState) -> Vec<NodeState> {
        let n = st.servers.len() as u8;
        st.servers
            .iter()
            .enumerate()
            .map(|(i, s)| model_node(s, i as NodeId, n))
            .collect()
    }

    fn node_state(&self, st: &KraftState, node: NodeId) -> NodeState {
        model_node(&st.servers[node as usize], node, st.servers.len() as u8)
    }

    fn in_flight(&self, st: &KraftState) -> Vec<(Msg, u8)> {
        st.network.in_flight.clone()
    }

    fn inject(&self, st: &KraftState, msg: &Msg) -> KraftState {
        let mut st = st.clone();
        st.network.send(msg.clone(), &self.bounds.network);
        st
    }

    fn model_timers(&self) -> &'static [Timer] {
        &[Timer::Election, Timer::Fetch, Timer::CheckQuorum]
    }

    fn role_timers(&self, st: &KraftState, node: NodeId) -> Vec<Timer> {
        match st.servers[node as usize].role {
            ModelRole::Leader if st.servers.len() > 1 => vec![Timer::CheckQuorum],
            ModelRole::Leader => Vec::new(),
            ModelRole::Follower => vec![Timer::Election, Timer::Fetch],
            _ => vec![Timer::Election],
        }
    }

    /// A server restarts its election (fetch) timer when it starts an election, grants a
    /// vote, resigns, becomes a follower, or hears from the leader it follows (a
    /// BeginQuorumEpoch, a FetchResponse with records or a diverging epoch).
    fn must_reset_election_timer(
        &self,
        before: &KraftState,
        action: &Action,
        after: &KraftState,
    ) -> Option<NodeId> {
        let m = match action {
            Action::ElectionTimeout(s) => return Some(*s),
            Action::CheckQuorumTimeout(s) => {
                let resigned = after.servers[*s as usize].role == ModelRole::Resigned;
                return resigned.then_some(*s);
            }
            Action::Deliver(m) => m,
            _ => return None,
        };
        let to = m.to();
        let (was, now) = (&before.servers[to as usize], &after.servers[to as usize]);
        let follows = now.role == ModelRole::Follower;
        let became_follower =
            follows && (was.role != now.role || was.epoch != now.epoch || was.leader != now.leader);
        let from_leader = follows && now.leader == Some(m.from()) && m.epoch() == now.epoch;
        let heard = match m {
            Msg::BeginQuorumEpoch(_) => from_leader,
            Msg::FetchResponse(FetchResponse { result, .. }) => {
                from_leader && !matches!(result, FetchResult::Error { .. })
            }
            Msg::Vote(Vote { from, epoch, .. }) => {
                now.role == ModelRole::Voted && now.voted_for == Some(*from) && *epoch == now.epoch
            }
            _ => false,
        };
        (became_follower || heard).then_some(to)
    }

    /// The model's `fetch_outstanding`: a follower fetches again only once its previous fetch
    /// and its response are off the network.
    fn timer_ready(&self, node: NodeId, timer: Timer, in_flight: &[Msg]) -> bool {
        timer != Timer::Fetch
            || !in_flight.iter().any(|m| match *m {
                Msg::Fetch(Fetch { from, .. }) => from == node,
                Msg::FetchResponse(FetchResponse { to, .. }) => to == node,
                _ => false,
            })
    }
}

/// raftspec's KRaft core as a [`Node`].
pub type KraftNode = CoreNode<KraftCore>;

impl HarnessCore for KraftCore {
    type Config = Config;
    const MODE: &'static str = "kraft";
    fn create(id: u64, voters: &[u64], cfg: Config) -> Self {
        KraftCore::new(id, voters, cfg)
    }
    fn restore(id: u64, voters: &[u64], cfg: Config, ps: PersistentState) -> Self {
        KraftCore::restore(id, voters, cfg, ps)
    }
    fn core_id(&self) -> u64 {
        self.id()
    }
}

impl KraftNode {
    /// At the model's granularity (`Config::model()`: one record per Fetch response).
    pub fn model(id: NodeId, servers: u8) -> KraftNode {
        KraftNode::new(id, servers, Config::model())
    }
}

/// A message that names its leader is the model's only when the sender is that leader.
fn own_leader(message: &'static str, from: NodeId, leader: u64) -> Result<(), Inexpressible> {
    if id_of(leader) != from {
        return Err(Inexpressible::ForeignLeader {
            message,
            from,
            leader,
        });
    }
    Ok(())
}

fn successors(preferred: &[u64]) -> Result<Successors, Inexpressible> {
    let mut successors = Successors::new();
    for s in preferred {
        successors
            .try_push(id_of(*s))
            .map_err(|_| Inexpressible::NotInModel("too many preferred successors"))?;
    }
    Ok(successors)
}

/// A Fetch response's error, divergence or records (answering the fetch at `position`:
/// fetchOffset, lastFetchedEpoch) as the model's result.
fn fetch_result(
    error: &Option<ErrorCode>,
    diverging: &Option<DivergingEpoch>,
    (fetch_offset, last_fetched_epoch): (u64, u64),
    records: &[ImplEntry],
    high_watermark: Option<u64>,
) -> Result<FetchResult, Inexpressible> {
    Ok(match (error, diverging) {
        (Some(ErrorCode::FencedLeaderEpoch), _) => FetchResult::Error {
            error: FetchError::FencedLeaderEpoch,
        },
        (Some(ErrorCode::NotLeaderOrFollower), _) => FetchResult::Error {
            error: FetchError::NotLeaderOrFollower,
        },
        (Some(ErrorCode::UnknownLeaderEpoch), _) => {
            return Err(Inexpressible::NotInModel(
                "FetchResponse UNKNOWN_LEADER_EPOCH: the model sends no response to a fetch of a newer epoch",
            ))
        }
        (None, Some(DivergingEpoch { epoch: e, end_offset })) => FetchResult::DivergingEpoch {
            fetch_offset: small("fetchOffset", fetch_offset)?,
            last_fetched_epoch: small("lastFetchedEpoch", last_fetched_epoch)?,
            epoch: small("divergingEpoch", *e)?,
            end_offset: small("endOffset", *end_offset)?,
        },
        (None, None) => FetchResult::Records {
            fetch_offset: small("fetchOffset", fetch_offset)?,
            last_fetched_epoch: small("lastFetchedEpoch", last_fetched_epoch)?,
            records: bounded(
                "FetchResponse",
                "records",
                records,
                Records::new().capacity(),
                model_entry,
            )?,
            high_watermark: high_watermark
                .map(|h| small("highWatermark", h))
                .transpose()?,
        },
    })
}

fn model_entry(e: &ImplEntry) -> Result<Entry, Inexpressible> {
    let epoch = small("record epoch", e.term)?;
    match abstract_entry(e).payload {
        Payload::Value(v) if v != LEADER_CHANGE => Ok(Entry { epoch, value: v }),
        Payload::LeaderChange => Ok(Entry {
            epoch,
            value: LEADER_CHANGE,
        }),
        payload => Err(Inexpressible::NotAValue {
            what: "record",
            payload,
        }),
    }
}

impl Node for KraftNode {
    type Message = Message;
    type Abstract = Msg;

    fn step(&mut self, event: Event<Message>) -> Result<Reaction<Message>, NodeFailure> {
        use raftspec_impl::core::Timer as T;
        let mut r = Reaction::sent(Vec::new());
        match event {
            Event::Receive { from, msg } => self.feed(
                Input::Receive {
                    from: from as u64,
                    msg,
                },
                &mut r,
            )?,
            Event::Timer(Timer::Election) => self.feed(Input::Timer(T::ElectionTimeout), &mut r)?,
            Event::Timer(Timer::Fetch) => self.feed(Input::Timer(T::FetchTimeout), &mut r)?,
            Event::Timer(Timer::BeginQuorumEpoch) => {
                self.feed(Input::Timer(T::BeginQuorumEpochTimeout), &mut r)?
            }
            Event::Timer(Timer::CheckQuorum) => {
                // Expired without fetches from a majority: see the module comment.
                for _ in 0..2 {
                    if self.core.role() != ImplRole::Leader {
                        break;
                    }
                    self.feed(Input::Timer(T::CheckQuorumTimeout), &mut r)?;
                }
            }
            Event::Timer(timer) => {
                return Err(NodeFailure::NoSuchTimer {
                    protocol: "KRaft",
                    timer,
                })
            }
            Event::ClientRequest(v) => self.feed(Input::Propose(value_payload(v)), &mut r)?,
        }
        Ok(r)
    }

    fn timers(&self) -> Vec<Timer> {
        let armed = self.core.timers().iter();
        armed.map(|t| crate::raft::driver_timer(*t)).collect()
    }

    fn restart(&mut self) -> Result<(), NodeFailure> {
        self.restart_core()
    }

    fn state(&self) -> NodeState {
        let v = self.core.view();
        self.abstract_state(v.voted_for, &v.votes_granted, || {
            // the model writes "no fetch yet" as 0
            let end_offsets = v
                .end_offsets
                .iter()
                .map(|(p, o)| (id_of(*p), Some(o.unwrap_or(0))));
            vec![
                ("epochStartOffset", Detail::Position(v.epoch_start_offset)),
                ("endOffsets", Detail::PerServer(end_offsets.collect())),
            ]
        })
    }

    fn abstract_message(
        &self,
        from: NodeId,
        to: NodeId,
        msg: &Message,
    ) -> Result<Msg, Inexpressible> {
        // Every KRaft message carries its sender's epoch.
        let epoch = small("epoch", msg.epoch())?;
        match msg {
            Message::Vote { .. }
            | Message::VoteResponse { .. }
            | Message::BeginQuorumEpoch { .. }
            | Message::EndQuorumEpoch { .. } => election_message(from, to, epoch, msg),
            Message::Fetch { .. } | Message::FetchResponse { .. } => {
                fetch_message(from, to, epoch, msg)
            }
        }
    }
}

/// A vote or quorum-epoch message as the model's.
fn election_message(
    from: NodeId,
    to: NodeId,
    epoch: u8,
    msg: &Message,
) -> Result<Msg, Inexpressible> {
    Ok(match msg {
        Message::Vote {
            last_offset_epoch,
            last_offset,
            ..
        } => Msg::Vote(Vote {
            from,
            to,
            epoch,
            last_epoch: small("lastOffsetEpoch", *last_offset_epoch)?,
            last_offset: small("lastOffset", *last_offset)?,
        }),
        // The error code of a refused vote changes nothing at the candidate: the model's
        // VoteResponse has none.
        Message::VoteResponse {
            leader, granted, ..
        } => Msg::VoteResponse(VoteResponse {
            from,
            to,
            epoch,
            leader: leader.map(id_of),
            granted: *granted,
        }),
        Message::BeginQuorumEpoch { leader, .. } => {
            own_leader("BeginQuorumEpoch", from, *leader)?;
            Msg::BeginQuorumEpoch(BeginQuorumEpoch { from, to, epoch })
        }
        Message::EndQuorumEpoch {
            leader,
            preferred_successors,
            ..
        } => {
            own_leader("EndQuorumEpoch", from, *leader)?;
            let successors = successors(preferred_successors)?;
            Msg::EndQuorumEpoch(EndQuorumEpoch {
                from,
                to,
                epoch,
                successors,
            })
        }
        Message::Fetch { .. } | Message::FetchResponse { .. } => {
            unreachable!("abstract_message hands fetches to fetch_message")
        }
    })
}

/// A Fetch or FetchResponse as the model's.
fn fetch_message(from: NodeId, to: NodeId, epoch: u8, msg: &Message) -> Result<Msg, Inexpressible> {
    Ok(match msg {
        Message::Fetch {
            fetch_offset,
            last_fetched_epoch,
            ..
        } => Msg::Fetch(Fetch {
            from,
            to,
            epoch,
            fetch_offset: small("fetchOffset", *fetch_offset)?,
            last_fetched_epoch: small("lastFetchedEpoch", *last_fetched_epoch)?,
        }),
        Message::FetchResponse {
            leader,
            error,
            fetch_offset,
            last_fetched_epoch,
            diverging,
            records,
            high_watermark,
            ..
        } => {
            let position = (*fetch_offset, *last_fetched_epoch);
            let result = fetch_result(error, diverging, position, records, *high_watermark)?;
            Msg::FetchResponse(FetchResponse {
                from,
                to,
                epoch,
                leader: leader.map(id_of),
                result,
            })
        }
        Message::Vote { .. }
        | Message::VoteResponse { .. }
        | Message::BeginQuorumEpoch { .. }
        | Message::EndQuorumEpoch { .. } => {
            unreachable!("abstract_message hands elections to election_message")
        }
    })
}
