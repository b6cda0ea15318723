#![no_main]
//! The sealed JSON files (marker, quorum-state).
use libfuzzer_sys::fuzz_target;
use raftspec_impl::storage::{marker::Marker, sealed};

fuzz_target!(|data: &[u8]| {
    let _ = sealed::unseal::<Marker>(data);
    let _ = sealed::unseal::<serde_json::Value>(data);
});
