//! `check --engine timely`: workers, processes and hosts; starting P local processes.

use crate::Outcome;
use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use raftspec_engine::Cluster;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where the timely engine's workers run (specs/distributed.md).
#[derive(Args, Clone, Debug, Default)]
pub struct DistArgs {
    /// Timely workers in this process (--engine timely; default: --threads).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Processes of a timely cluster. Without --process, starts that many local processes on
    /// loopback and prints the first one's report.
    #[arg(long)]
    pub processes: Option<usize>,
    /// This process's index in the cluster (0 prints the report), with --processes.
    #[arg(long)]
    pub process: Option<usize>,
    /// A file of `host:port` lines, one per process in process order (default:
    /// 127.0.0.1:2101, 127.0.0.1:2102, ...).
    #[arg(long)]
    pub hosts: Option<PathBuf>,
}

/// What the arguments ask of the timely engine.
pub enum Plan {
    /// Not the timely engine.
    None,
    /// Start this many local processes, each running the same command.
    Spawn(usize),
    /// Run as one member of the cluster.
    Run(Cluster),
}

impl DistArgs {
    fn given(&self) -> bool {
        self.workers.is_some()
            || self.processes.is_some()
            || self.process.is_some()
            || self.hosts.is_some()
    }

    /// Validates the flags against the engine chosen; `threads` is the --threads value.
    pub fn plan(&self, timely: bool, threads: usize) -> Result<Plan> {
        if !timely {
            ensure!(
                !self.given(),
                "--workers, --processes, --process and --hosts need --engine timely"
            );
            return Ok(Plan::None);
        }
        let workers = self.workers.unwrap_or(threads);
        ensure!(
            (1..=1024).contains(&workers),
            "--workers must be between 1 and 1024 (got {workers})"
        );
        let Some(processes) = self.processes else {
            ensure!(
                self.process.is_none() && self.hosts.is_none(),
                "--process and --hosts need --processes"
            );
            return Ok(Plan::Run(Cluster::Threads(workers)));
        };
        ensure!(
            (1..=256).contains(&processes),
            "--processes must be between 1 and 256 (got {processes})"
        );
        let Some(process) = self.process else {
            ensure!(
                self.hosts.is_none(),
                "--hosts needs --process (without it, local processes are started on loopback)"
            );
            return Ok(Plan::Spawn(processes));
        };
        ensure!(
            process < processes,
            "--process must be below --processes ({process} >= {processes})"
        );
        let addresses = match &self.hosts {
            Some(f) => read_hosts(f, processes)?,
            None => (0..processes)
                .map(|i| format!("127.0.0.1:{}", 2101 + i))
                .collect(),
        };
        Ok(Plan::Run(Cluster::Processes {
            threads: workers,
            process,
            addresses,
        }))
    }
}

/// The `host:port` lines of a hosts file (blank lines and `#` comments skipped).
fn read_hosts(file: &Path, processes: usize) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --hosts {}", file.display()))?;
    let hosts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    for h in &hosts {
        let port = h.rsplit_once(':').map(|(_, p)| p.parse::<u16>());
        ensure!(
            matches!(port, Some(Ok(_))),
            "--hosts {}: {h:?} is not host:port",
            file.display()
        );
    }
    ensure!(
        hosts.len() == processes,
        "--hosts {} lists {} processes, --processes says {processes}",
        file.display(),
        hosts.len()
    );
    Ok(hosts)
}

/// Ports free on loopback now (the processes bind them a moment later).
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<_>>()
        .context("cannot find free loopback ports")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// Starts `processes` copies of this command on loopback, each with its `--process` and a
/// hosts file; the first one's output is this command's. A process that fails stops the rest.
pub fn spawn_local(processes: usize) -> Result<Outcome> {
    let ports = free_ports(processes)?;
    let hosts = std::env::temp_dir().join(format!("raftspec-hosts-{}.txt", std::process::id()));
    let lines: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    std::fs::write(&hosts, lines.concat())
        .with_context(|| format!("cannot write {}", hosts.display()))?;
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let mut children = Vec::new();
    for i in 0..processes {
        let quiet = || {
            if i == 0 {
                Stdio::inherit()
            } else {
                Stdio::null()
            }
        };
        let child = Command::new(&exe)
            .args(&args)
            .arg("--process")
            .arg(i.to_string())
            .arg("--hosts")
            .arg(&hosts)
            .stdout(quiet())
            .stderr(if i == 0 {
                Stdio::inherit()
            } else {
                Stdio::piped()
            })
            .spawn();
        match child {
            Ok(c) => children.push(c),
            Err(e) => {
                stop_all(&mut children);
                bail!("cannot start process {i}: {e}");
            }
        }
    }
    let codes = wait_all(&mut children);
    let _ = std::fs::remove_file(&hosts);
    let codes = codes?;
    match codes[0] {
        0 => Ok(Outcome::Pass),
        1 => Ok(Outcome::Fail),
        c => bail!("process 0 exited with status {c}"),
    }
}

fn stop_all(children: &mut [Child]) {
    for c in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Waits for every process; if one fails (an error, not a failed check), stops the others.
fn wait_all(children: &mut [Child]) -> Result<Vec<i32>> {
    let mut codes: Vec<Option<i32>> = vec![None; children.len()];
    while codes.iter().any(Option::is_none) {
        for (i, c) in children.iter_mut().enumerate() {
            if codes[i].is_some() {
                continue;
            }
            if let Some(status) = c.try_wait()? {
                let code = status.code().unwrap_or(-1);
                codes[i] = Some(code);
                if code != 0 && code != 1 {
                    let mut err = String::new();
                    if let Some(mut e) = c.stderr.take() {
                        use std::io::Read;
                        let _ = e.read_to_string(&mut err);
                    }
                    stop_all(children);
                    bail!("process {i} exited with status {code}: {}", err.trim());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(codes.into_iter().map(|c| c.unwrap_or(-1)).collect())
}
