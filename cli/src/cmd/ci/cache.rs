//! Results cached under a hash of the sources that decide them, the entry's bounds and options,
//! and the engine version: an entry whose key is unchanged is reported, not re-run.

use super::manifest::Job;
use super::run::EntryResult;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Hash of model/ and engine/ (src and Cargo.toml), computed by build.rs.
pub const MODEL_SOURCES: &str = env!("RAFTSPEC_MODEL_HASH");
/// Hash of impl/ and conformance/, which conformance suites also depend on.
pub const IMPL_SOURCES: &str = env!("RAFTSPEC_IMPL_HASH");

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// The entry's cache key (hex SHA-256).
pub fn key(job: &Job) -> String {
    let mut h = Sha256::new();
    h.update(MODEL_SOURCES);
    if matches!(job, Job::Conform(_)) {
        h.update(IMPL_SOURCES);
        h.update(if cfg!(feature = "mutants") {
            "mutants"
        } else {
            ""
        });
    }
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(serde_json::to_string(job).unwrap_or_default());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// The cached result, if any (an unreadable entry counts as absent).
pub fn load(dir: &Path, key: &str) -> Option<EntryResult> {
    let text = std::fs::read_to_string(file(dir, key)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn store(dir: &Path, key: &str, r: &EntryResult) -> Result<(), CacheError> {
    let path = file(dir, key);
    let write = |e| CacheError::Write {
        path: path.clone(),
        error: e,
    };
    std::fs::create_dir_all(dir).map_err(write)?;
    std::fs::write(&path, serde_json::to_string_pretty(r)?).map_err(write)
}
