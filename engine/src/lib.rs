//! raftspec-engine: an explicit-state model checker for any stateright [`stateright::Model`].
//!
//! It knows nothing of Raft. A search ([`explore`]) is level-synchronous parallel BFS over a
//! visited set of 64-bit fingerprints ([`fingerprints`]), with frontier states packed by the
//! model's [`Codec`] (or kept as values by the [`Plain`] fallback), per-state trace records
//! from which counterexamples are rebuilt ([`store`]), exact symmetry through a canonical form
//! ([`symmetry`]), and spilling to disk past a memory limit. See specs/engine.md.

mod bfs;
pub mod codec;
pub mod distributed;
pub mod fingerprints;
pub mod hunt;
pub mod liveness;
pub mod memory;
mod report;
pub mod store;
pub mod symmetry;

pub use bfs::explore;
pub use codec::{Codec, Packed, Packer, Plain};
pub use distributed::{explore_distributed, Cluster, DistOutcome, WireStats};
pub use report::{Discovery, EngineError, Options, Outcome, Progress, ProgressFn, Stop};
pub use symmetry::{canonical, Renaming, Symmetric};
