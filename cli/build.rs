//! Hashes the sources that decide a check's result, so that `raftspec ci` can reuse a cached
//! result only while they are unchanged: `RAFTSPEC_MODEL_HASH` (model/ and engine/) and
//! `RAFTSPEC_IMPL_HASH` (impl/ and conformance/, which conformance suites also depend on).

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let model = hash_dirs(&root, &["model", "engine"]);
    let imp = hash_dirs(&root, &["impl", "conformance"]);
    println!("cargo:rustc-env=RAFTSPEC_MODEL_HASH={model}");
    println!("cargo:rustc-env=RAFTSPEC_IMPL_HASH={imp}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// One hash over `<crate>/src/**` and `<crate>/Cargo.toml` of each crate, in sorted path order.
fn hash_dirs(root: &Path, crates: &[&str]) -> String {
    let mut files = Vec::new();
    for c in crates {
        let manifest = root.join(c).join("Cargo.toml");
        let src = root.join(c).join("src");
        // A directory makes cargo rerun this script when any file under it changes.
        println!("cargo:rerun-if-changed={}", src.display());
        println!("cargo:rerun-if-changed={}", manifest.display());
        files.push(manifest);
        collect(&src, &mut files);
    }
    files.sort();
    let mut h = Sha256::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(fs::read(f).unwrap_or_default());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}
