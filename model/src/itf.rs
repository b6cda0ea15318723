//! The Informal Trace Format (ITF, Apalache ADR-015) as Apalache and Quint write it, decoded in
//! one place: `{"#bigint": "12"}`, `{"#set": [...]}`, `{"#map": [[k, v], ...]}`,
//! `{"#tup": [...]}` and `{"#unserializable": "..."}` become the plain JSON that the rest of
//! raftspec reads (numbers, arrays, objects), and the lasso's loop index is read from the
//! top-level `loop` (the ADR) or `#meta.loop`.
//!
//! Decoded forms:
//! - `#bigint` → a JSON number when it fits in an `i64`, else its decimal string;
//! - `#set` → an array, in the file's order;
//! - `#tup` → an array, except the empty tuple, kept as `{"#tup": []}`: the unit value that
//!   raftspec's own traces write as the payload of a variant without fields (`None`, `Init`);
//! - `#map` → an object when every key decodes to a string, else an array of `[key, value]`;
//! - `#unserializable` → the string `<unserializable: TEXT>`.

use serde_json::{Map, Value};

/// An ITF document that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItfError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("not an ITF trace: {0}")]
    Shape(String),
    #[error("bad ITF value at {at}: {error}")]
    Value { at: String, error: ValueError },
}

/// Why one ITF value cannot be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("unknown ITF encoding {0:?}")]
    UnknownEncoding(String),
    #[error("{encoding} holds {found}, not an array")]
    NotAnArray {
        encoding: &'static str,
        found: Value,
    },
    #[error("#bigint holds {0}, not a decimal string")]
    BigintNotString(Value),
    #[error("#bigint {0:?} is not a decimal integer")]
    BigintNotDecimal(String),
    #[error("#map entry {index} is {found}, not a [key, value] pair")]
    MapEntry { index: usize, found: Value },
    /// A value inside an encoding that cannot be decoded.
    #[error("{0}")]
    Inner(Box<ItfError>),
}

impl From<ItfError> for ValueError {
    fn from(e: ItfError) -> Self {
        ValueError::Inner(Box::new(e))
    }
}

/// An ITF document with every value decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ItfDoc {
    /// The document's `#meta` (not decoded: tools write plain JSON there).
    pub meta: Map<String, Value>,
    /// The declared variables (Quint may list some twice: informational only).
    pub vars: Vec<String>,
    /// Each state's variables, decoded, without the state's `#meta`.
    pub states: Vec<Map<String, Value>>,
    /// Index of the state that follows the last one, for a lasso (`loop` or `#meta.loop`).
    pub loop_index: Option<usize>,
}

impl ItfDoc {
    /// Parses and decodes an ITF document.
    pub fn parse(text: &str) -> Result<ItfDoc, ItfError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| ItfError::Json(e.to_string()))?;
        ItfDoc::from_value(&doc)
    }

    pub fn from_value(doc: &Value) -> Result<ItfDoc, ItfError> {
        let shape = |m: &str| ItfError::Shape(m.to_string());
        let Value::Object(top) = doc else {
            return Err(shape("the document is not a JSON object"));
        };
        let meta = match top.get("#meta") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(shape("\"#meta\" is not an object")),
        };
        let vars = match top.get("vars") {
            None => Vec::new(),
            Some(Value::Array(vs)) => vs
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| shape("\"vars\" is not an array of names"))?,
            Some(_) => return Err(shape("\"vars\" is not an array")),
        };
        // No `states` reads as none: the caller says what an empty trace lacks.
        let empty = Vec::new();
        let raw = match top.get("states") {
            None => &empty,
            Some(Value::Array(raw)) => raw,
            Some(_) => return Err(shape("\"states\" is not an array")),
        };
        let mut states = Vec::with_capacity(raw.len());
        for (i, s) in raw.iter().enumerate() {
            let Value::Object(rec) = s else {
                return Err(ItfError::Shape(format!("state {i} is not a record")));
            };
            let mut out = Map::new();
            for (k, v) in rec.iter().filter(|(k, _)| k.as_str() != "#meta") {
                out.insert(k.clone(), decode_at(v, &format!("states[{i}].{k}"))?);
            }
            states.push(out);
        }
        let loop_index = loop_index(top, &meta, states.len())?;
        Ok(ItfDoc {
            meta,
            vars,
            states,
            loop_index,
        })
    }

    /// A `#meta` field as a string, if it is one.
    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta.get(key).and_then(Value::as_str)
    }
}

