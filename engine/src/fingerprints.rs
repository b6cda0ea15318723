//! The visited set: 64-bit fingerprints in many small open-addressing tables.
//!
//! A fingerprint picks its shard by its top bits and its slot by the rest. Each shard has its
//! own lock and grows on its own (by half, so memory rises smoothly and the load stays
//! between 0.57 and 0.85): a growing shard holds up only the threads that hash into it, never
//! the whole search. With thousands of shards two threads rarely meet on one lock.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Shards: enough that 16 threads seldom contend, few enough that small runs stay small.
const SHARD_BITS: u32 = 10;
const SHARDS: usize = 1 << SHARD_BITS;
const INITIAL_SLOTS: usize = 64;
/// Grow once a shard is this full (numerator over 100).
const MAX_LOAD_PERCENT: usize = 85;

/// Never stored: marks an empty slot. A fingerprint that hashes to it is remapped.
const EMPTY: u64 = 0;

struct Shard {
    slots: Vec<u64>,
    len: usize,
}

impl Shard {
    /// Shard `i` of the set. Initial sizes are spread over one growth step (64 to 96 slots),
    /// so that shards, which fill at the same pace, grow at different times: the set's load then
    /// averages over the whole range instead of all shards sitting at one point of it.
    fn new(i: usize) -> Self {
        let slots = INITIAL_SLOTS + INITIAL_SLOTS * i / (2 * SHARDS);
        Shard {
            slots: vec![EMPTY; slots],
            len: 0,
        }
    }

    /// Slot for a fingerprint: the low bits scaled onto the table (no power-of-two sizes).
    fn home(&self, fp: u64) -> usize {
        (((fp << SHARD_BITS) as u128 * self.slots.len() as u128) >> 64) as usize
    }

    /// Inserts with linear probing; true when `fp` was not there.
    fn insert(&mut self, fp: u64) -> bool {
        if (self.len + 1) * 100 > self.slots.len() * MAX_LOAD_PERCENT {
            self.grow();
        }
        let n = self.slots.len();
        let mut i = self.home(fp);
        loop {
            match self.slots[i] {
                EMPTY => {
                    self.slots[i] = fp;
                    self.len += 1;
                    return true;
                }
                x if x == fp => return false,
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    fn contains(&self, fp: u64) -> bool {
        let n = self.slots.len();
        let mut i = self.home(fp);
        loop {
            match self.slots[i] {
                EMPTY => return false,
                x if x == fp => return true,
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    fn grow(&mut self) {
        let bigger = (self.slots.len() + self.slots.len() / 2).max(INITIAL_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; bigger]);
        self.len = 0;
        for fp in old.into_iter().filter(|&x| x != EMPTY) {
            self.insert(fp);
        }
    }
}

/// Where a shard's table is, readable without its lock: only for prefetching, which never
/// faults, so a stale value (a table just replaced) costs a wasted prefetch and nothing else.
#[derive(Default)]
struct Hint {
    slots: AtomicPtr<u64>,
    len: AtomicUsize,
}

/// A concurrent set of 64-bit fingerprints.
pub struct FingerprintSet {
    shards: Box<[Mutex<Shard>]>,
    hints: Box<[Hint]>,
}

impl Default for FingerprintSet {
    fn default() -> Self {
        Self::new()
    }
}

impl FingerprintSet {
    pub fn new() -> Self {
        let shards: Box<[Mutex<Shard>]> = (0..SHARDS).map(|i| Mutex::new(Shard::new(i))).collect();
        let hints = (0..SHARDS).map(|_| Hint::default()).collect();
        let set = FingerprintSet { shards, hints };
        for i in 0..SHARDS {
            let mut shard = set.shards[i].lock().unwrap_or_else(|e| e.into_inner());
            set.publish(i, &mut shard);
        }
        set
    }

    fn publish(&self, shard_index: usize, shard: &mut Shard) {
        let hint = &self.hints[shard_index];
        hint.slots
            .store(shard.slots.as_mut_ptr(), Ordering::Relaxed);
        hint.len.store(shard.slots.len(), Ordering::Relaxed);
    }

    fn shard_index(fp: u64) -> usize {
        (fp >> (64 - SHARD_BITS)) as usize
    }

    /// Asks the CPU to fetch the cache line where `fp` would be inserted, so that the misses of
    /// several inserts overlap. A hint only: never faults, never changes the set.
    #[inline]
    pub fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let hint = &self.hints[Self::shard_index(fp)];
            let len = hint.len.load(Ordering::Relaxed);
            let home = (((fp << SHARD_BITS) as u128 * len as u128) >> 64) as usize;
            let at = hint.slots.load(Ordering::Relaxed).wrapping_add(home);
            // SAFETY: prefetching an address is a hint; it does not dereference and never faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch(at as *const i8, std::arch::x86_64::_MM_HINT_T0)
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    fn shard(&self, fp: u64) -> &Mutex<Shard> {
        &self.shards[Self::shard_index(fp)]
    }

    /// Adds a fingerprint; true when it is new. Safe from any number of threads.
    pub fn insert(&self, fp: u64) -> bool {
        let fp = if fp == EMPTY { 1 } else { fp };
        let i = Self::shard_index(fp);
        let mut shard = self.shards[i].lock().unwrap_or_else(|e| e.into_inner());
        let before = shard.slots.len();
        let new = shard.insert(fp);
        if shard.slots.len() != before {
            self.publish(i, &mut shard);
        }
        new
    }

    pub fn contains(&self, fp: u64) -> bool {
        let fp = if fp == EMPTY { 1 } else { fp };
        let shard = self.shard(fp).lock().unwrap_or_else(|e| e.into_inner());
        shard.contains(fp)
    }

    /// Fingerprints stored (not thread-safe against concurrent inserts: call between levels).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the tables.
    pub fn heap_bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).slots.len() * 8)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_once_and_grows() {
        let set = FingerprintSet::new();
        let fps: Vec<u64> = (0..200_000u64)
            .map(|i| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()))
            .collect();
        for &fp in &fps {
            assert!(set.insert(fp));
        }
        for &fp in &fps {
            assert!(!set.insert(fp), "a second insert is not new");
            assert!(set.contains(fp));
        }
        assert!(!set.contains(12345));
        assert_eq!(set.len(), fps.len());
        let bytes_per = set.heap_bytes() as f64 / fps.len() as f64;
        assert!(
            (8.0..=15.5).contains(&bytes_per),
            "{bytes_per} bytes a fingerprint"
        );
    }

    #[test]
    fn zero_is_a_fingerprint_like_any_other() {
        let set = FingerprintSet::new();
        assert!(set.insert(0));
        assert!(!set.insert(0));
        assert!(set.contains(0));
    }

    #[test]
    fn concurrent_inserts_agree() {
        let set = FingerprintSet::new();
        let new_count = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..50_000u64 {
                        if set.insert(xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes())) {
                            new_count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(new_count.into_inner(), 50_000);
        assert_eq!(set.len(), 50_000);
    }
}
