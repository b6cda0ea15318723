//! One module per subcommand.

pub mod bench;
pub mod bugs;
pub mod check;
pub mod cluster;
pub mod kv;
pub mod node;
