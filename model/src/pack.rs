//! States as compact bytes for the engine (`raftspec-engine`): a byte reader and writer, and
//! the one codec every [`Spec`] gets, with optional symmetry (the engine's exact canonical form)
//! and view.

use crate::spec::Spec;
use raftspec_engine::{canonical, Codec};
use std::borrow::Cow;

/// Appends fields to a state's encoding.
pub struct Writer<'a>(pub &'a mut Vec<u8>);

impl Writer<'_> {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub fn bool(&mut self, v: bool) {
        self.0.push(v as u8);
    }

    /// `None` as 0xff: ids and indices are far below it.
    pub fn opt(&mut self, v: Option<u8>) {
        debug_assert!(v != Some(0xff), "0xff is the encoding of None");
        self.0.push(v.unwrap_or(0xff));
    }

    pub fn bytes(&mut self, v: &[u8]) {
        self.0.extend_from_slice(v);
    }

    /// A length-prefixed sequence.
    pub fn seq<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        debug_assert!(items.len() < 256);
        self.u8(items.len() as u8);
        for item in items {
            each(self, item);
        }
    }
}

/// Reads fields back in the order they were written. Bytes come only from [`Writer`] in this
/// process, so a short read is a codec bug, not bad input: it panics.
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    pub fn u8(&mut self) -> u8 {
        let (&v, rest) = self.0.split_first().expect("a complete encoding");
        self.0 = rest;
        v
    }

    pub fn bool(&mut self) -> bool {
        self.u8() != 0
    }

    pub fn opt(&mut self) -> Option<u8> {
        Some(self.u8()).filter(|&v| v != 0xff)
    }

    pub fn array<const N: usize>(&mut self, n: usize, fill: u8) -> [u8; N] {
        let mut out = [fill; N];
        for slot in out.iter_mut().take(n) {
            *slot = self.u8();
        }
        out
    }

    /// A sequence written by [`Writer::seq`], collected.
    pub fn seq<T, C: FromIterator<T>>(&mut self, mut each: impl FnMut(&mut Self) -> T) -> C {
        let n = self.u8();
        (0..n).map(|_| each(self)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a protocol provides so the engine can pack its states.
pub trait Packing: Sized + Clone {
    /// Every field, in a fixed order; equal states give equal bytes.
    fn pack(&self, w: &mut Writer<'_>);
    fn unpack(r: &mut Reader<'_>) -> Self;
    /// The state with fields that no step reads before writing them, and no property reads,
    /// set to fixed values (TLC's VIEW). Off unless asked for.
    fn view(&self) -> Cow<'_, Self>;
}

/// Packs a state as it is.
pub fn encode_plain<T: Packing>(state: &T, out: &mut Vec<u8>) {
    state.pack(&mut Writer(out));
}

pub fn decode_plain<T: Packing>(bytes: &[u8]) -> T {
    let mut r = Reader(bytes);
    let state = T::unpack(&mut r);
    debug_assert!(r.is_empty(), "trailing bytes after a state");
    state
}

/// The engine codec of a spec: plain bytes, or the canonical form under server renaming, after
/// the view if one is asked for.
#[derive(Clone, Copy, Debug)]
pub struct SpecCodec<S> {
    pub symmetry: bool,
    pub view: bool,
    _spec: std::marker::PhantomData<fn() -> S>,
}

impl<S> SpecCodec<S> {
    pub fn new(symmetry: bool, view: bool) -> Self {
        SpecCodec {
            symmetry,
            view,
            _spec: std::marker::PhantomData,
        }
    }
}

impl<S: Spec> Codec<S::State> for SpecCodec<S> {
    fn encode(&self, state: &S::State, out: &mut Vec<u8>) {
        let state = if self.view {
            state.view()
        } else {
            Cow::Borrowed(state)
        };
        if self.symmetry {
            canonical(&*state, &encode_plain::<S::State>, out);
        } else {
            encode_plain(&*state, out);
        }
    }

    fn decode(&self, bytes: &[u8]) -> S::State {
        decode_plain(bytes)
    }
}

/// The canonical representative of a state under server renaming (what stateright's DFS and
/// the engine both use for symmetry).
pub fn representative<T: Packing + raftspec_engine::Symmetric>(state: &T) -> T {
    let mut best = Vec::new();
    let renaming = canonical(state, &encode_plain::<T>, &mut best);
    state.rename(&renaming)
}
