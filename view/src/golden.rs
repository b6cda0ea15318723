//! Golden files: output compared with an expectation checked in beside the tests, rewritten
//! instead when `RAFTSPEC_REWRITE=1` is set.

use std::path::Path;

/// The environment variable that rewrites expectations instead of comparing.
pub const REWRITE: &str = "RAFTSPEC_REWRITE";

/// Why a golden check failed.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error(
        "{path}: output differs from the expectation (rerun with {REWRITE}=1 to accept it)\n{diff}"
    )]
    Differs { path: String, diff: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Where two texts first differ, for people: the line, and both versions around the column.
pub fn diff(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let (mut e, mut a) = (expected.lines(), actual.lines());
    for line in 1.. {
        let (x, y) = (e.next(), a.next());
        if x == y && x.is_some() {
            continue;
        }
        let (x, y) = (x.unwrap_or("<end of file>"), y.unwrap_or("<end of file>"));
        let col = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
        let around =
            |s: &str| -> String { s.chars().skip(col.saturating_sub(60)).take(140).collect() };
        return Some(format!(
            "line {line}, column {}:\n- expected: {}\n+ actual:   {}",
            col + 1,
            around(x),
            around(y)
        ));
    }
    unreachable!("texts that differ differ on some line")
}

/// Compares `actual` with the file at `path`, or writes it there under `RAFTSPEC_REWRITE=1`
/// (which is also how a new expectation is made: a missing file is an error).
pub fn check(path: &Path, actual: &str) -> Result<(), GoldenError> {
    let name = path.display().to_string();
    let io = |source| GoldenError::Io {
        path: name.clone(),
        source,
    };
    if std::env::var(REWRITE).is_ok_and(|v| v == "1") {
        return std::fs::write(path, actual).map_err(io);
    }
    let expected = std::fs::read_to_string(path).map_err(io)?;
    match diff(&expected, actual) {
        None => Ok(()),
        Some(diff) => Err(GoldenError::Differs { path: name, diff }),
    }
}
