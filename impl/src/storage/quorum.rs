//! The quorum-state file: term/epoch, vote and leader, replaced atomically, sealed
//! ([`super::sealed`]) and versioned.

use super::disk::Disk;
use super::{sealed, Result, StorageError, FORMAT, QUORUM_STATE};
use crate::core::HardState;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct QuorumFile {
    format: u32,
    hard_state: HardState,
}

pub fn save(disk: &mut dyn Disk, hs: &HardState) -> Result<()> {
    let f = QuorumFile {
        format: FORMAT,
        hard_state: hs.clone(),
    };
    disk.write_atomic(QUORUM_STATE, &sealed::seal(&f))
}

/// The saved hard state; a missing or damaged file is an error, never a default.
pub fn load(disk: &mut dyn Disk) -> Result<HardState> {
    let corrupt = |m: String| StorageError::Corrupt(format!("{QUORUM_STATE}: {m}"));
    let bytes = disk
        .read(QUORUM_STATE)?
        .ok_or_else(|| corrupt("missing (it holds the term and the vote)".into()))?;
    let f: QuorumFile = sealed::unseal(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if f.format != FORMAT {
        return Err(corrupt(format!(
            "format {} (this version reads {FORMAT})",
            f.format
        )));
    }
    Ok(f.hard_state)
}
