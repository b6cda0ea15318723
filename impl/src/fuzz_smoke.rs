//! A short fuzz smoke run in the test suite (the long runs are the cargo-fuzz targets under
//! `fuzz/`): every decoder that reads bytes from outside (peer frames, the log, the sealed
//! files) takes arbitrary and mutated input without panicking, and never accepts damage
//! within the synced part of a log.

use crate::core::raft::Message;
use crate::core::Entry;
use crate::net::frame::{self, FrameKey};
use crate::storage::{log, marker::Marker, sealed};
use proptest::prelude::*;

fn valid_log() -> Vec<u8> {
    let d = crate::storage::SimDisk::new();
    let id = crate::storage::Identity {
        mode: "raft".into(),
        id: 0,
        cluster: "c".into(),
    };
    let (mut s, _, _) = crate::storage::Storage::open(Box::new(d.clone()), &id, false).unwrap();
    s.append(&[
        Entry::command(1, "a"),
        Entry::command(2, "bb"),
        Entry::command(2, "ccc"),
    ])
    .unwrap();
    s.sync().unwrap();
    d.get(crate::storage::LOG).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn frame_decoder_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = FrameKey::new("c", Some(b"k"));
        let _ = frame::read_frame::<_, Message>(&mut &bytes[..], 1 << 16, &key, 1, 2);
    }

    #[test]
    fn tagged_frames_with_any_payload_decode_or_fail_cleanly(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        // Past the tag check, the JSON decoder sees attacker-chosen bytes only from a member;
        // it must still not panic.
        let key = FrameKey::new("c", Some(b"k"));
        let mut f = frame::encode(&0u8, &key, 1, 2);
        f.truncate(5 + 32);
        f.extend_from_slice(&payload);
        let len = (f.len() - 4) as u32;
        f[..4].copy_from_slice(&len.to_be_bytes());
        let _ = frame::read_frame::<_, Message>(&mut &f[..], 1 << 16, &key, 1, 2);
    }

    #[test]
    fn log_recovery_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = log::scan(&bytes, log::HEADER_LEN);
        let _ = log::read_record(&bytes);
    }

    #[test]
    fn a_damaged_synced_log_is_never_accepted(at in 0usize..1000, bit in 0u8..8) {
        let good = valid_log();
        let synced = good.len() as u64;
        let mut bad = good.clone();
        let i = log::HEADER_LEN as usize + at % (good.len() - log::HEADER_LEN as usize);
        bad[i] ^= 1 << bit;
        // Every record lies within the synced length: one flipped bit anywhere is refused.
        prop_assert!(log::scan(&bad, synced).is_err());
        prop_assert!(log::scan(&good, synced).is_ok());
    }

    #[test]
    fn sealed_files_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = sealed::unseal::<Marker>(&bytes);
        let _ = sealed::unseal::<serde_json::Value>(&bytes);
    }
}

/// The fuzz seed corpus is made of valid inputs (so the fuzzer starts from deep paths), and
/// the formats documented in `net::frame` and `storage::log` are the ones implemented.
#[test]
fn the_seed_corpus_is_valid() {
    let key = FrameKey::new("fuzz", Some(b"fuzz-secret-0123"));
    let hello: &[u8] = include_bytes!("../../fuzz/seeds/frame/hello");
    let (v, _) =
        frame::read_frame::<_, serde_json::Value>(&mut &hello[..], 1 << 16, &key, frame::HELLO, 0)
            .unwrap()
            .unwrap();
    assert_eq!(v["Hello"]["from"], 1);
    let append: &[u8] = include_bytes!("../../fuzz/seeds/frame/append");
    let (v, _) = frame::read_frame::<_, serde_json::Value>(&mut &append[..], 1 << 16, &key, 1, 0)
        .unwrap()
        .unwrap();
    let m: Message = serde_json::from_value(v["Msg"].clone()).unwrap();
    assert_eq!(m.term(), 3);
    let log_bytes: &[u8] = include_bytes!("../../fuzz/seeds/log_recovery/two-records");
    let scan = log::scan(log_bytes, log_bytes.len() as u64).unwrap();
    assert_eq!(
        scan.entries,
        vec![Entry::command(1, "a"), Entry::command(2, "bb")]
    );
    let torn: &[u8] = include_bytes!("../../fuzz/seeds/log_recovery/torn-tail");
    assert_eq!(
        log::scan(torn, log_bytes.len() as u64).unwrap().valid_len,
        log_bytes.len() as u64
    );
    let marker: &[u8] = include_bytes!("../../fuzz/seeds/sealed/marker");
    assert_eq!(sealed::unseal::<Marker>(marker).unwrap().cluster, "c");
}
