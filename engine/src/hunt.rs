//! Swarm simulation: many randomised, depth-bounded walks for state spaces no memory holds.
//!
//! Each walk starts from a random initial state and takes random enabled actions up to a depth
//! bound, judging every property on every state it visits. Walks differ by seed and, as in
//! swarm testing, by a random subset of action classes they prefer (a walk leaves its subset
//! only when no preferred action is enabled), so rare interleavings that one uniform walk would
//! almost never take get walks of their own. A violation ends its walk; the shortest path seen
//! for each property is kept, and once the time is up each violation's path is shrunk: steps
//! are dropped one at a time while the property still fails on the replayed path, then an
//! exhaustive breadth-first search around the end of the path looks for a shorter ending.
//!
//! A hunt never claims completeness: it reports what it found, how often, and how much of the
//! space it saw (distinct states, actions per class).

use crate::codec::Packer;
use crate::fingerprints::FingerprintSet;
use stateright::{Expectation, Model, Path, Property};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a hunt is asked to do.
pub struct HuntOptions<'a, A> {
    /// Time for the walks (shrinking comes after).
    pub seconds: f64,
    pub threads: usize,
    pub seed: u64,
    /// Steps of one walk at most.
    pub max_depth: usize,
    /// The class of an action (its protocol step), for swarm preferences and coverage.
    pub classify: &'a (dyn Fn(&A) -> &'static str + Sync),
    /// Stop the walks at the first violation of an `always` property (to time how long finding
    /// one takes) instead of using all the time.
    pub stop_at_violation: bool,
    /// States an exhaustive search around a path's end may visit while shrinking.
    pub shrink_states: usize,
}

/// A property a hunt matched: a violation of an `always`, a witness of a `sometimes`.
pub struct Finding<S, A> {
    pub property: &'static str,
    pub expectation: Expectation,
    /// Walks that matched it.
    pub hits: u64,
    /// Seconds from the start of the hunt to its first match.
    pub first_seconds: f64,
    /// Steps of the shortest walk that matched it.
    pub walk_steps: usize,
    /// The path: for a violation, shrunk (never longer than `walk_steps`).
    pub path: Path<S, A>,
}

pub struct HuntReport<S, A> {
    pub walks: u64,
    pub steps: u64,
    pub seconds: f64,
    /// Distinct states visited (by the packer's fingerprint).
    pub distinct_states: u64,
    /// Actions taken, per class.
    pub actions: BTreeMap<&'static str, u64>,
    /// Matched properties, in property order.
    pub findings: Vec<Finding<S, A>>,
}

/// A small, fast, seedable generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

/// The best walk seen for one property.
struct Best {
    hits: u64,
    first: f64,
    init: usize,
    actions: Vec<usize>,
}

struct Shared<'m, M: Model, P> {
    model: &'m M,
    packer: &'m P,
    properties: Vec<Property<M>>,
    seen: FingerprintSet,
    best: Vec<Mutex<Option<Best>>>,
    walks: AtomicU64,
    steps: AtomicU64,
    stop: AtomicBool,
    start: Instant,
}

/// Runs the walks for the time given, then shrinks each violation found.
pub fn hunt<M, P>(
    model: &M,
    packer: &P,
    opts: &HuntOptions<'_, M::Action>,
) -> HuntReport<M::State, M::Action>
where
    M: Model + Sync,
    M::State: Clone + Hash + PartialEq + Debug + Send + Sync,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let properties = model.properties();
    let shared = Shared {
        model,
        packer,
        best: properties.iter().map(|_| Mutex::new(None)).collect(),
        properties,
        seen: FingerprintSet::new(),
        walks: AtomicU64::new(0),
        steps: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        start: Instant::now(),
    };
    let deadline = Duration::from_secs_f64(opts.seconds.max(0.0));
    let classes: Vec<HashMap<&'static str, u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..opts.threads.max(1))
            .map(|t| {
                let shared = &shared;
                s.spawn(move || shared.walker(opts, t as u64, deadline))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a walker panicked"))
            .collect()
    });
    let seconds = shared.start.elapsed().as_secs_f64();
    let mut actions = BTreeMap::new();
    for (k, v) in classes.into_iter().flatten() {
        *actions.entry(k).or_insert(0) += v;
    }
    let findings = shared.findings(opts.shrink_states);
    HuntReport {
        walks: shared.walks.load(Relaxed),
        steps: shared.steps.load(Relaxed),
        seconds,
        distinct_states: shared.seen.len() as u64,
        actions,
        findings,
    }
}

/// Whether a property's condition is a match (a violation or a witness) in `state`.
fn matches<M: Model>(model: &M, p: &Property<M>, state: &M::State) -> bool {
    let holds = (p.condition)(model, state);
    match p.expectation {
        Expectation::Always => !holds,
        _ => holds,
    }
}

/// The enabled actions of a state whose successors stay within the boundary.
fn enabled<M: Model>(model: &M, state: &M::State) -> Vec<(M::Action, M::State)>
where
    M::Action: Clone,
{
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
        .into_iter()
        .filter_map(|a| {
            let n = model.next_state(state, a.clone())?;
            model.within_boundary(&n).then_some((a, n))
        })
        .collect()
}

