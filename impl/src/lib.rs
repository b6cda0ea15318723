//! The real implementation: sans-I/O cores, storage, transport, node.
