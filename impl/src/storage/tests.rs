use super::*;
use crate::core::EntryData;
use std::fs;
use std::path::PathBuf;

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

fn ident(id: NodeId) -> Identity {
    Identity {
        mode: "raft".into(),
        id,
        cluster: "c1".into(),
    }
}

fn entries(from: u64, n: u64) -> Vec<Entry> {
    (from..from + n)
        .map(|i| Entry::command(1 + i / 4, format!("value-{i}")))
        .collect()
}

fn open_sim(d: &SimDisk) -> Result<(Storage, PersistentState, Recovery)> {
    Storage::open(Box::new(d.clone()), &ident(0), false)
}

/// A simulated disk holding `n` synced entries.
fn written(n: u64) -> SimDisk {
    let d = SimDisk::new();
    let (mut s, ps, rec) = open_sim(&d).unwrap();
    assert!(rec.created && ps.log.is_empty());
    s.append(&entries(0, n)).unwrap();
    s.sync().unwrap();
    d
}

fn refusal(d: &SimDisk) -> String {
    match open_sim(d) {
        Ok(_) => panic!("opened a damaged disk"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_on_a_real_directory() {
    let t = TempDir::new("rt");
    let id = Identity {
        mode: "kraft".into(),
        id: 3,
        cluster: "c".into(),
    };
    let (mut s, _, _) = Storage::open_dir(&t.0, &id, false).unwrap();
    let mut es = entries(0, 5);
    es.push(Entry {
        term: 4,
        data: EntryData::LeaderChange { leader: 3 },
    });
    s.append(&es).unwrap();
    s.sync().unwrap();
    let hs = HardState {
        term: 9,
        voted_for: Some(1),
        leader: Some(2),
    };
    s.apply(&Persist {
        truncate_to: Some(2),
        append: vec![Entry::command(9, "z")],
        hard_state: Some(hs.clone()),
    })
    .unwrap();
    s.sync().unwrap();
    drop(s);
    let (_, ps, rec) = Storage::open_dir(&t.0, &id, false).unwrap();
    assert!(!rec.created);
    assert_eq!(
        ps.log,
        vec![es[0].clone(), es[1].clone(), Entry::command(9, "z")]
    );
    assert_eq!(ps.hard_state, hs);
}

/// Crashes at random points, each keeping a random prefix of the unsynced writes with the last
/// one torn: every entry synced before the crash comes back, and nothing but appended entries.
#[test]
fn no_synced_entry_is_lost_by_a_crash_and_only_the_unsynced_tail_is_cut() {
    let mut torn_cuts = 0;
    for seed in 0..300u64 {
        let d = SimDisk::new();
        let (mut s, _, _) = open_sim(&d).unwrap();
        let mut all = Vec::new();
        let batches = 1 + seed % 5;
        for b in 0..batches {
            let es = entries(all.len() as u64, 1 + (seed + b) % 3);
            s.append(&es).unwrap();
            all.extend(es);
            if seed % 7 == 3 && b == 1 {
                s.apply(&Persist {
                    truncate_to: Some(1),
                    append: vec![],
                    hard_state: None,
                })
                .unwrap();
                all.truncate(1);
            }
            s.sync().unwrap();
        }
        let synced = all.len();
        let tail = entries(100, 1 + seed % 3);
        s.append(&tail).unwrap();
        all.extend(tail);
        drop(s);
        d.crash(Crash::Torn { seed });
        let (_, ps, rec) = open_sim(&d).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(ps.log.len() >= synced, "seed {seed}: lost synced entries");
        assert_eq!(ps.log[..], all[..ps.log.len()], "seed {seed}");
        torn_cuts += (rec.torn_bytes_cut > 0) as u32;
    }
    assert!(
        torn_cuts > 10,
        "the crashes tore some appends ({torn_cuts})"
    );
}

/// The simulated disk has teeth: entries appended but never synced do not survive a crash.
#[test]
fn the_simulated_disk_catches_a_missing_sync() {
    let d = written(2);
    let (mut s, _, _) = open_sim(&d).unwrap();
    s.append(&entries(2, 3)).unwrap();
    assert!(!s.is_synced());
    drop(s);
    d.crash(Crash::SyncedOnly);
    let (_, ps, _) = open_sim(&d).unwrap();
    assert_eq!(ps.log, entries(0, 2));
}

#[test]
fn a_log_cut_in_the_middle_is_refused_not_recovered() {
    let d = written(10);
    let full = d.get(LOG).unwrap();
    d.put(LOG, full[..full.len() / 2].to_vec());
    let msg = refusal(&d);
    assert!(msg.contains("cut short") && msg.contains("synced"), "{msg}");
    assert_eq!(
        d.get(LOG).unwrap().len(),
        full.len() / 2,
        "refusal changes nothing"
    );
    // Cut exactly at a record boundary: still fewer bytes than were synced.
    let (_, ps, _) = {
        let d = written(10);
        let before = d.get(LOG).unwrap();
        let scan = log::scan(&before, log::HEADER_LEN).unwrap();
        d.put(LOG, before[..scan.offsets[5] as usize].to_vec());
        assert!(refusal(&d).contains("cut short"));
        open_sim(&written(1)).unwrap()
    };
    assert_eq!(ps.log.len(), 1);
}

#[test]
fn an_emptied_or_magic_only_log_is_refused() {
    for content in [&b""[..], &b"RSPLOG02"[..], &b"RSPLOG01"[..]] {
        let d = written(3);
        d.put(LOG, content.to_vec());
        let msg = refusal(&d);
        assert!(msg.contains("log:"), "{content:?}: {msg}");
    }
    let d = written(3);
    d.delete(LOG);
    assert!(refusal(&d).contains("log: missing"));
}

#[test]
fn damage_within_the_synced_log_is_refused() {
    let d = written(3);
    let mut bytes = d.get(LOG).unwrap();
    let at = log::HEADER_LEN as usize + 12 + 10; // payload of the first record
    bytes[at] ^= 0x01;
    d.put(LOG, bytes.clone());
    let msg = refusal(&d);
    assert!(
        msg.contains("record 0") && msg.contains("checksum"),
        "{msg}"
    );
    assert_eq!(
        d.get(LOG).unwrap(),
        bytes,
        "refusal must not modify the log"
    );
    // The last synced record is protected too (the old format accepted this as "torn").
    let d = written(3);
    let mut bytes = d.get(LOG).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    d.put(LOG, bytes);
    assert!(refusal(&d).contains("record 2"));
}

#[test]
fn a_missing_marker_is_refused_unless_nothing_was_ever_written() {
    let d = written(2);
    d.delete(MARKER);
    let msg = refusal(&d);
    assert!(msg.contains("raftspec-node.json is missing"), "{msg}");
    assert!(d.get(LOG).is_some(), "the log is kept");
    // Initialisation interrupted before the marker: nothing acknowledged, start again.
    let d = written(0);
    d.delete(MARKER);
    let (_, _, rec) = open_sim(&d).unwrap();
    assert!(rec.created);
    // A vote without entries is state too.
    let d = written(0);
    let (mut s, _, _) = open_sim(&d).unwrap();
    s.save_hard_state(&HardState {
        term: 3,
        voted_for: Some(1),
        leader: None,
    })
    .unwrap();
    d.delete(MARKER);
    assert!(refusal(&d).contains("missing"));
}

#[test]
fn quorum_state_damage_or_loss_is_refused() {
    let d = written(1);
    let text = String::from_utf8(d.get(QUORUM_STATE).unwrap())
        .unwrap()
        .replace("\"term\":0", "\"term\":7");
    d.put(QUORUM_STATE, text.into_bytes());
    assert!(refusal(&d).contains("checksum mismatch"));
    let d = written(1);
    d.delete(QUORUM_STATE);
    assert!(refusal(&d).contains("quorum-state: missing"));
}

#[test]
fn directories_of_other_nodes_or_clusters_are_refused() {
    let t = TempDir::new("foreign");
    fs::create_dir_all(&t.0).unwrap();
    fs::write(t.0.join("notes.txt"), "mine").unwrap();
    let err = Storage::open_dir(&t.0, &ident(0), false)
        .err()
        .expect("refuse");
    assert!(matches!(err, StorageError::NotOurs(_)), "{err}");
    assert_eq!(fs::read_to_string(t.0.join("notes.txt")).unwrap(), "mine");
    let d = written(1);
    let other = |i: Identity| match Storage::open(Box::new(d.clone()), &i, false) {
        Ok(_) => panic!("opened another node's disk"),
        Err(e) => e.to_string(),
    };
    assert!(other(ident(1)).contains("belongs to node 0"));
    let mut c = ident(0);
    c.cluster = "c2".into();
    assert!(other(c).contains("cluster"));
    // A log copied in from another node is caught by the log's own identity.
    let d1 = SimDisk::new();
    Storage::open(Box::new(d1.clone()), &ident(1), false).unwrap();
    d.put(LOG, d1.get(LOG).unwrap());
    assert!(refusal(&d).contains("belongs to node 1"));
}

#[test]
fn rejoin_empty_needs_an_empty_disk_and_keeps_its_vote_floor() {
    let d = written(1);
    let err = Storage::open(Box::new(d.clone()), &ident(0), true)
        .err()
        .expect("refuse");
    assert!(err.to_string().contains("--rejoin-empty"), "{err}");
    let d = SimDisk::new();
    let (mut s, _, _) = Storage::open(Box::new(d.clone()), &ident(0), true).unwrap();
    assert_eq!(s.rejoin(), Some(Rejoin { vote_floor: None }));
    s.set_vote_floor(12).unwrap();
    drop(s);
    let (s, _, _) = open_sim(&d).unwrap();
    assert_eq!(
        s.rejoin(),
        Some(Rejoin {
            vote_floor: Some(12)
        })
    );
    let (s, _, _) = open_sim(&written(0)).unwrap();
    assert_eq!(s.rejoin(), None);
}
