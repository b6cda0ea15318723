//! `raftspec explore`: serve a model in stateright's web Explorer, with readable actions
//! (`format_action`), steps (`format_step`: what changed) and the path so far drawn as a message
//! sequence diagram (`as_svg`, model/src/svg.rs).
//!
//! A counterexample printed by `raftspec check` opens at `http://ADDR/#/steps/<path>`, where the
//! path is stateright's action-index encoding; `check` prints the exact `explore` command (same
//! variant, bounds and bug), so the indices select the same actions here.

use crate::args::{parse_bug, parse_variants, BoundsArgs};
use crate::Outcome;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use raftspec_model::bugs;
use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::Spec;
use stateright::Model as _;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

#[derive(Args, Debug)]
pub struct ExploreArgs {
    #[arg(help = crate::args::variant_help(false))]
    pub variant: String,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    /// Inject a bug from the catalog (`raftspec bugs`); its bounds are used unless overridden.
    #[arg(long)]
    pub bug: Option<String>,
    /// Address to listen on. Loopback by default; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
}

pub fn run(a: ExploreArgs) -> Result<Outcome> {
    if a.variant == "all" {
        bail!("explore serves one variant at a time: raft or kraft");
    }
    let variant = parse_variants(&a.variant)?[0];
    let bug = parse_bug(a.bug.as_deref())?;
    if let Some(b) = bug {
        // A liveness bug too: `check --liveness` prints Explorer links to its lassos.
        let listed = bugs::entry(variant, b).is_some()
            || raftspec_model::liveness::entry(variant, b).is_some();
        if !listed {
            bail!("bug {b} is not in the catalog of variant {variant} (see `raftspec bugs`)");
        }
    }
    let bounds = a.bounds.resolve(variant, bug)?;
    let addr = resolve_addr(&a.addr)?;
    // Bind once here so that a busy or forbidden address is a clear error rather than a panic
    // inside the Explorer; port 0 becomes the free port the system chose.
    let addr = TcpListener::bind(addr)
        .and_then(|l| l.local_addr())
        .with_context(|| format!("cannot listen on {addr}"))?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}: anyone who can reach this machine can use the Explorer"
        );
    }
    println!(
        "serving the stateright Explorer for {variant} ({}): {bounds}",
        bug.map_or("no bug".to_string(), |b| format!("bug {b}"))
    );
    println!("explorer: http://{addr}/");
    println!(
        "a counterexample path P printed by `raftspec check` with the same bounds opens at http://{addr}/#/steps/P"
    );
    println!("Ctrl-C stops it");
    with_spec(variant, bounds, bug, Serve { addr })?;
    Ok(Outcome::Pass)
}

fn resolve_addr(text: &str) -> Result<SocketAddr> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    text.to_socket_addrs()
        .map_err(|e| anyhow!("bad --addr {text:?}: {e} (expected HOST:PORT, e.g. 127.0.0.1:3000)"))?
        .next()
        .ok_or_else(|| anyhow!("bad --addr {text:?}: it resolves to no address"))
}

struct Serve {
    addr: SocketAddr,
}

impl SpecVisitor for Serve {
    type Output = Result<()>;
    fn visit<S: Spec>(self, spec: S) -> Result<()> {
        // Serves until the process is stopped. The Explorer evaluates properties as written
        // (an unarmed model, see model/src/latch.rs); the wrapper adds the pictures.
        raftspec_view::Shown::new(spec)?.checker().serve(self.addr);
        Ok(())
    }
}