impl<M, P> Shared<'_, M, P>
where
    M: Model + Sync,
    M::State: Clone + Hash + PartialEq + Debug + Send + Sync,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    /// One thread's walks until the deadline; returns the actions it took per class.
    fn walker(
        &self,
        opts: &HuntOptions<'_, M::Action>,
        thread: u64,
        deadline: Duration,
    ) -> HashMap<&'static str, u64> {
        let mut rng = Rng(opts.seed ^ thread.wrapping_mul(0x5851_f42d_4c95_7f2d));
        let mut classes = HashMap::new();
        let inits: Vec<M::State> = self
            .model
            .init_states()
            .into_iter()
            .filter(|s| self.model.within_boundary(s))
            .collect();
        if inits.is_empty() {
            return classes;
        }
        while !self.stop.load(Relaxed) && self.start.elapsed() < deadline {
            self.walk(&inits, &mut rng, opts, &mut classes);
            self.walks.fetch_add(1, Relaxed);
        }
        classes
    }

    /// One walk: a random initial state, then random enabled actions, preferring the walk's
    /// random subset of classes (half the walks prefer none).
    fn walk(
        &self,
        inits: &[M::State],
        rng: &mut Rng,
        opts: &HuntOptions<'_, M::Action>,
        classes: &mut HashMap<&'static str, u64>,
    ) {
        let preferred = match rng.next() & 1 {
            0 => u64::MAX,
            _ => rng.next() | rng.next(),
        };
        let init = rng.below(inits.len());
        let mut state = inits[init].clone();
        let mut taken: Vec<usize> = Vec::new();
        let mut matched = vec![false; self.properties.len()];
        let mut scratch = P::Scratch::default();
        for depth in 0..=opts.max_depth {
            self.seen
                .insert(self.packer.fingerprint(&state, &mut scratch));
            if self.judge(&state, init, &taken, &mut matched, opts) || depth == opts.max_depth {
                break;
            }
            let choices = enabled(self.model, &state);
            if choices.is_empty() {
                break;
            }
            let bit = |a: &M::Action| {
                let name = (opts.classify)(a);
                1u64 << (crate::codec::hash_bytes(name.as_bytes()) % 64)
            };
            let liked: Vec<usize> = (0..choices.len())
                .filter(|&i| bit(&choices[i].0) & preferred != 0)
                .collect();
            let i = match liked.is_empty() {
                true => rng.below(choices.len()),
                false => liked[rng.below(liked.len())],
            };
            let (action, next) = choices.into_iter().nth(i).expect("chosen among them");
            *classes.entry((opts.classify)(&action)).or_insert(0) += 1;
            taken.push(i);
            state = next;
            self.steps.fetch_add(1, Relaxed);
        }
    }

    /// Judges every property on a walk's state, recording new matches; true when a violation
    /// ends the walk.
    fn judge(
        &self,
        state: &M::State,
        init: usize,
        taken: &[usize],
        matched: &mut [bool],
        opts: &HuntOptions<'_, M::Action>,
    ) -> bool {
        let mut violated = false;
        for (i, p) in self.properties.iter().enumerate() {
            if matched[i] || !matches(self.model, p, state) {
                continue;
            }
            matched[i] = true;
            let always = p.expectation == Expectation::Always;
            violated |= always;
            if always && opts.stop_at_violation {
                self.stop.store(true, Relaxed);
            }
            let mut best = self.best[i].lock().unwrap_or_else(|e| e.into_inner());
            match best.as_mut() {
                Some(b) => {
                    b.hits += 1;
                    if taken.len() < b.actions.len() {
                        (b.init, b.actions) = (init, taken.to_vec());
                    }
                }
                None => {
                    *best = Some(Best {
                        hits: 1,
                        first: self.start.elapsed().as_secs_f64(),
                        init,
                        actions: taken.to_vec(),
                    })
                }
            }
        }
        violated
    }

    /// Every property matched, with its path (violations shrunk).
    fn findings(&self, shrink_states: usize) -> Vec<Finding<M::State, M::Action>> {
        let inits: Vec<M::State> = self
            .model
            .init_states()
            .into_iter()
            .filter(|s| self.model.within_boundary(s))
            .collect();
        let mut out = Vec::new();
        for (p, best) in self.properties.iter().zip(&self.best) {
            let Some(b) = best.lock().unwrap_or_else(|e| e.into_inner()).take() else {
                continue;
            };
            let mut path = replay_indices(self.model, &inits[b.init], &b.actions);
            if p.expectation == Expectation::Always {
                path = shrink(self.model, self.packer, p, path, shrink_states);
            }
            out.push(Finding {
                property: p.name,
                expectation: p.expectation.clone(),
                hits: b.hits,
                first_seconds: b.first,
                walk_steps: b.actions.len(),
                path: to_path(self.model, path),
            });
        }
        out
    }
}

