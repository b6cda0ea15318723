//! Replays model traces against the implementation (see the conformance issue).
