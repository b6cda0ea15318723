//! One module per subcommand.

pub mod bench;
pub mod bench_dist;
pub mod bench_engine;
pub mod bugs;
pub mod chaos;
pub mod check;
pub mod check_liveness;
pub mod ci;
pub mod cluster;
pub mod compare;
pub mod conform;
pub mod distributed;
pub mod explore;
pub mod graph;
pub mod hunt;
pub mod kv;
pub mod node;
pub mod replay;
pub mod trace;
pub mod validate;
