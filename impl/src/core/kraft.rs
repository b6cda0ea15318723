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
//!
//! Shape (as etcd-io/raft's `raft.go`): [`Core::step`] normalises the epoch once. A message of
//! a newer epoch moves the node to that epoch as Kafka's `maybeTransition` does (Vote:
//! Unattached; BeginQuorumEpoch, EndQuorumEpoch: Follower of the leader named; a response:
//! Follower of the leader it names, else Unattached; a Fetch: UnknownLeaderEpoch, no move).
//! A message of an older epoch is refused or ignored. What is left goes to the step function
//! of the role: `step_leader`, `step_resigned`, `step_follower`, `step_candidate`, and
//! `step_unattached` (Unattached and Voted: no leader known, not campaigning).

use super::durable::DurableLog;
use super::frame::{self, Framed, Snapshot, VoteWrite, Words};
use super::{majority, voter_set, Core, Entry, EntryData, Fatal, Input, Output, PersistentState};
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
    /// The log (`log.entries()[o]` is offset `o`) and what of it the driver must persist.
    log: DurableLog,
    hw: u64,
    granted: BTreeSet<NodeId>,
    epoch_start: u64,
    end_offsets: BTreeMap<NodeId, Option<u64>>,
    fetched_since_check: BTreeSet<NodeId>,
}

impl KraftCore {
    pub fn new(id: NodeId, voters: &[NodeId], cfg: Config) -> KraftCore {
        KraftCore::restore(id, voters, cfg, PersistentState::default())
    }

    /// A node restarted from its quorum state and log (see the module comment for the role).
    pub fn restore(id: NodeId, voters: &[NodeId], cfg: Config, ps: PersistentState) -> KraftCore {
        let voters = voter_set(id, voters);
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
            log: DurableLog::new(ps.log, hs),
            hw: 0,
            granted,
            epoch_start: 0,
            end_offsets: BTreeMap::new(),
            fetched_since_check: BTreeSet::new(),
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
        self.log.persistent_state()
    }

