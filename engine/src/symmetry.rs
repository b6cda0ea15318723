//! Exact symmetry: a canonical form of a state under every renaming of interchangeable
//! processes (servers).
//!
//! The canonical form is the smallest encoding among the renamed copies of a state. Trying all
//! n! renamings is exact but slow, so processes are first ordered by an id-free key (the same for
//! process `i` of a state and process `π(i)` of its renaming `π`); only renamings that sort the
//! processes by that key are tried, which permute processes within groups of equal keys. For any
//! two states of one orbit that candidate set is the same set of states, so the minimum is the
//! same: the form is canonical whatever the exploration order, and the reduction reaches the n!
//! bound when states are fully symmetric.

/// Most processes a state may have for symmetry reduction.
pub const MAX_PROCESSES: usize = 8;

/// A renaming: `rename[old] = new`.
pub type Renaming = [u8; MAX_PROCESSES];

/// A state whose processes are interchangeable.
pub trait Symmetric: Sized {
    type Key: Ord;
    /// Whether renaming by the identity leaves the state as it is. A state whose renaming also
    /// normalises something (e.g. keeps a list as a set) says false, and every candidate, the
    /// identity included, is then renamed before it is encoded.
    const IDENTITY_RENAMING_IS_NOOP: bool = true;
    fn processes(&self) -> usize;
    /// Process `i`'s contents without any process id (invariant under renaming).
    fn process_key(&self, i: usize) -> Self::Key;
    /// The state with every process id `old` replaced by `rename[old]`, processes reordered.
    fn rename(&self, rename: &Renaming) -> Self;
}

thread_local! {
    /// Encodings of candidate renamings, reused across calls (no allocation per state).
    static CANDIDATES: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
}

/// Appends the canonical encoding of `state` to `out` and returns the renaming that gives it.
pub fn canonical<S: Symmetric>(
    state: &S,
    encode: &dyn Fn(&S, &mut Vec<u8>),
    out: &mut Vec<u8>,
) -> Renaming {
    let n = state.processes();
    assert!(n <= MAX_PROCESSES, "{n} processes: at most {MAX_PROCESSES}");
    let keys: [Option<S::Key>; MAX_PROCESSES] =
        std::array::from_fn(|i| (i < n).then(|| state.process_key(i)));
    let mut order = [0usize; MAX_PROCESSES];
    order.iter_mut().enumerate().for_each(|(i, o)| *o = i);
    let order = &mut order[..n];
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut groups = [(0usize, 0usize); MAX_PROCESSES];
    let (mut count, mut start) = (0, 0);
    for i in 1..=n {
        if i == n || keys[order[i]] != keys[order[start]] {
            groups[count] = (start, i);
            count += 1;
            start = i;
        }
    }
    let groups = &groups[..count];
    if groups.iter().all(|&(lo, hi)| hi - lo == 1) {
        // One candidate: the renaming that sorts the processes.
        let rename = renaming_of(order);
        if S::IDENTITY_RENAMING_IS_NOOP && order.iter().enumerate().all(|(i, &o)| i == o) {
            encode(state, out);
        } else {
            encode(&state.rename(&rename), out);
        }
        return rename;
    }
    CANDIDATES.with(|c| {
        let (scratch, best) = &mut *c.borrow_mut();
        let mut chosen: Option<Renaming> = None;
        for_each_group_permutation(order, groups, 0, &mut |order| {
            let rename = renaming_of(order);
            scratch.clear();
            encode(&state.rename(&rename), scratch);
            if chosen.is_none() || *scratch < *best {
                std::mem::swap(scratch, best);
                chosen = Some(rename);
            }
        });
        out.extend_from_slice(best);
        chosen.expect("at least one ordering")
    })
}

/// `rename[old] = new` for an ordering `order[new] = old`.
fn renaming_of(order: &[usize]) -> Renaming {
    let mut rename = [0u8; MAX_PROCESSES];
    for (new, &old) in order.iter().enumerate() {
        rename[old] = new as u8;
    }
    rename
}

/// Calls `f` with every ordering obtained by permuting `order` within each group.
fn for_each_group_permutation(
    order: &mut [usize],
    groups: &[(usize, usize)],
    g: usize,
    f: &mut dyn FnMut(&[usize]),
) {
    let Some(&(lo, hi)) = groups.get(g) else {
        f(order);
        return;
    };
    permute(order, lo, hi, &mut |order| {
        for_each_group_permutation(order, groups, g + 1, f)
    });
}

/// Every permutation of `order[lo..hi]` (in place, restored afterwards).
fn permute(order: &mut [usize], lo: usize, hi: usize, f: &mut dyn FnMut(&mut [usize])) {
    if hi - lo <= 1 {
        f(order);
        return;
    }
    for i in lo..hi {
        order.swap(lo, i);
        permute(order, lo + 1, hi, f);
        order.swap(lo, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes with a value and a pointer to another process.
    #[derive(Clone, Debug, PartialEq)]
    struct Ring(Vec<(u8, u8)>);

    impl Symmetric for Ring {
        type Key = u8;
        fn processes(&self) -> usize {
            self.0.len()
        }
        fn process_key(&self, i: usize) -> u8 {
            self.0[i].0
        }
        fn rename(&self, r: &Renaming) -> Self {
            let mut out = vec![(0, 0); self.0.len()];
            for (old, &(v, p)) in self.0.iter().enumerate() {
                out[r[old] as usize] = (v, r[p as usize]);
            }
            Ring(out)
        }
    }

    fn encode(r: &Ring, out: &mut Vec<u8>) {
        for &(v, p) in &r.0 {
            out.extend([v, p]);
        }
    }

    fn canon(r: &Ring) -> Vec<u8> {
        let mut out = Vec::new();
        canonical(r, &encode, &mut out);
        out
    }

    #[test]
    fn every_renaming_of_a_state_has_one_canonical_form() {
        // Equal keys everywhere, so ties must be broken by the encoding.
        let s = Ring(vec![(1, 1), (1, 2), (1, 1), (2, 0)]);
        let c = canon(&s);
        let mut order: Vec<usize> = (0..4).collect();
        permute(&mut order, 0, 4, &mut |o| {
            let mut r = [0u8; MAX_PROCESSES];
            for (new, &old) in o.iter().enumerate() {
                r[old] = new as u8;
            }
            assert_eq!(canon(&s.rename(&r)), c, "renaming {o:?}");
        });
    }

    #[test]
    fn states_of_different_orbits_stay_apart() {
        let a = Ring(vec![(1, 1), (1, 0), (1, 2)]);
        let b = Ring(vec![(1, 1), (1, 2), (1, 0)]);
        assert_ne!(canon(&a), canon(&b));
    }
}
