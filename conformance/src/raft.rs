//! Raft: the model's side ([`Protocol`] for `RaftModel`) and the adapter for raftspec's own
//! implementation core ([`RaftNode`] over `raftspec_impl::core::raft::RaftCore`).

use crate::driver::{CoreNode, HarnessCore};
use crate::driver::{
    Detail, Event, Inexpressible, LogEntry, Node, NodeFailure, NodeId, NodeState, Payload,
    Reaction, Role, Timer,
};
use crate::protocol::{ModelStep, Protocol};
use raftspec_impl::core::raft::{Config, Message, RaftCore};
use raftspec_impl::core::{
    Core, Entry as ImplEntry, EntryData, Input, PersistentState, Role as ImplRole,
};
use raftspec_model::network::Envelope;
use raftspec_model::options::Options;
use raftspec_model::raft::{
    Action, AppendEntries, AppendEntriesResponse, Entries, Entry, Msg, RaftModel, RaftState,
    RequestVote, RequestVoteResponse, Role as ModelRole, Server,
};
use std::collections::BTreeMap;

fn model_role(r: ModelRole) -> Role {
    match r {
        ModelRole::Follower => Role::Follower,
        ModelRole::Candidate => Role::Candidate,
        ModelRole::Leader => Role::Leader,
    }
}

fn model_node(srv: &Server, id: NodeId, servers: u8, o: &Options) -> NodeState {
    let mut detail = BTreeMap::new();
    let peers = (0..servers).filter(|&p| p != id);
    match srv.role {
        ModelRole::Leader => {
            detail.insert(
                "nextIndex",
                Detail::PerServer(
                    peers
                        .clone()
                        .map(|p| (p, Some(srv.next_index[p as usize] as u64)))
                        .collect(),
                ),
            );
            detail.insert(
                "matchIndex",
                Detail::PerServer(
                    peers
                        .clone()
                        .map(|p| (p, Some(srv.match_index[p as usize] as u64)))
                        .collect(),
                ),
            );
            if o.flow_control {
                detail.insert(
                    "progress",
                    Detail::PerServer(
                        peers
                            .map(|p| (p, Some(srv.progress[p as usize] as u64)))
                            .collect(),
                    ),
                );
            }
        }
        ModelRole::Candidate => {
            detail.insert(
                "votesGranted",
                Detail::Servers(
                    (0..servers)
                        .filter(|i| srv.votes_granted & (1 << i) != 0)
                        .collect(),
                ),
            );
        }
        ModelRole::Follower => {}
    }
    NodeState {
        term: srv.term as u64,
        role: model_role(srv.role),
        voted_for: srv.voted_for,
        log: srv
            .log
            .iter()
            .map(|e| LogEntry {
                term: e.term as u64,
                payload: Payload::Value(e.value),
            })
            .collect(),
        commit: srv.commit_index as u64,
        // tracked under the raft-rs option that reads it; else not compared
        leader: o.vote_needs_no_leader.then_some(srv.leader),
        detail,
    }
}

impl Protocol for RaftModel {
    type Msg = Msg;

    fn model_step(&self, action: &Action) -> ModelStep<Msg> {
        match action {
            Action::Deliver(m) => ModelStep::Deliver(m.clone()),
            Action::Drop(m) => ModelStep::Drop(m.clone()),
            Action::Duplicate(m) => ModelStep::Duplicate(m.clone()),
            Action::ElectionTimeout(s) => ModelStep::Timer(*s, Timer::Election),
            Action::HeartbeatTimeout(s) => ModelStep::Timer(*s, Timer::Heartbeat),
            Action::RequestVote(s, to) | Action::AppendEntries(s, to) => {
                ModelStep::SendTo(*s, *to, action.name())
            }
            Action::ClientRequest(s, v) => ModelStep::ClientRequest(*s, *v),
            Action::Restart(s) => ModelStep::Restart(*s),
        }
    }

    fn action_of(&self, step: ModelStep<Msg>) -> Action {
        match step {
            ModelStep::Deliver(m) => Action::Deliver(m),
            ModelStep::Drop(m) => Action::Drop(m),
            ModelStep::Duplicate(m) => Action::Duplicate(m),
            ModelStep::Timer(s, Timer::Heartbeat) => Action::HeartbeatTimeout(s),
            ModelStep::SendTo(s, to, "RequestVote") => Action::RequestVote(s, to),
            ModelStep::SendTo(s, to, _) => Action::AppendEntries(s, to),
            ModelStep::Timer(s, _) => Action::ElectionTimeout(s),
            ModelStep::ClientRequest(s, v) => Action::ClientRequest(s, v),
            ModelStep::Restart(s) => Action::Restart(s),
        }
    }

    fn endpoints(msg: &Msg) -> (NodeId, NodeId) {
        (msg.from(), msg.to())
    }

    fn describe(msg: &Msg) -> String {
        raftspec_model::describe::raft_msg(msg)
    }