    pub fn view(&self) -> KraftView {
        let is_leader = self.role == Role::Leader;
        KraftView {
            epoch: self.epoch,
            role: self.role,
            voted_for: self.voted_for,
            leader: self.leader,
            log: self.log.entries().to_vec(),
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
        self.log.len()
    }

    fn last_epoch(&self) -> u64 {
        self.log.last_term()
    }

    /// The largest epoch <= `epoch` in this log and the end offset of that epoch (Kafka's
    /// `endOffsetForEpoch`); (0, 0) if the log has no such epoch.
    pub fn end_offset_for_epoch(&self, epoch: u64) -> (u64, u64) {
        // Epochs never decrease along the log, so this is a partition point.
        let log = self.log.entries();
        let end = log.partition_point(|e| e.term <= epoch);
        let e = if end == 0 { 0 } else { log[end - 1].term };
        (e, end as u64)
    }

    /// Votes (fetching voters) that make a majority of the voters.
    fn quorum(&self) -> usize {
        if mutant!(self.cfg, KraftQuorumRoundsDown) {
            return self.voters.len().div_ceil(2);
        }
        majority(self.voters.len())
    }

    fn transition_to_unattached(&mut self, epoch: u64) {
        self.epoch = epoch;
        self.voted_for = None;
        self.leader = None;
        self.role = Role::Unattached;
        self.granted.clear();
    }

    fn transition_to_follower(&mut self, epoch: u64, leader: NodeId, out: &mut Output<Message>) {
        cov!(KraftBecomeFollower);
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

    /// A response from a higher epoch: follow the leader it names, else become unattached.
    fn observe_epoch(&mut self, epoch: u64, leader: Option<NodeId>, out: &mut Output<Message>) {
        match leader {
            Some(l) if l != self.id => self.transition_to_follower(epoch, l, out),
            _ => self.transition_to_unattached(epoch),
        }
    }

    /// etcd's `Step`: filter, normalise the epoch, then the role's step function.
    fn step_input(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        if let Input::Receive { from, msg } = &input {
            if !self.voters.contains(from) || *from == self.id {
                return;
            }
            let go_on = match msg.epoch().cmp(&self.epoch) {
                std::cmp::Ordering::Less => self.step_stale(*from, msg, out),
                std::cmp::Ordering::Greater => self.step_newer(*from, msg, out),
                std::cmp::Ordering::Equal => true,
            };
            if !go_on {
                return;
            }
        }
        match self.role {
            Role::Leader => self.step_leader(input, out),
            Role::Resigned => self.step_resigned(input, out),
            Role::Follower => self.step_follower(input, out),
            Role::Candidate => self.step_candidate(input, out),
            _ => self.step_unattached(input, out),
        }
    }

    /// A message of an older epoch: a Vote or Fetch is fenced, anything else ignored. True if
    /// the role's step function is to handle it anyway (an injected bug).
    fn step_stale(&mut self, from: NodeId, msg: &Message, out: &mut Output<Message>) -> bool {
        match *msg {
            Message::VoteResponse { granted: true, .. }
                if self.role == Role::Candidate && mutant!(self.cfg, KraftCountsStaleVote) =>
            {
                self.granted.insert(from);
                if self.granted.len() >= self.quorum() {
                    self.become_leader(out);
                }
                false
            }
            Message::BeginQuorumEpoch { leader, .. }
                if leader != self.id
                    && self.role != Role::Leader
                    && mutant!(self.cfg, KraftAcceptsStaleBeginEpoch) =>
            {
                self.transition_to_follower(self.epoch, leader, out);
                false
            }
            Message::Vote { .. } => {
                cov!(KraftStaleVoteFenced);
                let error = Some(ErrorCode::FencedLeaderEpoch);
                self.answer_vote(from, false, error, out);
                false
            }
            Message::Fetch {
                fetch_offset,
                last_fetched_epoch,
                ..
            } => {
                if mutant!(self.cfg, KraftAcceptStaleFetch) {
                    return true;
                }
                cov!(KraftStaleFetchFenced);
                let (fo, lfe) = (fetch_offset, last_fetched_epoch);
                self.fetch_error(from, fo, lfe, ErrorCode::FencedLeaderEpoch, out);
                false
            }
            _ => {
                cov!(KraftStaleIgnored);
                false
            }
        }
    }

    /// A message of a newer epoch moves the node there (module comment). True if the role's
    /// step function is to handle it next, in the new epoch.
    fn step_newer(&mut self, from: NodeId, msg: &Message, out: &mut Output<Message>) -> bool {
        cov!(KraftNewerEpoch);
        let epoch = msg.epoch();
        match *msg {
            Message::Vote { .. } => {
                self.transition_to_unattached(epoch);
                true
            }
            Message::VoteResponse { leader, .. } | Message::FetchResponse { leader, .. } => {
                self.observe_epoch(epoch, leader, out);
                false
            }
            Message::BeginQuorumEpoch { leader, .. } => {
                if leader != self.id {
                    self.transition_to_follower(epoch, leader, out);
                }
                false
            }
            Message::EndQuorumEpoch { leader, .. } => {
                if leader == self.id {
                    return false;
                }
                self.transition_to_follower(epoch, leader, out);
                true
            }
            Message::Fetch {
                fetch_offset,
                last_fetched_epoch,
                ..
            } => {
                let (fo, lfe) = (fetch_offset, last_fetched_epoch);
                self.fetch_error(from, fo, lfe, ErrorCode::UnknownLeaderEpoch, out);
                false
            }
        }
    }

    fn step_leader(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Leader);
        debug_assert_eq!(self.leader, Some(self.id));
        match input {
            Input::Timer(Timer::CheckQuorumTimeout) => self.check_quorum(out),
            Input::Timer(Timer::BeginQuorumEpochTimeout) => {
                let pending: Vec<NodeId> = self
                    .end_offsets
                    .iter()
                    .filter(|(_, o)| o.is_none())
                    .map(|(v, _)| *v)
                    .collect();
                self.send_begin_epoch(&pending, out);
            }
            Input::Timer(_) => {}
            Input::Propose(payload) => {
                cov!(KraftPropose);
                self.log.push(Entry::command(self.epoch, payload));
                out.proposal = Some(Proposal::Accepted {
                    position: self.end_offset() - 1,
                    term: self.epoch,
                });
                self.update_leader_hw();
            }
            Input::Receive { from, msg } => match msg {
                Message::Vote { .. } => self.answer_vote(from, false, None, out),
                Message::Fetch {
                    fetch_offset,
                    last_fetched_epoch,
                    ..
                } => self.on_fetch(from, fetch_offset, last_fetched_epoch, out),
                // A leader knows the leader of its epoch: nothing else concerns it.
                _ => {}
            },
        }
    }

    fn step_resigned(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Resigned);
        debug_assert_eq!(self.leader, Some(self.id));
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.start_election(out),
            Input::Timer(_) => {}
            Input::Propose(_) => self.refuse_proposal(out),
            Input::Receive { from, msg } => match msg {
                Message::Vote { .. } => self.answer_vote(from, false, None, out),
                Message::Fetch { .. } => self.refuse_fetch(from, &msg, out),
                Message::FetchResponse {
                    error: Some(_),
                    leader,
                    ..
                } => self.on_fetch_error(leader, out),
                _ => {}
            },
        }
    }

    fn step_follower(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Follower);
        debug_assert!(self.leader.is_some_and(|l| l != self.id));
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.start_election(out),
            Input::Timer(Timer::FetchTimeout) if mutant!(self.cfg, KraftFetchTimerSendsNothing) => {
            }
            Input::Timer(Timer::FetchTimeout) => self.send_fetch(out),
            Input::Timer(_) => {}
            Input::Propose(_) => self.refuse_proposal(out),
            Input::Receive { from, msg } => match msg {
                Message::Vote { .. } => self.answer_vote(from, false, None, out),
                Message::BeginQuorumEpoch { leader, .. } if self.leader == Some(leader) => {
                    cov!(KraftBeginEpochHeard);
                    out.reset_election_timer = true;
                }
                Message::EndQuorumEpoch {
                    leader,
                    preferred_successors,
                    ..
                } => self.on_end_epoch(leader, &preferred_successors, out),
                Message::Fetch { .. } => self.refuse_fetch(from, &msg, out),
                Message::FetchResponse {
                    error: Some(_),
                    leader,
                    ..
                } => self.on_fetch_error(leader, out),
                Message::FetchResponse {
                    fetch_offset,
                    last_fetched_epoch,
                    diverging,
                    records,
                    high_watermark,
                    ..
                } if self.leader == Some(from) => {
                    let position = (fetch_offset, last_fetched_epoch);
                    self.on_fetch_data(from, position, diverging, records, high_watermark, out)
                }
                _ => {}
            },
        }
    }

    fn step_candidate(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Candidate);
        match input {
            Input::Receive {
                from,
                msg:
                    Message::Vote {
                        last_offset_epoch,
                        last_offset,
                        ..
                    },
            } => {
                let granted = mutant!(self.cfg, KraftDoubleVote)
                    && self.vote_log_ok(last_offset_epoch, last_offset);
                self.on_vote(from, granted, out);
            }
            Input::Receive {
                from,
                msg:
                    Message::VoteResponse {
                        leader,
                        granted: true,
                        ..
                    },
            } if leader.is_none_or(|l| l == self.id) => {
                // A grant that names no other leader of this epoch.
                cov!(KraftVoteCounted);
                self.granted.insert(from);
                if self.granted.len() >= self.quorum() {
                    self.become_leader(out);
                }
            }
            Input::Receive {
                msg: Message::BeginQuorumEpoch { .. },
                ..
            } if mutant!(self.cfg, KraftCandidateIgnoresBeginEpoch) => {}
            input => self.step_leaderless(input, out),
        }
    }

    /// Unattached and Voted: no leader known, not campaigning.
    fn step_unattached(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert!(matches!(self.role, Role::Unattached | Role::Voted));
        match input {
            Input::Receive {
                from,
                msg:
                    Message::Vote {
                        last_offset_epoch,
                        last_offset,
                        ..
                    },
            } => {
                let log_ok = self.vote_log_ok(last_offset_epoch, last_offset);
                let granted = match self.role {
                    Role::Voted => {
                        self.voted_for == Some(from)
                            || (mutant!(self.cfg, KraftDoubleVote) && log_ok)
                    }
                    _ => log_ok,
                };
                self.on_vote(from, granted, out);
            }
            input => self.step_leaderless(input, out),
        }
    }

    /// What Unattached, Voted and Candidate do alike (all but voting and counting votes):
    /// the first word from or about the leader of the epoch makes them its followers.
    fn step_leaderless(&mut self, input: Input<Message>, out: &mut Output<Message>) {
        debug_assert!(self.leader.is_none());
        match input {
            Input::Timer(Timer::ElectionTimeout) => self.start_election(out),
            Input::Timer(_) => {}
            Input::Propose(_) => self.refuse_proposal(out),
            Input::Receive { from, msg } => match msg {
                Message::VoteResponse {
                    leader: Some(l), ..
                }
                | Message::BeginQuorumEpoch { leader: l, .. }
                    if l != self.id =>
                {
                    self.transition_to_follower(self.epoch, l, out)
                }
                Message::EndQuorumEpoch {
                    leader,
                    preferred_successors,
                    ..
                } => self.on_end_epoch(leader, &preferred_successors, out),
                Message::Fetch { .. } => self.refuse_fetch(from, &msg, out),
                Message::FetchResponse {
                    error: Some(_),
                    leader,
                    ..
                } => self.on_fetch_error(leader, out),
                _ => {}
            },
        }
    }

    fn refuse_proposal(&self, out: &mut Output<Message>) {
        cov!(KraftProposeRefused);
        out.proposal = Some(Proposal::NotLeader {
            leader: self.leader.filter(|&l| l != self.id),
        });
    }

    fn start_election(&mut self, out: &mut Output<Message>) {
        debug_assert_ne!(self.role, Role::Leader);
        cov!(KraftElection);
        self.epoch += 1;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.role = Role::Candidate;
        self.granted = BTreeSet::from([self.id]);
        out.reset_election_timer = true;
        if self.granted.len() >= self.quorum() {
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

    fn vote_log_ok(&self, last_offset_epoch: u64, last_offset: u64) -> bool {
        mutant!(self.cfg, KraftVoteNoLogCheck)
            || (last_offset_epoch, last_offset) >= (self.last_epoch(), self.end_offset())
    }

    /// A Vote of the current epoch that the role decided on.
    fn on_vote(&mut self, from: NodeId, granted: bool, out: &mut Output<Message>) {
        if !granted {
            cov!(KraftVoteRefused);
        }
        if granted {
            cov!(KraftVoteGranted);
            self.role = Role::Voted;
            self.voted_for = Some(from);
            self.granted.clear();
            out.reset_election_timer = true;
        }
        self.answer_vote(from, granted, None, out);
    }

    fn answer_vote(
        &self,
        to: NodeId,
        granted: bool,
        e: Option<ErrorCode>,
        out: &mut Output<Message>,
    ) {
        out.send.push((
            to,
            Message::VoteResponse {
                epoch: self.epoch,
                leader: self.leader,
                granted,
                error: e,
            },
        ));
    }

    fn become_leader(&mut self, out: &mut Output<Message>) {
        debug_assert_eq!(self.role, Role::Candidate);
        cov!(KraftBecomeLeader);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.granted.clear();
        self.epoch_start = self.end_offset();
        self.end_offsets = self.others().into_iter().map(|v| (v, None)).collect();
        self.fetched_since_check.clear();
        if !mutant!(self.cfg, KraftNoLeaderChangeRecord) {
            self.log.push(Entry {
                term: self.epoch,
                data: EntryData::LeaderChange { leader: self.id },
            });
        }
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

    /// An EndQuorumEpoch of the current epoch, received by a node that is not its leader.
    fn on_end_epoch(&mut self, leader: NodeId, preferred: &[NodeId], out: &mut Output<Message>) {
        if leader == self.id || mutant!(self.cfg, KraftIgnoresEndEpoch) {
            return;
        }
        cov!(KraftEndEpoch);
        // Kafka's maybeTransition: the leader of our epoch until now unknown (Unattached,
        // Voted, Candidate) makes us its Follower (conformance fix).
        if self.leader.is_none() {
            self.transition_to_follower(self.epoch, leader, out);
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
        if let Some(l) = self.leader {
            cov!(KraftFetchSent);
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

    /// A Fetch to a node that is not the leader.
    fn refuse_fetch(&self, from: NodeId, msg: &Message, out: &mut Output<Message>) {
        cov!(KraftFetchRefused);
        if let Message::Fetch {
            fetch_offset,
            last_fetched_epoch,
            ..
        } = *msg
        {
            let (fo, lfe) = (fetch_offset, last_fetched_epoch);
            self.fetch_error(from, fo, lfe, ErrorCode::NotLeaderOrFollower, out);
        }
    }

    /// A Fetch of the current epoch, received as leader.
    fn on_fetch(&mut self, from: NodeId, fo: u64, lfe: u64, out: &mut Output<Message>) {
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
        match diverging {
            Some(_) => cov!(KraftFetchDiverging),
            None => cov!(KraftFetchRecords),
        }
        if diverging.is_none() {
            self.end_offsets.insert(from, Some(fo));
            self.update_leader_hw();
            let start = fo as usize;
            records = self.log.slice(
                start,
                start.saturating_add(self.cfg.max_entries_per_message),
            );
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
        let candidate = offsets[self.quorum() - 1];
        let covers_epoch = if mutant!(self.cfg, KraftHwAtEpochStart) {
            candidate >= self.epoch_start
        } else {
            candidate > self.epoch_start
        };
        if covers_epoch && candidate > self.hw {
            cov!(KraftLeaderHw);
            self.hw = candidate;
        }
    }

    /// An error FetchResponse of the current epoch to a node that is not the leader: it names
    /// the leader, follow it.
    fn on_fetch_error(&mut self, leader: Option<NodeId>, out: &mut Output<Message>) {
        if let Some(l) = leader {
            if l != self.id && self.leader != Some(l) {
                self.transition_to_follower(self.epoch, l, out);
            }
        }
    }

    /// A successful FetchResponse from the leader this node follows.
    fn on_fetch_data(
        &mut self,
        from: NodeId,
        position: (u64, u64),
        diverging: Option<DivergingEpoch>,
        records: Vec<Entry>,
        high_watermark: Option<u64>,
        out: &mut Output<Message>,
    ) {
        out.reset_election_timer = !mutant!(self.cfg, KraftNoTimerResetOnFetchResponse);
        out.fetch_again = true;
        let answers_now = position == (self.end_offset(), self.last_epoch());
        if !answers_now && !mutant!(self.cfg, KraftAppendsStaleResponse) {
            cov!(KraftFetchOldPosition);
            // Answers a position we no longer have (duplicate or reordered response).
            return;
        }
        if let Some(d) = diverging {
            return self.truncate_diverging(from, d, out);
        }
        if !records.is_empty() {
            cov!(KraftFetchAppended);
        }
        for e in records {
            self.log.push(e);
        }
        if let Some(leader_hw) = high_watermark {
            let new = if mutant!(self.cfg, KraftFollowerHwUnclamped) {
                leader_hw
            } else {
                leader_hw.min(self.end_offset())
            };
            if new > self.hw {
                cov!(KraftFollowerHw);
            }
            self.hw = self.hw.max(new);
        }
    }

    fn truncate_diverging(&mut self, from: NodeId, d: DivergingEpoch, out: &mut Output<Message>) {
        if mutant!(self.cfg, KraftNoTruncateOnDiverging) {
            return;
        }
        let (_, my_end) = self.end_offset_for_epoch(d.epoch);
        let target = d.end_offset.min(my_end);
        if target < self.hw {
            out.fatal = Some(Fatal::TruncateBelowHighWatermark {
                leader: from,
                target,
                high_watermark: self.hw,
            });
            return;
        }
        cov!(KraftTruncate);
        self.log
            .truncate(target as usize, self.hw, mutated!(self.cfg));
    }

    fn check_quorum(&mut self, out: &mut Output<Message>) {
        if self.fetched_since_check.len() + 1 >= self.quorum() || mutant!(self.cfg, KraftNoResign) {
            cov!(KraftQuorumHeld);
            self.fetched_since_check.clear();
            return;
        }
        // Resign: ask the others to elect, most caught-up first.
        cov!(KraftResign);
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
}

impl Framed for KraftCore {
    type Message = Message;

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            term: self.epoch,
            voted_for: self.voted_for,
            committed: self.hw,
        }
    }

    fn durable_log(&mut self) -> &mut DurableLog {
        &mut self.log
    }

    fn persisted_leader(&self) -> Option<NodeId> {
        self.leader
    }

    fn vote_write(&self) -> VoteWrite {
        let never = mutant!(self.cfg, KraftVoteNotPersisted);
        VoteWrite::chosen(never, mutant!(self.cfg, KraftVotePersistedAfterSend))
    }

    fn check_step(&self, before: &Snapshot) {
        if mutated!(self.cfg) {
            return;
        }
        // Persist before send: the step's `Persist` holds every epoch, vote and leader its
        // messages may reflect, so a driver that writes it before sending never sends ahead.
        let d = self.log.durable_hard_state();
        debug_assert_eq!(
            (d.term, d.voted_for, d.leader),
            (self.epoch, self.voted_for, self.leader),
            "the step's messages depend on state not in its Persist"
        );
        let words = Words {
            term: "epoch",
            commit: "high watermark",
        };
        frame::check_common(before, &self.snapshot(), self.end_offset(), words);
        let leaderless = matches!(self.role, Role::Unattached | Role::Voted | Role::Candidate);
        debug_assert_eq!(leaderless, self.leader.is_none(), "role {:?}", self.role);
        let own = matches!(self.role, Role::Leader | Role::Resigned);
        debug_assert_eq!(own, self.leader == Some(self.id), "role {:?}", self.role);
    }
}

/// Timers a KRaft node arms, by role.
const LEADER_TIMERS: &[Timer] = &[Timer::BeginQuorumEpochTimeout, Timer::CheckQuorumTimeout];
const FOLLOWER_TIMERS: &[Timer] = &[Timer::ElectionTimeout, Timer::FetchTimeout];
const OTHER_TIMERS: &[Timer] = &[Timer::ElectionTimeout];

impl Core for KraftCore {
    type Message = Message;

    fn step(&mut self, input: Input<Message>) -> Output<Message> {
        frame::step(self, input, Self::step_input)
    }

    fn summary(&self) -> Summary {
        let now = self.snapshot();
        now.summary(self.id, self.role, self.leader, self.end_offset())
    }

    fn log(&self) -> &[Entry] {
        self.log.entries()
    }

    fn timers(&self) -> &'static [Timer] {
        match self.role {
            Role::Leader if mutant!(self.cfg, KraftLeaderKeepsFetchTimer) => &[
                Timer::BeginQuorumEpochTimeout,
                Timer::CheckQuorumTimeout,
                Timer::FetchTimeout,
            ],
            Role::Leader => LEADER_TIMERS,
            Role::Follower => FOLLOWER_TIMERS,
            _ => OTHER_TIMERS,
        }
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