/// A walk as (initial state, actions), from its choice indices among the enabled actions.
fn replay_indices<M: Model>(
    model: &M,
    init: &M::State,
    taken: &[usize],
) -> (M::State, Vec<M::Action>)
where
    M::State: Clone,
    M::Action: Clone,
{
    let mut state = init.clone();
    let mut actions = Vec::new();
    for &i in taken {
        let (a, n) = enabled(model, &state)
            .into_iter()
            .nth(i)
            .expect("a walk replays");
        actions.push(a);
        state = n;
    }
    (init.clone(), actions)
}

fn to_path<M: Model>(
    model: &M,
    (init, actions): (M::State, Vec<M::Action>),
) -> Path<M::State, M::Action>
where
    M::State: PartialEq + Debug + Hash,
    M::Action: PartialEq + Debug,
{
    Path::from_actions(model, init, &actions).expect("a found path replays")
}

/// The steps up to the first state of `actions` (taken from `init`) that violates `p`, if every
/// action is enabled where it is taken; `None` if the path breaks or never violates.
fn violating_prefix<M: Model>(
    model: &M,
    p: &Property<M>,
    init: &M::State,
    actions: &[M::Action],
) -> Option<usize>
where
    M::State: Clone,
    M::Action: Clone + PartialEq,
{
    let mut state = init.clone();
    if matches(model, p, &state) {
        return Some(0);
    }
    for (k, a) in actions.iter().enumerate() {
        let next = enabled(model, &state).into_iter().find(|(b, _)| b == a)?.1;
        state = next;
        if matches(model, p, &state) {
            return Some(k + 1);
        }
    }
    None
}

/// Shrinks a violating path: drops steps one at a time while the violation remains (the rest
/// replayed action by action), then searches exhaustively for a shorter ending.
fn shrink<M, P>(
    model: &M,
    packer: &P,
    p: &Property<M>,
    (init, mut actions): (M::State, Vec<M::Action>),
    shrink_states: usize,
) -> (M::State, Vec<M::Action>)
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let mut i = actions.len();
    while i > 0 {
        i -= 1;
        let mut fewer = actions.clone();
        fewer.remove(i);
        if let Some(k) = violating_prefix(model, p, &init, &fewer) {
            fewer.truncate(k);
            actions = fewer;
            i = i.min(actions.len());
        }
    }
    shorter_ending(model, packer, p, init, actions, shrink_states)
}

/// Breadth-first search from ever earlier states of the path, each bounded to beat the rest of
/// the path, for a shorter way to a violation; stops once a search passes `max_states`.
fn shorter_ending<M, P>(
    model: &M,
    packer: &P,
    p: &Property<M>,
    init: M::State,
    actions: Vec<M::Action>,
    max_states: usize,
) -> (M::State, Vec<M::Action>)
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let mut states = vec![init.clone()];
    for a in &actions {
        let last = states.last().expect("one state at least");
        let next = model.next_state(last, a.clone()).expect("the path replays");
        states.push(next);
    }
    let mut best = actions;
    for from in (0..states.len().saturating_sub(1)).rev() {
        let rest = best.len() - from;
        match bounded_bfs(model, packer, p, &states[from], rest - 1, max_states) {
            Bfs::Found(ending) => {
                best.truncate(from);
                best.extend(ending);
            }
            Bfs::None => {}
            Bfs::TooLarge => break,
        }
    }
    (init, best)
}

enum Bfs<A> {
    Found(Vec<A>),
    None,
    TooLarge,
}

/// A shortest path of at most `depth` steps from `root` to a violation of `p`.
fn bounded_bfs<M, P>(
    model: &M,
    packer: &P,
    p: &Property<M>,
    root: &M::State,
    depth: usize,
    max_states: usize,
) -> Bfs<M::Action>
where
    M: Model,
    M::State: Clone + Hash + PartialEq + Debug,
    M::Action: Clone + PartialEq + Debug,
    P: Packer<M::State>,
{
    let mut scratch = P::Scratch::default();
    let mut seen = std::collections::HashSet::new();
    seen.insert(packer.fingerprint(root, &mut scratch));
    // (state, index of its parent record, depth); records hold (parent record, action).
    let mut records: Vec<(usize, Option<M::Action>)> = vec![(0, None)];
    let mut queue = VecDeque::from([(root.clone(), 0usize, 0usize)]);
    while let Some((state, rec, d)) = queue.pop_front() {
        if d == depth {
            continue;
        }
        for (a, next) in enabled(model, &state) {
            if !seen.insert(packer.fingerprint(&next, &mut scratch)) {
                continue;
            }
            if seen.len() > max_states {
                return Bfs::TooLarge;
            }
            records.push((rec, Some(a)));
            let at = records.len() - 1;
            if matches(model, p, &next) {
                let mut path = Vec::new();
                let mut r = at;
                while let (parent, Some(a)) = &records[r] {
                    path.push(a.clone());
                    r = *parent;
                }
                path.reverse();
                return Bfs::Found(path);
            }
            queue.push_back((next, at, d + 1));
        }
    }
    Bfs::None
}
