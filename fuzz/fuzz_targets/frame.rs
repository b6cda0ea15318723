#![no_main]
//! Peer frames: any bytes, under the cluster key, as the first frame of a connection and as a
//! later one.
use libfuzzer_sys::fuzz_target;
use raftspec_impl::core::{kraft, raft};
use raftspec_impl::net::frame::{read_frame, FrameKey, HELLO};

fuzz_target!(|data: &[u8]| {
    let key = FrameKey::new("fuzz", Some(b"fuzz-secret-0123"));
    let _ = read_frame::<_, raft::Message>(&mut &data[..], 1 << 20, &key, HELLO, 0);
    let _ = read_frame::<_, kraft::Message>(&mut &data[..], 1 << 20, &key, 1, 0);
    // Payload decoding past a valid tag: what a member could send.
    let _ = serde_json::from_slice::<raft::Message>(data);
    let _ = serde_json::from_slice::<kraft::Message>(data);
});
