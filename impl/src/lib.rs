//! The real implementation: sans-I/O cores, storage, transport, node.
//!
//! - [`core`]: deterministic Raft and KRaft state machines (input -> persist + send + commit).
//! - [`storage`]: checksummed append-only log and atomically replaced quorum-state file.
//! - [`net`]: length-prefixed, versioned, validated frames over TCP with reconnecting peers.
//! - [`kv`]: the replicated key-value state machine and its command encoding.
//! - [`node`]: one runnable node (core + storage + transport + timers + HTTP API).
//! - [`client`]: an HTTP client that finds the leader.

pub mod client;
pub mod core;
pub mod kv;
pub mod local;
pub mod net;
pub mod node;
pub mod storage;

#[cfg(test)]
mod fuzz_smoke;
