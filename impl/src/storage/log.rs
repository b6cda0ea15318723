//! The append-only entry log.
//!
//! Layout (format 2):
//!
//! ```text
//! 0..8    magic "RSPLOG02"
//! 8..16   node id, u64 LE            } identity: a log copied from another node or
//! 16..20  crc32 of the cluster id    } cluster is refused
//! 20..24  crc32 of bytes 0..20
//! 24..44  slot 0 | 44..64 slot 1: u64 LE synced length, u64 LE sequence, u32 LE crc32
//! 64..    records: u32 LE body length | u32 LE crc32(length) | u32 LE crc32(body) | body
//!         body = u64 LE term | u8 kind | kind 0: command bytes, kind 1: u64 LE leader id
//! ```
//!
//! The slots record how many bytes of the log are known to be synced. After each fsync the
//! new length goes into the other slot (written, synced by the next fsync), so a torn slot
//! write leaves the older slot readable, and a slot never claims more than was synced.
//!
//! Recovery: the records within the synced length must all be intact, and the file must be at
//! least that long: anything else is damage (a record cut in the middle, a truncated file,
//! bit rot) and the node refuses to start. After the synced length lies at most the last
//! append, which may have been in flight at a crash: its records are kept while intact and
//! cut at the first damaged one. Nothing cut was ever synced, and nothing is acknowledged or
//! sent before its sync, so no acknowledged write is lost that way.

use super::disk::Disk;
use super::{Result, StorageError};
use crate::core::{Entry, EntryData, NodeId};

pub const NAME: &str = "log";
const MAGIC: &[u8; 8] = b"RSPLOG02";
const IDENT: usize = 24;
const SLOT: usize = 20;
pub const HEADER_LEN: u64 = (IDENT + 2 * SLOT) as u64;
const RECORD_HEADER: usize = 12;
/// No single entry is larger than this; a bigger length field is damage.
pub const MAX_RECORD: usize = 64 << 20;

/// The open log: where each record starts and what is known synced.
pub struct LogFile {
    offsets: Vec<u64>,
    len: u64,
    /// Bytes known synced (what the newest slot says, or more once its write lands).
    synced: u64,
    seq: u64,
    dirty: bool,
}

fn identity(id: NodeId, cluster: &str) -> [u8; IDENT] {
    let mut h = [0u8; IDENT];
    h[..8].copy_from_slice(MAGIC);
    h[8..16].copy_from_slice(&id.to_le_bytes());
    h[16..20].copy_from_slice(&crc32fast::hash(cluster.as_bytes()).to_le_bytes());
    let crc = crc32fast::hash(&h[..20]);
    h[20..24].copy_from_slice(&crc.to_le_bytes());
    h
}

fn slot(len: u64, seq: u64) -> [u8; SLOT] {
    let mut s = [0u8; SLOT];
    s[..8].copy_from_slice(&len.to_le_bytes());
    s[8..16].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32fast::hash(&s[..16]);
    s[16..].copy_from_slice(&crc.to_le_bytes());
    s
}

