//! Every `--json` output against the checked-in JSON Schema (specs/raftspec-output.schema.json,
//! documented in specs/json.md): stdout is one document and nothing else, every report carries
//! `passed`, and a document missing a documented field fails the validation.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{raftspec, tempdir, text};

fn schema() -> Value {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/raftspec-output.schema.json");
    serde_json::from_str(&std::fs::read_to_string(f).expect("schema checked in")).expect("JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema is a valid draft 2020-12 schema")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Runs raftspec with `args`: stdout must be exactly one JSON document of the schema.
fn valid_doc(v: &jsonschema::Validator, args: &[&str], exit: i32) -> Value {
    let o = raftspec(args);
    assert_eq!(o.status.code(), Some(exit), "{args:?}: {}", text(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not only JSON ({e}): {}",
            text(&o.stdout)
        )
    });
    let errs = errors(v, &doc);
    assert!(errs.is_empty(), "{args:?}: {errs:#?}");
    doc
}

fn tiny_trace(dir: &Path) -> PathBuf {
    let o = raftspec(&[
        "check",
        "raft",
        "--bug",
        "double-vote",
        "--trace-out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    dir.join("raft-double-vote-ElectionSafety.itf.json")
}

#[test]
fn every_json_command_writes_one_document_of_the_schema() {
    let v = validator();
    let dir = tempdir("json-schema");
    let d = dir.to_str().unwrap();
    let tiny = ["--max-in-flight", "2"];

    // One variant and two: the same shape, a list of reports.
    let one = valid_doc(&v, &[&["check", "raft", "--json"][..], &tiny].concat(), 0);
    assert_eq!(one["reports"].as_array().map(Vec::len), Some(1));
    let o = raftspec(&[&["check", "all", "--json"][..], &tiny].concat());
    let two: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(errors(&v, &two).is_empty());
    assert_eq!(two["reports"].as_array().map(Vec::len), Some(2));
    // Progress went to stderr, not into the JSON.
    assert!(
        text(&o.stderr).contains("checking raft"),
        "{}",
        text(&o.stderr)
    );

    // A violation: the report names the trace file it wrote.
    let bad = valid_doc(
        &v,
        &[
            "check",
            "raft",
            "--bug",
            "double-vote",
            "--json",
            "--trace-out",
            d,
        ],
        1,
    );
    assert_eq!(bad["passed"], false);
    let es = &bad["reports"][0]["properties"][0];
    assert_eq!(es["verdict"], "violated");
    assert!(Path::new(es["trace"].as_str().expect("trace path")).is_file());

    let live = [
        "check",
        "kraft",
        "--liveness",
        "--bug",
        "diverging-refetch",
        "--json",
        "--trace-out",
        d,
    ];
    valid_doc(&v, &live, 1);
    valid_doc(&v, &["compare", "--json"], 0);
    let hunted = valid_doc(
        &v,
        &[
            "hunt",
            "raft",
            "--bug",
            "double-vote",
            "--seconds",
            "2",
            "--threads",
            "1",
            "--json",
            "--trace-out",
            d,
        ],
        1,
    );
    assert_eq!(hunted["reports"][0]["passed"], false);
    valid_doc(&v, &["bugs", "--json"], 0);
    let trace = tiny_trace(&dir);
    let t = trace.to_str().unwrap();
    valid_doc(&v, &["replay", t, "--json"], 1);
    let small = [
        "--depth",
        "4",
        "--walks",
        "20",
        "--len",
        "10",
        "--cases",
        "5",
        "--no-catalog",
    ];
    valid_doc(
        &v,
        &[&["conform", "raft", "--json"][..], &small].concat(),
        0,
    );

    let manifest = dir.join("raftspec.toml");
    std::fs::write(
        &manifest,
        "[[check]]\nname = \"tiny\"\nvariant = \"raft\"\nmax-in-flight = 2\nbudget = 60\n",
    )
    .unwrap();
    let m = manifest.to_str().unwrap();
    let ci = valid_doc(&v, &["ci", "--manifest", m, "--json", "--no-cache"], 0);
    assert_eq!(ci["reports"][0]["name"], "tiny");
}

#[test]
fn a_document_missing_a_field_fails_the_validation() {
    let v = validator();
    let o = raftspec(&["check", "raft", "--max-in-flight", "2", "--json"]);
    let good: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(errors(&v, &good).is_empty());

    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut d = good.clone();
        edit(&mut d);
        errors(&v, &d)
    };
    let strip = |path: &'static [&'static str], key: &'static str| {
        move |d: &mut Value| {
            let mut at = d;
            for p in path {
                at = match p.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*p],
                };
            }
            at.as_object_mut().expect("an object").remove(key);
        }
    };
    for (what, errs) in [
        (
            "report without passed",
            broken(&strip(&["reports", "0"], "passed")),
        ),
        ("no schema_version", broken(&strip(&[], "schema_version"))),
        ("no top-level passed", broken(&strip(&[], "passed"))),
        (
            "report without unique_states",
            broken(&strip(&["reports", "0"], "unique_states")),
        ),
        (
            "property without verdict",
            broken(&strip(&["reports", "0", "properties", "0"], "verdict")),
        ),
        (
            "another schema version",
            broken(&|d: &mut Value| d["schema_version"] = 2.into()),
        ),
        (
            "passed as a string",
            broken(&|d: &mut Value| d["reports"][0]["passed"] = "yes".into()),
        ),
    ] {
        assert!(!errs.is_empty(), "{what}: accepted");
    }
    // A violated property must say how to reach it.
    let mut d = good.clone();
    d["reports"][0]["properties"][0]["verdict"] = "violated".into();
    assert!(
        !errors(&v, &d).is_empty(),
        "a violation without steps and path"
    );
}

/// specs/json.md describes every field the schema names.
#[test]
fn the_documentation_names_every_field_of_the_schema() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/json.md"))
            .expect("specs/json.md");
    let mut names = std::collections::BTreeSet::new();
    collect_fields(&schema(), &mut names);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(missing.is_empty(), "specs/json.md lacks {missing:?}");
    assert!(names.len() > 60, "{names:?}");
}

fn collect_fields(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    // A map from field names to their schemas (a field may be named
                    // `properties` too: only the names are fields, not the map itself).
                    ("properties", Value::Object(props)) => {
                        for (name, sub) in props {
                            out.insert(name.clone());
                            collect_fields(sub, out);
                        }
                    }
                    _ => collect_fields(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| collect_fields(x, out)),
        _ => {}
    }
}
