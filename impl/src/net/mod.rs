//! Transport between nodes: validated frames ([`frame`]) over TCP connections that reconnect
//! with backoff ([`transport`]).

pub mod frame;
pub mod transport;

pub use transport::{Incoming, NetStats, Transport};
