//! `raftspec ci`: a manifest run end to end (JUnit, summary, JSON), a bad manifest, pins that
//! catch a count moving or a witness disappearing, and the cache.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tiny raft check (well under a second), a small conformance suite and the raft catalog.
const MANIFEST: &str = r#"
[settings]
budget = 60

[[check]]
name = "tiny"
variant = "raft"
max-in-flight = 2

[[conform]]
name = "conform-tiny"
variant = "raft"
depth = 4
walks = 20
len = 10
cases = 5
catalog = false

[[catalog]]
variant = "raft"
"#;

fn tempdir(name: &str) -> PathBuf {
    let d =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn ci(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftspec"))
        .arg("ci")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("raftspec runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `--json` document: one report per entry (specs/json.md).
fn json(o: &Output) -> Value {
    let d: Value = serde_json::from_slice(&o.stdout).expect("--json prints one JSON object");
    assert_eq!(
        (&d["schema_version"], &d["command"]),
        (&1.into(), &"ci".into())
    );
    d
}

fn with_manifest(name: &str, manifest: &str) -> PathBuf {
    let d = tempdir(name);
    std::fs::write(d.join("raftspec.toml"), manifest).expect("manifest written");
    d
}

#[test]
fn a_passing_manifest_writes_junit_summary_and_json() {
    let d = with_manifest("pass", MANIFEST);
    let o = ci(&d, &["--junit", "junit.xml", "--summary", "summary.md"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    assert!(text(&o.stderr).contains("ci: [1/3] check tiny"));

    let xml = std::fs::read_to_string(d.join("junit.xml")).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 3);
    let cases = |i: usize| {
        suites[i]
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count()
    };
    // One case per Raft property; the suite is one case; the raft catalog has 10 bugs.
    let props = raft_properties();
    assert_eq!((cases(0), cases(1), cases(2)), (props, 1, 10));
    assert_eq!(
        root.attribute("tests"),
        Some((props + 11).to_string().as_str())
    );
    assert_eq!(root.attribute("failures"), Some("0"));

    let md = std::fs::read_to_string(d.join("summary.md")).expect("summary written");
    assert!(md.contains("## raftspec ci: ✅ PASS"), "{md}");
    assert!(md.contains("| | Entry | Kind | Variant | Cases |"), "{md}");
    assert!(
        md.contains(&format!(
            "| ✅ | tiny | check | raft | {props}/{props} pass |"
        )),
        "{md}"
    );
    assert!(
        md.contains("| ✅ | catalog-raft | catalog | raft | 10/10 pass |"),
        "{md}"
    );

    let o = ci(&d, &["--json", "--no-cache"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["passed"], true);
    assert_eq!(v["reports"].as_array().map(Vec::len), Some(3));
    assert!(v["reports"][0]["figures"]["unique"].as_u64() > Some(0));
}

#[test]
fn a_bad_manifest_is_one_error_line_and_exit_2() {
    let d = with_manifest(
        "bad",
        &MANIFEST.replace("max-in-flight = 2", "max-in-fligth = 2"),
    );
    let o = ci(&d, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: bad manifest"), "{err}");
    assert!(err.contains("unknown field `max-in-fligth`"), "{err}");
    assert!(err.contains("line 8"), "{err}");

    let d = with_manifest(
        "bad-bound",
        &MANIFEST.replace("max-in-flight = 2", "servers = 9"),
    );
    let o = ci(&d, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("between 1 and 5"), "{err}");

    let o = ci(&d, &["--manifest", "nowhere.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: cannot read manifest nowhere.toml"));
}

#[test]
fn pins_catch_a_moved_count_and_a_lost_witness() {
    let d = with_manifest("pins", MANIFEST);
    let o = ci(&d, &["--update-pins"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let pins_file = d.join("raftspec.pins.json");
    let pinned: Value =
        serde_json::from_str(&std::fs::read_to_string(&pins_file).unwrap()).expect("pins are JSON");
    let unique = pinned["checks"]["tiny"]["unique"]
        .as_u64()
        .expect("unique pinned");
    assert_eq!(pinned["catalog"]["catalog-raft"]["found"], 10);

    // Unchanged: the pins hold.
    let o = ci(&d, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));

    // A pinned count that differs from the run's: exit 1, naming check, figure and change.
    let mut edited = pinned.clone();
    edited["checks"]["tiny"]["unique"] = (unique + 100).into();
    std::fs::write(&pins_file, edited.to_string()).unwrap();
    let o = ci(&d, &["--summary", "summary.md"]);
    assert_eq!(o.status.code(), Some(1));
    let md = std::fs::read_to_string(d.join("summary.md")).unwrap();
    let expected = format!("unique states moved from {} to {unique}", unique + 100);
    assert!(
        md.contains("**tiny**: pins:") && md.contains(&expected),
        "{md}"
    );

    // Within a tolerance the same move passes.
    let tolerant = MANIFEST.replace("budget = 60", "budget = 60\ntolerance = 5");
    std::fs::write(d.join("raftspec.toml"), tolerant).unwrap();
    assert_eq!(ci(&d, &[]).status.code(), Some(0));

    // Bounds too small to commit an entry: the witnesses are missing, and the pins say so.
    std::fs::write(&pins_file, pinned.to_string()).unwrap();
    let shrunk = MANIFEST.replace("max-in-flight = 2", "max-in-flight = 2\nmax-log = 0");
    std::fs::write(d.join("raftspec.toml"), shrunk).unwrap();
    let o = ci(&d, &["--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let failures = v["reports"][0]["failures"].to_string();
    assert!(
        failures.contains("EntryCommitted: witness never reached"),
        "{failures}"
    );
    assert!(
        failures.contains("witness EntryCommitted disappeared"),
        "{failures}"
    );
    assert_eq!(v["reports"][1]["passed"], true);
}

#[test]
fn a_guard_made_too_strong_fails_naming_the_check_and_the_shrink() {
    // The model with a guard edited: a follower advances its commit index only on an
    // AppendEntries that carries entries (the catalog's `commit-needs-entries`; no safety
    // property catches it). Every property still holds and every witness is still reached;
    // only the pins see that the state space shrank.
    let d = with_manifest("guard", MANIFEST);
    assert_eq!(ci(&d, &["--update-pins"]).status.code(), Some(0));
    let pinned: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("raftspec.pins.json")).unwrap())
            .unwrap();
    let was = pinned["checks"]["tiny"]["unique"].as_u64().unwrap();

    let edited = MANIFEST.replace(
        "max-in-flight = 2",
        "max-in-flight = 2\nbug = \"commit-needs-entries\"",
    );
    std::fs::write(d.join("raftspec.toml"), edited).unwrap();
    let o = ci(&d, &["--json", "--summary", "summary.md"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = json(&o);
    let tiny = &v["reports"][0];
    assert_eq!(tiny["name"], "tiny");
    assert_eq!(tiny["passed"], false);
    // Only the pins fail: the properties themselves all pass.
    let failed: Vec<&str> = tiny["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["pins"], "{tiny}");
    let now = tiny["figures"]["unique"].as_u64().unwrap();
    assert!(
        now < was,
        "the edited guard shrinks the state space: {was} -> {now}"
    );
    let change = format!("unique states moved from {was} to {now} (-");
    let failures = tiny["failures"].to_string();
    assert!(failures.contains(&change), "{failures}");
    let md = std::fs::read_to_string(d.join("summary.md")).unwrap();
    assert!(
        md.contains("**tiny**: pins:") && md.contains(&change),
        "{md}"
    );

    // The other entries are unaffected; a bug outside the catalog is a bad manifest.
    assert_eq!(v["reports"][1]["passed"], true);
    let bad = MANIFEST.replace("max-in-flight = 2", "max-in-flight = 2\nbug = \"typo\"");
    std::fs::write(d.join("raftspec.toml"), bad).unwrap();
    let o = ci(&d, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown bug \"typo\""));
}

#[test]
fn unchanged_entries_come_from_the_cache_unless_no_cache() {
    let d = with_manifest("cache", MANIFEST);
    let o = ci(&d, &["--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(json(&o)["reports"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["cached"] == false));

    let o = ci(&d, &["--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stderr).contains("cached (sources and bounds unchanged)"));
    let v = json(&o);
    assert!(v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["cached"] == true));
    assert!(v["reports"][0]["figures"]["unique"].as_u64() > Some(0));

    let o = ci(&d, &["--summary", "summary.md"]);
    let md = std::fs::read_to_string(d.join("summary.md")).unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(md.contains("3 cached") && md.contains("| cached ("), "{md}");

    let o = ci(&d, &["--json", "--no-cache"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!text(&o.stderr).contains("cached"));
    assert!(json(&o)["reports"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["cached"] == false));

    // Other bounds are another key: that entry runs again, the rest stay cached.
    let other = MANIFEST.replace("max-in-flight = 2", "max-in-flight = 2\nmax-term = 1");
    std::fs::write(d.join("raftspec.toml"), other).unwrap();
    let v = json(&ci(&d, &["--json"]));
    assert_eq!(v["reports"][0]["cached"], false);
    assert_eq!(v["reports"][2]["cached"], true);
}

#[test]
fn an_entry_over_its_budget_fails_with_a_clear_message() {
    let d = with_manifest(
        "budget",
        &MANIFEST.replace("max-in-flight = 2", "max-in-flight = 2\nbudget = 0.000001"),
    );
    let o = ci(&d, &["--json"]);
    assert_eq!(o.status.code(), Some(1));
    let failures = json(&o)["reports"][0]["failures"].to_string();
    assert!(
        failures.contains("time budget: took")
            && failures.contains("over its budget of 0.000001 s"),
        "{failures}"
    );
}

/// How many properties the Raft model states (each is one JUnit case of a check).
fn raft_properties() -> usize {
    let bounds = raftspec_model::bugs::catalog_for(raftspec_model::Variant::Raft)[0]
        .bounds
        .clone();
    stateright::Model::properties(&raftspec_model::raft::RaftModel::new(bounds, None)).len()
}
