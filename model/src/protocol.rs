//! The one model skeleton every protocol variant shares. A variant (`raft/`, `kraft/`) states
//! only its protocol through [`Protocol`]: its server, message and history types, its own steps,
//! and how each of its parts is packed, renamed and shown. Everything around the protocol is
//! written once here: the state frame ([`Cluster`]), the model ([`ProtocolModel`]: network
//! actions, restarts, the stateright `Model`), the engine's packing of the frame, symmetry
//! renaming, the ITF record and the [`Spec`] plumbing, and the properties both protocols share
//! (stated over a term/epoch read through [`Protocol::term`]).

use crate::bounds::{Bounds, MAX_SERVERS};
use crate::bugs::Bug;
use crate::latch::Latches;
use crate::network::{Envelope, Network, NetworkStep};
use crate::pack::{Packing, Reader, Writer};
use crate::spec::{Spec, Variant};
use crate::view::{acked, EventView, LogCell, MsgView, ServerView, StateView, Vocabulary};
use arrayvec::ArrayVec;
use raftspec_engine::{Renaming, Symmetric};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use stateright::{Model, Property, Representative};
use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

/// A server id: an index into [`Cluster::servers`].
pub type ServerId = u8;

/// Committed entries a history can hold: the longest log of any variant.
pub const HISTORY: usize = 8;
const _: () = assert!(crate::bounds::MAX_LOG <= HISTORY);

/// A protocol's parts: its server, entry, message, history and action types. Implemented next
/// to the variant's state.
pub trait Parts: Sized + Clone + Debug + PartialEq + Eq + Hash + Send + Sync + 'static {
    const VARIANT: Variant;
    type Server: Node<Entry = Self::Entry>
        + Clone
        + Debug
        + Eq
        + Hash
        + Ord
        + Default
        + Send
        + Sync
        + 'static;
    type Entry: LogEntry + Copy + Debug + Eq + Hash + Ord + Send + Sync + 'static;
    type Msg: Envelope + Debug + Hash + Serialize + Send + Sync + 'static;
    type Action: Clone + Debug + Eq + Hash + Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// What the shared properties read of a server.
pub trait Node {
    type Entry;
    /// The server's current term (epoch).
    fn current_term(&self) -> u8;
    fn is_leader(&self) -> bool;
    /// Its log (persisted, so a crashed server's counts too).
    fn entries(&self) -> &[Self::Entry];
    /// The entries it has applied; None when its commit point is past its log.
    fn applied(&self) -> Option<&[Self::Entry]>;
}

/// What the shared properties read of a log entry.
pub trait LogEntry {
    /// The term (epoch) the entry was created in.
    fn entry_term(&self) -> u8;
}

/// A history record: an entry some leader acknowledged to a client, and that leader's term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Committed<E> {
    pub entry: E,
    pub in_term: u8,
}

