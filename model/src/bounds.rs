//! The bounds of an exhaustive run, shared by every variant and printed with every result.

use crate::options::Options;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest cluster a model state can hold (fixed-size arrays keep states compact).
pub const MAX_SERVERS: usize = 5;
/// Longest log a model state can hold.
pub const MAX_LOG: usize = 6;

/// What the network may do to a message in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkSemantics {
    /// A message may be lost.
    pub drop: bool,
    /// Messages between two servers may overtake each other (off: FIFO per channel).
    pub reorder: bool,
    /// Copies of one identical message that may be in flight at once; above 1, the network may
    /// duplicate a message in flight.
    pub max_copies: u8,
    /// Messages (copies counted) the network holds at once; a state holding more is outside the
    /// bounds: stateright neither checks nor expands it (TLC's usual message-count constraint).
    pub max_in_flight: u8,
    /// Messages the network may lose in one run (with `drop`); `None`: no bound. A bounded run
    /// counts its losses in the state, so the bound costs states; an unbounded one does not.
    /// Absent (never null, for ITF) when unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drops: Option<u8>,
}

impl NetworkSemantics {
    pub fn duplicates(&self) -> bool {
        self.max_copies > 1
    }

    /// The network may lose a message after `drops` losses so far in this run.
    pub fn may_drop(&self, drops: u8) -> bool {
        self.drop && self.max_drops.is_none_or(|m| drops < m)
    }

    /// Losses are counted in the state (only when bounded, so unbounded loss adds no states).
    pub fn counts_drops(&self) -> bool {
        self.drop && self.max_drops.is_some()
    }
}

/// The finite box an exhaustive run explores.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bounds {
    /// Number of servers (all voters).
    pub servers: u8,
    /// Highest term (Raft) or epoch (KRaft) a server may start an election for.
    pub max_term: u8,
    /// Longest log a leader may grow by client requests.
    pub max_log: u8,
    /// Client values `1..=values`.
    pub values: u8,
    /// Crashes allowed in one run (each crashed server may restart).
    pub max_restarts: u8,
    pub network: NetworkSemantics,
    /// Protocol options (finer steps, batching); absent when all are default.
    #[serde(default, skip_serializing_if = "Options::is_default")]
    pub options: Options,
}

/// A bound outside what the model can represent, or one that cannot mean anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundsError(pub String);

impl fmt::Display for BoundsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BoundsError {}

impl Bounds {
    /// Rejects bounds the model cannot represent (never a panic deep inside the checker).
    pub fn validate(&self) -> Result<(), BoundsError> {
        let err = |m: String| Err(BoundsError(m));
        if self.servers == 0 || self.servers as usize > MAX_SERVERS {
            return err(format!(
                "--servers must be between 1 and {MAX_SERVERS} (got {})",
                self.servers
            ));
        }
        if self.max_term == 0 || self.max_term > 15 {
            return err(format!(
                "--max-term must be between 1 and 15 (got {}): no election can happen at 0",
                self.max_term
            ));
        }
        if self.max_log as usize > MAX_LOG {
            return err(format!(
                "--max-log must be at most {MAX_LOG} (got {})",
                self.max_log
            ));
        }
        if self.values == 0 || self.values > 9 {
            return err(format!(
                "--values must be between 1 and 9 (got {})",
                self.values
            ));
        }
        if self.network.max_copies == 0 || self.network.max_copies > 4 {
            return err(format!(
                "--max-copies must be between 1 and 4 (got {}); 1 means no duplication",
                self.network.max_copies
            ));
        }
        if self.network.max_in_flight == 0 {
            return err("--max-in-flight must be at least 1".to_string());
        }
        match self.network.max_drops {
            Some(_) if !self.network.drop => {
                return err("--max-drops needs message loss on (--drop)".to_string())
            }
            Some(m) if m == 0 || m > 15 => {
                return err(format!(
                    "--max-drops must be between 1 and 15 (got {m}); --no-drop means no loss"
                ))
            }
            _ => {}
        }
        self.options
            .validate()
            .map_err(|e| BoundsError(e.to_string()))?;
        if self.options.leader_noop && (self.max_term + self.max_log) as usize > MAX_LOG {
            return err(format!(
                "with a leader's no-op entry (raft-rs) a log holds up to --max-term + --max-log \
                 entries: at most {MAX_LOG} (got {} + {})",
                self.max_term, self.max_log
            ));
        }
        if self.max_restarts > 6 {
            return err(format!(
                "--max-restarts must be at most 6 (got {})",
                self.max_restarts
            ));
        }
        Ok(())
    }

    /// Votes (or acknowledgements) that make a majority of the servers.
    pub fn majority(&self) -> usize {
        self.servers as usize / 2 + 1
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = &self.network;
        write!(
            f,
            "servers={} max-term={} max-log={} values={} max-restarts={} network=[{}{}{} in-flight<={}]",
            self.servers,
            self.max_term,
            self.max_log,
            self.values,
            self.max_restarts,
            match (n.drop, n.max_drops) {
                (false, _) => "no-drop ".to_string(),
                (true, None) => "drop ".to_string(),
                (true, Some(m)) => format!("drop<={m} "),
            },
            if n.reorder { "reorder " } else { "fifo " },
            if n.duplicates() {
                format!("duplicate<={}", n.max_copies)
            } else {
                "no-duplicate".to_string()
            },
            n.max_in_flight,
        )?;
        if !self.options.is_default() {
            write!(f, " options=[{}]", self.options)?;
        }
        Ok(())
    }
}