/// The loop index: the ADR's top-level `loop`, or `#meta.loop` as some writers put it.
fn loop_index(
    top: &Map<String, Value>,
    meta: &Map<String, Value>,
    states: usize,
) -> Result<Option<usize>, ItfError> {
    let Some(v) = top.get("loop").or_else(|| meta.get("loop")) else {
        return Ok(None);
    };
    let v = match v {
        Value::Null => return Ok(None),
        other => decode_at(other, "loop")?,
    };
    match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n < states => Ok(Some(n)),
        _ => Err(ItfError::Shape(format!(
            "\"loop\" {v} is not the index of one of the {states} states"
        ))),
    }
}

/// Decodes one ITF value into plain JSON (see the module's documentation).
pub fn decode(v: &Value) -> Result<Value, ItfError> {
    decode_at(v, "value")
}

fn decode_at(v: &Value, at: &str) -> Result<Value, ItfError> {
    let bad = |error: ValueError| ItfError::Value {
        at: at.to_string(),
        error,
    };
    match v {
        Value::Array(xs) => xs
            .iter()
            .enumerate()
            .map(|(i, x)| decode_at(x, &format!("{at}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(m) => match encoding(m) {
            Some((tag, inner)) => decode_encoded(tag, inner, at).map_err(bad),
            None if m.keys().any(|k| k.starts_with('#')) && m.len() == 1 => {
                let k = m.keys().next().expect("one key");
                Err(bad(ValueError::UnknownEncoding(k.clone())))
            }
            None => {
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(k.clone(), decode_at(x, &format!("{at}.{k}"))?);
                }
                Ok(Value::Object(out))
            }
        },
        other => Ok(other.clone()),
    }
}

/// The encoding of a one-key object `{"#bigint": ...}` etc., if it is one.
fn encoding(m: &Map<String, Value>) -> Option<(&str, &Value)> {
    const TAGS: [&str; 5] = ["#bigint", "#set", "#map", "#tup", "#unserializable"];
    let (k, v) = m.iter().next()?;
    (m.len() == 1 && TAGS.contains(&k.as_str())).then_some((k.as_str(), v))
}

fn decode_encoded(tag: &str, inner: &Value, at: &str) -> Result<Value, ValueError> {
    let items = |encoding: &'static str| match inner {
        Value::Array(xs) => Ok(xs),
        other => Err(ValueError::NotAnArray {
            encoding,
            found: other.clone(),
        }),
    };
    let each = |xs: &[Value]| -> Result<Vec<Value>, ValueError> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| Ok(decode_at(x, &format!("{at}[{i}]"))?))
            .collect()
    };
    match tag {
        "#bigint" => bigint(inner),
        "#set" => each(items("#set")?).map(Value::Array),
        "#tup" if items("#tup")?.is_empty() => Ok(serde_json::json!({"#tup": []})),
        "#tup" => each(items("#tup")?).map(Value::Array),
        "#map" => map(items("#map")?, at),
        "#unserializable" => Ok(Value::String(format!(
            "<unserializable: {}>",
            inner
                .as_str()
                .map_or_else(|| inner.to_string(), str::to_string)
        ))),
        _ => unreachable!("encoding() returns only the tags above"),
    }
}

fn bigint(inner: &Value) -> Result<Value, ValueError> {
    let Some(s) = inner.as_str() else {
        return Err(ValueError::BigintNotString(inner.clone()));
    };
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::BigintNotDecimal(s.to_string()));
    }
    Ok(match s.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(s.to_string()),
    })
}

