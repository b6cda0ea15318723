use super::*;
use crate::core::EntryData;
use std::io::Write;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "raftspec-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn entries(n: u64) -> Vec<Entry> {
    (0..n)
        .map(|i| Entry::command(1 + i / 2, format!("value-{i}")))
        .collect()
}

fn write_some(dir: &Path, n: u64) {
    let (mut s, ps, rec) = Storage::open(dir, "raft", 0).unwrap();
    assert!(rec.created);
    assert!(ps.log.is_empty());
    s.append(&entries(n)).unwrap();
    s.sync().unwrap();
}

#[test]
fn round_trip_with_truncate_and_hard_state() {
    let d = TempDir::new("rt");
    let (mut s, _, _) = Storage::open(&d.0, "kraft", 3).unwrap();
    let mut es = entries(5);
    es.push(Entry {
        term: 4,
        data: EntryData::LeaderChange { leader: 3 },
    });
    s.apply(&Persist {
        truncate_to: None,
        append: es.clone(),
        hard_state: None,
    })
    .unwrap();
    s.apply(&Persist {
        truncate_to: Some(2),
        append: vec![Entry::command(9, "z")],
        hard_state: Some(HardState {
            term: 9,
            voted_for: Some(1),
            leader: Some(2),
        }),
    })
    .unwrap();
    s.sync().unwrap();
    drop(s);
    let (_, ps, rec) = Storage::open(&d.0, "kraft", 3).unwrap();
    assert!(!rec.created);
    assert_eq!(
        ps.log,
        vec![es[0].clone(), es[1].clone(), Entry::command(9, "z")]
    );
    assert_eq!(
        ps.hard_state,
        HardState {
            term: 9,
            voted_for: Some(1),
            leader: Some(2)
        }
    );
}

#[test]
fn torn_final_record_is_cut_and_the_log_stays_usable() {
    let d = TempDir::new("torn");
    write_some(&d.0, 3);
    // A crash in the middle of the fourth append: a header and half a body.
    let mut rec = Vec::new();
    encode(&Entry::command(7, "a-long-enough-payload"), &mut rec);
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(d.0.join(LOG))
        .unwrap();
    f.write_all(&rec[..rec.len() - 5]).unwrap();
    drop(f);
    let (mut s, ps, r) = Storage::open(&d.0, "raft", 0).unwrap();
    assert_eq!(ps.log, entries(3));
    assert_eq!(r.torn_bytes_cut, rec.len() as u64 - 5);
    s.append(&[Entry::command(8, "after")]).unwrap();
    s.sync().unwrap();
    drop(s);
    let (_, ps, r) = Storage::open(&d.0, "raft", 0).unwrap();
    assert_eq!(ps.log.len(), 4);
    assert_eq!(r.torn_bytes_cut, 0);
}

fn encode(e: &Entry, buf: &mut Vec<u8>) {
    // The same encoder the log uses, through a scratch log file.
    let d = TempDir::new("enc");
    fs::create_dir_all(&d.0).unwrap();
    let p = d.0.join("l");
    log::LogFile::create(&p).unwrap();
    let (mut l, _, _) = log::LogFile::open(&p).unwrap();
    l.append(std::slice::from_ref(e)).unwrap();
    buf.extend_from_slice(&fs::read(&p).unwrap()[8..]);
}

#[test]
fn garbled_last_record_counts_as_torn() {
    let d = TempDir::new("lastbad");
    write_some(&d.0, 3);
    let p = d.0.join(LOG);
    let mut bytes = fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    fs::write(&p, &bytes).unwrap();
    let (_, ps, r) = Storage::open(&d.0, "raft", 0).unwrap();
    assert_eq!(ps.log, entries(2));
    assert!(r.torn_bytes_cut > 0);
}

#[test]
fn corruption_in_the_middle_is_refused() {
    let d = TempDir::new("mid");
    write_some(&d.0, 3);
    let p = d.0.join(LOG);
    let mut bytes = fs::read(&p).unwrap();
    // First record starts at 8; its body starts at 20. Flip a byte of its payload.
    bytes[8 + 12 + 10] ^= 0x01;
    fs::write(&p, &bytes).unwrap();
    let before = fs::read(&p).unwrap();
    let err = Storage::open(&d.0, "raft", 0).err().expect("must refuse");
    let msg = err.to_string();
    assert!(matches!(err, StorageError::Corrupt(_)), "{msg}");
    assert!(
        msg.contains("record 0") && msg.contains("checksum"),
        "{msg}"
    );
    assert_eq!(
        fs::read(&p).unwrap(),
        before,
        "refusal must not modify the log"
    );
    // A damaged length field in the middle is corruption too, not a torn tail.
    let d2 = TempDir::new("midlen");
    write_some(&d2.0, 3);
    let p2 = d2.0.join(LOG);
    let mut bytes = fs::read(&p2).unwrap();
    bytes[8] = 0xfe;
    fs::write(&p2, &bytes).unwrap();
    let err = Storage::open(&d2.0, "raft", 0).err().expect("must refuse");
    assert!(err.to_string().contains("header checksum"), "{err}");
}

#[test]
fn quorum_state_damage_is_refused() {
    let d = TempDir::new("qs");
    write_some(&d.0, 1);
    let p = d.0.join(QUORUM_STATE);
    let text = fs::read_to_string(&p)
        .unwrap()
        .replace("\"term\":0", "\"term\":7");
    fs::write(&p, text).unwrap();
    let err = Storage::open(&d.0, "raft", 0).err().expect("must refuse");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn foreign_directories_are_refused() {
    let d = TempDir::new("foreign");
    fs::create_dir_all(&d.0).unwrap();
    fs::write(d.0.join("notes.txt"), "mine").unwrap();
    let err = Storage::open(&d.0, "raft", 0).err().expect("must refuse");
    assert!(matches!(err, StorageError::NotOurs(_)), "{err}");
    let d = TempDir::new("other-node");
    write_some(&d.0, 0);
    let err = Storage::open(&d.0, "raft", 1).err().expect("must refuse");
    assert!(err.to_string().contains("belongs to node 0"), "{err}");
    let err = Storage::open(&d.0, "kraft", 0).err().expect("must refuse");
    assert!(err.to_string().contains("raft mode"), "{err}");
}
