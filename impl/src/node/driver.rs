//! The event loop of a node. One batch at a time:
//!
//! 1. take every queued event (peer messages, client requests) and the expired timers, and
//!    step the core with each; apply each step's `Persist` to storage in order, hold its
//!    messages back;
//! 2. fsync once for the whole batch (group commit);
//! 3. only then send the held messages, and apply newly committed entries to the KV state,
//!    answering the clients whose entries they are.
//!
//! So nothing leaves the node, and no client hears "ok", before the state it depends on is
//! durable: a granted vote is on disk before the response, an entry before its ack.

use super::gate::{Inspect, RejoinGate};
use super::{Member, NodeConfig, NodeError};
use crate::core::{Core, EntryData, Input, NodeId, Output, Proposal, Role, Timer};
use crate::kv::{Command, Kv, Outcome};
use crate::net::{Incoming, NetStats, Transport};
use crate::storage::Storage;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A client request's answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Committed and applied at this log position.
    Done { outcome: Outcome, position: u64 },
    /// Not the leader; where it is, if known.
    NotLeader {
        leader: Option<NodeId>,
        http: Option<SocketAddr>,
    },
    /// The entry was replaced by another leader's: it did not take effect.
    Lost,
}

/// Where a client request's answer goes (the HTTP task awaiting it).
pub type ReplyTo = tokio::sync::oneshot::Sender<Reply>;

pub enum Event<M> {
    Peer(NodeId, M),
    TermProbe(NodeId),
    TermReply {
        from: NodeId,
        term: u64,
        leader: bool,
    },
    Client(Command, ReplyTo),
}

/// What `/status` shows; refreshed after every batch.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub id: NodeId,
    pub mode: &'static str,
    pub role: Role,
    pub term: u64,
    pub leader: Option<NodeId>,
    pub leader_http: Option<String>,
    pub log_end: u64,
    /// Raft commit index / KRaft high watermark (both: number of committed entries).
    pub commit: u64,
    pub applied: u64,
    pub keys: usize,
    pub msgs_sent: u64,
    pub bytes_sent: u64,
    pub msgs_received: u64,
    pub bytes_received: u64,
    pub msgs_dropped: u64,
    /// Peer connections closed for a bad or unauthenticated frame.
    pub peer_frames_refused: u64,
    /// HTTP connections refused over the connection limit, and requests refused with a 4xx.
    pub http_connections_refused: u64,
    pub http_requests_refused: u64,
    /// CPU time of this process (user + system), microseconds.
    pub cpu_us: u64,
}

impl Status {
    fn initial(cfg: &NodeConfig, s: &crate::core::Summary) -> Status {
        Status {
            id: cfg.id,
            mode: cfg.mode.as_str(),
            role: s.role,
            term: s.term,
            leader: s.leader,
            leader_http: None,
            log_end: s.log_len,
            commit: s.committed,
            applied: 0,
            keys: 0,
            msgs_sent: 0,
            bytes_sent: 0,
            msgs_received: 0,
            bytes_received: 0,
            msgs_dropped: 0,
            peer_frames_refused: 0,
            http_connections_refused: 0,
            http_requests_refused: 0,
            cpu_us: 0,
        }
    }
}

pub type Inbox<M> = Sender<Event<M>>;

