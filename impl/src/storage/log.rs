//! The append-only entry log.
//!
//! Layout: an 8-byte magic `RSPLOG01`, then one record per entry:
//!
//! ```text
//! u32 LE body length | u32 LE crc32(length bytes) | u32 LE crc32(body) | body
//! body = u64 LE term | u8 kind | kind 0: command bytes, kind 1: u64 LE leader id
//! ```
//!
//! The length has its own checksum so that a damaged length field is told apart from a record
//! that was cut short by a crash. Recovery rules:
//! - fewer than 12 bytes left, or a well-formed header whose body runs past the end of the
//!   file, or a bad body checksum on the very last record, or an all-zero tail: a torn final
//!   write, cut off (it was never acknowledged: acknowledgements wait for fsync);
//! - any other checksum failure, an oversized length or an undecodable body: corruption, and
//!   the node refuses to start.

use super::{io, Result, StorageError};
use crate::core::{Entry, EntryData};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"RSPLOG01";
const HEADER: usize = 12;
/// No single entry is larger than this; a bigger length field is damage.
pub const MAX_RECORD: usize = 64 << 20;

pub struct LogFile {
    path: PathBuf,
    file: File,
    /// Byte offset of each record.
    offsets: Vec<u64>,
    len: u64,
}

impl LogFile {
    /// Create an empty log (magic only), durably.
    pub fn create(path: &Path) -> Result<()> {
        let mut f = io(File::create(path), || format!("create {}", path.display()))?;
        io(f.write_all(MAGIC), || format!("write {}", path.display()))?;
        io(f.sync_all(), || format!("fsync {}", path.display()))?;
        if let Some(dir) = path.parent() {
            super::sync_dir(dir)?;
        }
        Ok(())
    }

    /// Open and recover: the entries, and how many bytes of torn tail were cut.
    pub fn open(path: &Path) -> Result<(LogFile, Vec<Entry>, u64)> {
        let mut file = io(OpenOptions::new().read(true).write(true).open(path), || {
            format!("open {}", path.display())
        })?;
        let mut data = Vec::new();
        io(file.read_to_end(&mut data), || {
            format!("read {}", path.display())
        })?;
        let scan =
            scan(&data).map_err(|m| StorageError::Corrupt(format!("{}: {m}", path.display())))?;
        let mut torn = 0;
        if scan.valid_len < data.len() as u64 {
            torn = data.len() as u64 - scan.valid_len;
            io(file.set_len(scan.valid_len), || {
                format!("truncate {}", path.display())
            })?;
            io(file.sync_all(), || format!("fsync {}", path.display()))?;
        }
        if scan.needs_magic {
            io(file.seek(SeekFrom::Start(0)), || {
                format!("seek {}", path.display())
            })?;
            io(file.write_all(MAGIC), || {
                format!("write {}", path.display())
            })?;
            io(file.sync_all(), || format!("fsync {}", path.display()))?;
        }
        let log = LogFile {
            path: path.to_path_buf(),
            file,
            offsets: scan.offsets,
            len: scan.valid_len.max(MAGIC.len() as u64),
        };
        Ok((log, scan.entries, torn))
    }

    pub fn entries(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Keep the first `n` entries.
    pub fn truncate(&mut self, n: u64) -> Result<()> {
        let n = n as usize;
        if n >= self.offsets.len() {
            return Ok(());
        }
        let at = self.offsets[n];
        io(self.file.set_len(at), || {
            format!("truncate {}", self.path.display())
        })?;
        self.offsets.truncate(n);
        self.len = at;
        Ok(())
    }

    pub fn append(&mut self, entries: &[Entry]) -> Result<()> {
        let mut buf = Vec::new();
        let mut offsets = Vec::with_capacity(entries.len());
        for e in entries {
            offsets.push(self.len + buf.len() as u64);
            encode(e, &mut buf)?;
        }
        io(self.file.seek(SeekFrom::Start(self.len)), || {
            format!("seek {}", self.path.display())
        })?;
        io(self.file.write_all(&buf), || {
            format!("append to {}", self.path.display())
        })?;
        self.len += buf.len() as u64;
        self.offsets.extend(offsets);
        Ok(())
    }

    pub fn sync(&mut self) -> Result<()> {
        io(self.file.sync_data(), || {
            format!("fsync {}", self.path.display())
        })
    }
}

fn encode(e: &Entry, buf: &mut Vec<u8>) -> Result<()> {
    let mut body = Vec::with_capacity(16);
    body.extend_from_slice(&e.term.to_le_bytes());
    match &e.data {
        EntryData::Command(p) => {
            body.push(0);
            body.extend_from_slice(p);
        }
        EntryData::LeaderChange { leader } => {
            body.push(1);
            body.extend_from_slice(&leader.to_le_bytes());
        }
    }
    if body.len() > MAX_RECORD {
        return Err(StorageError::Corrupt(format!(
            "refusing to write an entry of {} bytes (limit {MAX_RECORD})",
            body.len()
        )));
    }
    let len = (body.len() as u32).to_le_bytes();
    buf.extend_from_slice(&len);
    buf.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    buf.extend_from_slice(&body);
    Ok(())
}

/// How a log file is damaged (other than a torn final record).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogDamage {
    #[error("not a raftspec log (bad magic)")]
    BadMagic,
    #[error("record {record} at byte {at}: header checksum mismatch")]
    HeaderChecksum { record: usize, at: usize },
    #[error("record {record} at byte {at}: length {len} exceeds {MAX_RECORD}")]
    TooLong {
        record: usize,
        at: usize,
        len: usize,
    },
    #[error("record {record} at byte {at}: checksum mismatch")]
    Checksum { record: usize, at: usize },
    #[error("record {record} at byte {at}: {body}")]
    Body {
        record: usize,
        at: usize,
        body: BodyDamage,
    },
}

