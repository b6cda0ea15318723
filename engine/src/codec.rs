//! How the engine identifies and stores states.
//!
//! A [`Packer`] turns a state into its fingerprint and, when the state is new, into an entry of
//! a frontier block. Two packers exist:
//! - [`Packed`] over a model's [`Codec`]: states are stored as bytes (compact, and blocks can be
//!   spilled to disk), and the fingerprint is a hash of the canonical bytes;
//! - [`Plain`]: the generic fallback for any `Model` whose state is `Hash + Clone`; states are
//!   kept as values and fingerprinted with their `Hash` impl. It cannot spill.

use std::hash::{Hash, Hasher};
use std::io;

/// A model's compact, canonical encoding of its states.
///
/// `encode` must write equal bytes for two states exactly when the engine is to treat them as
/// one: equal states, or (where the codec applies symmetry or a view) equivalent ones. `decode`
/// returns a state with those bytes: the representative the engine expands.
pub trait Codec<S>: Send + Sync {
    fn encode(&self, state: &S, out: &mut Vec<u8>);
    fn decode(&self, bytes: &[u8]) -> S;
}

/// What the search needs to store states; see the module documentation.
pub trait Packer<S>: Send + Sync {
    type Block: Clone + Default + Send + Sync;
    type Scratch: Default + Send;

    /// Canonicalises `state` into `scratch` and returns its fingerprint.
    fn fingerprint(&self, state: &S, scratch: &mut Self::Scratch) -> u64;
    /// Appends the state last fingerprinted into `scratch` to `block`.
    fn push(&self, scratch: &Self::Scratch, block: &mut Self::Block);
    /// The states of a block, in push order (representatives).
    fn unpack(&self, block: &Self::Block, f: &mut dyn FnMut(S));
    fn len(block: &Self::Block) -> usize;
    /// Called when a block is full: give back memory it no longer needs.
    fn shrink(block: &mut Self::Block);
    /// The representative of a state's class (what `unpack` would return for it).
    fn representative(&self, state: &S) -> S;
    /// The block as bytes for spilling, or `None` when this packer cannot spill.
    fn to_bytes(block: &Self::Block) -> Option<Vec<u8>>;
    fn from_bytes(bytes: Vec<u8>) -> io::Result<Self::Block>;
}

/// The fingerprint of canonical bytes.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Packs states with a model's [`Codec`].
pub struct Packed<C>(pub C);

/// A block of encoded states, each stored as a delta against the state before it in the block:
/// consecutive states are mostly siblings and share most bytes. An entry is its length (one
/// byte, or 0xff and two more), then runs of (bytes kept from the previous state, count of new
/// bytes, the new bytes) until the state's length is covered.
#[derive(Clone, Default)]
pub struct ByteBlock {
    bytes: Vec<u8>,
    count: usize,
    /// The last state pushed (not stored; rebuilt while unpacking).
    last: Vec<u8>,
}

const LONG: u8 = 0xff;

impl ByteBlock {
    /// States in the block.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The encoded states and their count, e.g. to send the block to another worker.
    pub(crate) fn into_parts(self) -> (Vec<u8>, usize) {
        (self.bytes, self.count)
    }

    /// A block from [`ByteBlock::into_parts`].
    pub(crate) fn from_parts(bytes: Vec<u8>, count: usize) -> Self {
        ByteBlock {
            bytes,
            count,
            last: Vec::new(),
        }
    }

    fn push_len(&mut self, n: usize) {
        if n < LONG as usize {
            self.bytes.push(n as u8);
        } else {
            assert!(n <= u16::MAX as usize, "a state of {n} bytes is too large");
            self.bytes.push(LONG);
            self.bytes.extend_from_slice(&(n as u16).to_le_bytes());
        }
    }

    /// Appends `state` as a delta against the previous state.
    pub(crate) fn push(&mut self, state: &[u8]) {
        self.push_len(state.len());
        let last = &self.last[..self.last.len().min(state.len())];
        let mut i = 0;
        while i < state.len() {
            // Bytes kept: a run equal to the previous state (found by a bulk comparison).
            let kept = state[i..]
                .iter()
                .zip(&last[i.min(last.len())..])
                .take(255)
                .take_while(|(a, b)| a == b)
                .count();
            let new_from = i + kept;
            // New bytes: up to where the previous state agrees for two bytes in a row.
            let mut end = new_from;
            while end < state.len() && end - new_from < 255 {
                let agrees = |j: usize| j < last.len() && state[j] == last[j];
                if agrees(end) && (end + 1 >= state.len() || agrees(end + 1)) {
                    break;
                }
                end += 1;
            }
            self.bytes.push(kept as u8);
            self.bytes.push((end - new_from) as u8);
            self.bytes.extend_from_slice(&state[new_from..end]);
            i = end;
        }
        self.last.clear();
        self.last.extend_from_slice(state);
        self.count += 1;
    }

    /// Every state in order, as bytes.
    pub(crate) fn for_each(&self, f: &mut dyn FnMut(&[u8])) {
        let mut state: Vec<u8> = Vec::new();
        let mut rest = &self.bytes[..];
        while let Some((&first, tail)) = rest.split_first() {
            let (n, mut tail) = if first == LONG {
                (u16::from_le_bytes([tail[0], tail[1]]) as usize, &tail[2..])
            } else {
                (first as usize, tail)
            };
            state.resize(n, 0);
            let mut i = 0;
            while i < n {
                let (kept, new) = (tail[0] as usize, tail[1] as usize);
                i += kept;
                state[i..i + new].copy_from_slice(&tail[2..2 + new]);
                i += new;
                tail = &tail[2 + new..];
            }
            f(&state);
            rest = tail;
        }
    }
}

