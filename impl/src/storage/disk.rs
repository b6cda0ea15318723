//! The files of one data directory, behind a trait so that tests and the conformance harness
//! can run the same storage code on a simulated disk ([`super::sim::SimDisk`]) that forgets
//! whatever was not synced when it "crashes".
//!
//! Contract: `write_atomic` is durable and atomic when it returns (old or new content, never a
//! mix); `write_at` and `set_len` are durable only after a later `sync` of the same file.

use super::{io, Result};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub trait Disk: Send {
    /// Where this disk lives, for messages.
    fn describe(&self) -> String;
    /// File names present (temporary files included).
    fn list(&mut self) -> Result<Vec<String>>;
    /// The whole content of `name`, `None` if it does not exist.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Replace `name` durably and atomically (temporary file, fsync, rename, fsync directory).
    fn write_atomic(&mut self, name: &str, bytes: &[u8]) -> Result<()>;
    /// Write into `name` (created if missing) at `offset`; durable after `sync(name)`.
    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> Result<()>;
    /// Cut or extend `name`; durable after `sync(name)`.
    fn set_len(&mut self, name: &str, len: u64) -> Result<()>;
    /// Make every earlier `write_at`/`set_len` of `name` durable.
    fn sync(&mut self, name: &str) -> Result<()>;
    /// Remove `name` durably (no error if it is absent).
    fn remove(&mut self, name: &str) -> Result<()>;
}

/// A real directory. Files written piecewise stay open between calls.
pub struct FsDisk {
    dir: PathBuf,
    open: HashMap<String, File>,
    /// Fault injection (chaos runs only): while `FAULTS/full` exists every write fails with
    /// ENOSPC; while `FAULTS/slow` exists every sync first sleeps 100 ms.
    faults: Option<PathBuf>,
}

impl FsDisk {
    /// Use `dir`, creating it (and making its entry durable) if it does not exist. Refuses a
    /// path that exists and is not a directory.
    pub fn open(dir: &Path) -> Result<FsDisk> {
        if dir.exists() && !dir.is_dir() {
            return Err(super::StorageError::NotOurs(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        if !dir.exists() {
            io(fs::create_dir_all(dir), || {
                format!("create {}", dir.display())
            })?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        Ok(FsDisk {
            dir: dir.to_path_buf(),
            open: HashMap::new(),
            faults: None,
        })
    }

    /// Watch `dir` for injected disk faults (see the `faults` field).
    pub fn with_faults(mut self, dir: Option<PathBuf>) -> FsDisk {
        self.faults = dir;
        self
    }

    fn injected_full(&self, what: &str) -> Result<()> {
        match &self.faults {
            Some(f) if f.join("full").exists() => {
                io(Err(std::io::Error::from_raw_os_error(libc::ENOSPC)), || {
                    format!("{what} (injected disk-full fault)")
                })
            }
            _ => Ok(()),
        }
    }

    fn injected_slowness(&self) {
        if self
            .faults
            .as_ref()
            .is_some_and(|f| f.join("slow").exists())
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn file(&mut self, name: &str) -> Result<&mut File> {
        if !self.open.contains_key(name) {
            let p = self.path(name);
            let existed = p.exists();
            let f = io(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&p),
                || format!("open {}", p.display()),
            )?;
            if !existed {
                // A new file's directory entry must be durable before anything relies on it.
                sync_dir(&self.dir)?;
            }
            self.open.insert(name.to_string(), f);
        }
        Ok(self.open.get_mut(name).expect("just inserted"))
    }
}

/// fsync a directory so that a rename or a new file in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let d = io(File::open(dir), || {
        format!("open directory {}", dir.display())
    })?;
    io(d.sync_all(), || {
        format!("fsync directory {}", dir.display())
    })
}

impl Disk for FsDisk {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn list(&mut self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for e in io(fs::read_dir(&self.dir), || {
            format!("list {}", self.dir.display())
        })? {
            let e = io(e, || format!("list {}", self.dir.display()))?;
            out.push(e.file_name().to_string_lossy().into_owned());
        }
        out.sort();
        Ok(out)
    }

    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        let p = self.path(name);
        if !p.exists() {
            return Ok(None);
        }
        let mut f = io(File::open(&p), || format!("open {}", p.display()))?;
        let mut data = Vec::new();
        io(f.read_to_end(&mut data), || format!("read {}", p.display()))?;
        Ok(Some(data))
    }

    fn write_atomic(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.injected_full(name)?;
        self.injected_slowness();
        self.open.remove(name);
        let tmp = self.path(&format!("{name}.tmp"));
        let dst = self.path(name);
        let mut f = io(File::create(&tmp), || format!("create {}", tmp.display()))?;
        io(f.write_all(bytes), || format!("write {}", tmp.display()))?;
        io(f.sync_all(), || format!("fsync {}", tmp.display()))?;
        drop(f);
        io(fs::rename(&tmp, &dst), || {
            format!("rename {} to {}", tmp.display(), dst.display())
        })?;
        sync_dir(&self.dir)
    }

    fn write_at(&mut self, name: &str, offset: u64, bytes: &[u8]) -> Result<()> {
        self.injected_full(name)?;
        let p = self.path(name);
        let f = self.file(name)?;
        io(f.seek(SeekFrom::Start(offset)), || {
            format!("seek {}", p.display())
        })?;
        io(f.write_all(bytes), || format!("write {}", p.display()))
    }

    fn set_len(&mut self, name: &str, len: u64) -> Result<()> {
        let p = self.path(name);
        let f = self.file(name)?;
        io(f.set_len(len), || format!("truncate {}", p.display()))
    }

    fn sync(&mut self, name: &str) -> Result<()> {
        self.injected_slowness();
        let p = self.path(name);
        let f = self.file(name)?;
        io(f.sync_data(), || format!("fsync {}", p.display()))
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        self.open.remove(name);
        let p = self.path(name);
        if p.exists() {
            io(fs::remove_file(&p), || format!("remove {}", p.display()))?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }
}