/// A protocol's parts as bytes for the engine (the frame around them is [`Cluster`]'s).
pub trait Packs: Parts {
    fn pack_server(w: &mut Writer<'_>, s: &Self::Server, n: usize);
    fn unpack_server(r: &mut Reader<'_>, n: usize) -> Self::Server;
    fn pack_msg(w: &mut Writer<'_>, m: &Self::Msg);
    fn unpack_msg(r: &mut Reader<'_>) -> Self::Msg;
    fn pack_entry(w: &mut Writer<'_>, e: &Self::Entry);
    fn unpack_entry(r: &mut Reader<'_>) -> Self::Entry;
    /// The server with the fields its role never reads set to fixed values (TLC's VIEW); None
    /// when it has none set.
    fn server_view(s: &Self::Server) -> Option<Self::Server>;
}

/// A protocol's parts under server renaming (symmetry).
pub trait Renames: Parts {
    /// A server's contents without any server id (symmetry's sort key).
    type Key: Ord + Clone + Debug;
    /// Server `i`'s contents without any server id.
    fn server_key(s: &Self::Server, i: usize) -> Self::Key;
    fn rename_server(s: &Self::Server, r: &Renaming, n: usize) -> Self::Server;
    fn rename_msg(m: &Self::Msg, r: &Renaming) -> Self::Msg;
}

/// A protocol's parts in traces and pictures.
pub trait Shows: Parts {
    /// The words this variant's pictures use.
    const WORDS: Vocabulary;
    /// A server as an ITF record.
    fn server_json(s: &Self::Server, n: usize) -> Value;
    /// A history record as an ITF record.
    fn committed_json(c: &Committed<Self::Entry>) -> Value;
    /// A server, a message in flight and a log entry as pictures show them.
    fn server_picture(s: &Self::Server) -> ServerView;
    fn msg_picture(m: &Self::Msg) -> MsgView;
    fn entry_cell(e: &Self::Entry) -> LogCell;
    fn event_view(a: &Self::Action) -> EventView;
}

/// A protocol's steps: what a variant states; the model around them is [`ProtocolModel`]'s.
pub trait Protocol: Packs + Renames + Shows {
    /// The network's action on a message in flight.
    fn network_action(step: NetworkStep, m: &Self::Msg) -> Self::Action;
    /// The network step an action is, if it is one.
    fn as_network(a: &Self::Action) -> Option<(NetworkStep, &Self::Msg)>;
    fn restart_action(s: ServerId) -> Self::Action;
    /// The protocol's own actions for server `s` (timers, sends, client requests).
    fn server_actions(
        m: &ProtocolModel<Self>,
        st: &Cluster<Self>,
        s: ServerId,
        out: &mut Vec<Self::Action>,
    );
    /// Whether restarting `s` is offered (default: always).
    fn restart_offered(_m: &ProtocolModel<Self>, _st: &Cluster<Self>, _s: ServerId) -> bool {
        true
    }
    /// The destination handles one copy of a message in flight (already taken off the network).
    fn deliver(m: &ProtocolModel<Self>, st: &mut Cluster<Self>, msg: &Self::Msg);
    /// A server's own step (any action that is not a network step).
    fn step(m: &ProtocolModel<Self>, st: &mut Cluster<Self>, a: &Self::Action);
    /// Ends every step: judges what compares the states before and after it.
    fn finish_step(before: &Cluster<Self>, a: &Self::Action, after: &mut Cluster<Self>);
    fn properties() -> Vec<Property<ProtocolModel<Self>>>;
    fn format_action(a: &Self::Action) -> String;
    /// The protocol name of the step (ITF `action_taken`).
    fn action_name(a: &Self::Action) -> &'static str;
}

/// The [`Protocol`] methods that tie the skeleton's network and restart steps to a variant's
/// `Action` enum, whose `Deliver(Msg)`, `Drop(Msg)`, `Duplicate(Msg)` and `Restart(ServerId)`
/// variants every protocol has. Expanded inside `impl Protocol for ...`.
macro_rules! network_and_restart_actions {
    () => {
        fn network_action(step: $crate::network::NetworkStep, m: &Msg) -> Action {
            use $crate::network::NetworkStep;
            match step {
                NetworkStep::Deliver => Action::Deliver(m.clone()),
                NetworkStep::Drop => Action::Drop(m.clone()),
                NetworkStep::Duplicate => Action::Duplicate(m.clone()),
            }
        }

        fn as_network(a: &Action) -> Option<($crate::network::NetworkStep, &Msg)> {
            use $crate::network::NetworkStep;
            match a {
                Action::Deliver(m) => Some((NetworkStep::Deliver, m)),
                Action::Drop(m) => Some((NetworkStep::Drop, m)),
                Action::Duplicate(m) => Some((NetworkStep::Duplicate, m)),
                _ => None,
            }
        }

        fn restart_action(s: ServerId) -> Action {
            Action::Restart(s)
        }
    };
}
pub(crate) use network_and_restart_actions;

/// A state of any variant: its servers, the network, and the history the properties need.
/// Small integers and fixed-size arrays only, so states hash and clone cheaply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cluster<P: Parts> {
    pub servers: ArrayVec<P::Server, MAX_SERVERS>,
    pub network: Network<P::Msg>,
    /// Restarts so far (bounds the search only).
    pub restarts: u8,
    /// Messages lost so far (bounds the search only; counted only under `--max-drops`).
    pub drops: u8,
    /// History: committed entries by position; the first commit of a position wins.
    pub committed: ArrayVec<Committed<P::Entry>, HISTORY>,
    /// History: two different entries were ever committed at one position.
    pub commit_conflict: bool,
    /// Bits from the variant's `marker` module describing the last step.
    pub marker: u8,
}

/// A variant's model: the bounds and bug it is checked under.
#[derive(Clone, Debug)]
pub struct ProtocolModel<P> {
    pub bounds: Bounds,
    pub bug: Option<Bug>,
    pub(crate) latches: Arc<Latches>,
    _protocol: PhantomData<P>,
}

impl<P: Protocol> ProtocolModel<P> {
    pub fn new(bounds: Bounds, bug: Option<Bug>) -> Self {
        ProtocolModel {
            bounds,
            bug,
            latches: Latches::unarmed(),
            _protocol: PhantomData,
        }
    }

    pub(crate) fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    pub(crate) fn servers(&self) -> impl Iterator<Item = ServerId> {
        0..self.bounds.servers
    }

    pub(crate) fn peers(&self, s: ServerId) -> impl Iterator<Item = ServerId> {
        (0..self.bounds.servers).filter(move |&p| p != s)
    }

    /// Puts a message in flight.
    pub(crate) fn send(&self, st: &mut Cluster<P>, m: P::Msg) {
        st.network.send(m, &self.bounds.network);
    }

    /// Every message the network may deliver, drop or copy now.
    fn network_actions(&self, st: &Cluster<P>, out: &mut Vec<P::Action>) {
        let steps = st.network.steps(&self.bounds.network, st.drops);
        out.extend(steps.map(|(step, m)| P::network_action(step, m)));
    }

    /// A network step: deliver one copy (the destination handles it), lose one (counted
    /// under `--max-drops`), or copy one.
    fn network_step(&self, st: &mut Cluster<P>, step: NetworkStep, m: &P::Msg) {
        match step {
            NetworkStep::Deliver => {
                st.network.take(m);
                P::deliver(self, st, m);
            }
            NetworkStep::Drop => {
                st.network.take(m);
                if self.bounds.network.counts_drops() {
                    st.drops += 1;
                }
            }
            NetworkStep::Duplicate => st.network.duplicate(m),
        }
    }
}

impl<P: Protocol> Model for ProtocolModel<P> {
    type State = Cluster<P>;
    type Action = P::Action;

    fn init_states(&self) -> Vec<Cluster<P>> {
        vec![Cluster {
            servers: self.servers().map(|_| P::Server::default()).collect(),
            network: Default::default(),
            restarts: 0,
            drops: 0,
            committed: ArrayVec::new(),
            commit_conflict: false,
            marker: 0,
        }]
    }

    fn actions(&self, st: &Cluster<P>, out: &mut Vec<P::Action>) {
        self.network_actions(st, out);
        for s in self.servers() {
            P::server_actions(self, st, s, out);
            if st.restarts < self.bounds.max_restarts && P::restart_offered(self, st, s) {
                out.push(P::restart_action(s));
            }
        }
    }

    fn next_state(&self, last: &Cluster<P>, action: P::Action) -> Option<Cluster<P>> {
        let mut st = last.clone();
        st.marker = 0;
        match P::as_network(&action) {
            Some((step, m)) => self.network_step(&mut st, step, m),
            None => P::step(self, &mut st, &action),
        }
        P::finish_step(last, &action, &mut st);
        Some(st)
    }

    fn within_boundary(&self, st: &Cluster<P>) -> bool {
        st.network.len() <= self.bounds.network.max_in_flight as usize
    }

    fn properties(&self) -> Vec<Property<Self>> {
        P::properties()
    }

    fn format_action(&self, action: &P::Action) -> String {
        P::format_action(action)
    }
}

impl<P: Protocol> Spec for ProtocolModel<P> {
    fn variant(&self) -> Variant {
        P::VARIANT
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn bug(&self) -> Option<Bug> {
        self.bug
    }
    fn action_name(&self, action: &P::Action) -> &'static str {
        P::action_name(action)
    }
    fn state_json(&self, st: &Cluster<P>) -> Value {
        let n = st.servers.len();
        let servers: Vec<Value> = st.servers.iter().map(|s| P::server_json(s, n)).collect();
        let network: Vec<Value> = (st.network.in_flight.iter())
            .map(|(m, c)| json!({"msg": m, "copies": c}))
            .collect();
        let committed: Vec<Value> = st.committed.iter().map(P::committed_json).collect();
        json!({
            "servers": servers,
            "network": network,
            "committed": committed,
            "commitConflict": st.commit_conflict,
            "restarts": st.restarts,
        })
    }
    fn vocabulary(&self) -> Vocabulary {
        P::WORDS
    }
    fn state_view(&self, st: &Cluster<P>) -> StateView {
        let servers = st.servers.iter().map(P::server_picture).collect();
        let acked = st
            .committed
            .iter()
            .map(|c| acked(P::entry_cell(&c.entry), c.in_term));
        StateView::of(servers, &st.network, P::msg_picture, acked.collect())
    }
    fn event_view(&self, action: &P::Action) -> EventView {
        P::event_view(action)
    }
    fn for_checking(&self) -> Self {
        ProtocolModel {
            latches: Latches::armed(),
            ..self.clone()
        }
    }
}

impl<P: Packs> Packing for Cluster<P> {
    fn pack(&self, w: &mut Writer<'_>) {
        let n = self.servers.len();
        w.bytes(&[
            n as u8,
            self.restarts,
            self.drops,
            self.commit_conflict as u8,
            self.marker,
        ]);
        for s in &self.servers {
            P::pack_server(w, s, n);
        }
        w.seq(&self.network.in_flight, |w, (m, copies)| {
            P::pack_msg(w, m);
            w.u8(*copies);
        });
        w.seq(&self.committed, |w, c| {
            P::pack_entry(w, &c.entry);
            w.u8(c.in_term);
        });
    }

    fn unpack(r: &mut Reader<'_>) -> Self {
        let (n, restarts, drops) = (r.u8() as usize, r.u8(), r.u8());
        let (commit_conflict, marker) = (r.bool(), r.u8());
        let servers = (0..n).map(|_| P::unpack_server(r, n)).collect();
        let network = Network {
            in_flight: r.seq(|r| (P::unpack_msg(r), r.u8())),
        };
        let committed = r.seq(|r| Committed {
            entry: P::unpack_entry(r),
            in_term: r.u8(),
        });
        Cluster {
            servers,
            network,
            restarts,
            drops,
            committed,
            commit_conflict,
            marker,
        }
    }

    fn view(&self) -> Cow<'_, Self> {
        let views: ArrayVec<Option<P::Server>, MAX_SERVERS> =
            self.servers.iter().map(P::server_view).collect();
        if views.iter().all(Option::is_none) {
            return Cow::Borrowed(self);
        }
        let mut st = self.clone();
        for (s, v) in st.servers.iter_mut().zip(views) {
            if let Some(v) = v {
                *s = v;
            }
        }
        Cow::Owned(st)
    }
}

impl<P: Renames + Packs> Symmetric for Cluster<P> {
    type Key = P::Key;

    fn processes(&self) -> usize {
        self.servers.len()
    }

    fn process_key(&self, i: usize) -> Self::Key {
        P::server_key(&self.servers[i], i)
    }

    fn rename(&self, r: &Renaming) -> Self {
        let n = self.servers.len();
        debug_assert!(n <= MAX_SERVERS);
        // Built in their new order, each server renamed once (this runs for every successor).
        let mut from = [0usize; MAX_SERVERS];
        for old in 0..n {
            from[r[old] as usize] = old;
        }
        let servers = from[..n]
            .iter()
            .map(|&old| P::rename_server(&self.servers[old], r, n))
            .collect();
        Cluster {
            servers,
            network: self.network.rename(|m| P::rename_msg(m, r), true),
            restarts: self.restarts,
            drops: self.drops,
            committed: self.committed.clone(),
            commit_conflict: self.commit_conflict,
            marker: self.marker,
        }
    }
}

impl<P: Renames + Packs> Representative for Cluster<P> {
    fn representative(&self) -> Self {
        crate::pack::representative(self)
    }
}

/// Renames a set of servers given as a bit mask.
pub(crate) fn rename_mask(mask: u8, r: &Renaming, n: usize) -> u8 {
    (0..n)
        .filter(|&old| mask & (1 << old) != 0)
        .fold(0, |acc, old| acc | 1 << r[old])
}

/// Renames an array indexed by server id.
pub(crate) fn rename_array<T: Copy>(
    a: &[T; MAX_SERVERS],
    r: &Renaming,
    n: usize,
) -> [T; MAX_SERVERS] {
    let mut out = *a;
    for (old, &new) in r.iter().enumerate().take(n) {
        out[new as usize] = a[old];
    }
    out
}

// ---- the properties both protocols state ---------------------------------------------------

/// Every server's log (persisted, so crashed servers count too).
fn logs<P: Parts>(s: &Cluster<P>) -> ArrayVec<&[P::Entry], MAX_SERVERS> {
    s.servers.iter().map(Node::entries).collect()
}

fn leaders<P: Parts>(s: &Cluster<P>) -> impl Iterator<Item = &P::Server> + Clone {
    s.servers.iter().filter(|v| v.is_leader())
}

/// ElectionSafety: at most one leader per term.
pub(crate) fn election_safety<P: Parts>(s: &Cluster<P>) -> bool {
    let leaders = leaders(s);
    (leaders.clone()).all(|a| {
        (leaders.clone())
            .filter(|b| b.current_term() == a.current_term())
            .count()
            == 1
    })
}

/// LogMatching: two logs with an entry of the same position and term agree on every entry up
/// to it.
pub(crate) fn log_matching<P: Parts>(s: &Cluster<P>) -> bool {
    crate::logs::log_matching(&logs(s), LogEntry::entry_term)
}

/// LeaderCompleteness: a leader holds every entry committed in an earlier term.
pub(crate) fn leader_completeness<P: Parts>(s: &Cluster<P>) -> bool {
    crate::logs::leaders_complete(
        leaders(s).map(|l| (l.current_term(), l.entries())),
        s.committed.iter().map(|c| (&c.entry, c.in_term)),
    )
}

/// StateMachineSafety: every server holds what it applied, and the applied prefixes agree
/// with each other and with what leaders acknowledged.
pub(crate) fn state_machine_safety<P: Parts>(s: &Cluster<P>) -> bool {
    let applied: ArrayVec<Option<&[P::Entry]>, MAX_SERVERS> =
        s.servers.iter().map(Node::applied).collect();
    !s.commit_conflict
        && crate::logs::applied_prefixes_agree(&applied, s.committed.iter().map(|c| &c.entry))
}

/// CommittedEntriesReachMajority: every committed entry is stored (persisted) by a majority.
pub(crate) fn committed_reach_majority<P: Parts>(s: &Cluster<P>, majority: usize) -> bool {
    crate::logs::stored_by_majority(s.committed.iter().map(|c| &c.entry), &logs(s), majority)
}

/// No entry has a term above its server's current term: a leader creates entries in its own
/// term, and a follower accepts them only from a leader whose term it has adopted.
pub(crate) fn entry_terms_not_above_current<P: Parts>(s: &Cluster<P>) -> bool {
    (s.servers.iter()).all(|v| {
        v.entries()
            .iter()
            .all(|e| e.entry_term() <= v.current_term())
    })
}

/// The terms along every log never decrease.
pub(crate) fn log_terms_monotonic<P: Parts>(s: &Cluster<P>) -> bool {
    (s.servers.iter())
        .all(|v| (v.entries().windows(2)).all(|w| w[0].entry_term() <= w[1].entry_term()))
}

/// Some server is leader (a witness).
pub(crate) fn leader_elected<P: Parts>(s: &Cluster<P>) -> bool {
    leaders(s).next().is_some()
}
