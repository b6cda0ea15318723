//! The replicated key-value state machine. Commands travel through the log as JSON; reads go
//! through the log too, which makes them linearizable without a separate read-index path.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Command {
    Put {
        key: String,
        value: String,
    },
    Delete {
        key: String,
    },
    Get {
        key: String,
    },
    /// Appended by a new Raft leader so entries of earlier terms commit without waiting for a
    /// client write.
    Noop,
}

impl Command {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("commands serialise")
    }

    pub fn decode(bytes: &[u8]) -> Result<Command, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// An entry's bytes are not a command.
#[derive(Debug, thiserror::Error)]
#[error("undecodable command: {0}")]
pub struct DecodeError(#[from] serde_json::Error);

/// The result of applying a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Put: the previous value. Get: the value. Delete: the removed value.
    Value(Option<String>),
    Nothing,
}

#[derive(Default, Debug, Clone)]
pub struct Kv {
    map: BTreeMap<String, String>,
}

impl Kv {
    pub fn apply(&mut self, cmd: &Command) -> Outcome {
        match cmd {
            Command::Put { key, value } => {
                Outcome::Value(self.map.insert(key.clone(), value.clone()))
            }
            Command::Delete { key } => Outcome::Value(self.map.remove(key)),
            Command::Get { key } => Outcome::Value(self.map.get(key).cloned()),
            Command::Noop => Outcome::Nothing,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Keys are path segments: 1 to 256 characters of `A-Za-z0-9._~-`.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 256
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_and_codec() {
        let mut kv = Kv::default();
        let put = Command::Put {
            key: "a".into(),
            value: "1".into(),
        };
        assert_eq!(Command::decode(&put.encode()).unwrap(), put);
        assert_eq!(kv.apply(&put), Outcome::Value(None));
        assert_eq!(
            kv.apply(&Command::Get { key: "a".into() }),
            Outcome::Value(Some("1".into()))
        );
        assert_eq!(
            kv.apply(&Command::Delete { key: "a".into() }),
            Outcome::Value(Some("1".into()))
        );
        assert_eq!(
            kv.apply(&Command::Get { key: "a".into() }),
            Outcome::Value(None)
        );
        assert!(Command::decode(b"\xff").is_err());
        assert!(valid_key("a-b.c_1") && !valid_key("") && !valid_key("a/b") && !valid_key("a b"));
    }
}
