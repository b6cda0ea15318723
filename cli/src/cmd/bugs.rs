//! `raftspec bugs`: the catalog of injectable protocol bugs.

use crate::Outcome;
use anyhow::Result;
use clap::Args;
use raftspec_model::bugs::catalog;

#[derive(Args, Debug)]
pub struct BugsArgs {
    /// Print the catalog as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: BugsArgs) -> Result<Outcome> {
    let rows = catalog();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Pass);
    }
    for r in &rows {
        println!("{} ({})", r.bug, r.variant);
        println!("  rule broken:   {}", r.rule);
        println!("  must violate:  {}", r.property);
        println!("  reached with:  {}", r.bounds);
        println!(
            "  check it:      raftspec check {} --bug {}",
            r.variant, r.bug
        );
    }
    Ok(Outcome::Pass)
}
