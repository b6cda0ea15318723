//! A cluster of node processes on loopback, for `raftspec cluster`, the benchmark and the
//! fault tests. Each node is the `raftspec` binary itself run as `node`; killing one is a real
//! SIGKILL (`Child::kill`), restarting it reuses its data directory and ports.

use crate::client::Client;
use crate::core::NodeId;
use crate::node::{format_members, Member, Mode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MANIFEST: &str = "cluster.json";
/// The cluster's shared peer secret, generated once per cluster directory.
pub const SECRET: &str = "secret";
/// Default port base of `raftspec cluster`: peers on base+i, HTTP on base+100+i.
pub const DEFAULT_PORT_BASE: u16 = 7100;

/// One node as written to `cluster.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeSpec {
    pub id: NodeId,
    pub peer: SocketAddr,
    pub http: SocketAddr,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    #[serde(default)]
    pub pid: Option<u32>,
}

impl NodeSpec {
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub mode: String,
    pub nodes: Vec<NodeSpec>,
}

impl Manifest {
    pub fn read(dir: &Path) -> io::Result<Manifest> {
        let text = fs::read_to_string(dir.join(MANIFEST))?;
        serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NodeSpec::url).collect()
    }
}

/// The HTTP endpoints `raftspec cluster` uses by default.
pub fn default_urls(nodes: usize) -> Vec<String> {
    (0..nodes)
        .map(|i| format!("http://127.0.0.1:{}", DEFAULT_PORT_BASE + 100 + i as u16))
        .collect()
}

pub struct LocalCluster {
    exe: PathBuf,
    mode: Mode,
    dir: PathBuf,
    pub nodes: Vec<NodeSpec>,
    children: Vec<Option<Child>>,
    /// Extra arguments for every node (timers).
    pub node_args: Vec<String>,
    /// Ask each node to die with this process (Linux `PR_SET_PDEATHSIG`).
    pub die_with_parent: bool,
    /// Per node, the `--peers` it is given instead of the real addresses (a fault-injecting
    /// proxy's, say). Pass an explicit `--cluster-id` in `node_args` with it: the default id
    /// is derived from the peer list.
    pub peers_override: Vec<Option<String>>,
}

