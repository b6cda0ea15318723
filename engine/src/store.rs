//! Where the search keeps what it has found: per-state trace records (parent, action) by BFS
//! level, and frontier blocks of packed states; both in memory, or appended to a spill file once
//! the run passes its memory limit.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

/// An append-only scratch file, deleted when dropped.
pub struct SpillFile {
    file: File,
    end: Mutex<u64>,
}

impl SpillFile {
    pub fn create_in(dir: &Path) -> io::Result<Self> {
        Ok(SpillFile {
            file: tempfile::tempfile_in(dir)?,
            end: Mutex::new(0),
        })
    }

    /// Appends bytes; returns where they start.
    pub fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut end = self.end.lock().unwrap_or_else(|e| e.into_inner());
        let at = *end;
        self.file.write_all_at(bytes, at)?;
        *end += bytes.len() as u64;
        Ok(at)
    }

    pub fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }

    pub fn len(&self) -> u64 {
        *self.end.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How one state was reached: its parent's index in the previous level and the index of the
/// action (in the parent's `actions()` list) that led here. Initial states record the index
/// of the initial state instead of a parent.
///
/// Five bytes a state: the parent as `u32`, the action as `u8`; the rare action index of 255 or
/// more is kept aside in `wide`.
#[derive(Default)]
pub struct Segment {
    pub parents: Vec<u32>,
    pub actions: Vec<u8>,
    /// (position, action) for actions of index `WIDE` or more, by position.
    pub wide: Vec<(u32, u32)>,
}

const WIDE: u8 = u8::MAX;

impl Segment {
    pub fn push(&mut self, parent: u64, action: usize) {
        assert!(
            parent <= u32::MAX as u64,
            "a level of more than 2^32 states"
        );
        if action >= WIDE as usize {
            self.wide.push((self.parents.len() as u32, action as u32));
        }
        self.parents.push(parent as u32);
        self.actions.push(action.min(WIDE as usize) as u8);
    }

    /// (parent, action) of the state at position `i`.
    pub fn get(&self, i: usize) -> (u64, usize) {
        let action = match self.actions[i] {
            WIDE => {
                let at = self.wide.partition_point(|&(p, _)| (p as usize) < i);
                self.wide[at].1 as usize
            }
            a => a as usize,
        };
        (self.parents[i] as u64, action)
    }

    pub fn len(&self) -> usize {
        self.parents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// Gives back spare capacity once the segment is complete.
    pub fn shrink(&mut self) {
        self.parents.shrink_to_fit();
        self.actions.shrink_to_fit();
        self.wide.shrink_to_fit();
    }

    /// Layout: count (u64), parents, actions, then the wide pairs.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.len() * 5 + self.wide.len() * 8);
        out.extend((self.len() as u64).to_le_bytes());
        self.parents
            .iter()
            .for_each(|p| out.extend(p.to_le_bytes()));
        out.extend_from_slice(&self.actions);
        for (p, a) in &self.wide {
            out.extend(p.to_le_bytes());
            out.extend(a.to_le_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8]) -> Segment {
        let u32s = |b: &[u8]| -> Vec<u32> {
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect()
        };
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        let (p, rest) = bytes[8..].split_at(4 * n);
        let (a, w) = rest.split_at(n);
        let w = u32s(w);
        Segment {
            parents: u32s(p),
            actions: a.to_vec(),
            wide: w.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
        }
    }
}

enum Stored<T> {
    Ram(T),
    Disk { at: u64, len: usize },
}

/// The trace records of one BFS level: one segment per thread, in thread order.
struct Level {
    /// Index in the level of each segment's first state.
    starts: Vec<u64>,
    segments: Vec<Stored<Segment>>,
}

/// Trace records of every level explored so far.
#[derive(Default)]
pub struct TraceStore {
    levels: Vec<Level>,
}

impl TraceStore {
    /// Adds the next level from its per-thread segments (in thread order).
    pub fn push_level(&mut self, mut segments: Vec<Segment>) {
        let mut starts = Vec::with_capacity(segments.len());
        let mut at = 0u64;
        for s in &mut segments {
            s.shrink();
            starts.push(at);
            at += s.len() as u64;
        }
        self.levels.push(Level {
            starts,
            segments: segments.into_iter().map(Stored::Ram).collect(),
        });
    }

    /// Moves every level held in memory to the spill file.
    pub fn spill(&mut self, file: &SpillFile) -> io::Result<()> {
        for level in &mut self.levels {
            for seg in &mut level.segments {
                if let Stored::Ram(s) = seg {
                    let bytes = s.to_bytes();
                    let at = file.append(&bytes)?;
                    *seg = Stored::Disk {
                        at,
                        len: bytes.len(),
                    };
                }
            }
        }
        Ok(())
    }

    /// (parent index, action index) of state `index` of `level`.
    pub fn record(
        &self,
        level: usize,
        index: u64,
        file: Option<&SpillFile>,
    ) -> io::Result<(u64, usize)> {
        let l = &self.levels[level];
        let seg = l.starts.partition_point(|&s| s <= index) - 1;
        let i = (index - l.starts[seg]) as usize;
        let read = |s: &Segment| s.get(i);
        match &l.segments[seg] {
            Stored::Ram(s) => Ok(read(s)),
            Stored::Disk { at, len } => {
                let file = file.expect("spilled records have a file");
                Ok(read(&Segment::from_bytes(&file.read(*at, *len)?)))
            }
        }
    }

    /// The action indices from an initial state to state `index` of `level`, and that initial
    /// state's index.
    pub fn path_to(
        &self,
        level: usize,
        index: u64,
        file: Option<&SpillFile>,
    ) -> io::Result<(usize, Vec<usize>)> {
        let mut actions = Vec::with_capacity(level);
        let (mut l, mut i) = (level, index);
        while l > 0 {
            let (parent, action) = self.record(l, i, file)?;
            actions.push(action);
            l -= 1;
            i = parent;
        }
        let (init, _) = self.record(0, i, file)?;
        actions.reverse();
        Ok((init as usize, actions))
    }
}

/// A block of a BFS level's states, and the index in that level of its first state.
pub struct FrontierBlock<B> {
    pub first: u64,
    /// States in the block.
    pub len: u64,
    data: Stored<B>,
}

impl<B> FrontierBlock<B> {
    pub fn in_ram(first: u64, len: u64, block: B) -> Self {
        FrontierBlock {
            first,
            len,
            data: Stored::Ram(block),
        }
    }

    pub fn on_disk(first: u64, len: u64, at: u64, bytes: usize) -> Self {
        FrontierBlock {
            first,
            len,
            data: Stored::Disk { at, len: bytes },
        }
    }

    /// The block's states, read back from the spill file if they were spilled.
    pub fn load<'a>(
        &'a self,
        file: Option<&SpillFile>,
        from_bytes: fn(Vec<u8>) -> io::Result<B>,
    ) -> io::Result<std::borrow::Cow<'a, B>>
    where
        B: Clone,
    {
        match &self.data {
            Stored::Ram(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Stored::Disk { at, len } => {
                let file = file.expect("spilled blocks have a file");
                Ok(std::borrow::Cow::Owned(from_bytes(file.read(*at, *len)?)?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(records: &[(u64, usize)]) -> Segment {
        let mut s = Segment::default();
        records.iter().for_each(|&(p, a)| s.push(p, a));
        s
    }

    fn sample() -> TraceStore {
        let mut t = TraceStore::default();
        t.push_level(vec![seg(&[(0, 0)])]);
        t.push_level(vec![seg(&[(0, 3), (0, 4)]), seg(&[(0, 5)])]);
        t.push_level(vec![
            seg(&[(2, 7)]),
            seg(&[]),
            seg(&[(1, 1000), (0, 2), (1, 255)]),
        ]);
        t
    }

    #[test]
    fn paths_follow_parents_across_segments() {
        let t = sample();
        assert_eq!(t.path_to(2, 0, None).unwrap(), (0, vec![5, 7]));
        assert_eq!(t.path_to(2, 1, None).unwrap(), (0, vec![4, 1000]));
        assert_eq!(t.path_to(2, 2, None).unwrap(), (0, vec![3, 2]));
        assert_eq!(t.path_to(2, 3, None).unwrap(), (0, vec![4, 255]));
    }

    #[test]
    fn spilled_records_read_back_the_same() {
        let mut t = sample();
        let dir = tempfile::tempdir().unwrap();
        let file = SpillFile::create_in(dir.path()).unwrap();
        t.spill(&file).unwrap();
        assert!(t
            .levels
            .iter()
            .all(|l| l.segments.iter().all(|s| matches!(s, Stored::Disk { .. }))));
        assert!(!file.is_empty());
        assert_eq!(t.path_to(2, 1, Some(&file)).unwrap(), (0, vec![4, 1000]));
        assert_eq!(t.path_to(2, 3, Some(&file)).unwrap(), (0, vec![4, 255]));
        assert_eq!(t.path_to(2, 0, Some(&file)).unwrap(), (0, vec![5, 7]));
    }
}
