//! A simulated disk for tests and the conformance harness: files live in memory, every
//! `write_at`/`set_len` stays pending until `sync`, and [`SimDisk::crash`] throws away what was
//! not synced, optionally keeping part of it and tearing the last write it keeps (a crash in the
//! middle of writeback). Unlike `kill -9`, which leaves the page cache intact, this is what a
//! power loss does, so a missing fsync or a message sent before its state is durable shows.
//!
//! Clones share the same files: keep one handle, give another to `Storage`, crash through the
//! first, then open a new `Storage` on it.

use super::disk::Disk;
use super::Result;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    WriteAt(u64, Vec<u8>),
    SetLen(u64),
}

#[derive(Clone, Debug, Default)]
struct SimFile {
    durable: Vec<u8>,
    pending: Vec<Op>,
}

fn apply(data: &mut Vec<u8>, op: &Op) {
    match op {
        Op::WriteAt(off, bytes) => {
            let end = *off as usize + bytes.len();
            if data.len() < end {
                data.resize(end, 0);
            }
            data[*off as usize..end].copy_from_slice(bytes);
        }
        Op::SetLen(len) => data.resize(*len as usize, 0),
    }
}

impl SimFile {
    fn current(&self) -> Vec<u8> {
        let mut d = self.durable.clone();
        for op in &self.pending {
            apply(&mut d, op);
        }
        d
    }
}

/// How much of the unsynced writes a crash keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crash {
    /// Only what was synced.
    SyncedOnly,
    /// Per file, a random prefix of its unsynced writes (chosen by `seed`), the last of them
    /// possibly torn.
    Torn { seed: u64 },
}

#[derive(Clone, Default)]
pub struct SimDisk {
    files: Arc<Mutex<BTreeMap<String, SimFile>>>,
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, SimFile>> {
        // A panic while holding the lock only happens in a failing test; keep going.
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forget unsynced writes as `how` says. Storage opened on this disk before the crash must
    /// not be used afterwards.
    pub fn crash(&self, how: Crash) {
        let mut rng = match how {
            Crash::SyncedOnly => 0,
            Crash::Torn { seed } => seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        let mut next = |n: usize| -> usize {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % (n as u64 + 1)) as usize
        };
        for f in self.lock().values_mut() {
            let pending = std::mem::take(&mut f.pending);
            if how == Crash::SyncedOnly || pending.is_empty() {
                continue;
            }
            let keep = next(pending.len());
            for op in &pending[..keep] {
                apply(&mut f.durable, op);
            }
            if let Some(Op::WriteAt(off, bytes)) = pending.get(keep) {
                let torn = next(bytes.len());
                apply(&mut f.durable, &Op::WriteAt(*off, bytes[..torn].to_vec()));
            }
        }
    }

    /// Files with writes not yet synced.
    pub fn unsynced(&self) -> Vec<String> {
        let files = self.lock();
        files
            .iter()
            .filter(|(_, f)| !f.pending.is_empty())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Replace a file's durable content (to simulate damage).
    pub fn put(&self, name: &str, bytes: Vec<u8>) {
        self.lock().insert(
            name.to_string(),
            SimFile {
                durable: bytes,
                pending: Vec::new(),
            },
        );
    }

    /// The content a reader sees now.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        self.lock().get(name).map(SimFile::current)
    }

    /// Delete a file outright (to simulate damage).
    pub fn delete(&self, name: &str) {
        self.lock().remove(name);
    }
}

impl Disk for SimDisk {
    fn describe(&self) -> String {
        "simulated disk".into()
    }