impl<S, C: Codec<S>> Packer<S> for Packed<C> {
    type Block = ByteBlock;
    type Scratch = Vec<u8>;

    fn fingerprint(&self, state: &S, scratch: &mut Vec<u8>) -> u64 {
        scratch.clear();
        self.0.encode(state, scratch);
        hash_bytes(scratch)
    }

    fn push(&self, scratch: &Vec<u8>, block: &mut ByteBlock) {
        block.push(scratch);
    }

    fn unpack(&self, block: &ByteBlock, f: &mut dyn FnMut(S)) {
        block.for_each(&mut |bytes| f(self.0.decode(bytes)));
    }

    fn len(block: &ByteBlock) -> usize {
        block.count
    }

    fn shrink(block: &mut ByteBlock) {
        block.bytes.shrink_to_fit();
        block.last = Vec::new();
    }

    fn representative(&self, state: &S) -> S {
        let mut bytes = Vec::new();
        self.0.encode(state, &mut bytes);
        self.0.decode(&bytes)
    }

    fn to_bytes(block: &ByteBlock) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(block.bytes.len() + 8);
        out.extend_from_slice(&(block.count as u64).to_le_bytes());
        out.extend_from_slice(&block.bytes);
        Some(out)
    }

    fn from_bytes(mut bytes: Vec<u8>) -> io::Result<ByteBlock> {
        if bytes.len() < 8 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "spilled block too short",
            ));
        }
        let count = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        bytes.drain(..8);
        Ok(ByteBlock {
            bytes,
            count,
            last: Vec::new(),
        })
    }
}

/// The generic fallback: states kept as values, fingerprinted through `Hash`, optionally
/// replaced by a representative first (e.g. stateright's `Representative`).
pub struct Plain<S> {
    representative: Option<fn(&S) -> S>,
}

impl<S> Plain<S> {
    pub fn new() -> Self {
        Plain {
            representative: None,
        }
    }

    /// States are identified by `f(state)`, which must map equivalent states to one state.
    pub fn with_representative(f: fn(&S) -> S) -> Self {
        Plain {
            representative: Some(f),
        }
    }
}

impl<S> Default for Plain<S> {
    fn default() -> Self {
        Self::new()
    }
}

/// A fixed-key hasher, so fingerprints are the same in every run.
fn hash_value<T: Hash>(value: &T) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3Default::new();
    value.hash(&mut h);
    h.finish()
}

impl<S: Hash + Clone + Send + Sync> Packer<S> for Plain<S> {
    type Block = Vec<S>;
    type Scratch = Option<S>;

    fn fingerprint(&self, state: &S, scratch: &mut Option<S>) -> u64 {
        let rep = self.representative(state);
        let fp = hash_value(&rep);
        *scratch = Some(rep);
        fp
    }

    fn push(&self, scratch: &Option<S>, block: &mut Vec<S>) {
        block.push(scratch.clone().expect("fingerprinted before push"));
    }

    fn unpack(&self, block: &Vec<S>, f: &mut dyn FnMut(S)) {
        block.iter().cloned().for_each(f);
    }

    fn len(block: &Vec<S>) -> usize {
        block.len()
    }

    fn shrink(block: &mut Vec<S>) {
        block.shrink_to_fit();
    }

    fn representative(&self, state: &S) -> S {
        match self.representative {
            Some(f) => f(state),
            None => state.clone(),
        }
    }

    fn to_bytes(_: &Vec<S>) -> Option<Vec<u8>> {
        None
    }

    fn from_bytes(_: Vec<u8>) -> io::Result<Vec<S>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "plain states cannot be read from disk",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pairs;
    impl Codec<(u8, Vec<u8>)> for Pairs {
        fn encode(&self, s: &(u8, Vec<u8>), out: &mut Vec<u8>) {
            out.push(s.0);
            out.extend_from_slice(&s.1);
        }
        fn decode(&self, b: &[u8]) -> (u8, Vec<u8>) {
            (b[0], b[1..].to_vec())
        }
    }

    #[test]
    fn packed_blocks_round_trip_through_bytes() {
        let p = Packed(Pairs);
        let mut states = vec![(1u8, vec![]), (2, vec![7; 300]), (3, vec![1, 2, 3])];
        // Siblings: long runs shared with the state before, a few bytes changed.
        states.extend((0..5u8).map(|i| {
            (
                3,
                (0..600)
                    .map(|j| (j % 7) as u8 ^ (j == 300 + i as usize) as u8)
                    .collect(),
            )
        }));
        states.push((3, vec![1, 2]));
        let mut block = ByteBlock::default();
        let mut scratch = Vec::new();
        for s in &states {
            p.fingerprint(s, &mut scratch);
            p.push(&scratch, &mut block);
        }
        let back = <Packed<Pairs> as Packer<(u8, Vec<u8>)>>::from_bytes(
            Packed::<Pairs>::to_bytes(&block).unwrap(),
        )
        .unwrap();
        let mut got = Vec::new();
        p.unpack(&back, &mut |s| got.push(s));
        assert_eq!(got, states);
        assert_eq!(
            <Packed<Pairs> as Packer<(u8, Vec<u8>)>>::len(&back),
            states.len()
        );
    }

    #[test]
    fn equal_states_share_a_fingerprint() {
        let p = Packed(Pairs);
        let mut s = Vec::new();
        let a = p.fingerprint(&(1, vec![2]), &mut s);
        let b = p.fingerprint(&(1, vec![2]), &mut s);
        let c = p.fingerprint(&(1, vec![3]), &mut s);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
