//! Frames: `u32 BE length | u8 version | JSON payload`, where length counts the version byte
//! and the payload. A frame with another version, a length of 0 or above the limit, or a
//! payload that does not decode is an error; the caller closes that connection.

use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::io::{self, Read, Write};

pub const VERSION: u8 = 1;
/// Default limit on one frame (a batch of entries fits easily).
pub const MAX_FRAME: usize = 16 << 20;

#[derive(Debug)]
pub enum FrameError {
    Io(io::Error),
    TooLarge { len: usize, max: usize },
    Empty,
    BadVersion(u8),
    Malformed(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "i/o error: {e}"),
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            FrameError::Empty => f.write_str("frame of length 0"),
            FrameError::BadVersion(v) => {
                write!(f, "unsupported frame version {v} (want {VERSION})")
            }
            FrameError::Malformed(m) => write!(f, "malformed payload: {m}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Encode one value as a complete frame.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut buf = vec![0u8; 5];
    serde_json::to_writer(&mut buf, value).expect("protocol types serialise");
    let len = (buf.len() - 4) as u32;
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf[4] = VERSION;
    buf
}

pub fn write_frame<W: Write, T: Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    w.write_all(&encode(value))
}

/// Read one frame. `Ok(None)` on a clean end of stream before a frame starts.
pub fn read_frame<R: Read, T: DeserializeOwned>(
    r: &mut R,
    max: usize,
) -> Result<Option<(T, usize)>, FrameError> {
    let mut len = [0u8; 4];
    match r.read(&mut len[..1]) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(FrameError::Io(e)),
    }
    r.read_exact(&mut len[1..]).map_err(FrameError::Io)?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 {
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
    let value =
        serde_json::from_slice(&buf[1..]).map_err(|e| FrameError::Malformed(e.to_string()))?;
    Ok(Some((value, len + 4)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::raft::Message;
    use crate::core::Entry;

    fn read(bytes: &[u8]) -> Result<Option<(Message, usize)>, FrameError> {
        read_frame(&mut &bytes[..], 1024)
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
        let bytes = encode(&m);
        let (back, n) = read(&bytes).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(n, bytes.len());
        assert!(read(&[]).unwrap().is_none());
    }

    #[test]
    fn invalid_frames_are_errors() {
        let good = encode(&Message::RequestVoteResponse {
            term: 1,
            granted: true,
        });
        let mut v2 = good.clone();
        v2[4] = 2;
        assert!(matches!(read(&v2), Err(FrameError::BadVersion(2))));
        assert!(matches!(read(&[0, 0, 0, 0]), Err(FrameError::Empty)));
        assert!(matches!(
            read(&[0, 1, 0, 0, 1]),
            Err(FrameError::TooLarge { .. })
        ));
        let mut garbage = vec![0, 0, 0, 4, VERSION];
        garbage.extend_from_slice(b"{{{");
        assert!(matches!(read(&garbage), Err(FrameError::Malformed(_))));
        // Valid JSON of the wrong shape is malformed too.
        let wrong = encode(&serde_json::json!({"Nope": 1}));
        assert!(matches!(read(&wrong), Err(FrameError::Malformed(_))));
        // Cut in the middle of the payload.
        assert!(matches!(
            read(&good[..good.len() - 1]),
            Err(FrameError::Io(_))
        ));
    }
}
