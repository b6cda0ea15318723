//! Durable state of one node, in its data directory (format 2):
//!
//! - `raftspec-node.json`: whose directory this is (mode, node id, cluster id) ([`marker`]);
//! - `log`: the append-only, checksummed entry log with its synced length ([`log`]);
//! - `quorum-state`: term/epoch, vote and leader, replaced atomically ([`quorum`]).
//!
//! Every file is checksummed and carries its format. A missing or damaged file is a refusal
//! ([`StorageError`]), never a reset: the only thing recovery drops is the unsynced end of the
//! log (see [`log`]). The files are reached through the [`Disk`] trait: [`FsDisk`] on a real
//! directory, [`SimDisk`] in memory with crashes that forget unsynced writes.

pub mod disk;
pub mod log;
pub mod marker;
pub mod quorum;
pub mod sealed;
pub mod sim;

pub use disk::{Disk, FsDisk};
pub use marker::Rejoin;
pub use sim::{Crash, SimDisk};

use crate::core::{mutant, Entry, HardState, NodeId, Persist, PersistentState};
use marker::Marker;
use std::io;
use std::path::Path;

pub const MARKER: &str = "raftspec-node.json";
pub const LOG: &str = log::NAME;
pub const QUORUM_STATE: &str = "quorum-state";
/// The on-disk format this version reads and writes.
pub const FORMAT: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// An I/O call failed.
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    /// A file is missing or damaged (other than a torn final append).
    #[error("damaged data: {0}")]
    Corrupt(String),
    /// The directory is not a data directory of this node (or of this cluster).
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

/// Who a data directory belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `raft` or `kraft`.
    pub mode: String,
    pub id: NodeId,
    pub cluster: String,
}

/// What recovery found, for the node's startup log line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub entries: u64,
    /// Bytes of a torn final append that were cut off.
    pub torn_bytes_cut: u64,
    pub created: bool,
}

/// The open storage of one node.
pub struct Storage {
    disk: Box<dyn Disk>,
    log: log::LogFile,
    marker: Marker,
    /// An injected storage bug (feature `mutants`).
    #[cfg(feature = "mutants")]
    pub mutant: Option<crate::core::Mutant>,
}

impl Storage {
    /// Open the data directory `dir` (created if absent or empty).
    pub fn open_dir(
        dir: &Path,
        ident: &Identity,
        rejoin_empty: bool,
    ) -> Result<(Storage, PersistentState, Recovery)> {
        Storage::open(Box::new(FsDisk::open(dir)?), ident, rejoin_empty)
    }

    /// Open (or initialise) the node state on `disk`. `rejoin_empty`: the operator rebuilds a
    /// node whose state was lost; only allowed on an empty disk, and the node starts with the
    /// voting restriction of [`Rejoin`].
    pub fn open(
        mut disk: Box<dyn Disk>,
        ident: &Identity,
        rejoin_empty: bool,
    ) -> Result<(Storage, PersistentState, Recovery)> {
        let (marker, created) = match Marker::load(&mut *disk)? {
            Some(m) => {
                m.check(ident, &disk.describe())?;
                if rejoin_empty {
                    return Err(StorageError::NotOurs(format!(
                        "--rejoin-empty rebuilds a node from nothing, but {} holds node {}'s state; \
                         start without --rejoin-empty, or empty the directory first",
                        disk.describe(),
                        m.id
                    )));
                }
                (m, false)
            }
            None => (initialise(&mut *disk, ident, rejoin_empty)?, true),
        };
        let hard_state = quorum::load(&mut *disk)?;
        let (log, entries, torn) = log::LogFile::open(&mut *disk, ident.id, &ident.cluster)?;
        let recovery = Recovery {
            entries: entries.len() as u64,
            torn_bytes_cut: torn,
            created,
        };
        let storage = Storage {
            disk,
            log,
            marker,
            #[cfg(feature = "mutants")]
            mutant: None,
        };
        let state = PersistentState {
            hard_state,
            log: entries,
        };
        Ok((storage, state, recovery))
    }

