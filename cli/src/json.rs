//! The one shape of every `--json` output (specs/json.md; the JSON Schema is
//! specs/raftspec-output.schema.json): an object with `schema_version`, `command`, `passed` and
//! a `reports` list, each report with its own `passed`, whatever the number of variants, runs
//! or entries. Command-wide figures sit beside `reports`. Only `bugs --json` (the catalog
//! listing, which judges nothing) has `catalog` in place of `passed` and `reports`.

use serde::Serialize;
use serde_json::{Map, Value};

/// Raised when a field is removed or changes meaning; adding a field keeps the version.
pub const SCHEMA_VERSION: u64 = 1;

/// A `--json` document under construction.
pub struct Doc {
    fields: Map<String, Value>,
}

impl Doc {
    /// The reports of `command`; the document passes when every report does.
    pub fn reports(command: &str, reports: Vec<Value>) -> Doc {
        let passed = reports
            .iter()
            .all(|r| r.get("passed").and_then(Value::as_bool) == Some(true));
        debug_assert!(
            reports
                .iter()
                .all(|r| r.get("passed").is_some_and(Value::is_boolean)),
            "every report of {command} carries `passed`"
        );
        let mut d = Doc::new(command);
        d.fields.insert("passed".into(), passed.into());
        d.fields.insert("reports".into(), Value::Array(reports));
        d
    }

    /// A document without a verdict (the catalog listing).
    pub fn new(command: &str) -> Doc {
        let mut fields = Map::new();
        fields.insert("schema_version".into(), SCHEMA_VERSION.into());
        fields.insert("command".into(), command.into());
        Doc { fields }
    }

    /// A command-wide field beside `reports`.
    pub fn with(mut self, key: &str, value: impl Serialize) -> anyhow::Result<Doc> {
        self.fields
            .insert(key.to_string(), serde_json::to_value(value)?);
        Ok(self)
    }

    /// Overrides the verdict where the command's own rule is stricter than "every report
    /// passed" (e.g. a catalog score below the required one).
    pub fn passed(mut self, passed: bool) -> Doc {
        self.fields.insert("passed".into(), passed.into());
        self
    }

    /// Prints the document on stdout, pretty, as the only thing there.
    pub fn print(self) -> anyhow::Result<()> {
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Object(self.fields))?
        );
        Ok(())
    }
}

/// A serializable report with its verdict added as `passed`.
pub fn report(r: impl Serialize, passed: bool) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(r)?;
    match &mut v {
        Value::Object(m) => {
            m.insert("passed".into(), passed.into());
        }
        other => anyhow::bail!("a report must serialize to an object, not {other}"),
    }
    Ok(v)
}
