//! raftspec-model: Raft and KRaft as executable specifications (stateright models).
//!
//! - [`raft`]: Raft (push), per the Raft paper's Figure 2 and raft.tla.
//! - [`kraft`]: KRaft (pull), per KIP-595 and Kafka's raft module.
//! - [`bugs`]: the catalog of injectable protocol bugs.
//! - [`check`]: exhaustive checking with verdicts for safety properties and witnesses.
//! - [`trace`]: traces as ITF JSON, readable counterexamples, replay on the model.
//! - [`itf`]: ITF as Apalache and Quint write it (`#bigint`, `#set`, ...), decoded.

pub mod bounds;
pub mod bugs;
pub mod check;
pub mod describe;
pub mod itf;
pub mod kraft;
pub mod latch;
pub mod liveness;
pub mod logs;
pub mod network;
pub mod options;
pub mod pack;
pub mod protocol;
pub mod raft;
pub mod registry;
pub mod reproduce;
pub mod spec;
pub mod trace;
pub mod view;

pub use bounds::{Bounds, NetworkSemantics};
pub use bugs::Bug;
pub use registry::VariantInfo;
pub use spec::{Spec, Variant};
