//! The quorum-state file: term/epoch, vote and leader, replaced atomically.
//!
//! Content: one line of JSON, then one line with the crc32 of that JSON in hex. The file is
//! written to `quorum-state.tmp`, fsynced, renamed over `quorum-state`, and the directory is
//! fsynced, so it is always either the old or the new state; the checksum catches anything
//! else (bit rot, a hand edit).

use super::{io, write_atomic, Result, StorageError, QUORUM_STATE};
use crate::core::HardState;
use std::fs;
use std::path::Path;

pub fn save(dir: &Path, hs: &HardState) -> Result<()> {
    let json = serde_json::to_string(hs).expect("hard state serialises");
    let content = format!("{json}\n{:08x}\n", crc32fast::hash(json.as_bytes()));
    write_atomic(dir, QUORUM_STATE, content.as_bytes())
}

pub fn load(dir: &Path) -> Result<HardState> {
    let path = dir.join(QUORUM_STATE);
    let text = io(fs::read_to_string(&path), || {
        format!("read {}", path.display())
    })?;
    let corrupt = |m: &str| StorageError::Corrupt(format!("{}: {m}", path.display()));
    let mut lines = text.lines();
    let (Some(json), Some(crc), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err(corrupt("expected a JSON line and a checksum line"));
    };
    let want = u32::from_str_radix(crc.trim(), 16).map_err(|_| corrupt("bad checksum line"))?;
    if crc32fast::hash(json.as_bytes()) != want {
        return Err(corrupt("checksum mismatch"));
    }
    serde_json::from_str(json).map_err(|e| corrupt(&format!("bad JSON ({e})")))
}