    /// Apply one step's persistence instructions. The hard state and a truncation are durable
    /// on return; appends wait for [`sync`](Storage::sync).
    pub fn apply(&mut self, p: &Persist) -> Result<()> {
        if let Some(n) = p
            .truncate_to
            .filter(|_| !mutant!(self, StorageIgnoresTruncate))
        {
            self.log.truncate(&mut *self.disk, n)?;
        }
        self.log.append(&mut *self.disk, &p.append)?;
        if let Some(hs) = &p.hard_state {
            self.save_hard_state(hs)?;
        }
        Ok(())
    }

    pub fn append(&mut self, entries: &[Entry]) -> Result<()> {
        self.log.append(&mut *self.disk, entries)
    }

    pub fn save_hard_state(&mut self, hs: &HardState) -> Result<()> {
        quorum::save(&mut *self.disk, hs)
    }

    /// Make every applied change durable. Must be called before sending the messages or
    /// acknowledging the writes of the steps applied so far.
    pub fn sync(&mut self) -> Result<()> {
        if mutant!(self, StorageSkipsLogSync) {
            return Ok(());
        }
        self.log.sync(&mut *self.disk)
    }

    /// Whether everything applied so far is durable (for persist-before-send assertions).
    pub fn is_synced(&self) -> bool {
        !self.log.is_dirty()
    }

    pub fn entries(&self) -> u64 {
        self.log.entries()
    }

    /// The voting restriction of a rebuilt node, if this is one.
    pub fn rejoin(&self) -> Option<Rejoin> {
        self.marker.rejoin
    }

    /// Record durably that a rebuilt node may vote in terms above `floor`.
    pub fn set_vote_floor(&mut self, floor: u64) -> Result<()> {
        let mut m = self.marker.clone();
        m.rejoin = Some(Rejoin {
            vote_floor: Some(floor),
        });
        m.save(&mut *self.disk)?;
        self.marker = m;
        Ok(())
    }

    pub fn describe(&self) -> String {
        self.disk.describe()
    }
}

/// The files a data directory may hold.
fn is_ours(name: &str) -> bool {
    let base = name.strip_suffix(".tmp").unwrap_or(name);
    [MARKER, LOG, QUORUM_STATE].contains(&base)
}

/// Set up a new node on a disk without a marker. Refuses a disk holding anything but the
/// leftovers of an interrupted initialisation: a marker that went missing from a used
/// directory must not turn into a fresh, vote-less, empty node.
fn initialise(disk: &mut dyn Disk, ident: &Identity, rejoin_empty: bool) -> Result<Marker> {
    let files = disk.list()?;
    if let Some(f) = files.iter().find(|f| !is_ours(f)) {
        return Err(StorageError::NotOurs(format!(
            "{} is not a raftspec data directory (no {MARKER}, and it holds {f:?})",
            disk.describe()
        )));
    }
    if !interrupted_initialisation(disk)? {
        return Err(StorageError::Corrupt(format!(
            "{MARKER} is missing but {} holds node state ({}); refusing to start rather than \
             forget it",
            disk.describe(),
            files.join(", ")
        )));
    }
    for f in &files {
        disk.remove(f)?;
    }
    // Marker last: until it exists, the directory holds nothing worth keeping.
    quorum::save(disk, &HardState::default())?;
    log::LogFile::create(disk, ident.id, &ident.cluster)?;
    let m = Marker::new(ident, rejoin_empty.then(Rejoin::default));
    m.save(disk)?;
    Ok(m)
}

/// True iff the disk holds at most what initialisation writes before the marker: a default
/// quorum state and an empty log.
fn interrupted_initialisation(disk: &mut dyn Disk) -> Result<bool> {
    if let Some(b) = disk.read(QUORUM_STATE)? {
        let default = quorum::load(disk).ok() == Some(HardState::default());
        if !default || b.is_empty() {
            return Ok(false);
        }
    }
    if let Some(b) = disk.read(LOG)? {
        if b.len() as u64 != log::HEADER_LEN {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