/// A seed for the timers' jitter: different per process, node and start.
fn jitter_seed(now: Instant, id: NodeId) -> u64 {
    now.elapsed().as_nanos() as u64
        ^ std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
        ^ (id + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

pub struct Driver<C: Core> {
    cfg: NodeConfig,
    core: C,
    storage: Storage,
    transport: Transport<C::Message>,
    rx: Receiver<Event<C::Message>>,
    kv: Kv,
    applied: u64,
    pending: HashMap<u64, (u64, ReplyTo)>,
    parked: Vec<(Instant, NodeId, C::Message)>,
    election_at: Instant,
    heartbeat_at: Instant,
    fetch_at: Instant,
    check_quorum_at: Instant,
    rng: u64,
    status: Arc<Mutex<Status>>,
    was_leader: bool,
    /// Set on a node rebuilt with `--rejoin-empty` (its voting restriction).
    gate: Option<RejoinGate>,
    probe_at: Instant,
}

impl<C: Core> Driver<C>
where
    C::Message: Inspect,
{
    pub fn start(
        cfg: NodeConfig,
        core: C,
        storage: Storage,
        peer_listener: TcpListener,
        http: TcpListener,
    ) -> Result<(), NodeError> {
        let (tx, rx) = channel::<Event<C::Message>>();
        let transport = Self::start_transport(&cfg, peer_listener, tx.clone());
        let now = Instant::now();
        let voters: Vec<NodeId> = cfg.members.keys().copied().collect();
        let gate = RejoinGate::new(storage.rejoin(), cfg.id, &voters);
        let s = core.summary();
        let status = Arc::new(Mutex::new(Status::initial(&cfg, &s)));
        super::http::serve(
            http,
            tx,
            status.clone(),
            cfg.members.clone(),
            super::http::Limits::default(),
        )
        .map_err(|e| NodeError::Usage(format!("cannot serve HTTP: {e}")))?;
        let seed = jitter_seed(now, cfg.id);
        let mut d = Driver {
            core,
            storage,
            transport,
            rx,
            kv: Kv::default(),
            applied: 0,
            pending: HashMap::new(),
            parked: Vec::new(),
            election_at: now,
            heartbeat_at: now + cfg.timing.heartbeat,
            fetch_at: now,
            check_quorum_at: now + cfg.timing.check_quorum,
            rng: seed | 1,
            status,
            was_leader: false,
            gate,
            probe_at: now,
            cfg,
        };
        d.reset_election(now);
        d.run()
    }

    /// The peer transport: every frame that arrives becomes an event on `tx`.
    fn start_transport(
        cfg: &NodeConfig,
        peer_listener: TcpListener,
        tx: Inbox<C::Message>,
    ) -> Transport<C::Message> {
        let peers: BTreeMap<NodeId, SocketAddr> =
            cfg.members.iter().map(|(id, m)| (*id, m.peer)).collect();
        let deliver_tx = Mutex::new(tx);
        let key = crate::net::frame::FrameKey::new(&cfg.cluster, cfg.secret.as_deref());
        Transport::start_all(
            cfg.id,
            cfg.mode.as_str(),
            key,
            peer_listener,
            &peers,
            Arc::new(move |from, m| {
                // The driver outlives the transport; a send error only means shutdown.
                let ev = match m {
                    Incoming::Msg(m) => Event::Peer(from, m),
                    Incoming::TermProbe => Event::TermProbe(from),
                    Incoming::TermReply { term, leader } => Event::TermReply { from, term, leader },
                };
                let _ = deliver_tx.lock().map(|t| t.send(ev));
            }),
        )
    }

    fn random_below(&mut self, n: u64) -> u64 {
        // xorshift64*: timing jitter only, no need for more.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }

    fn reset_election(&mut self, now: Instant) {
        let (min, max) = (self.cfg.timing.election_min, self.cfg.timing.election_max);
        let span = max.saturating_sub(min).as_millis() as u64;
        let jitter = self.random_below(span.max(1));
        self.election_at = now + min + Duration::from_millis(jitter);
    }

    fn run(&mut self) -> Result<(), NodeError> {
        loop {
            let now = Instant::now();
            let next = self.next_deadline();
            let first = match self.rx.recv_timeout(next.saturating_duration_since(now)) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Err(NodeError::ChannelClosed),
            };
            self.batch(first)?;
        }
    }

    fn next_deadline(&self) -> Instant {
        let mut next = self
            .core
            .timers()
            .iter()
            .map(|t| self.deadline(*t))
            .min()
            .unwrap_or(self.election_at);
        if let Some((t, _, _)) = self.parked.first() {
            next = next.min(*t);
        }
        next
    }

    /// When `timer` fires next. A Raft heartbeat and a KRaft BeginQuorumEpoch resend share the
    /// heartbeat period.
    fn deadline(&self, timer: Timer) -> Instant {
        match timer {
            Timer::ElectionTimeout => self.election_at,
            Timer::HeartbeatTimeout | Timer::BeginQuorumEpochTimeout => self.heartbeat_at,
            Timer::FetchTimeout => self.fetch_at,
            Timer::CheckQuorumTimeout => self.check_quorum_at,
        }
    }

    /// Re-arms `timer` after it fired at `now`.
    fn rearm(&mut self, timer: Timer, now: Instant) {
        let t = &self.cfg.timing;
        match timer {
            Timer::ElectionTimeout => self.reset_election(now),
            Timer::HeartbeatTimeout | Timer::BeginQuorumEpochTimeout => {
                self.heartbeat_at = now + t.heartbeat
            }
            Timer::FetchTimeout => self.fetch_at = now + t.fetch_retry,
            Timer::CheckQuorumTimeout => self.check_quorum_at = now + t.check_quorum,
        }
    }

    fn batch(&mut self, first: Option<Event<C::Message>>) -> Result<(), NodeError> {
        let mut outbox: Vec<(NodeId, C::Message)> = Vec::new();
        let mut proposed = false;
        let log_before = self.core.log().len();
        let mut events: Vec<Event<C::Message>> = first.into_iter().collect();
        while events.len() < 4096 {
            match self.rx.try_recv() {
                Ok(e) => events.push(e),
                Err(_) => break,
            }
        }
        let now = Instant::now();
        for ev in events {
            proposed |= self.handle(ev, &mut outbox, now)?;
        }
        self.fire_timers(now, proposed, &mut outbox)?;
        self.probe_unheard(now);
        // Long-polled fetches go back in as soon as there is something new to answer with.
        if !self.parked.is_empty() {
            let grew = self.core.log().len() > log_before;
            let (due, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked)
                .into_iter()
                .partition(|(t, _, _)| grew || *t <= now);
            self.parked = keep;
            for (_, from, msg) in due {
                self.step(Input::Receive { from, msg }, &mut outbox, now)?;
            }
        }
        self.storage.sync().map_err(NodeError::Storage)?;
        // Persist before send: every message below may depend on state applied above.
        debug_assert!(
            self.storage.is_synced(),
            "sending before the state is durable"
        );
        for (to, msg) in &outbox {
            self.transport.send(*to, msg);
        }
        self.apply_committed();
        self.lift_abstention()?;
        self.after_batch();
        Ok(())
    }

    /// Handle one queued event; true if it was a proposal the core accepted.
    fn handle(
        &mut self,
        ev: Event<C::Message>,
        outbox: &mut Vec<(NodeId, C::Message)>,
        now: Instant,
    ) -> Result<bool, NodeError> {
        match ev {
            Event::TermProbe(from) => {
                let s = self.core.summary();
                self.transport
                    .reply_term(from, s.term, s.role == Role::Leader);
            }
            Event::TermReply { from, term, leader } => {
                let Some(g) = &mut self.gate else {
                    return Ok(false);
                };
                g.heard_term(from, term);
                // A leader's answer counts as its announcement (KRaft's BeginQuorumEpoch,
                // which it does not resend to a voter that fetched before the wipe).
                let known = self.core.summary().leader.is_some();
                if let Some(msg) = leader
                    .then(|| C::Message::announcement(term, from))
                    .flatten()
                {
                    if !known {
                        self.step(Input::Receive { from, msg }, outbox, now)?;
                    }
                }
            }
            Event::Peer(from, msg) => {
                if !self.gate.as_mut().is_none_or(|g| g.admit(from, &msg)) {
                    return Ok(false);
                }
                if self.core.may_defer(from, &msg) {
                    self.parked
                        .push((now + self.cfg.timing.fetch_max_wait, from, msg));
                } else {
                    self.step(Input::Receive { from, msg }, outbox, now)?;
                }
            }
            Event::Client(cmd, reply) => {
                let out = self.step(Input::Propose(cmd.encode()), outbox, now)?;
                match out {
                    Some(Proposal::Accepted { position, term }) => {
                        self.pending.insert(position, (term, reply));
                        return Ok(true);
                    }
                    Some(Proposal::NotLeader { leader }) => {
                        let http = leader.and_then(|l| self.http_of(l));
                        let _ = reply.send(Reply::NotLeader { leader, http });
                    }
                    None => {}
                }
            }
        }
        Ok(false)
    }

    /// Step the core once, persist (without fsync) and queue its messages.
    fn step(
        &mut self,
        input: Input<C::Message>,
        outbox: &mut Vec<(NodeId, C::Message)>,
        now: Instant,
    ) -> Result<Option<Proposal>, NodeError> {
        let out: Output<C::Message> = self.core.step(input);
        if let Some(f) = out.fatal {
            return Err(NodeError::Core(f));
        }
        if !out.persist.is_empty() {
            self.storage
                .apply(&out.persist)
                .map_err(NodeError::Storage)?;
        }
        outbox.extend(out.send);
        if out.reset_election_timer {
            self.reset_election(now);
        }
        if let Some(rank) = out.elect_soon {
            // The first preferred successor runs at once, the others a little later.
            self.election_at = now + Duration::from_millis(20 + 100 * rank as u64);
        }
        if out.fetch_again {
            // A fetch completed: ask for more right away (its output has no fetch_again).
            self.fetch_at = now + self.cfg.timing.fetch_retry;
            self.step(Input::Timer(Timer::FetchTimeout), outbox, now)?;
        }
        Ok(out.proposal)
    }

    /// Fires the due timers the core arms in its role, in the core's order; a timer the role
    /// no longer arms after an earlier one fired is skipped.
    fn fire_timers(
        &mut self,
        now: Instant,
        proposed: bool,
        outbox: &mut Vec<(NodeId, C::Message)>,
    ) -> Result<(), NodeError> {
        for &timer in self.core.timers() {
            if !self.core.timers().contains(&timer) {
                continue;
            }
            // A heartbeat replicates: send new proposals at once instead of waiting for it.
            let early = proposed && timer == Timer::HeartbeatTimeout;
            if self.deadline(timer) <= now || early {
                let term = self.core.summary().term;
                if timer == Timer::ElectionTimeout
                    && !self.gate.as_ref().is_none_or(|g| g.may_campaign(term))
                {
                    self.rearm(timer, now); // a rebuilt node that may not vote yet
                } else if timer == Timer::ElectionTimeout {
                    self.rearm(timer, now);
                    self.step(Input::Timer(timer), outbox, now)?;
                } else {
                    self.step(Input::Timer(timer), outbox, now)?;
                    self.rearm(timer, now);
                }
            }
        }
        Ok(())
    }

    /// A rebuilt node asks the members it has not heard from for their terms (followers do
    /// not otherwise talk to each other), at the heartbeat period.
    fn probe_unheard(&mut self, now: Instant) {
        let Some(g) = &self.gate else { return };
        if now < self.probe_at {
            return;
        }
        self.probe_at = now + self.cfg.timing.heartbeat * 4;
        for id in g.unheard() {
            self.transport.probe_term(id);
        }
    }

    /// A rebuilt node that has heard from everyone and caught up records its vote floor.
    fn lift_abstention(&mut self) -> Result<(), NodeError> {
        let committed = self.core.summary().committed;
        if let Some(floor) = self.gate.as_mut().and_then(|g| g.ready(committed)) {
            self.storage
                .set_vote_floor(floor)
                .map_err(NodeError::Storage)?;
            eprintln!(
                "node {}: rebuilt node caught up; votes again, in terms above {floor}",
                self.cfg.id
            );
        }
        Ok(())
    }

    fn http_of(&self, id: NodeId) -> Option<SocketAddr> {
        self.cfg.members.get(&id).and_then(|m: &Member| m.http)
    }

    fn apply_committed(&mut self) {
        let committed = self
            .core
            .summary()
            .committed
            .min(self.core.log().len() as u64);
        while self.applied < committed {
            let pos = self.applied;
            let entry = self.core.log()[pos as usize].clone();
            let outcome = match &entry.data {
                EntryData::Command(bytes) => match Command::decode(bytes) {
                    Ok(cmd) => self.kv.apply(&cmd),
                    Err(e) => {
                        eprintln!("node {}: entry {pos}: {e}; skipped", self.cfg.id);
                        Outcome::Nothing
                    }
                },
                EntryData::LeaderChange { .. } => Outcome::Nothing,
            };
            if let Some((term, reply)) = self.pending.remove(&pos) {
                let r = if term == entry.term {
                    Reply::Done {
                        outcome,
                        position: pos,
                    }
                } else {
                    Reply::Lost
                };
                let _ = reply.send(r);
            }
            self.applied += 1;
        }
    }

    fn after_batch(&mut self) {
        let s = self.core.summary();
        let leader = s.role == Role::Leader;
        if self.was_leader && !leader {
            self.reset_election(Instant::now());
        }
        if leader != self.was_leader {
            eprintln!(
                "node {}: {} in term {}",
                self.cfg.id,
                if leader {
                    "became leader"
                } else {
                    "no longer leader"
                },
                s.term
            );
        }
        self.was_leader = leader;
        let stats: &NetStats = &self.transport.stats;
        let leader_http = s
            .leader
            .and_then(|l| self.http_of(l))
            .map(|a| a.to_string());
        if let Ok(mut st) = self.status.lock() {
            st.role = s.role;
            st.term = s.term;
            st.leader = s.leader;
            st.leader_http = leader_http;
            st.log_end = s.log_len;
            st.commit = s.committed;
            st.applied = self.applied;
            st.keys = self.kv.len();
            st.msgs_sent = stats.msgs_sent.load(Relaxed);
            st.bytes_sent = stats.bytes_sent.load(Relaxed);
            st.msgs_received = stats.msgs_received.load(Relaxed);
            st.bytes_received = stats.bytes_received.load(Relaxed);
            st.msgs_dropped = stats.dropped.load(Relaxed);
            st.peer_frames_refused = stats.refused.load(Relaxed);
        }
    }
}

/// CPU time (user + system) of this process in microseconds.
pub fn process_cpu_us() -> u64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(ru.ru_utime) + us(ru.ru_stime)
}
