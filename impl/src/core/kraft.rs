//! KRaft (pull replication, KIP-595), after Kafka's `KafkaRaftClient`, `QuorumState` and
//! `LeaderState`, as a sans-I/O core.
//!
//! Offsets are 0-based: offset `o` is `log[o]`; the log end offset is `log.len()`. The high
//! watermark (HW) is exclusive: offsets below it are committed, so it equals the number of
//! committed entries. Epoch 0 means "no epoch" (`lastFetchedEpoch` of an empty log).
//!
//! Event granularity (what each input does):
//! - `ElectionTimeout` (Unattached, Voted, Candidate, Follower = its fetch timeout, Resigned):
//!   epoch + 1, vote for self, Candidate, send Vote to every other voter; a single voter becomes
//!   leader at once.
//! - `FetchTimeout` (Follower): send one Fetch{epoch, fetchOffset = log end, lastFetchedEpoch}.
//! - `CheckQuorumTimeout` (Leader): resign (-> Resigned, send EndQuorumEpoch) unless a majority
//!   (self included) fetched since the previous check (KAFKA-15489).
//! - `BeginQuorumEpochTimeout` (Leader): resend BeginQuorumEpoch to voters that have not fetched
//!   in this epoch.
//! - Becoming leader happens in the step that counts the last needed vote: append the
//!   LeaderChange record at epochStartOffset = log end, and (if `Config::send_on_election`)
//!   send BeginQuorumEpoch to the other voters.
//!
//! Choices where Kafka or protocols.md leave room, recorded here:
//! - The quorum-state file persists epoch, voted-for and leader. Restart: leader == self ->
//!   Resigned; another leader -> Follower of it; voted for self -> Candidate; voted for another
//!   -> Voted; else Unattached. HW restarts at 0.
//! - There is no BeginQuorumEpochResponse: a voter's first valid Fetch in the epoch is its
//!   acknowledgement (Kafka uses both).
//! - The HW is kept across role changes (Kafka keeps it except on becoming leader, where it
//!   starts empty). A new leader's first HW update is above epochStartOffset, which is at
//!   least its old HW, so only the value shown before that first update differs.
//! - A fetch response carries back the request's (fetchOffset, lastFetchedEpoch). A follower
//!   acts on it only if that is still its position: Kafka matches responses to its single
//!   in-flight request; the echo gives the same protection against duplicated or reordered
//!   responses (a stale DivergingEpoch could otherwise truncate acknowledged entries).
//! - The follower HW never decreases: HW = max(HW, min(leader HW, log end)).
//! - A Follower grants no votes in its epoch (it knows the leader); Voted grants only to the
//!   candidate it voted for.

use super::{majority, Core, Entry, EntryData, HardState, Input, Output, PersistentState};
use super::{NodeId, Proposal, Role, Summary, Timer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[cfg(feature = "mutants")]
use super::Mutant;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// At most this many records per Fetch response (the model sends one).
    pub max_entries_per_message: usize,
    /// A new leader sends BeginQuorumEpoch in the step it is elected.
    pub send_on_election: bool,
    #[cfg(feature = "mutants")]
    pub mutant: Option<Mutant>,
}

impl Config {
    pub fn model() -> Config {
        Config {
            max_entries_per_message: 1,
            send_on_election: true,
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }

    pub fn production() -> Config {
        Config {
            max_entries_per_message: 512,
            send_on_election: true,
            #[cfg(feature = "mutants")]
            mutant: None,
        }
    }
}

/// Errors a response may carry (Kafka error codes of the same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    FencedLeaderEpoch,
    UnknownLeaderEpoch,
    NotLeaderOrFollower,
}

/// The leader's answer when a fetch position is not on its log: the largest epoch <= the
/// follower's lastFetchedEpoch and where that epoch ends in the leader's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DivergingEpoch {
    pub epoch: u64,
    pub end_offset: u64,
}

/// KRaft messages. The sender is `Input::Receive::from`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Message {
    Vote {
        epoch: u64,
        last_offset_epoch: u64,
        /// The candidate's log end offset.
        last_offset: u64,
    },
    VoteResponse {
        epoch: u64,
        leader: Option<NodeId>,
        granted: bool,
        error: Option<ErrorCode>,
    },
    BeginQuorumEpoch {
        epoch: u64,
        leader: NodeId,
    },
    EndQuorumEpoch {
        epoch: u64,
        leader: NodeId,
        preferred_successors: Vec<NodeId>,
    },
    Fetch {
        epoch: u64,
        fetch_offset: u64,
        last_fetched_epoch: u64,
    },
    FetchResponse {
        epoch: u64,
        leader: Option<NodeId>,
        error: Option<ErrorCode>,
        /// Echo of the request's position.
        fetch_offset: u64,
        last_fetched_epoch: u64,
        diverging: Option<DivergingEpoch>,
        records: Vec<Entry>,
        high_watermark: Option<u64>,
    },
}

