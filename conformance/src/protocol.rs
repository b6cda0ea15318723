//! The model side of conformance: how a model's actions become node events and how a model
//! state projects to the abstract [`NodeState`] of each server.

use crate::driver::{NodeId, NodeState, Timer};
use raftspec_model::{Bounds, Bug, Spec, Variant};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;

/// What one model action does, in terms the harness can feed an implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelStep<M> {
    /// The destination handles one copy of a message in flight.
    Deliver(M),
    /// The network loses one copy (touches no server).
    Drop(M),
    /// The network adds one copy (touches no server).
    Duplicate(M),
    /// A server's timer fires.
    Timer(NodeId, Timer),
    /// A client asks a server to append a value.
    ClientRequest(NodeId, u8),
    /// A server crashes and restarts from its persisted state.
    Restart(NodeId),
    /// A server sends its pending request to one peer (the model's per-peer sends option,
    /// which no implementation here offers: replay refuses it).
    /// The step's protocol name (e.g. `RequestVote`) is kept so that the action is known.
    SendTo(NodeId, NodeId, &'static str),
}

/// A model that conformance can drive an implementation with.
pub trait Protocol: Spec {
    /// The model's message type.
    type Msg: Clone + PartialEq + Eq + Hash + Debug + Serialize + DeserializeOwned;

    /// The event an action stands for.
    fn model_step(&self, action: &Self::Action) -> ModelStep<Self::Msg>;
    /// The action a recorded event stands for (inverse of [`Protocol::model_step`]).
    fn action_of(&self, step: ModelStep<Self::Msg>) -> Self::Action;
    /// (from, to) of a message.
    fn endpoints(msg: &Self::Msg) -> (NodeId, NodeId);
    /// A message in protocol terms, for reports.
    fn describe(msg: &Self::Msg) -> String;
    /// Every server's abstract state.
    fn node_states(&self, state: &Self::State) -> Vec<NodeState>;
    /// One server's abstract state.
    fn node_state(&self, state: &Self::State, node: NodeId) -> NodeState {
        self.node_states(state).swap_remove(node as usize)
    }
    /// Messages in flight with their copy counts.
    fn in_flight(&self, state: &Self::State) -> Vec<(Self::Msg, u8)>;
    /// The state with one more copy of `msg` in flight (to ask what delivering a message the
    /// model has discarded would do).
    fn inject(&self, state: &Self::State, msg: &Self::Msg) -> Self::State;
    /// For a real-time driver: may `node`'s `timer` fire while `in_flight` is on the network?
    /// (KRaft: a follower keeps one fetch in flight, as Kafka's RequestManager does.)
    fn timer_ready(&self, _node: NodeId, _timer: Timer, _in_flight: &[Self::Msg]) -> bool {
        true
    }
    /// The timers the model has actions for (an implementation's other timers, e.g. KRaft's
    /// BeginQuorumEpoch resend, are not compared). Empty: timers are not compared.
    fn model_timers(&self) -> &'static [Timer] {
        &[]
    }
    /// The timers `node` runs in its role in `state`, as the model's actions define them
    /// (whatever the bounds: a timer the bounds disable is still armed).
    fn role_timers(&self, _state: &Self::State, _node: NodeId) -> Vec<Timer> {
        Vec::new()
    }
    /// The server that must restart its election timer in this step, by the protocol's timer
    /// rule (Raft 5.2: an election started, a vote granted, the current leader heard from).
    fn must_reset_election_timer(
        &self,
        _before: &Self::State,
        _action: &Self::Action,
        _after: &Self::State,
    ) -> Option<NodeId> {
        None
    }
    /// Why model and implementation are known to differ on this action here, if they are
    /// (see [`WithoutKnownDifferences`]).
    fn known_difference(
        &self,
        _state: &Self::State,
        _action: &Self::Action,
    ) -> Option<&'static str> {
        None
    }
}

/// True if delivering `msg` in `state` would change no server and send nothing: the model
/// discards such messages as dead (a response of an older term, one nobody waits for), so a
/// recorded delivery of one is a stutter step.
pub fn delivery_is_noop<P: Protocol>(spec: &P, state: &P::State, msg: &P::Msg) -> bool {
    let with = spec.inject(state, msg);
    let action = spec.action_of(ModelStep::Deliver(msg.clone()));
    let Some(next) = spec.next_state(&with, action) else {
        return false;
    };
    let before = spec.in_flight(state);
    spec.node_states(&next) == spec.node_states(state)
        && spec
            .in_flight(&next)
            .iter()
            .all(|(m, c)| before.iter().any(|(b, d)| b == m && d >= c))
}

