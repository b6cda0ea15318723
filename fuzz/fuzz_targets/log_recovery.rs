#![no_main]
//! Log recovery: any file content, through the whole open path on a simulated disk.
use libfuzzer_sys::fuzz_target;
use raftspec_impl::storage::{log, Identity, SimDisk, Storage};

fuzz_target!(|data: &[u8]| {
    let _ = log::scan(data, log::HEADER_LEN);
    let d = SimDisk::new();
    let id = Identity {
        mode: "raft".into(),
        id: 0,
        cluster: "c".into(),
    };
    if Storage::open(Box::new(d.clone()), &id, false).is_ok() {
        d.put("log", data.to_vec());
        let _ = Storage::open(Box::new(d), &id, false);
    }
});