    fn node_states(&self, st: &RaftState) -> Vec<NodeState> {
        let n = st.servers.len() as u8;
        st.servers
            .iter()
            .enumerate()
            .map(|(i, s)| model_node(s, i as NodeId, n, &self.bounds.options))
            .collect()
    }

    fn node_state(&self, st: &RaftState, node: NodeId) -> NodeState {
        model_node(
            &st.servers[node as usize],
            node,
            st.servers.len() as u8,
            &self.bounds.options,
        )
    }

    fn in_flight(&self, st: &RaftState) -> Vec<(Msg, u8)> {
        st.network.in_flight.clone()
    }

    fn inject(&self, st: &RaftState, msg: &Msg) -> RaftState {
        let mut st = st.clone();
        st.network.send(msg.clone(), &self.bounds.network);
        st
    }

    fn model_timers(&self) -> &'static [Timer] {
        &[Timer::Election, Timer::Heartbeat]
    }

    fn role_timers(&self, st: &RaftState, node: NodeId) -> Vec<Timer> {
        match st.servers[node as usize].role {
            ModelRole::Leader => vec![Timer::Heartbeat],
            _ => vec![Timer::Election],
        }
    }

    /// Raft 5.2: a server restarts its election timer when it starts an election, grants a
    /// vote, or hears an AppendEntries of the current (or a newer) term.
    fn must_reset_election_timer(
        &self,
        before: &RaftState,
        action: &Action,
        after: &RaftState,
    ) -> Option<NodeId> {
        match action {
            Action::ElectionTimeout(s) => Some(*s),
            Action::Deliver(Msg::AppendEntries(AppendEntries { to, term, .. })) => {
                (*term >= before.servers[*to as usize].term).then_some(*to)
            }
            Action::Deliver(Msg::RequestVote(RequestVote {
                from,
                to,
                term,
                last_log_term,
                last_log_index,
                ..
            })) => {
                let (was, now) = (&before.servers[*to as usize], &after.servers[*to as usize]);
                let log_ok =
                    (*last_log_term, *last_log_index) >= (was.last_term(), was.last_index());
                let granted = *term == now.term && now.voted_for == Some(*from) && log_ok;
                granted.then_some(*to)
            }
            _ => None,
        }
    }
}

/// Encodes a model value as the implementation's payload: one byte.
pub fn value_payload(v: u8) -> Vec<u8> {
    vec![v]
}

/// An implementation entry in the abstract vocabulary.
pub fn abstract_entry(e: &ImplEntry) -> LogEntry {
    LogEntry {
        term: e.term,
        payload: match &e.data {
            EntryData::Command(b) if b.len() == 1 => Payload::Value(b[0]),
            EntryData::Command(b) => Payload::Opaque(b.clone()),
            EntryData::LeaderChange { .. } => Payload::LeaderChange,
        },
    }
}

pub(crate) fn impl_role(r: ImplRole) -> Role {
    match r {
        ImplRole::Follower => Role::Follower,
        ImplRole::Candidate => Role::Candidate,
        ImplRole::Leader => Role::Leader,
        ImplRole::Unattached => Role::Unattached,
        ImplRole::Voted => Role::Voted,
        ImplRole::Resigned => Role::Resigned,
    }
}

/// The items of an implementation message as a model's bounded list, converted in order: an
/// item that cannot be converted, or one past `max`, makes the message inexpressible.
pub(crate) fn bounded<S, T, C: FromIterator<T>>(
    message: &'static str,
    items: &'static str,
    xs: &[S],
    max: usize,
    convert: impl Fn(&S) -> Result<T, Inexpressible>,
) -> Result<C, Inexpressible> {
    let head = xs.iter().take(max).map(convert).collect::<Result<C, _>>()?;
    if xs.len() > max {
        return Err(Inexpressible::TooMany {
            message,
            items,
            count: xs.len(),
            max,
        });
    }
    Ok(head)
}

pub(crate) fn small(what: &'static str, value: u64) -> Result<u8, Inexpressible> {
    u8::try_from(value).map_err(|_| Inexpressible::TooLarge { what, value })
}

/// A set of servers (votes granted) as a node-state detail.
pub(crate) fn servers_detail(ids: &std::collections::BTreeSet<u64>) -> Detail {
    Detail::Servers(ids.iter().map(|i| id_of(*i)).collect())
}

pub(crate) fn id_of(v: u64) -> NodeId {
    NodeId::try_from(v).unwrap_or(NodeId::MAX)
}

/// raftspec's Raft core as a [`Node`].
pub type RaftNode = CoreNode<RaftCore>;

impl HarnessCore for RaftCore {
    type Config = Config;
    const MODE: &'static str = "raft";
    fn create(id: u64, voters: &[u64], cfg: Config) -> Self {
        RaftCore::new(id, voters, cfg)
    }
    fn restore(id: u64, voters: &[u64], cfg: Config, ps: PersistentState) -> Self {
        RaftCore::restore(id, voters, cfg, ps)
    }
    fn core_id(&self) -> u64 {
        self.id()
    }
}

