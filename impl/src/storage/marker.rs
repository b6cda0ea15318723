//! `raftspec-node.json`: the claim that a directory holds one node's state, and whose: format,
//! mode, node id, cluster id; and, for a node rebuilt with `--rejoin-empty`, its voting
//! restriction ([`Rejoin`]). Sealed ([`super::sealed`]) and replaced atomically.

use super::disk::Disk;
use super::{sealed, Identity, Result, StorageError, FORMAT, MARKER};
use crate::core::NodeId;
use serde::{Deserialize, Serialize};

/// The voting restriction of a node whose state was lost and rebuilt from its peers.
///
/// Its lost self may have voted in any term up to the highest term some member holds (a
/// candidate persists its term before asking for votes, and terms never go down), so:
/// - while `vote_floor` is `None` the node neither votes nor campaigns; it becomes `Some(t)`
///   once it has heard from every other member (t = the highest term heard) and has caught
///   up with a leader's commit point in a term of at least t;
/// - afterwards it grants no vote in a term `<= t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejoin {
    pub vote_floor: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Marker {
    pub format: u32,
    pub mode: String,
    pub id: NodeId,
    pub cluster: String,
    #[serde(default)]
    pub rejoin: Option<Rejoin>,
}

impl Marker {
    pub fn new(ident: &Identity, rejoin: Option<Rejoin>) -> Marker {
        Marker {
            format: FORMAT,
            mode: ident.mode.clone(),
            id: ident.id,
            cluster: ident.cluster.clone(),
            rejoin,
        }
    }

    pub fn save(&self, disk: &mut dyn Disk) -> Result<()> {
        disk.write_atomic(MARKER, &sealed::seal(self))
    }

    /// The marker, if there is one; a damaged one is an error.
    pub fn load(disk: &mut dyn Disk) -> Result<Option<Marker>> {
        let Some(bytes) = disk.read(MARKER)? else {
            return Ok(None);
        };
        if serde_json::from_slice::<serde_json::Value>(&bytes)
            .map(|v| v.get("raftspec_node").is_some())
            .unwrap_or(false)
        {
            return Err(StorageError::Corrupt(format!(
                "{MARKER}: format 1 (written by an older raftspec); this version reads format {FORMAT}"
            )));
        }
        let m: Marker =
            sealed::unseal(&bytes).map_err(|e| StorageError::Corrupt(format!("{MARKER}: {e}")))?;
        if m.format != FORMAT {
            return Err(StorageError::Corrupt(format!(
                "{MARKER}: format {} (this version reads {FORMAT})",
                m.format
            )));
        }
        Ok(Some(m))
    }

    /// Refuse a directory of another node, mode or cluster.
    pub fn check(&self, ident: &Identity, dir: &str) -> Result<()> {
        if self.mode != ident.mode || self.id != ident.id || self.cluster != ident.cluster {
            return Err(StorageError::NotOurs(format!(
                "data directory {dir} belongs to node {} in {} mode of cluster {:?}, \
                 not node {} in {} mode of cluster {:?}",
                self.id, self.mode, self.cluster, ident.id, ident.mode, ident.cluster
            )));
        }
        Ok(())
    }
}
