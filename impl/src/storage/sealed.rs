//! Small checksummed, versioned JSON files: one line of JSON, then one line with the crc32 of
//! that line in hex. Written with [`Disk::write_atomic`](super::disk::Disk::write_atomic), so
//! a file is always the old or the new content; the checksum catches anything else (bit rot, a
//! hand edit, a truncation).

use serde::{de::DeserializeOwned, Serialize};

pub fn seal<T: Serialize>(value: &T) -> Vec<u8> {
    let json = serde_json::to_string(value).expect("storage records serialise");
    format!("{json}\n{:08x}\n", crc32fast::hash(json.as_bytes())).into_bytes()
}

/// Check and decode; the error says what is wrong, for a refusal message.
pub fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not text".to_string())?;
    let mut lines = text.lines();
    let (Some(json), Some(crc), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err(format!(
            "expected a JSON line and a checksum line, found {} bytes",
            bytes.len()
        ));
    };
    let want = u32::from_str_radix(crc.trim(), 16).map_err(|_| "bad checksum line".to_string())?;
    if crc32fast::hash(json.as_bytes()) != want {
        return Err("checksum mismatch".into());
    }
    serde_json::from_str(json).map_err(|e| format!("bad content ({e})"))
}