fn slot_offset(seq: u64) -> u64 {
    (IDENT + (seq % 2) as usize * SLOT) as u64
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(d: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(d[at..at + 8].try_into().expect("8 bytes"))
}

/// The valid slot with the highest sequence: (synced length, sequence).
fn read_slots(h: &[u8]) -> Option<(u64, u64)> {
    (0..2)
        .map(|i| &h[IDENT + i * SLOT..IDENT + (i + 1) * SLOT])
        .filter(|s| crc32fast::hash(&s[..16]) == u32_at(s, 16))
        .map(|s| (u64_at(s, 0), u64_at(s, 8)))
        .max_by_key(|&(_, seq)| seq)
}

impl LogFile {
    /// Create an empty log durably.
    pub fn create(disk: &mut dyn Disk, id: NodeId, cluster: &str) -> Result<()> {
        let mut h = vec![0u8; HEADER_LEN as usize];
        h[..IDENT].copy_from_slice(&identity(id, cluster));
        let at = slot_offset(1) as usize;
        h[at..at + SLOT].copy_from_slice(&slot(HEADER_LEN, 1));
        disk.write_atomic(NAME, &h)
    }

    /// Open and recover: the entries, and how many bytes of a torn final append were cut.
    pub fn open(
        disk: &mut dyn Disk,
        id: NodeId,
        cluster: &str,
    ) -> Result<(LogFile, Vec<Entry>, u64)> {
        let data = disk.read(NAME)?.ok_or_else(|| {
            StorageError::Corrupt(format!("{NAME}: missing (it holds the entries)"))
        })?;
        let (synced, seq) = check_header(&data, id, cluster)?;
        let scan =
            scan(&data, synced).map_err(|d| StorageError::Corrupt(format!("{NAME}: {d}")))?;
        let torn = data.len() as u64 - scan.valid_len;
        let mut log = LogFile {
            offsets: scan.offsets,
            len: scan.valid_len,
            synced,
            seq,
            dirty: false,
        };
        if torn > 0 || scan.valid_len != synced {
            // Make the recovered state the synced one before anything builds on it.
            log.record_synced(disk, scan.valid_len)?;
            disk.sync(NAME)?;
            disk.set_len(NAME, scan.valid_len)?;
            disk.sync(NAME)?;
        }
        Ok((log, scan.entries, torn))
    }

    pub fn entries(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Whether appends or a truncation await `sync`.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Write `len` as the synced length into the next slot (durable with the next sync).
    fn record_synced(&mut self, disk: &mut dyn Disk, len: u64) -> Result<()> {
        self.seq += 1;
        disk.write_at(NAME, slot_offset(self.seq), &slot(len, self.seq))?;
        self.synced = len;
        Ok(())
    }

    /// Keep the first `n` entries. Durable on return: the synced length is lowered and synced
    /// before the file is cut, so a crash in between never finds a file shorter than the
    /// length its header vouches for.
    pub fn truncate(&mut self, disk: &mut dyn Disk, n: u64) -> Result<()> {
        let n = n as usize;
        if n >= self.offsets.len() {
            return Ok(());
        }
        let at = self.offsets[n];
        if at < self.synced {
            self.record_synced(disk, at)?;
            disk.sync(NAME)?;
        }
        disk.set_len(NAME, at)?;
        disk.sync(NAME)?;
        self.offsets.truncate(n);
        self.len = at;
        Ok(())
    }

    pub fn append(&mut self, disk: &mut dyn Disk, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        let mut offsets = Vec::with_capacity(entries.len());
        for e in entries {
            offsets.push(self.len + buf.len() as u64);
            encode(e, &mut buf)?;
        }
        disk.write_at(NAME, self.len, &buf)?;
        self.len += buf.len() as u64;
        self.offsets.extend(offsets);
        self.dirty = true;
        Ok(())
    }

    /// fsync, then note the new synced length for the next one to carry.
    pub fn sync(&mut self, disk: &mut dyn Disk) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        disk.sync(NAME)?;
        self.dirty = false;
        if self.len != self.synced {
            self.record_synced(disk, self.len)?;
        }
        Ok(())
    }
}

fn check_header(data: &[u8], id: NodeId, cluster: &str) -> Result<(u64, u64)> {
    let corrupt = |m: String| StorageError::Corrupt(format!("{NAME}: {m}"));
    if data.starts_with(b"RSPLOG01") {
        return Err(corrupt(
            "format 1 (written by an older raftspec); this version reads format 2".into(),
        ));
    }
    if (data.len() as u64) < HEADER_LEN {
        return Err(corrupt(format!(
            "{} bytes, shorter than its {HEADER_LEN}-byte header (emptied or cut)",
            data.len()
        )));
    }
    let want = identity(id, cluster);
    if data[..8] != want[..8] {
        return Err(corrupt("not a raftspec log (bad magic)".into()));
    }
    if crc32fast::hash(&data[..20]) != u32_at(data, 20) {
        return Err(corrupt("header checksum mismatch".into()));
    }
    if data[8..16] != want[8..16] {
        return Err(StorageError::NotOurs(format!(
            "{NAME} belongs to node {}, not node {id}",
            u64_at(data, 8)
        )));
    }
    if data[16..20] != want[16..20] {
        return Err(StorageError::NotOurs(format!(
            "{NAME} belongs to another cluster than {cluster:?}"
        )));
    }
    let (synced, seq) = read_slots(&data[..HEADER_LEN as usize])
        .ok_or_else(|| corrupt("both length slots damaged".into()))?;
    if synced < HEADER_LEN {
        return Err(corrupt(format!("synced length {synced} inside the header")));
    }
    if synced > data.len() as u64 {
        return Err(corrupt(format!(
            "the file is {} bytes but {synced} bytes were synced: it was cut short and \
             synced (possibly acknowledged) entries are gone",
            data.len()
        )));
    }
    Ok((synced, seq))
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

/// How a record is damaged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordDamage {
    #[error("cut short")]
    Short,
    #[error("header checksum mismatch")]
    HeaderChecksum,
    #[error("length {0} exceeds {MAX_RECORD}")]
    TooLong(usize),
    #[error("checksum mismatch")]
    Checksum,
    #[error("record body of {0} bytes is too short")]
    BodyTooShort(usize),
    #[error("unknown record kind {0} (or bad length)")]
    UnknownKind(u8),
}

/// Damage within the synced part of the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("record {record} at byte {at}, within the {synced} synced bytes: {damage}")]
pub struct LogDamage {
    pub record: usize,
    pub at: usize,
    pub synced: u64,
    pub damage: RecordDamage,
}

fn decode(body: &[u8]) -> std::result::Result<Entry, RecordDamage> {
    if body.len() < 9 {
        return Err(RecordDamage::BodyTooShort(body.len()));
    }
    let term = u64_at(body, 0);
    let data = match body[8] {
        0 => EntryData::Command(body[9..].to_vec()),
        1 if body.len() == 17 => EntryData::LeaderChange {
            leader: u64_at(body, 9),
        },
        k => return Err(RecordDamage::UnknownKind(k)),
    };
    Ok(Entry { term, data })
}

/// One record at the start of `rest`: the entry and its encoded length.
pub fn read_record(rest: &[u8]) -> std::result::Result<(Entry, usize), RecordDamage> {
    if rest.len() < RECORD_HEADER {
        return Err(RecordDamage::Short);
    }
    if crc32fast::hash(&rest[..4]) != u32_at(rest, 4) {
        return Err(RecordDamage::HeaderChecksum);
    }
    let len = u32_at(rest, 0) as usize;
    if len > MAX_RECORD {
        return Err(RecordDamage::TooLong(len));
    }
    let end = RECORD_HEADER + len;
    if end > rest.len() {
        return Err(RecordDamage::Short);
    }
    let body = &rest[RECORD_HEADER..end];
    if crc32fast::hash(body) != u32_at(rest, 8) {
        return Err(RecordDamage::Checksum);
    }
    Ok((decode(body)?, end))
}

pub struct Scan {
    pub entries: Vec<Entry>,
    pub offsets: Vec<u64>,
    /// Where the kept records end; bytes after it are a torn final append.
    pub valid_len: u64,
}

/// Read the records after the header. Damage before `synced` is an error; the first damaged
/// record at or after it ends the log.
pub fn scan(data: &[u8], synced: u64) -> std::result::Result<Scan, LogDamage> {
    let mut s = Scan {
        entries: Vec::new(),
        offsets: Vec::new(),
        valid_len: HEADER_LEN,
    };
    let mut pos = HEADER_LEN as usize;
    while pos < data.len() {
        let damage = |damage| LogDamage {
            record: s.entries.len(),
            at: pos,
            synced,
            damage,
        };
        match read_record(&data[pos..]) {
            Ok((e, n)) => {
                if (pos as u64) < synced && (pos + n) as u64 > synced {
                    // A record straddling the synced length: the slot does not match the file.
                    return Err(damage(RecordDamage::Short));
                }
                s.entries.push(e);
                s.offsets.push(pos as u64);
                pos += n;
            }
            Err(d) if (pos as u64) < synced => return Err(damage(d)),
            Err(_) => break,
        }
    }
    s.valid_len = pos as u64;
    Ok(s)
}
