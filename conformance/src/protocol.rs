//! The model side of conformance: how a model's actions become node events and how a model
//! state projects to the abstract [`NodeState`] of each server.

use crate::driver::{NodeId, NodeState, Timer};
use raftspec_model::Spec;
use serde::de::DeserializeOwned;
use serde::Serialize;
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
    /// True if the model would never keep this message in flight in `state`: delivering it
    /// could change nothing (a response of an older term, or one whose destination no longer
    /// waits for it). A recorded delivery of such a message is a stutter step.
    fn is_dead(&self, state: &Self::State, msg: &Self::Msg) -> bool;
}
