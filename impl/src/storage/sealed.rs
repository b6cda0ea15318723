//! Small checksummed, versioned JSON files: one line of JSON, then one line with the crc32 of
//! that line in hex. Written with [`Disk::write_atomic`](super::disk::Disk::write_atomic), so
//! a file is always the old or the new content; the checksum catches anything else (bit rot, a
//! hand edit, a truncation).

use serde::{de::DeserializeOwned, Serialize};

pub fn seal<T: Serialize>(value: &T) -> Vec<u8> {
    let json = serde_json::to_string(value).expect("storage records serialise");
    format!("{json}\n{:08x}\n", crc32fast::hash(json.as_bytes())).into_bytes()
}

/// What is wrong with a sealed file (shown in a refusal message).
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("not text")]
    NotText,
    #[error("expected a JSON line and a checksum line, found {0} bytes")]
    Shape(usize),
    #[error("bad checksum line")]
    BadChecksumLine,
    #[error("checksum mismatch")]
    ChecksumMismatch,
    #[error("bad content ({0})")]
    Content(serde_json::Error),
}

/// Check and decode.
pub fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SealError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SealError::NotText)?;
    let mut lines = text.lines();
    let (Some(json), Some(crc), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err(SealError::Shape(bytes.len()));
    };
    let want = u32::from_str_radix(crc.trim(), 16).map_err(|_| SealError::BadChecksumLine)?;
    if crc32fast::hash(json.as_bytes()) != want {
        return Err(SealError::ChecksumMismatch);
    }
    serde_json::from_str(json).map_err(SealError::Content)
}