/// A record body that passed its checksum and still is not an entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyDamage {
    #[error("record body of {0} bytes is too short")]
    TooShort(usize),
    #[error("unknown record kind {0} (or bad length)")]
    UnknownKind(u8),
}

fn decode(body: &[u8]) -> std::result::Result<Entry, BodyDamage> {
    if body.len() < 9 {
        return Err(BodyDamage::TooShort(body.len()));
    }
    let term = u64::from_le_bytes(body[..8].try_into().expect("8 bytes"));
    let data = match body[8] {
        0 => EntryData::Command(body[9..].to_vec()),
        1 if body.len() == 17 => EntryData::LeaderChange {
            leader: u64::from_le_bytes(body[9..17].try_into().expect("8 bytes")),
        },
        k => return Err(BodyDamage::UnknownKind(k)),
    };
    Ok(Entry { term, data })
}

struct Scan {
    entries: Vec<Entry>,
    offsets: Vec<u64>,
    /// Where the valid prefix ends; bytes after it are a torn tail.
    valid_len: u64,
    /// The file was shorter than the magic (torn creation) and must get it written.
    needs_magic: bool,
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().expect("4 bytes"))
}

fn scan(data: &[u8]) -> std::result::Result<Scan, LogDamage> {
    let m = MAGIC.len();
    if data.len() < m {
        // Torn creation: only a prefix of the magic (or zeros) may be there.
        if MAGIC.starts_with(data) || data.iter().all(|&b| b == 0) {
            return Ok(Scan {
                entries: vec![],
                offsets: vec![],
                valid_len: 0,
                needs_magic: true,
            });
        }
        return Err(LogDamage::BadMagic);
    }
    if &data[..m] != MAGIC {
        return Err(LogDamage::BadMagic);
    }
    let mut entries = Vec::new();
    let mut offsets = Vec::new();
    let mut pos = m;
    let torn = |entries, offsets, pos: usize| {
        Ok(Scan {
            entries,
            offsets,
            valid_len: pos as u64,
            needs_magic: false,
        })
    };
    while pos < data.len() {
        let rest = &data[pos..];
        let n = entries.len();
        if rest.len() < HEADER {
            return torn(entries, offsets, pos);
        }
        let len_bytes: [u8; 4] = rest[..4].try_into().expect("4 bytes");
        if crc32fast::hash(&len_bytes) != u32_at(rest, 4) {
            if rest.iter().all(|&b| b == 0) {
                return torn(entries, offsets, pos);
            }
            return Err(LogDamage::HeaderChecksum { record: n, at: pos });
        }
        let len = u32::from_le_bytes(len_bytes) as usize;
        if len > MAX_RECORD {
            return Err(LogDamage::TooLong {
                record: n,
                at: pos,
                len,
            });
        }
        let end = pos + HEADER + len;
        if end > data.len() {
            return torn(entries, offsets, pos);
        }
        let body = &data[pos + HEADER..end];
        if crc32fast::hash(body) != u32_at(rest, 8) {
            if end == data.len() {
                return torn(entries, offsets, pos);
            }
            return Err(LogDamage::Checksum { record: n, at: pos });
        }
        let e = decode(body).map_err(|body| LogDamage::Body {
            record: n,
            at: pos,
            body,
        })?;
        entries.push(e);
        offsets.push(pos as u64);
        pos = end;
    }
    Ok(Scan {
        entries,
        offsets,
        valid_len: pos as u64,
        needs_magic: false,
    })
}
