#![no_main]
//! What the HTTP API and the state machine parse: keys, and commands read back from the log.
use libfuzzer_sys::fuzz_target;
use raftspec_impl::kv::{valid_key, Command};

fuzz_target!(|data: &[u8]| {
    let _ = Command::decode(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = valid_key(s);
    }
});
