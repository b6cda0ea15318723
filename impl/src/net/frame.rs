//! Frames: `u32 BE length | u8 version | 32-byte tag | JSON payload`, where length counts
//! everything after itself. The tag is HMAC-SHA256 over the cluster id, the sender, the
//! receiver and the payload, under the cluster's key ([`FrameKey`]): a frame from outside the
//! cluster, or one recorded on another link and replayed here, fails the check and the
//! connection is closed before its payload is even parsed. A frame with another version, a
//! length of 0 or above the limit, or a payload that does not decode is an error too.

use hmac::{Hmac, Mac};
use serde::{de::DeserializeOwned, Serialize};
use sha2::Sha256;
use std::fmt;
use std::io::{self, Read, Write};

pub const VERSION: u8 = 2;
const TAG: usize = 32;
/// Default limit on one frame (a batch of entries fits easily).
pub const MAX_FRAME: usize = 16 << 20;
/// The `from` a hello frame is tagged with (the sender is named inside it).
pub const HELLO: u64 = u64::MAX;

#[derive(Debug)]
pub enum FrameError {
    Io(io::Error),
    TooLarge {
        len: usize,
        max: usize,
    },
    Empty,
    BadVersion(u8),
    /// The tag does not match: not from a member of this cluster, or not for this link.
    Unauthenticated,
    Malformed(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "i/o error: {e}"),
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            FrameError::Empty => f.write_str("frame too short"),
            FrameError::BadVersion(v) => {
                write!(f, "unsupported frame version {v} (want {VERSION})")
            }
            FrameError::Unauthenticated => {
                f.write_str("authentication failed (wrong cluster id or secret)")
            }
            FrameError::Malformed(m) => write!(f, "malformed payload: {m}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// The key every member of a cluster tags its frames with.
#[derive(Clone)]
pub struct FrameKey {
    mac: Hmac<Sha256>,
}

impl FrameKey {
    /// `secret`: the cluster's shared secret; without one the key is the cluster id alone,
    /// which keeps other clusters' frames out but authenticates nobody.
    pub fn new(cluster: &str, secret: Option<&[u8]>) -> FrameKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.unwrap_or(b"raftspec-no-secret"))
            .expect("HMAC takes keys of any length");
        mac.update(&(cluster.len() as u64).to_be_bytes());
        mac.update(cluster.as_bytes());
        FrameKey { mac }
    }

    fn tag(&self, from: u64, to: u64, payload: &[u8]) -> Hmac<Sha256> {
        let mut m = self.mac.clone();
        m.update(&from.to_be_bytes());
        m.update(&to.to_be_bytes());
        m.update(payload);
        m
    }
}

/// Encode one value as a complete frame from `from` to `to`.
pub fn encode<T: Serialize>(value: &T, key: &FrameKey, from: u64, to: u64) -> Vec<u8> {
    let head = 5 + TAG;
    let mut buf = vec![0u8; head];
    serde_json::to_writer(&mut buf, value).expect("protocol types serialise");
    let tag = key.tag(from, to, &buf[head..]).finalize().into_bytes();
    let len = (buf.len() - 4) as u32;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf[4] = VERSION;
    buf[5..head].copy_from_slice(&tag);
    buf
}

pub fn write_frame<W: Write, T: Serialize>(
    w: &mut W,
    value: &T,
    key: &FrameKey,
    from: u64,
    to: u64,
) -> io::Result<()> {
    w.write_all(&encode(value, key, from, to))
}

/// Read one frame sent by `from` to `to` and check its tag before decoding anything.
/// `Ok(None)` on a clean end of stream before a frame starts.
pub fn read_frame<R: Read, T: DeserializeOwned>(
    r: &mut R,
    max: usize,
    key: &FrameKey,
    from: u64,
    to: u64,
) -> Result<Option<(T, usize)>, FrameError> {
    let mut len = [0u8; 4];
    match r.read(&mut len[..1]) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(FrameError::Io(e)),
    }
    r.read_exact(&mut len[1..]).map_err(FrameError::Io)?;
    let len = u32::from_be_bytes(len) as usize;
    if len < 1 + TAG {
        return Err(FrameError::Empty);
    }
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).map_err(FrameError::Io)?;
    if buf[0] != VERSION {
        return Err(FrameError::BadVersion(buf[0]));
    }
    let payload = &buf[1 + TAG..];
    key.tag(from, to, payload)
        .verify_slice(&buf[1..1 + TAG])
        .map_err(|_| FrameError::Unauthenticated)?;
    let value =
        serde_json::from_slice(payload).map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(Some((value, len + 4)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::raft::Message;
    use crate::core::Entry;

    fn key() -> FrameKey {
        FrameKey::new("c", Some(b"secret"))
    }

    fn read(bytes: &[u8]) -> Result<Option<(Message, usize)>, FrameError> {
        read_frame(&mut &bytes[..], 1024, &key(), 1, 2)
    }

    #[test]
    fn round_trip() {
        let m = Message::AppendEntries {
            term: 3,
            prev_log_index: 1,
            prev_log_term: 2,
            entries: vec![Entry::command(3, vec![0, 255, 7])],
            leader_commit: 1,
        };
        let bytes = encode(&m, &key(), 1, 2);
        let (back, n) = read(&bytes).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(n, bytes.len());
        assert!(read(&[]).unwrap().is_none());
    }

    #[test]
    fn frames_of_other_clusters_links_or_secrets_are_unauthenticated() {
        let m = Message::RequestVoteResponse {
            term: u64::MAX,
            granted: true,
        };
        for (k, from, to) in [
            (FrameKey::new("c", Some(b"guess")), 1, 2),
            (FrameKey::new("other", Some(b"secret")), 1, 2),
            (FrameKey::new("c", None), 1, 2),
            (key(), 3, 2), // node 3's frame replayed as node 1's
            (key(), 1, 0), // a frame for node 0 replayed to node 2
        ] {
            let bytes = encode(&m, &k, from, to);
            assert!(matches!(read(&bytes), Err(FrameError::Unauthenticated)));
        }
        let mut flipped = encode(&m, &key(), 1, 2);
        let n = flipped.len();
        flipped[n - 2] ^= 1;
        assert!(matches!(read(&flipped), Err(FrameError::Unauthenticated)));
    }

    #[test]
    fn invalid_frames_are_errors() {
        let good = encode(
            &Message::RequestVoteResponse {
                term: 1,
                granted: true,
            },
            &key(),
            1,
            2,
        );
        let mut v1 = good.clone();
        v1[4] = 1;
        assert!(matches!(read(&v1), Err(FrameError::BadVersion(1))));
        assert!(matches!(read(&[0, 0, 0, 0]), Err(FrameError::Empty)));
        assert!(matches!(
            read(&[0, 1, 0, 0, 2]),
            Err(FrameError::TooLarge { .. })
        ));
        // Valid JSON of the wrong shape, correctly tagged, is malformed.
        let wrong = encode(&serde_json::json!({"Nope": 1}), &key(), 1, 2);
        assert!(matches!(read(&wrong), Err(FrameError::Malformed(_))));
        // Cut in the middle of the payload.
        assert!(matches!(
            read(&good[..good.len() - 1]),
            Err(FrameError::Io(_))
        ));
    }
}
