//! The faults a chaos run injects into real node processes, and their healing.

use super::proxy::Link;
use super::workload::Rng;
use raftspec_impl::local::LocalCluster;
use std::sync::atomic::Ordering::Relaxed;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Fault {
    /// SIGKILL a node, restart it later on the same data directory.
    Kill,
    /// SIGSTOP a node (a long GC pause, a stalled VM), SIGCONT it later.
    Pause,
    /// Cut every link to and from a node (black hole, both directions).
    Partition,
    /// Cut the links *from* a node only: it hears everyone, nobody hears it.
    OneWay,
    /// Delay everything a node sends by 100-300 ms.
    Delay,
    /// Every write of the node fails with ENOSPC: it stops (refusing to acknowledge what it
    /// cannot make durable) and is restarted once the disk has room again.
    DiskFull,
    /// Every fsync of the node takes 100 ms longer.
    DiskSlow,
}

pub struct Nemesis {
    pub links: Vec<Link>,
    pub rng: Rng,
    /// The nodes' `--fault-dir`: node i watches `fault_dir/node-i/{full,slow}`.
    pub fault_dir: std::path::PathBuf,
}

fn signal(c: &LocalCluster, i: usize, sig: libc::c_int) {
    if let Some(pid) = c.pid(i) {
        // SAFETY: kill(2) on a child's pid touches no memory of ours.
        unsafe {
            libc::kill(pid as libc::pid_t, sig);
        }
    }
}

impl Nemesis {
    fn flag(&self, i: usize, name: &str) -> std::path::PathBuf {
        self.fault_dir.join(format!("node-{i}")).join(name)
    }

    pub fn inject(&mut self, c: &mut LocalCluster, f: Fault, victim: usize) {
        match f {
            Fault::Kill => c.kill(victim),
            Fault::Pause => signal(c, victim, libc::SIGSTOP),
            Fault::Partition => {
                for l in &self.links {
                    if l.from == victim || l.to == victim {
                        l.state.cut.store(true, Relaxed);
                    }
                }
            }
            Fault::OneWay => {
                for l in self.links.iter().filter(|l| l.from == victim) {
                    l.state.cut.store(true, Relaxed);
                }
            }
            Fault::DiskFull | Fault::DiskSlow => {
                let name = if f == Fault::DiskFull { "full" } else { "slow" };
                let flag = self.flag(victim, name);
                if let Some(d) = flag.parent() {
                    let _ = std::fs::create_dir_all(d);
                }
                let _ = std::fs::write(flag, b"");
            }
            Fault::Delay => {
                let ms = 100 + self.rng.below(200);
                for l in self.links.iter().filter(|l| l.from == victim) {
                    l.state.delay_ms.store(ms, Relaxed);
                }
            }
        }
    }

    /// Undo every fault: links whole, paused nodes resumed, dead nodes restarted.
    pub fn heal_all(&mut self, c: &mut LocalCluster) -> std::io::Result<()> {
        for l in &self.links {
            l.state.cut.store(false, Relaxed);
            l.state.delay_ms.store(0, Relaxed);
        }
        for i in 0..c.nodes.len() {
            for name in ["full", "slow"] {
                let _ = std::fs::remove_file(self.flag(i, name));
            }
            signal(c, i, libc::SIGCONT);
            if !c.is_running(i) {
                c.kill(i); // reap, if it died
                c.start(i)?;
            }
        }
        Ok(())
    }
}
