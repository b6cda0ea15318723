//! Durable state of one node, in its data directory:
//!
//! - `raftspec-node.json`: the marker saying the directory is ours, for which mode and node id;
//! - `log`: the append-only, checksummed entry log ([`log`]);
//! - `quorum-state`: term/epoch, vote and leader, replaced atomically ([`quorum`]).
//!
//! Every error surfaces as a [`StorageError`]; nothing is retried or ignored here.

pub mod log;
pub mod quorum;

use crate::core::{Entry, HardState, NodeId, Persist, PersistentState};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub const MARKER: &str = "raftspec-node.json";
pub const LOG: &str = "log";
pub const QUORUM_STATE: &str = "quorum-state";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An I/O call failed.
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    /// The data on disk is damaged somewhere other than a torn final record.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The directory exists and is not a data directory of this node.
    #[error("{0}")]
    NotOurs(String),
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// Attach a context to an I/O error.
pub(crate) fn io<T>(r: io::Result<T>, context: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|source| StorageError::Io {
        context: context(),
        source,
    })
}

/// fsync a directory so a rename or a new file in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let d = io(fs::File::open(dir), || {
        format!("open directory {}", dir.display())
    })?;
    io(d.sync_all(), || {
        format!("fsync directory {}", dir.display())
    })
}

/// Write `bytes` to `dir/name` atomically: tmp file, fsync, rename, fsync dir.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("{name}.tmp"));
    let dst = dir.join(name);
    let mut f = io(fs::File::create(&tmp), || {
        format!("create {}", tmp.display())
    })?;
    io(f.write_all(bytes), || format!("write {}", tmp.display()))?;
    io(f.sync_all(), || format!("fsync {}", tmp.display()))?;
    drop(f);
    io(fs::rename(&tmp, &dst), || {
        format!("rename {} to {}", tmp.display(), dst.display())
    })?;
    sync_dir(dir)
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Marker {
    raftspec_node: u32,
    mode: String,
    id: NodeId,
}

/// What recovery found, for the node's startup log line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub entries: u64,
    /// Bytes of a torn final record that were cut off.
    pub torn_bytes_cut: u64,
    pub created: bool,
}

/// The open storage of one node.
pub struct Storage {
    dir: PathBuf,
    log: log::LogFile,
    log_dirty: bool,
}

impl Storage {
    /// Open (or create) the data directory of node `id` running `mode` (`raft` or `kraft`).
    pub fn open(
        dir: &Path,
        mode: &str,
        id: NodeId,
    ) -> Result<(Storage, PersistentState, Recovery)> {
        let created = prepare_dir(dir, mode, id)?;
        let hard_state = quorum::load(dir)?;
        let (log, entries, torn) = log::LogFile::open(&dir.join(LOG))?;
        let recovery = Recovery {
            entries: entries.len() as u64,
            torn_bytes_cut: torn,
            created,
        };
        let storage = Storage {
            dir: dir.to_path_buf(),
            log,
            log_dirty: false,
        };
        Ok((
            storage,
            PersistentState {
                hard_state,
                log: entries,
            },
            recovery,
        ))
    }

    /// Apply one step's persistence instructions (no fsync of the log yet: see [`sync`]).
    /// The hard state is written atomically and durably right away.
    ///
    /// [`sync`]: Storage::sync
    pub fn apply(&mut self, p: &Persist) -> Result<()> {
        if let Some(n) = p.truncate_to {
            self.log.truncate(n)?;
            self.log_dirty = true;
        }
        if !p.append.is_empty() {
            self.log.append(&p.append)?;
            self.log_dirty = true;
        }
        if let Some(hs) = &p.hard_state {
            self.save_hard_state(hs)?;
        }
        Ok(())
    }

    pub fn append(&mut self, entries: &[Entry]) -> Result<()> {
        self.log.append(entries)?;
        self.log_dirty = true;
        Ok(())
    }

    pub fn save_hard_state(&mut self, hs: &HardState) -> Result<()> {
        quorum::save(&self.dir, hs)
    }

    /// Make every applied change durable. Must be called before sending the messages or
    /// acknowledging the writes of the steps applied so far.
    pub fn sync(&mut self) -> Result<()> {
        if self.log_dirty {
            self.log.sync()?;
            self.log_dirty = false;
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Make sure `dir` is our data directory for (mode, id); create it if it is new or empty.
/// Returns whether it was created.
fn prepare_dir(dir: &Path, mode: &str, id: NodeId) -> Result<bool> {
    let marker_path = dir.join(MARKER);
    if marker_path.exists() {
        let bytes = io(fs::read(&marker_path), || {
            format!("read {}", marker_path.display())
        })?;
        let m: Marker = serde_json::from_slice(&bytes).map_err(|e| {
            StorageError::NotOurs(format!(
                "{} is not a raftspec marker file ({e})",
                marker_path.display()
            ))
        })?;
        if m.mode != mode || m.id != id {
            return Err(StorageError::NotOurs(format!(
                "data directory {} belongs to node {} in {} mode, not node {id} in {mode} mode",
                dir.display(),
                m.id,
                m.mode
            )));
        }
        return Ok(false);
    }
    if dir.exists() {
        if !dir.is_dir() {
            return Err(StorageError::NotOurs(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        // An interrupted initialisation leaves only our own files; anything else is not ours.
        let ours = [
            LOG,
            QUORUM_STATE,
            "quorum-state.tmp",
            "raftspec-node.json.tmp",
        ];
        for e in io(fs::read_dir(dir), || format!("list {}", dir.display()))? {
            let e = io(e, || format!("list {}", dir.display()))?;
            let name = e.file_name();
            if !ours.iter().any(|o| name == *o) {
                return Err(StorageError::NotOurs(format!(
                    "{} is not a raftspec data directory (no {MARKER}, and it holds {:?})",
                    dir.display(),
                    name
                )));
            }
        }
        // Start clean: a half-initialised directory holds no acknowledged state.
        for f in ours {
            let p = dir.join(f);
            if p.exists() {
                io(fs::remove_file(&p), || format!("remove {}", p.display()))?;
            }
        }
    } else {
        io(fs::create_dir_all(dir), || {
            format!("create {}", dir.display())
        })?;
        if let Some(parent) = dir.parent() {
            if !parent.as_os_str().is_empty() {
                sync_dir(parent)?;
            }
        }
    }
    quorum::save(dir, &HardState::default())?;
    log::LogFile::create(&dir.join(LOG))?;
    let marker = Marker {
        raftspec_node: 1,
        mode: mode.to_string(),
        id,
    };
    let bytes = serde_json::to_vec_pretty(&marker).expect("marker serialises");
    write_atomic(dir, MARKER, &bytes)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