/// Write 32 random bytes (hex) to `path` unless it exists; readable by the owner only.
fn ensure_secret(path: &Path) -> io::Result<()> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return Ok(());
    }
    let mut raw = [0u8; 32];
    fs::File::open("/dev/urandom")?.read_exact(&mut raw)?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(hex.as_bytes())?;
    f.sync_all()
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl LocalCluster {
    /// Lay out `n` nodes under `dir`. `port_base`: `Some(b)` uses b+i / b+100+i, `None` picks
    /// free ports. If `dir/cluster.json` exists for the same mode and size, its ports are
    /// reused so the data directories keep matching addresses.
    pub fn new(
        exe: &Path,
        mode: Mode,
        n: usize,
        dir: &Path,
        port_base: Option<u16>,
    ) -> io::Result<LocalCluster> {
        fs::create_dir_all(dir)?;
        ensure_secret(&dir.join(SECRET))?;
        let previous = Manifest::read(dir)
            .ok()
            .filter(|m| m.mode == mode.as_str() && m.nodes.len() == n);
        let mut nodes = Vec::new();
        for i in 0..n {
            let (peer, http) = match (&previous, port_base) {
                (Some(m), _) => (m.nodes[i].peer.port(), m.nodes[i].http.port()),
                (None, Some(b)) => (b + i as u16, b + 100 + i as u16),
                (None, None) => (free_port()?, free_port()?),
            };
            nodes.push(NodeSpec {
                id: i as NodeId,
                peer: SocketAddr::from(([127, 0, 0, 1], peer)),
                http: SocketAddr::from(([127, 0, 0, 1], http)),
                data_dir: dir.join(format!("node-{i}")),
                log: dir.join(format!("node-{i}.log")),
                pid: None,
            });
        }
        Ok(LocalCluster {
            exe: exe.to_path_buf(),
            mode,
            dir: dir.to_path_buf(),
            children: (0..n).map(|_| None).collect(),
            nodes,
            node_args: Vec::new(),
            die_with_parent: false,
            peers_override: vec![None; n],
        })
    }

    pub fn members(&self) -> BTreeMap<NodeId, Member> {
        self.nodes
            .iter()
            .map(|s| {
                (
                    s.id,
                    Member {
                        peer: s.peer,
                        http: Some(s.http),
                    },
                )
            })
            .collect()
    }

    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NodeSpec::url).collect()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start node `i` (its output is appended to its log file).
    pub fn start(&mut self, i: usize) -> io::Result<()> {
        self.start_with(i, &[])
    }

    /// Start node `i` with `extra` arguments after the common ones (e.g. `--rejoin-empty`).
    pub fn start_with(&mut self, i: usize, extra: &[&str]) -> io::Result<()> {
        if self.children[i].is_some() {
            return Ok(());
        }
        let s = &self.nodes[i];
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("node")
            .args(["--id", &s.id.to_string()])
            .args(["--mode", self.mode.as_str()])
            .args([
                "--peers",
                &self.peers_override[i]
                    .clone()
                    .unwrap_or_else(|| format_members(&self.members())),
            ])
            .arg("--data-dir")
            .arg(&s.data_dir)
            .args(["--http", &s.http.to_string()])
            .arg("--secret-file")
            .arg(self.dir.join(SECRET))
            .args(&self.node_args)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if self.die_with_parent {
            cmd.env("RAFTSPEC_DIE_WITH_PARENT", "1");
        }
        let child = cmd.spawn()?;
        self.nodes[i].pid = Some(child.id());
        self.children[i] = Some(child);
        Ok(())
    }

    pub fn start_all(&mut self) -> io::Result<()> {
        for i in 0..self.nodes.len() {
            self.start(i)?;
        }
        self.write_manifest()
    }

    /// SIGKILL node `i` and reap it.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.nodes[i].pid = None;
    }

    pub fn is_running(&mut self, i: usize) -> bool {
        match &mut self.children[i] {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Nodes that exited on their own since the last call: (index, exit description).
    pub fn reap_exited(&mut self) -> Vec<(usize, std::process::ExitStatus)> {
        let mut out = Vec::new();
        for (i, slot) in self.children.iter_mut().enumerate() {
            if let Some(c) = slot {
                if let Ok(Some(status)) = c.try_wait() {
                    out.push((i, status));
                    *slot = None;
                }
            }
        }
        for (i, _) in &out {
            self.nodes[*i].pid = None;
        }
        out
    }

    pub fn pid(&self, i: usize) -> Option<u32> {
        self.nodes[i].pid
    }

    pub fn write_manifest(&self) -> io::Result<()> {
        let m = Manifest {
            mode: self.mode.as_str().to_string(),
            nodes: self.nodes.clone(),
        };
        let text = serde_json::to_string_pretty(&m).map_err(io::Error::other)?;
        fs::write(self.dir.join(MANIFEST), text)
    }

    /// `/status` of every running node, by index.
    pub fn statuses(&self) -> Vec<(usize, serde_json::Value)> {
        let probe = Client::new(&[], false);
        (0..self.nodes.len())
            .filter(|&i| self.children[i].is_some())
            .filter_map(|i| probe.status(&self.nodes[i].url()).ok().map(|s| (i, s)))
            .collect()
    }

    /// The index of the node that is leader in the highest term, if any.
    pub fn leader(&self) -> Option<usize> {
        self.statuses()
            .into_iter()
            .filter(|(_, s)| s["role"] == "Leader")
            .max_by_key(|(_, s)| s["term"].as_u64().unwrap_or(0))
            .map(|(i, _)| i)
    }

    /// Wait until some node is leader and has committed an entry of its term.
    pub fn wait_for_leader(&self, timeout: Duration) -> Option<usize> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(l) = self.leader() {
                return Some(l);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

/// If started by `LocalCluster` with `die_with_parent`, ask the kernel to SIGKILL this process
/// when its parent dies, so no node outlives `raftspec cluster`.
pub fn die_with_parent_if_asked() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("RAFTSPEC_DIE_WITH_PARENT").is_some() {
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
    }
}