impl Message {
    pub fn epoch(&self) -> u64 {
        match self {
            Message::Vote { epoch, .. }
            | Message::VoteResponse { epoch, .. }
            | Message::BeginQuorumEpoch { epoch, .. }
            | Message::EndQuorumEpoch { epoch, .. }
            | Message::Fetch { epoch, .. }
            | Message::FetchResponse { epoch, .. } => *epoch,
        }
    }
}

/// The abstract state the conformance harness compares after every step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KraftView {
    pub epoch: u64,
    pub role: Role,
    pub voted_for: Option<NodeId>,
    pub leader: Option<NodeId>,
    pub log: Vec<Entry>,
    pub high_watermark: u64,
    /// Leader only.
    pub epoch_start_offset: Option<u64>,
    /// Leader only: each other voter's acknowledged end offset (None: not fetched this epoch).
    pub end_offsets: BTreeMap<NodeId, Option<u64>>,
    /// Candidate only: who granted, self included.
    pub votes_granted: BTreeSet<NodeId>,
}

#[derive(Clone, Debug)]
pub struct KraftCore {
    id: NodeId,
    voters: Vec<NodeId>,
    cfg: Config,
    epoch: u64,
    voted_for: Option<NodeId>,
    leader: Option<NodeId>,
    role: Role,
    log: Vec<Entry>,
    hw: u64,
    granted: BTreeSet<NodeId>,
    epoch_start: u64,
    end_offsets: BTreeMap<NodeId, Option<u64>>,
    fetched_since_check: BTreeSet<NodeId>,
    durable: HardState,
    dirty_from: Option<usize>,
}

impl KraftCore {
    pub fn new(id: NodeId, voters: &[NodeId], cfg: Config) -> KraftCore {
        KraftCore::restore(id, voters, cfg, PersistentState::default())
    }