/// A model with the actions where model and implementation are known to differ left out, so
/// that the sources explore everything else. Every known difference is listed in
/// specs/conformance.md with the reason it is not fixed yet; `--include-known-differences`
/// (or using the model directly) keeps them.
#[derive(Clone, Debug)]
pub struct WithoutKnownDifferences<P>(pub P);

impl<P: Protocol> Model for WithoutKnownDifferences<P> {
    type State = P::State;
    type Action = P::Action;

    fn init_states(&self) -> Vec<P::State> {
        self.0.init_states()
    }

    fn actions(&self, state: &P::State, out: &mut Vec<P::Action>) {
        self.0.actions(state, out);
        out.retain(|a| self.0.known_difference(state, a).is_none());
    }

    fn next_state(&self, state: &P::State, action: P::Action) -> Option<P::State> {
        self.0.next_state(state, action)
    }

    fn within_boundary(&self, state: &P::State) -> bool {
        self.0.within_boundary(state)
    }

    fn format_action(&self, action: &P::Action) -> String {
        self.0.format_action(action)
    }
}

impl<P: Protocol> Spec for WithoutKnownDifferences<P> {
    fn variant(&self) -> Variant {
        self.0.variant()
    }
    fn bounds(&self) -> &Bounds {
        self.0.bounds()
    }
    fn bug(&self) -> Option<Bug> {
        self.0.bug()
    }
    fn action_name(&self, action: &P::Action) -> &'static str {
        self.0.action_name(action)
    }
    fn state_json(&self, state: &P::State) -> Value {
        self.0.state_json(state)
    }
    fn representative(state: &P::State) -> P::State {
        P::representative(state)
    }
    fn action_json(&self, action: &P::Action) -> Value {
        self.0.action_json(action)
    }
    fn action_from_json(&self, v: &Value) -> Result<P::Action, serde_json::Error> {
        self.0.action_from_json(v)
    }
    fn vocabulary(&self) -> raftspec_model::view::Vocabulary {
        self.0.vocabulary()
    }
    fn state_view(&self, state: &P::State) -> raftspec_model::view::StateView {
        self.0.state_view(state)
    }
    fn event_view(&self, action: &P::Action) -> raftspec_model::view::EventView {
        self.0.event_view(action)
    }
}

impl<P: Protocol> Protocol for WithoutKnownDifferences<P> {
    type Msg = P::Msg;
    fn model_step(&self, action: &P::Action) -> ModelStep<P::Msg> {
        self.0.model_step(action)
    }
    fn action_of(&self, step: ModelStep<P::Msg>) -> P::Action {
        self.0.action_of(step)
    }
    fn endpoints(msg: &P::Msg) -> (NodeId, NodeId) {
        P::endpoints(msg)
    }
    fn describe(msg: &P::Msg) -> String {
        P::describe(msg)
    }
    fn node_states(&self, state: &P::State) -> Vec<NodeState> {
        self.0.node_states(state)
    }
    fn node_state(&self, state: &P::State, node: NodeId) -> NodeState {
        self.0.node_state(state, node)
    }
    fn in_flight(&self, state: &P::State) -> Vec<(P::Msg, u8)> {
        self.0.in_flight(state)
    }
    fn inject(&self, state: &P::State, msg: &P::Msg) -> P::State {
        self.0.inject(state, msg)
    }
    fn timer_ready(&self, node: NodeId, timer: Timer, in_flight: &[P::Msg]) -> bool {
        self.0.timer_ready(node, timer, in_flight)
    }
    fn known_difference(&self, state: &P::State, action: &P::Action) -> Option<&'static str> {
        self.0.known_difference(state, action)
    }
    fn model_timers(&self) -> &'static [Timer] {
        self.0.model_timers()
    }
    fn role_timers(&self, state: &P::State, node: NodeId) -> Vec<Timer> {
        self.0.role_timers(state, node)
    }
    fn must_reset_election_timer(
        &self,
        before: &P::State,
        action: &P::Action,
        after: &P::State,
    ) -> Option<NodeId> {
        self.0.must_reset_election_timer(before, action, after)
    }
}