fn map(pairs: &[Value], at: &str) -> Result<Value, ValueError> {
    let mut decoded = Vec::with_capacity(pairs.len());
    for (i, p) in pairs.iter().enumerate() {
        let Some([k, v]) = p.as_array().map(Vec::as_slice) else {
            return Err(ValueError::MapEntry {
                index: i,
                found: p.clone(),
            });
        };
        let k = decode_at(k, &format!("{at}[{i}][0]"))?;
        let v = decode_at(v, &format!("{at}[{i}][1]"))?;
        decoded.push((k, v));
    }
    if decoded.iter().all(|(k, _)| k.is_string()) {
        let obj = decoded
            .into_iter()
            .map(|(k, v)| (k.as_str().expect("a string key").to_string(), v))
            .collect();
        Ok(Value::Object(obj))
    } else {
        Ok(Value::Array(
            decoded
                .into_iter()
                .map(|(k, v)| Value::Array(vec![k, v]))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_encoding_decodes_to_plain_json() {
        let v = json!({
            "n": {"#bigint": "42"},
            "huge": {"#bigint": "-123456789012345678901234567890"},
            "s": {"#set": [{"#bigint": "1"}, {"#bigint": "2"}]},
            "t": {"#tup": ["a", {"#bigint": "3"}]},
            "unit": {"tag": "None", "value": {"#tup": []}},
            "m": {"#map": [["S0", {"#set": []}], ["S1", {"#set": ["S1"]}]]},
            "mi": {"#map": [[{"#bigint": "1"}, true]]},
            "f": {"#unserializable": "Int"},
            "rec": {"xs": [{"#bigint": "7"}]},
        });
        assert_eq!(
            decode(&v).unwrap(),
            json!({
                "n": 42,
                "huge": "-123456789012345678901234567890",
                "s": [1, 2],
                "t": ["a", 3],
                "unit": {"tag": "None", "value": {"#tup": []}},
                "m": {"S0": [], "S1": ["S1"]},
                "mi": [[1, true]],
                "f": "<unserializable: Int>",
                "rec": {"xs": [7]},
            })
        );
    }

    #[test]
    fn malformed_encodings_are_errors_that_say_where() {
        for (bad, says) in [
            (json!({"x": {"#bigint": "12a"}}), "not a decimal integer"),
            (json!({"x": {"#bigint": 12}}), "not a decimal string"),
            (json!({"x": {"#set": 1}}), "not an array"),
            (json!({"x": {"#map": [[1]]}}), "not a [key, value] pair"),
            (json!({"x": {"#frob": []}}), "unknown ITF encoding"),
        ] {
            let e = decode(&bad).unwrap_err().to_string();
            assert!(e.contains("value.x") && e.contains(says), "{e}");
        }
    }

    #[test]
    fn the_loop_is_read_from_the_top_level_or_from_meta() {
        let states = json!([{"x": 1}, {"x": 2}, {"x": 3}]);
        let top = json!({"states": states, "loop": 1});
        assert_eq!(ItfDoc::from_value(&top).unwrap().loop_index, Some(1));
        let meta = json!({"#meta": {"loop": {"#bigint": "2"}}, "states": states});
        assert_eq!(ItfDoc::from_value(&meta).unwrap().loop_index, Some(2));
        let none = json!({"states": states});
        assert_eq!(ItfDoc::from_value(&none).unwrap().loop_index, None);
        let out = json!({"states": states, "loop": 3});
        assert!(ItfDoc::from_value(&out)
            .unwrap_err()
            .to_string()
            .contains("\"loop\" 3 is not the index"));
    }

    #[test]
    fn state_meta_is_dropped_and_values_decoded() {
        let d = ItfDoc::parse(
            r##"{"#meta": {"source": "x.qnt"}, "vars": ["n"],
                 "states": [{"#meta": {"index": 0}, "n": {"#bigint": "5"}}]}"##,
        )
        .unwrap();
        assert_eq!(d.meta_str("source"), Some("x.qnt"));
        assert_eq!(d.states, vec![json!({"n": 5}).as_object().unwrap().clone()]);
        assert!(ItfDoc::parse("[]").is_err());
        assert!(ItfDoc::parse(r#"{"states": [1]}"#).is_err());
        assert!(ItfDoc::parse(r#"{"states": {}}"#).is_err());
        assert!(ItfDoc::parse("{}").unwrap().states.is_empty());
    }
}
