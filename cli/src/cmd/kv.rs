//! `raftspec kv`: put, get and delete against a running cluster, finding the leader.

use crate::Outcome;
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use raftspec_impl::client::Client;
use raftspec_impl::local::{default_urls, Manifest};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct KvArgs {
    #[command(subcommand)]
    pub op: KvOp,
    /// Node URL(s) to try (repeatable). Default: the cluster.json in --dir, else the
    /// endpoints `raftspec cluster` uses by default.
    #[arg(long = "node", global = true)]
    pub nodes: Vec<String>,
    /// Cluster directory whose cluster.json lists the endpoints (default: raftspec-cluster).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum KvOp {
    /// Set KEY to VALUE.
    Put { key: String, value: String },
    /// Print the value of KEY (exit 1 if absent).
    Get { key: String },
    /// Remove KEY.
    Delete { key: String },
}

pub fn run(a: KvArgs) -> Result<Outcome> {
    let urls = if !a.nodes.is_empty() {
        a.nodes.clone()
    } else if let Some(dir) = &a.dir {
        // Asked for this directory: no guessing when it holds no cluster.
        Manifest::read(dir)
            .map_err(|e| {
                anyhow::anyhow!("--dir {}: no readable cluster.json ({e})", dir.display())
            })?
            .urls()
    } else if let Ok(m) = Manifest::read(std::path::Path::new("raftspec-cluster")) {
        m.urls()
    } else {
        default_urls(3)
    };
    let mut c = Client::new(&urls, false);
    let r = match &a.op {
        KvOp::Put { key, value } => c.put(key, value).map(|_| {
            println!("ok");
            Outcome::Pass
        }),
        KvOp::Get { key } => c.get(key).map(|v| match v {
            Some(v) => {
                println!("{v}");
                Outcome::Pass
            }
            None => {
                eprintln!("{key}: not found");
                Outcome::Fail
            }
        }),
        KvOp::Delete { key } => c.delete(key).map(|v| {
            println!(
                "ok{}",
                if v["previous"].is_null() {
                    " (was absent)"
                } else {
                    ""
                }
            );
            Outcome::Pass
        }),
    };
    match r {
        Ok(o) => Ok(o),
        Err(e) => bail!("{e} (endpoints: {})", urls.join(", ")),
    }
}
