//! What every protocol variant provides so that checking, traces and output are written once.

use crate::bounds::Bounds;
use crate::bugs::Bug;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stateright::Model;
use std::fmt::{self, Debug};
use std::hash::Hash;

pub use crate::registry::Variant;

impl Variant {
    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(s: &str) -> Option<Variant> {
        Variant::ALL.iter().copied().find(|v| v.name() == s)
    }

    /// Rejects bounds this variant's model cannot represent ([`Bounds::validate`] plus the
    /// variant's own limits).
    pub fn validate(self, bounds: &Bounds) -> Result<(), crate::bounds::BoundsError> {
        bounds.validate()?;
        (self.info().check_bounds)(bounds)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A protocol variant as a checkable, traceable stateright model.
pub trait Spec:
    Model<
        State: Clone
                   + Debug
                   + Hash
                   + Eq
                   + Send
                   + Sync
                   + 'static
                   + crate::pack::Packing
                   + raftspec_engine::Symmetric,
        Action: Clone + Debug + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    fn variant(&self) -> Variant;
    fn bounds(&self) -> &Bounds;
    fn bug(&self) -> Option<Bug>;
    /// The protocol name of an action (ITF `action_taken`).
    fn action_name(&self, action: &Self::Action) -> &'static str;
    /// The state as an ITF record: one field per state variable, no nulls.
    fn state_json(&self, state: &Self::State) -> Value;
    /// The symmetry representative of a state (servers are interchangeable): the engine's
    /// canonical form, shared by stateright's DFS and the engine.
    fn representative(state: &Self::State) -> Self::State {
        crate::pack::representative(state)
    }

    /// A copy to hand to the checker: properties report their first match only (see
    /// [`crate::latch`]). Defaults to a plain copy.
    fn for_checking(&self) -> Self {
        self.clone()
    }

    fn action_json(&self, action: &Self::Action) -> Value {
        serde_json::to_value(action).expect("actions serialize")
    }

    fn action_from_json(&self, v: &Value) -> Result<Self::Action, serde_json::Error> {
        Self::Action::deserialize(v)
    }

    /// The words this variant's pictures use (term or epoch, commit index or high watermark).
    fn vocabulary(&self) -> crate::view::Vocabulary;
    /// A state as pictures show it: servers, messages in flight, acknowledged entries.
    fn state_view(&self, state: &Self::State) -> crate::view::StateView;
    /// What an action is, for pictures: a network action on a message or a server's event.
    fn event_view(&self, action: &Self::Action) -> crate::view::EventView;
}

/// The protocol steps of a variant that a bug can live in: every message handler and timer,
/// and the restart (ITF action names; network steps and client requests are not protocol rules).
pub fn protocol_steps(variant: Variant) -> &'static [&'static str] {
    variant.info().protocol_steps
}

/// ITF encoding of an optional server id (Quint's Option variant).
pub fn itf_option(v: Option<u8>) -> Value {
    match v {
        Some(x) => serde_json::json!({"tag": "Some", "value": x}),
        None => serde_json::json!({"tag": "None", "value": {"#tup": []}}),
    }
}

/// Generic work over whichever model a variant names (see [`with_spec`]).
pub trait SpecVisitor {
    type Output;
    fn visit<S: Spec>(self, spec: S) -> Self::Output;
}

/// Safety work over whichever model a variant names (see [`crate::registry::with_model`]).
pub fn with_spec<V: SpecVisitor>(
    variant: Variant,
    bounds: Bounds,
    bug: Option<Bug>,
    visitor: V,
) -> V::Output {
    crate::registry::with_model(variant, bounds, bug, crate::registry::AsLive(visitor))
}
