//! raftspec-conformance: evidence that the implementation behaves like the specification.
//!
//! - [`driver`]: the API any implementation plugs into (feed an event, collect the messages it
//!   sent, read an abstract state, restart).
//! - [`protocol`]: the model side (actions as events, states as abstract node states).
//! - [`replay`]: a model trace drives the implementation; the first difference is a
//!   [`replay::Divergence`] with the ITF prefix.
//! - [`sources`], [`search`]: traces from an edge cover of the state graph, random walks, ITF
//!   files, and proptest (shrinking a divergence to a minimal trace).
//! - [`conform`], [`suite`]: the suite per variant, the bug catalog, mutants.
//! - [`record`]: real clusters (timers, TCP on loopback) recorded and validated against the model.
//! - [`variants`]: the one place a variant's conformance facts are stated ([`variants::Binding`]).
//! - [`raft`]: Raft's model binding and the adapter for raftspec's own Raft core.
//! - `raftrs` (feature `raft-rs`): the adapter for tikv/raft-rs 0.7 (specs/adapters.md).

pub mod conform;
pub mod driver;
pub mod kraft;
pub mod protocol;
pub mod raft;
#[cfg(feature = "raft-rs")]
pub mod raftrs;
pub mod record;
pub mod replay;
pub mod scenario;
pub mod search;
pub mod sources;
pub mod suite;
pub mod variants;