    fn list(&mut self) -> Result<Vec<String>> {
        Ok(self.lock().keys().cloned().collect())
    }

    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(name))
    }

    fn write_atomic(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.put(name, bytes.to_vec());
        Ok(())
    }

    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        let mut files = self.lock();
        let f = files.entry(name.to_string()).or_default();
        f.pending.push(Op::WriteAt(offset, bytes.to_vec()));
        Ok(())
    }

    fn set_len(&mut self, name: &str, len: u64) -> Result<()> {
        let mut files = self.lock();
        let f = files.entry(name.to_string()).or_default();
        f.pending.push(Op::SetLen(len));
        Ok(())
    }

    fn sync(&mut self, name: &str) -> Result<()> {
        if let Some(f) = self.lock().get_mut(name) {
            f.durable = f.current();
            f.pending.clear();
        }
        Ok(())
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        self.lock().remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_keeps_only_synced_writes_or_a_torn_prefix() {
        let mut d = SimDisk::new();
        d.write_at("f", 0, b"hello").unwrap();
        d.sync("f").unwrap();
        d.write_at("f", 5, b" world").unwrap();
        assert_eq!(d.get("f").unwrap(), b"hello world");
        assert_eq!(d.unsynced(), vec!["f".to_string()]);
        d.crash(Crash::SyncedOnly);
        assert_eq!(d.get("f").unwrap(), b"hello");
        // Torn crashes keep a prefix of the unsynced bytes, never more, never a reordering.
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let mut d = SimDisk::new();
            d.write_at("f", 0, b"ab").unwrap();
            d.sync("f").unwrap();
            d.write_at("f", 2, b"cdef").unwrap();
            d.crash(Crash::Torn { seed });
            let got = d.get("f").unwrap();
            assert!(b"abcdef".starts_with(&got) && got.len() >= 2, "{got:?}");
            seen.insert(got.len());
        }
        assert!(seen.len() > 2, "torn crashes vary: {seen:?}");
    }
}

/// The real storage code of one node on a [`SimDisk`], for harnesses that step a core and
/// want restarts to see only what was made durable: apply each step's `Persist`, `sync` where
/// the node would (before sending), and `crash` to get what a restart recovers.
pub struct SimStorage {
    disk: SimDisk,
    ident: super::Identity,
    storage: Option<super::Storage>,
    /// An injected storage bug, kept across crashes (feature `mutants`).
    #[cfg(feature = "mutants")]
    mutant: Option<crate::core::Mutant>,
}

impl SimStorage {
    /// A fresh node `id` (mode `raft` or `kraft`) on an empty simulated disk.
    pub fn new(mode: &str, id: crate::core::NodeId) -> SimStorage {
        let ident = super::Identity {
            mode: mode.into(),
            id,
            cluster: "sim".into(),
        };
        let disk = SimDisk::new();
        let (storage, _, _) = super::Storage::open(Box::new(disk.clone()), &ident, false)
            .expect("a new simulated disk opens");
        SimStorage {
            disk,
            ident,
            storage: Some(storage),
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }

    /// The same storage with an injected bug (a core mutant leaves storage correct).
    #[cfg(feature = "mutants")]
    pub fn with_mutant(mut self, m: Option<crate::core::Mutant>) -> SimStorage {
        self.mutant = m.filter(|m| m.in_storage());
        let mutant = self.mutant;
        self.open().mutant = mutant;
        self
    }

    fn open(&mut self) -> &mut super::Storage {
        self.storage
            .as_mut()
            .expect("storage is open between crashes")
    }

    pub fn apply(&mut self, p: &crate::core::Persist) -> Result<()> {
        self.open().apply(p)
    }

    pub fn sync(&mut self) -> Result<()> {
        self.open().sync()
    }

    pub fn is_synced(&mut self) -> bool {
        self.open().is_synced()
    }

    /// Lose power: forget as `how` says, recover, and return what a restarted core gets.
    pub fn crash(&mut self, how: Crash) -> Result<crate::core::PersistentState> {
        self.storage = None;
        self.disk.crash(how);
        #[allow(unused_mut)]
        let (mut s, state, _) =
            super::Storage::open(Box::new(self.disk.clone()), &self.ident, false)?;
        #[cfg(feature = "mutants")]
        {
            s.mutant = self.mutant;
        }
        self.storage = Some(s);
        Ok(state)
    }
}

#[cfg(test)]
mod sim_storage_tests {
    use super::*;
    use crate::core::{Entry, HardState, Persist};

    #[test]
    fn a_crash_returns_the_synced_state_only() {
        let mut s = SimStorage::new("raft", 0);
        let hs = HardState {
            term: 2,
            voted_for: Some(1),
            leader: None,
        };
        s.apply(&Persist {
            truncate_to: None,
            append: vec![Entry::command(1, "a")],
            hard_state: Some(hs.clone()),
        })
        .unwrap();
        s.sync().unwrap();
        s.apply(&Persist {
            truncate_to: None,
            append: vec![Entry::command(2, "never synced")],
            hard_state: None,
        })
        .unwrap();
        assert!(!s.is_synced());
        let back = s.crash(Crash::SyncedOnly).unwrap();
        assert_eq!(back.hard_state, hs, "the vote is durable at once");
        assert_eq!(back.log, vec![Entry::command(1, "a")]);
    }
}