    /// A node restarted from its quorum state and log (see the module comment for the role).
    pub fn restore(id: NodeId, voters: &[NodeId], cfg: Config, ps: PersistentState) -> KraftCore {
        let mut voters = voters.to_vec();
        if !voters.contains(&id) {
            voters.push(id);
        }
        voters.sort_unstable();
        voters.dedup();
        let hs = ps.hard_state;
        let (role, granted) = match (hs.leader, hs.voted_for) {
            (Some(l), _) if l == id => (Role::Resigned, BTreeSet::new()),
            (Some(_), _) => (Role::Follower, BTreeSet::new()),
            (None, Some(v)) if v == id => (Role::Candidate, BTreeSet::from([id])),
            (None, Some(_)) => (Role::Voted, BTreeSet::new()),
            (None, None) => (Role::Unattached, BTreeSet::new()),
        };
        KraftCore {
            id,
            voters,
            cfg,
            epoch: hs.term,
            voted_for: hs.voted_for,
            leader: hs.leader,
            role,
            log: ps.log,
            hw: 0,
            granted,
            epoch_start: 0,
            end_offsets: BTreeMap::new(),
            fetched_since_check: BTreeSet::new(),
            durable: hs,
            dirty_from: None,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn high_watermark(&self) -> u64 {
        self.hw
    }

    pub fn persistent_state(&self) -> PersistentState {
        PersistentState {
            hard_state: self.durable.clone(),
            log: self.log.clone(),
        }
    }

    pub fn view(&self) -> KraftView {
        let is_leader = self.role == Role::Leader;
        KraftView {
            epoch: self.epoch,
            role: self.role,
            voted_for: self.voted_for,
            leader: self.leader,
            log: self.log.clone(),
            high_watermark: self.hw,
            epoch_start_offset: is_leader.then_some(self.epoch_start),
            end_offsets: if is_leader {
                self.end_offsets.clone()
            } else {
                BTreeMap::new()
            },
            votes_granted: if self.role == Role::Candidate {
                self.granted.clone()
            } else {
                BTreeSet::new()
            },
        }
    }

    fn others(&self) -> Vec<NodeId> {
        self.voters
            .iter()
            .copied()
            .filter(|&v| v != self.id)
            .collect()
    }

    fn end_offset(&self) -> u64 {
        self.log.len() as u64
    }

    fn last_epoch(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    /// The largest epoch <= `epoch` in this log and the end offset of that epoch (Kafka's
    /// `endOffsetForEpoch`); (0, 0) if the log has no such epoch.
    pub fn end_offset_for_epoch(&self, epoch: u64) -> (u64, u64) {
        // Epochs never decrease along the log, so this is a partition point.
        let end = self.log.partition_point(|e| e.term <= epoch);
        let e = if end == 0 { 0 } else { self.log[end - 1].term };
        (e, end as u64)
    }

    fn mark_dirty(&mut self, pos: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(pos, |d| d.min(pos)));
    }

    fn append(&mut self, e: Entry) {
        self.mark_dirty(self.log.len());
        self.log.push(e);
    }

    fn transition_to_unattached(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.voted_for = None;
        self.leader = None;
        self.role = Role::Unattached;
        self.granted.clear();
    }

    fn transition_to_follower(&mut self, epoch: u64, leader: NodeId, out: &mut Output<Message>) {
        if epoch != self.epoch {
            self.voted_for = None;
        }
        self.epoch = epoch;
        self.leader = Some(leader);
        self.role = Role::Follower;
        self.granted.clear();
        out.reset_election_timer = true;
        out.fetch_again = true;
    }

    /// A message from a higher epoch: follow the leader it names, else become unattached.
    fn observe_epoch(&mut self, epoch: u64, leader: Option<NodeId>, out: &mut Output<Message>) {
        match leader {
            Some(l) if l != self.id => self.transition_to_follower(epoch, l, out),
            _ => self.transition_to_unattached(epoch),
        }
    }

    fn handle(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        match input {
            Input::Timer(Timer::ElectionTimeout) => {
                if self.role != Role::Leader {
                    self.start_election(out);
                }
            }
            Input::Timer(Timer::FetchTimeout) => self.send_fetch(out),
            Input::Timer(Timer::CheckQuorumTimeout) => self.check_quorum(out),
            Input::Timer(Timer::BeginQuorumEpochTimeout) => {
                if self.role == Role::Leader {
                    let pending: Vec<NodeId> = self
                        .end_offsets
                        .iter()
                        .filter(|(_, o)| o.is_none())
                        .map(|(v, _)| *v)
                        .collect();
                    self.send_begin_epoch(&pending, out);
                }
            }
            Input::Timer(Timer::HeartbeatTimeout) => {}
            Input::Propose(payload) => self.on_propose(payload, out),
            Input::Receive { from, msg } => {
                if !self.voters.contains(&from) || from == self.id {
                    return;
                }
                match msg {
                    Message::Vote {
                        epoch,
                        last_offset_epoch,
                        last_offset,
                    } => self.on_vote(from, epoch, last_offset_epoch, last_offset, out),
                    Message::VoteResponse {
                        epoch,
                        leader,
                        granted,
                        ..
                    } => self.on_vote_response(from, epoch, leader, granted, out),
                    Message::BeginQuorumEpoch { epoch, leader } => {
                        self.on_begin_epoch(epoch, leader, out)
                    }
                    Message::EndQuorumEpoch {
                        epoch,
                        leader,
                        preferred_successors,
                    } => self.on_end_epoch(epoch, leader, &preferred_successors, out),
                    Message::Fetch {
                        epoch,
                        fetch_offset,
                        last_fetched_epoch,
                    } => self.on_fetch(from, epoch, fetch_offset, last_fetched_epoch, out),
                    Message::FetchResponse {
                        epoch,
                        leader,
                        error,
                        fetch_offset,
                        last_fetched_epoch,
                        diverging,
                        records,
                        high_watermark,
                    } => self.on_fetch_response(
                        from,
                        FetchReply {
                            epoch,
                            leader,
                            error,
                            fetch_offset,
                            last_fetched_epoch,
                            diverging,
                            records,
                            high_watermark,
                        },
                        out,
                    ),
                }
            }
        }
    }

    fn start_election(&mut self, out: &mut Output<Message>) {
        self.epoch += 1;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.role = Role::Candidate;
        self.granted = BTreeSet::from([self.id]);
        out.reset_election_timer = true;
        if self.granted.len() >= majority(self.voters.len()) {
            self.become_leader(out);
            return;
        }
        let msg = Message::Vote {
            epoch: self.epoch,
            last_offset_epoch: self.last_epoch(),
            last_offset: self.end_offset(),
        };
        for v in self.others() {
            out.send.push((v, msg.clone()));
        }
    }

    fn on_vote(
        &mut self,
        from: NodeId,
        epoch: u64,
        last_offset_epoch: u64,
        last_offset: u64,
        out: &mut Output<Message>,
    ) {
        if epoch < self.epoch {
            out.send.push((
                from,
                Message::VoteResponse {
                    epoch: self.epoch,
                    leader: self.leader,
                    granted: false,
                    error: Some(ErrorCode::FencedLeaderEpoch),
                },
            ));
            return;
        }
        if epoch > self.epoch {
            self.transition_to_unattached(epoch);
        }
        let log_ok = mutant!(self.cfg, KraftVoteNoLogCheck)
            || (last_offset_epoch, last_offset) >= (self.last_epoch(), self.end_offset());
        let double = mutant!(self.cfg, KraftDoubleVote);
        let granted = match self.role {
            Role::Unattached => log_ok,
            Role::Voted => self.voted_for == Some(from) || (double && log_ok),
            Role::Candidate => double && log_ok,
            Role::Follower | Role::Leader | Role::Resigned => false,
        };
        if granted {
            self.role = Role::Voted;
            self.voted_for = Some(from);
            self.granted.clear();
            out.reset_election_timer = true;
        }
        out.send.push((
            from,
            Message::VoteResponse {
                epoch: self.epoch,
                leader: self.leader,
                granted,
                error: None,
            },
        ));
    }

    fn on_vote_response(
        &mut self,
        from: NodeId,
        epoch: u64,
        leader: Option<NodeId>,
        granted: bool,
        out: &mut Output<Message>,
    ) {
        if epoch > self.epoch {
            self.observe_epoch(epoch, leader, out);
            return;
        }
        if epoch < self.epoch {
            return;
        }
        if let Some(l) = leader {
            if l != self.id && matches!(self.role, Role::Unattached | Role::Voted | Role::Candidate)
            {
                self.transition_to_follower(epoch, l, out);
                return;
            }
        }
        if self.role == Role::Candidate && granted {
            self.granted.insert(from);
            if self.granted.len() >= majority(self.voters.len()) {
                self.become_leader(out);
            }
        }
    }

    fn become_leader(&mut self, out: &mut Output<Message>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.granted.clear();
        self.epoch_start = self.end_offset();
        self.end_offsets = self.others().into_iter().map(|v| (v, None)).collect();
        self.fetched_since_check.clear();
        self.append(Entry {
            term: self.epoch,
            data: EntryData::LeaderChange { leader: self.id },
        });
        self.update_leader_hw();
        if self.cfg.send_on_election {
            let others = self.others();
            self.send_begin_epoch(&others, out);
        }
    }

    fn send_begin_epoch(&self, to: &[NodeId], out: &mut Output<Message>) {
        for &v in to {
            out.send.push((
                v,
                Message::BeginQuorumEpoch {
                    epoch: self.epoch,
                    leader: self.id,
                },
            ));
        }
    }

    fn on_begin_epoch(&mut self, epoch: u64, leader: NodeId, out: &mut Output<Message>) {
        if epoch < self.epoch || leader == self.id {
            return;
        }
        let already =
            epoch == self.epoch && self.role == Role::Follower && self.leader == Some(leader);
        if epoch > self.epoch
            || matches!(self.role, Role::Unattached | Role::Voted | Role::Candidate)
        {
            self.transition_to_follower(epoch, leader, out);
        } else if already {
            out.reset_election_timer = true;
        }
    }

    fn on_end_epoch(
        &mut self,
        epoch: u64,
        leader: NodeId,
        preferred: &[NodeId],
        out: &mut Output<Message>,
    ) {
        if epoch < self.epoch || leader == self.id {
            return;
        }
        // Kafka's maybeTransition: a newer epoch, or the leader of our epoch until now
        // unknown (Unattached, Voted, Candidate), makes us its Follower (conformance fix).
        if epoch > self.epoch || self.leader.is_none() {
            self.transition_to_follower(epoch, leader, out);
        }
        if self.role == Role::Follower && self.leader == Some(leader) {
            let rank = preferred
                .iter()
                .position(|&v| v == self.id)
                .unwrap_or(preferred.len());
            out.elect_soon = Some(rank);
        }
    }

    fn send_fetch(&mut self, out: &mut Output<Message>) {
        if self.role != Role::Follower {
            return;
        }
        if let Some(l) = self.leader {
            out.send.push((
                l,
                Message::Fetch {
                    epoch: self.epoch,
                    fetch_offset: self.end_offset(),
                    last_fetched_epoch: self.last_epoch(),
                },
            ));
        }
    }

    fn fetch_error(&self, to: NodeId, fo: u64, lfe: u64, e: ErrorCode, out: &mut Output<Message>) {
        out.send.push((
            to,
            Message::FetchResponse {
                epoch: self.epoch,
                leader: self.leader,
                error: Some(e),
                fetch_offset: fo,
                last_fetched_epoch: lfe,
                diverging: None,
                records: vec![],
                high_watermark: None,
            },
        ));
    }

    fn on_fetch(
        &mut self,
        from: NodeId,
        epoch: u64,
        fetch_offset: u64,
        last_fetched_epoch: u64,
        out: &mut Output<Message>,
    ) {
        let (fo, lfe) = (fetch_offset, last_fetched_epoch);
        if epoch < self.epoch && !mutant!(self.cfg, KraftAcceptStaleFetch) {
            return self.fetch_error(from, fo, lfe, ErrorCode::FencedLeaderEpoch, out);
        }
        if epoch > self.epoch {
            return self.fetch_error(from, fo, lfe, ErrorCode::UnknownLeaderEpoch, out);
        }
        if self.role != Role::Leader {
            return self.fetch_error(from, fo, lfe, ErrorCode::NotLeaderOrFollower, out);
        }
        self.fetched_since_check.insert(from);
        let diverging = if fo == 0 && lfe == 0 {
            None
        } else {
            let (e, end) = self.end_offset_for_epoch(lfe);
            (e != lfe || end < fo).then_some(DivergingEpoch {
                epoch: e,
                end_offset: end,
            })
        };
        let mut records = Vec::new();
        if diverging.is_none() {
            self.end_offsets.insert(from, Some(fo));
            self.update_leader_hw();
            let start = fo as usize;
            let end = start
                .saturating_add(self.cfg.max_entries_per_message)
                .min(self.log.len());
            records = self.log[start.min(end)..end].to_vec();
        }
        out.send.push((
            from,
            Message::FetchResponse {
                epoch: self.epoch,
                leader: Some(self.id),
                error: None,
                fetch_offset: fo,
                last_fetched_epoch: lfe,
                diverging,
                records,
                // Kafka's LeaderState has no HW until one is reached in its epoch (above
                // epochStartOffset): until then the response carries none (conformance fix).
                high_watermark: (self.hw > self.epoch_start).then_some(self.hw),
            },
        ));
    }

    /// The offset a majority of voters (the leader with its log end) has reached, accepted only
    /// above epochStartOffset (the LeaderChange record is covered) and above the current HW.
    fn update_leader_hw(&mut self) {
        let mut offsets: Vec<u64> = self
            .voters
            .iter()
            .map(|v| {
                if *v == self.id {
                    self.end_offset()
                } else {
                    self.end_offsets.get(v).copied().flatten().unwrap_or(0)
                }
            })
            .collect();
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = offsets[majority(self.voters.len()) - 1];
        let covers_epoch = if mutant!(self.cfg, KraftHwAtEpochStart) {
            candidate >= self.epoch_start
        } else {
            candidate > self.epoch_start
        };
        if covers_epoch && candidate > self.hw {
            self.hw = candidate;
        }
    }

    fn on_fetch_response(&mut self, from: NodeId, r: FetchReply, out: &mut Output<Message>) {
        if r.epoch > self.epoch {
            self.observe_epoch(r.epoch, r.leader, out);
            return;
        }
        if r.epoch < self.epoch {
            return;
        }
        if r.error.is_some() {
            if let Some(l) = r.leader {
                if l != self.id && self.leader != Some(l) && self.role != Role::Leader {
                    self.transition_to_follower(r.epoch, l, out);
                }
            }
            return;
        }
        if self.role != Role::Follower || self.leader != Some(from) {
            return;
        }
        out.reset_election_timer = true;
        out.fetch_again = true;
        if (r.fetch_offset, r.last_fetched_epoch) != (self.end_offset(), self.last_epoch()) {
            // Answers a position we no longer have (duplicate or reordered response).
            return;
        }
        if let Some(d) = r.diverging {
            if mutant!(self.cfg, KraftNoTruncateOnDiverging) {
                return;
            }
            let (_, my_end) = self.end_offset_for_epoch(d.epoch);
            let target = d.end_offset.min(my_end);
            if target < self.hw {
                out.fatal = Some(format!(
                    "leader {from} asks to truncate to offset {target}, below the high watermark {}",
                    self.hw
                ));
                return;
            }
            if (target as usize) < self.log.len() {
                self.log.truncate(target as usize);
                self.mark_dirty(target as usize);
            }
            return;
        }
        for e in r.records {
            self.append(e);
        }
        if let Some(leader_hw) = r.high_watermark {
            let new = if mutant!(self.cfg, KraftFollowerHwUnclamped) {
                leader_hw
            } else {
                leader_hw.min(self.end_offset())
            };
            self.hw = self.hw.max(new);
        }
    }

    fn check_quorum(&mut self, out: &mut Output<Message>) {
        if self.role != Role::Leader {
            return;
        }
        if self.fetched_since_check.len() + 1 >= majority(self.voters.len()) {
            self.fetched_since_check.clear();
            return;
        }
        // Resign: ask the others to elect, most caught-up first.
        self.role = Role::Resigned;
        let mut successors = self.others();
        successors.sort_by_key(|v| {
            std::cmp::Reverse(self.end_offsets.get(v).copied().flatten().unwrap_or(0))
        });
        for &v in &successors {
            out.send.push((
                v,
                Message::EndQuorumEpoch {
                    epoch: self.epoch,
                    leader: self.id,
                    preferred_successors: successors.clone(),
                },
            ));
        }
        out.reset_election_timer = true;
    }

    fn on_propose(&mut self, payload: Vec<u8>, out: &mut Output<Message>) {
        if self.role != Role::Leader {
            out.proposal = Some(Proposal::NotLeader {
                leader: self.leader.filter(|&l| l != self.id),
            });
            return;
        }
        self.append(Entry::command(self.epoch, payload));
        out.proposal = Some(Proposal::Accepted {
            position: self.end_offset() - 1,
            term: self.epoch,
        });
        self.update_leader_hw();
    }
}

/// A FetchResponse's fields, unpacked.
struct FetchReply {
    epoch: u64,
    leader: Option<NodeId>,
    error: Option<ErrorCode>,
    fetch_offset: u64,
    last_fetched_epoch: u64,
    diverging: Option<DivergingEpoch>,
    records: Vec<Entry>,
    high_watermark: Option<u64>,
}

impl Core for KraftCore {
    type Message = Message;

    fn step(&mut self, input: Input<Message>) -> Output<Message> {
        let mut out = Output::default();
        let start_len = self.log.len();
        let start_hw = self.hw;
        self.dirty_from = None;
        self.handle(input, &mut out);
        if let Some(from) = self.dirty_from.take() {
            let from = from.min(self.log.len());
            if from < start_len {
                out.persist.truncate_to = Some(from as u64);
            }
            out.persist.append = self.log[from..].to_vec();
        }
        let voted_for = if mutant!(self.cfg, KraftVoteNotPersisted) {
            None
        } else {
            self.voted_for
        };
        let hs = HardState {
            term: self.epoch,
            voted_for,
            leader: self.leader,
        };
        if hs != self.durable {
            self.durable = hs.clone();
            out.persist.hard_state = Some(hs);
        }
        if self.hw != start_hw {
            out.committed = Some(self.hw);
        }
        out
    }

    fn summary(&self) -> Summary {
        Summary {
            id: self.id,
            role: self.role,
            term: self.epoch,
            leader: self.leader,
            log_len: self.end_offset(),
            committed: self.hw,
        }
    }

    fn log(&self) -> &[Entry] {
        &self.log
    }

    fn may_defer(&self, from: NodeId, msg: &Message) -> bool {
        match msg {
            Message::Fetch {
                epoch,
                fetch_offset,
                last_fetched_epoch,
            } => {
                self.role == Role::Leader
                    && *epoch == self.epoch
                    && *fetch_offset == self.end_offset()
                    && *last_fetched_epoch == self.last_epoch()
                    && self.end_offsets.get(&from) == Some(&Some(*fetch_offset))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