impl RaftNode {
    /// At the model's granularity (`Config::model()`).
    pub fn model(id: NodeId, servers: u8) -> RaftNode {
        RaftNode::new(id, servers, Config::model())
    }
}

/// A timer of raftspec's cores in the driver API's words.
pub(crate) fn driver_timer(t: raftspec_impl::core::Timer) -> Timer {
    use raftspec_impl::core::Timer as T;
    match t {
        T::ElectionTimeout => Timer::Election,
        T::HeartbeatTimeout => Timer::Heartbeat,
        T::FetchTimeout => Timer::Fetch,
        T::CheckQuorumTimeout => Timer::CheckQuorum,
        T::BeginQuorumEpochTimeout => Timer::BeginQuorumEpoch,
    }
}

fn model_entry(e: &ImplEntry) -> Result<Entry, Inexpressible> {
    match abstract_entry(e).payload {
        Payload::Value(v) => Ok(Entry {
            term: small("entry term", e.term)?,
            value: v,
        }),
        payload => Err(Inexpressible::NotAValue {
            what: "entry",
            payload,
        }),
    }
}

impl Node for RaftNode {
    type Message = Message;
    type Abstract = Msg;

    fn step(&mut self, event: Event<Message>) -> Result<Reaction<Message>, NodeFailure> {
        let input = match event {
            Event::Receive { from, msg } => Input::Receive {
                from: from as u64,
                msg,
            },
            Event::Timer(Timer::Election) => {
                Input::Timer(raftspec_impl::core::Timer::ElectionTimeout)
            }
            Event::Timer(Timer::Heartbeat) => {
                Input::Timer(raftspec_impl::core::Timer::HeartbeatTimeout)
            }
            Event::Timer(timer) => {
                return Err(NodeFailure::NoSuchTimer {
                    protocol: "Raft",
                    timer,
                })
            }
            Event::ClientRequest(v) => Input::Propose(value_payload(v)),
        };
        let mut r = Reaction::sent(Vec::new());
        self.feed(input, &mut r)?;
        Ok(r)
    }

    fn timers(&self) -> Vec<Timer> {
        self.core
            .timers()
            .iter()
            .map(|t| driver_timer(*t))
            .collect()
    }

    fn restart(&mut self) -> Result<(), NodeFailure> {
        self.restart_core()
    }

    fn state(&self) -> NodeState {
        let v = self.core.view();
        let per = |m: &BTreeMap<u64, u64>| {
            Detail::PerServer(m.iter().map(|(p, i)| (id_of(*p), Some(*i))).collect())
        };
        self.abstract_state(v.voted_for, &v.votes_granted, || {
            vec![
                ("nextIndex", per(&v.next_index)),
                ("matchIndex", per(&v.match_index)),
            ]
        })
    }

    fn abstract_message(
        &self,
        from: NodeId,
        to: NodeId,
        msg: &Message,
    ) -> Result<Msg, Inexpressible> {
        // Every Raft message carries its sender's term.
        let term = small("term", msg.term())?;
        Ok(match msg {
            Message::RequestVote {
                last_log_term,
                last_log_index,
                ..
            } => Msg::RequestVote(RequestVote {
                from,
                to,
                term,
                last_log_term: small("lastLogTerm", *last_log_term)?,
                last_log_index: small("lastLogIndex", *last_log_index)?,
                commit: 0,
                commit_term: 0,
            }),
            Message::RequestVoteResponse { granted, .. } => {
                Msg::RequestVoteResponse(RequestVoteResponse {
                    from,
                    to,
                    term,
                    granted: *granted,
                    commit: 0,
                    commit_term: 0,
                })
            }
            Message::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ..
            } => {
                let max = Entries::new().capacity();
                let es = bounded("AppendEntries", "entries", entries, max, model_entry)?;
                Msg::AppendEntries(AppendEntries {
                    from,
                    to,
                    term,
                    prev_log_index: small("prevLogIndex", *prev_log_index)?,
                    prev_log_term: small("prevLogTerm", *prev_log_term)?,
                    entries: es,
                    leader_commit: small("leaderCommit", *leader_commit)?,
                })
            }
            Message::AppendEntriesResponse {
                success,
                match_index,
                last_log_index,
                ..
            } => Msg::AppendEntriesResponse(AppendEntriesResponse {
                from,
                to,
                term,
                success: *success,
                match_index: response_index(*success, *match_index, *last_log_index)?,
            }),
        })
    }
}

/// The model's matchIndex of an AppendEntriesResponse: a refusal's hint
/// (`Config::reject_hint`) is the model's matchIndex field of a refusal (option
/// `refusal_hint`; 0 without it).
fn response_index(success: bool, match_index: u64, hint: Option<u64>) -> Result<u8, Inexpressible> {
    match (success, hint) {
        (true, Some(_)) => Err(Inexpressible::NotInModel(
            "an accepting AppendEntriesResponse carries a reject hint",
        )),
        (false, Some(hint)) => small("reject hint", hint),
        _ => small("matchIndex", match_index),
    }
}
