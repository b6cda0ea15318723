//! Protocol options of a variant: switches, each off by default, that make a model take finer
//! steps or behave as a particular implementation does (as etcd's `Config.PreVote` is an option
//! of one protocol, not a new protocol). They are part of the bounds: they change the space.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Most entries one AppendEntries (Raft) or Fetch response (KRaft) may carry.
pub const MAX_BATCH: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Requests go to one peer per step, as raft.tla's RequestVote(i, j) / AppendEntries(i, j):
    /// a candidate (leader) may have reached one peer and not yet another. Off: a timer step
    /// sends to every peer at once.
    pub per_peer: bool,
    /// Entries one AppendEntries (Raft) or Fetch response (KRaft) carries at most, from the
    /// receiver's position on (1..=MAX_BATCH; 1 as raft.tla).
    pub batch: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            per_peer: false,
            batch: 1,
        }
    }
}

impl Options {
    pub fn is_default(&self) -> bool {
        *self == Options::default()
    }

    /// Rejects options the model cannot represent.
    pub fn validate(&self) -> Result<(), String> {
        if self.batch == 0 || self.batch as usize > MAX_BATCH {
            return Err(format!(
                "--batch must be between 1 and {MAX_BATCH} (got {})",
                self.batch
            ));
        }
        Ok(())
    }
}

/// The options that differ from the default, e.g. `per-peer batch=2` (empty when default).
impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        if self.per_peer {
            words.push("per-peer".to_string());
        }
        if self.batch != 1 {
            words.push(format!("batch={}", self.batch));
        }
        f.write_str(&words.join(" "))
    }
}
