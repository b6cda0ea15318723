//! KRaft's protocol steps, one function each, named after the Kafka method that performs them
//! (KafkaRaftClient, QuorumState, LeaderState). Every step is one event an implementation can be
//! fed; consequences (winning on the last vote, appending the LeaderChange record and sending
//! BeginQuorumEpoch, advancing the HW on a fetch) happen inside the step. specs/kraft.md
//! states the source of every rule.

use super::state::*;
use super::KraftModel;
use crate::bounds::MAX_SERVERS;
use crate::bugs::Bug;
use crate::logs::batch_from;
use serde::{Deserialize, Serialize};

/// One step of the system. Network-only actions (`Drop`, `Duplicate`) touch no server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum Action {
    /// The destination server receives one copy of the message.
    Deliver(Msg),
    /// The network loses one copy of the message.
    Drop(Msg),
    /// The network makes one more copy of the message.
    Duplicate(Msg),
    /// The server's election timer fires (Unattached, Voted, Candidate, Resigned), or a
    /// Follower's fetch timeout expires: either way it starts an election for epoch + 1.
    ElectionTimeout(ServerId),
    /// A Follower's fetch timer fires: it sends one Fetch to its leader.
    SendFetch(ServerId),
    /// A Leader's check-quorum timer expires without fetches from a majority: it resigns.
    CheckQuorumTimeout(ServerId),
    /// A client asks the server to append a value (only a Leader offers it).
    ClientRequest(ServerId, Value),
    /// Per-peer sends (option): a Candidate sends its Vote request to one voter.
    SendVoteRequest(ServerId, ServerId),
    /// Per-peer sends (option): a Leader sends BeginQuorumEpoch to one voter (Kafka resends
    /// it to voters that have not acknowledged; the model may resend at any time).
    SendBeginQuorumEpoch(ServerId, ServerId),
    /// The server crashes and starts again from its persisted epoch, vote and log, in one
    /// atomic step.
    Restart(ServerId),
}

impl Action {
    /// Every message handler and timer step, and the restart (see `spec::protocol_steps`).
    pub const PROTOCOL_STEPS: &'static [&'static str] = &[
        "ElectionTimeout",
        "SendFetchRequest",
        "CheckQuorumTimeout",
        "HandleVoteRequest",
        "HandleVoteResponse",
        "HandleBeginQuorumEpochRequest",
        "HandleEndQuorumEpochRequest",
        "HandleFetchRequest",
        "HandleFetchResponse",
        "Restart",
        "ClientRequest",
    ];

    /// The protocol name of the step (ITF `action_taken`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Deliver(m) => match m {
                Msg::Vote(_) => "HandleVoteRequest",
                Msg::VoteResponse(_) => "HandleVoteResponse",
                Msg::BeginQuorumEpoch(_) => "HandleBeginQuorumEpochRequest",
                Msg::EndQuorumEpoch(_) => "HandleEndQuorumEpochRequest",
                Msg::Fetch(_) => "HandleFetchRequest",
                Msg::FetchResponse(_) => "HandleFetchResponse",
            },
            Action::Drop(_) => "DropMessage",
            Action::Duplicate(_) => "DuplicateMessage",
            Action::ElectionTimeout(_) => "ElectionTimeout",
            Action::SendFetch(_) => "SendFetchRequest",
            Action::CheckQuorumTimeout(_) => "CheckQuorumTimeout",
            Action::ClientRequest(..) => "ClientRequest",
            Action::Restart(_) => "Restart",
            Action::SendVoteRequest(..) => "SendVoteRequest",
            Action::SendBeginQuorumEpoch(..) => "SendBeginQuorumEpoch",
        }
    }
}

impl KraftModel {
    // ---- QuorumState transitions -------------------------------------------------------

    /// QuorumState.transitionToUnattached: a higher epoch without a known leader.
    fn to_unattached(srv: &mut Server, epoch: Epoch) {
        srv.epoch = epoch;
        srv.voted_for = None;
        srv.leader = None;
        srv.role = Role::Unattached;
        srv.votes = 0;
    }

    /// QuorumState.transitionToFollower. The vote is kept within an epoch: Kafka writes the
    /// leader to its quorum-state file instead, which equally forbids a second vote after a
    /// restart; the model persists only epoch and vote (specs/kraft.md, "Restart").
    fn to_follower(srv: &mut Server, epoch: Epoch, leader: ServerId) {
        if epoch != srv.epoch {
            srv.voted_for = None;
        }
        srv.epoch = epoch;
        srv.leader = Some(leader);
        srv.role = Role::Follower;
        srv.votes = 0;
    }

    /// KafkaRaftClient.hasConsistentLeader + maybeTransition: a message names `leader` for
    /// `epoch` (>= ours). Another leader for our epoch than the one we know is fatal (Kafka
    /// throws IllegalStateException). Naming ourselves is consistent iff we voted for
    /// ourselves in that epoch (we led it, or were its candidate before a restart).
    fn maybe_transition(st: &mut KraftState, s: ServerId, leader: Option<ServerId>, epoch: Epoch) {
        let srv = &mut st.servers[s as usize];
        let consistent = match leader {
            Some(l) if l == s => epoch == srv.epoch && srv.voted_for == Some(s),
            Some(l) => epoch != srv.epoch || srv.leader.is_none() || srv.leader == Some(l),
            None => true,
        };
        if !consistent {
            st.marker |= marker::ILLEGAL;
            return;
        }
        if epoch > srv.epoch {
            match leader {
                Some(l) => Self::to_follower(srv, epoch, l),
                None => Self::to_unattached(srv, epoch),
            }
        } else if let Some(l) = leader {
            if l != s && srv.leader.is_none() {
                Self::to_follower(srv, epoch, l);
            }
        }
    }

    /// KafkaRaftClient.maybeHandleCommonResponse: true if the response is fully handled here.
    fn common_response(
        st: &mut KraftState,
        s: ServerId,
        epoch: Epoch,
        leader: Option<ServerId>,
        error: bool,
    ) -> bool {
        let srv = &mut st.servers[s as usize];
        if epoch < srv.epoch {
            return true; // we have a larger epoch: no longer relevant
        }
        if epoch > srv.epoch || error {
            Self::maybe_transition(st, s, leader, epoch);
            return true;
        }
        if let Some(l) = leader {
            if l != s && srv.leader.is_none() {
                Self::to_follower(srv, epoch, l); // the leader of our epoch, until now unknown
            }
        }
        false
    }

    // ---- Election ------------------------------------------------------------------------

    /// ElectionTimeout: QuorumState.transitionToCandidate (epoch + 1, vote for self), then
    /// Vote to every other voter (with per-peer sends, one SendVoteRequest step each); a lone
    /// voter wins at once.
    pub(crate) fn election_timeout(&self, st: &mut KraftState, s: ServerId) {
        let srv = &mut st.servers[s as usize];
        if !self.has(Bug::TimeoutKeepsTerm) {
            srv.epoch += 1;
        } // BUG (timeout-keeps-term): stands again in the epoch it may have voted in
        srv.voted_for = Some(s);
        srv.leader = None;
        srv.role = Role::Candidate;
        srv.votes = 1 << s;
        if self.become_leader_if_elected(st, s) || self.bounds.options.per_peer {
            return;
        }
        for to in self.peers(s) {
            self.send_vote_request(st, s, to);
        }
    }

    /// The Vote request a candidate sends `to`: its epoch and last (epoch, offset).
    pub(crate) fn vote_request(srv: &Server, s: ServerId, to: ServerId) -> Msg {
        Msg::Vote(Vote {
            from: s,
            to,
            epoch: srv.epoch,
            last_epoch: srv.last_epoch(),
            last_offset: srv.leo(),
        })
    }

    /// SendVoteRequest: the candidate asks one voter for its vote.
    pub(crate) fn send_vote_request(&self, st: &mut KraftState, s: ServerId, to: ServerId) {
        let m = Self::vote_request(&st.servers[s as usize], s, to);
        self.send(st, m);
    }

    /// SendBeginQuorumEpoch: the leader announces its epoch to one voter.
    pub(crate) fn send_begin_quorum_epoch(&self, st: &mut KraftState, s: ServerId, to: ServerId) {
        let epoch = st.servers[s as usize].epoch;
        self.send(
            st,
            Msg::BeginQuorumEpoch(BeginQuorumEpoch { from: s, to, epoch }),
        );
    }

    /// KafkaRaftClient.handleVoteRequest: a stale epoch is answered with the receiver's epoch
    /// and leader (FENCED_LEADER_EPOCH); a higher one first makes the receiver Unattached. Then
    /// canGrantVote: Unattached grants iff the candidate's (lastOffsetEpoch, lastOffset) >= its
    /// own (and becomes Voted); Voted re-grants only to its candidate; others refuse.
    fn handle_vote(&self, st: &mut KraftState, m: &Vote) {
        let &Vote {
            from,
            to,
            epoch,
            last_epoch,
            last_offset,
        } = m;
        let srv = &mut st.servers[to as usize];
        let granted = if epoch < srv.epoch {
            false
        } else {
            if epoch > srv.epoch {
                Self::to_unattached(srv, epoch);
            }
            let log_ok = self.has(Bug::VoteNoLogCheck)
                || (last_epoch, last_offset) >= (srv.last_epoch(), srv.leo());
            let granted = match srv.role {
                Role::Unattached => log_ok,
                // BUG double-vote: a Voted server grants to another candidate too.
                Role::Voted => srv.voted_for == Some(from) || (self.has(Bug::DoubleVote) && log_ok),
                _ => false,
            };
            if granted && srv.role == Role::Unattached {
                srv.role = Role::Voted;
                srv.voted_for = Some(from);
            }
            granted
        };
        let reply = Msg::VoteResponse(VoteResponse {
            from: to,
            to: from,
            epoch: srv.epoch,
            leader: srv.leader,
            granted,
        });
        self.send(st, reply);
    }

    /// KafkaRaftClient.handleVoteResponse: after the common response handling, a Candidate
    /// records a granted vote and becomes Leader on a majority.
    fn handle_vote_response(&self, st: &mut KraftState, m: &VoteResponse) {
        let &VoteResponse {
            from,
            to,
            epoch,
            leader,
            granted,
        } = m;
        // BUG (stale-vote-counted): a grant of an older epoch is counted as well.
        let stale = epoch < st.servers[to as usize].epoch;
        if Self::common_response(st, to, epoch, leader, false)
            && !(stale && self.has(Bug::StaleVoteCounted))
        {
            return;
        }
        let srv = &mut st.servers[to as usize];
        if srv.role == Role::Candidate && granted {
            srv.votes |= 1 << from;
            self.become_leader_if_elected(st, to);
        }
    }

    /// KafkaRaftClient.maybeTransitionToLeader + onBecomeLeader: with a majority of votes the
    /// candidate leads: epochStartOffset = LEO, the LeaderChange record is appended there,
    /// every voter's end offset is unknown, and BeginQuorumEpoch goes to every other voter.
    fn become_leader_if_elected(&self, st: &mut KraftState, s: ServerId) -> bool {
        let srv = &mut st.servers[s as usize];
        if srv.role != Role::Candidate
            || (srv.votes.count_ones() as usize) < self.bounds.majority()
            || srv.log.len() >= LOG_CAPACITY
        {
            return false;
        }
        srv.role = Role::Leader;
        srv.leader = Some(s);
        srv.votes = 0;
        srv.epoch_start = srv.leo();
        srv.end_offsets = [0; MAX_SERVERS];
        if self.has(Bug::CommitRegress) {
            srv.hw = 0; // BUG: exposes LeaderState's empty HW instead of keeping the log's
        }
        let epoch = srv.epoch;
        srv.log.push(Entry {
            epoch,
            value: LEADER_CHANGE,
        });
        if st
            .servers
            .iter()
            .any(|o| o.role == Role::Resigned && o.epoch < epoch)
        {
            st.marker |= marker::REPLACED_RESIGNED;
        }
        self.update_leader_hw(st, s);
        if !self.bounds.options.per_peer {
            for to in self.peers(s) {
                self.send_begin_quorum_epoch(st, s, to);
            }
        }
        true
    }

    /// KafkaRaftClient.handleBeginQuorumEpochRequest: a stale epoch is refused (Kafka answers
    /// FENCED_LEADER_EPOCH; the model has no BeginQuorumEpoch response); otherwise
    /// maybeTransition to Follower of the sender.
    fn handle_begin_quorum_epoch(&self, st: &mut KraftState, m: &BeginQuorumEpoch) {
        let &BeginQuorumEpoch { from, to, epoch } = m;
        // BUG (begin-quorum-stale-epoch): no epoch check, a stale leader is followed.
        if epoch >= st.servers[to as usize].epoch || self.has(Bug::BeginQuorumStaleEpoch) {
            Self::maybe_transition(st, to, Some(from), epoch);
        }
    }

    /// KafkaRaftClient.handleEndQuorumEpochRequest: like BeginQuorumEpoch, maybeTransition to
    /// Follower of the resigning leader. Kafka then shortens the follower's fetch timeout by its
    /// position in the preferred successors; the model's timers may fire at any time already,
    /// so nothing more changes.
    fn handle_end_quorum_epoch(&self, st: &mut KraftState, m: &EndQuorumEpoch) {
        let &EndQuorumEpoch {
            from, to, epoch, ..
        } = m;
        // BUG (end-quorum-stale-epoch): no epoch check, a stale resigning leader is followed.
        if epoch >= st.servers[to as usize].epoch || self.has(Bug::EndQuorumStaleEpoch) {
            Self::maybe_transition(st, to, Some(from), epoch);
        }
    }

    /// CheckQuorumTimeout (KAFKA-15489): the leader resigns and sends EndQuorumEpoch to every
    /// other voter, naming them by descending fetched end offset (ties: lower id first).
    pub(crate) fn check_quorum_timeout(&self, st: &mut KraftState, s: ServerId) {
        let srv = &mut st.servers[s as usize];
        srv.role = Role::Resigned;
        if self.has(Bug::ResignClearsVote) {
            srv.voted_for = None; // BUG: the resigned leader may vote again in its own epoch
        }
        let epoch = srv.epoch;
        let mut successors: Successors = self.peers(s).collect();
        let offsets = srv.end_offsets;
        successors.sort_by_key(|&v| (std::cmp::Reverse(offsets[v as usize]), v));
        for to in self.peers(s) {
            let m = Msg::EndQuorumEpoch(EndQuorumEpoch {
                from: s,
                to,
                epoch,
                successors: successors.clone(),
            });
            self.send(st, m);
        }
    }

    // ---- Replication -----------------------------------------------------------------------

    /// ClientRequest: the leader appends (epoch, v); with one voter that may advance the HW.
    pub(crate) fn client_request(&self, st: &mut KraftState, s: ServerId, value: Value) {
        let srv = &mut st.servers[s as usize];
        let epoch = srv.epoch;
        srv.log.push(Entry { epoch, value });
        self.update_leader_hw(st, s);
    }

    /// SendFetch (KafkaRaftClient.buildFetchRequest): Fetch(epoch, LEO, last epoch) to the
    /// leader.
    pub(crate) fn send_fetch(&self, st: &mut KraftState, s: ServerId) {
        let srv = &st.servers[s as usize];
        let Some(leader) = srv.leader else {
            unreachable!("only a Follower (which knows its leader) fetches")
        };
        let m = Msg::Fetch(Fetch {
            from: s,
            to: leader,
            epoch: srv.epoch,
            fetch_offset: srv.leo(),
            // BUG (fetch-wrong-last-epoch): the current epoch, not the last record's.
            last_fetched_epoch: if self.has(Bug::FetchWrongLastEpoch) {
                srv.epoch
            } else {
                srv.last_epoch()
            },
        });
        self.send(st, m);
    }

    /// KafkaRaftClient.tryCompleteFetchRequest: validateLeaderOnlyRequest fences an older epoch
    /// (FENCED_LEADER_EPOCH) and a non-leader (NOT_LEADER_OR_FOLLOWER); a newer epoch gets
    /// UNKNOWN_LEADER_EPOCH, which the requester always ignores, so the model sends nothing.
    /// Then validateOffsetAndEpoch: with (e, end) = endOffsetForEpoch(lastFetchedEpoch), the
    /// fetch diverges iff e != lastFetchedEpoch or end < fetchOffset. A valid fetch sets the
    /// voter's end offset to fetchOffset (LeaderState.updateReplicaState), may advance the HW,
    /// and returns the records from fetchOffset on (at most `batch`; one by default) with the HW.
    fn handle_fetch(&self, st: &mut KraftState, m: &Fetch) {
        let &Fetch {
            from,
            to,
            epoch,
            fetch_offset,
            last_fetched_epoch,
        } = m;
        let srv = &st.servers[to as usize];
        if epoch > srv.epoch {
            return;
        }
        let error = if epoch < srv.epoch {
            Some(FetchError::FencedLeaderEpoch)
        } else if srv.role != Role::Leader {
            Some(FetchError::NotLeaderOrFollower)
        } else {
            None
        };
        let result = if let Some(error) = error {
            FetchResult::Error { error }
        } else {
            let (e, end) = srv.end_offset_for_epoch(last_fetched_epoch);
            if e != last_fetched_epoch || end < fetch_offset {
                FetchResult::DivergingEpoch {
                    fetch_offset,
                    last_fetched_epoch,
                    epoch: e,
                    end_offset: end,
                }
            } else {
                st.servers[to as usize].end_offsets[from as usize] = fetch_offset;
                if !self.has(Bug::CommitOnlyOnAppend) {
                    // (BUG commit-only-on-append, liveness: fetches never advance the HW.)
                    self.update_leader_hw(st, to);
                }
                let srv = &st.servers[to as usize];
                let batch = self.bounds.options.batch;
                let records: Records = batch_from(&srv.log, fetch_offset as usize, batch);
                // (BUG hw-only-with-records, liveness: no HW on an empty response.)
                let hw_withheld = self.has(Bug::HwOnlyWithRecords) && records.is_empty();
                FetchResult::Records {
                    fetch_offset,
                    last_fetched_epoch,
                    records,
                    high_watermark: (srv.hw > srv.epoch_start && !hw_withheld).then_some(srv.hw),
                }
            }
        };
        let srv = &st.servers[to as usize];
        let reply = Msg::FetchResponse(FetchResponse {
            from: to,
            to: from,
            epoch: srv.epoch,
            leader: srv.leader,
            result,
        });
        self.send(st, reply);
    }

    /// LeaderState.maybeUpdateHighWatermark: the end offset reached by a majority of voters
    /// (the leader counts with its LEO) becomes the HW iff it is greater than epochStartOffset
    /// (the new epoch's LeaderChange record is covered) and greater than the current HW.
    fn update_leader_hw(&self, st: &mut KraftState, s: ServerId) {
        let srv = &st.servers[s as usize];
        let n = self.bounds.servers as usize;
        let mut offsets = srv.end_offsets;
        offsets[s as usize] = srv.leo();
        let offsets = &mut offsets[..n];
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = offsets[self.bounds.majority() - 1];
        let covers_epoch = if self.has(Bug::HwAtEpochStart) {
            candidate >= srv.epoch_start // BUG (KAFKA-12619): one short of the LeaderChange
        } else {
            candidate > srv.epoch_start
        };
        if covers_epoch && candidate > srv.hw {
            let (old, epoch) = (srv.hw, srv.epoch);
            for i in old..candidate {
                let entry = st.servers[s as usize].log[i as usize];
                Self::record_commit(st, i as usize, entry, epoch);
            }
            st.servers[s as usize].hw = candidate;
        }
    }

    /// History: remember what a leader exposed as committed, and any disagreement.
    fn record_commit(st: &mut KraftState, slot: usize, entry: Entry, in_term: Epoch) {
        match st.committed.get(slot) {
            Some(c) if c.entry != entry => st.commit_conflict = true,
            Some(_) => {}
            None if slot == st.committed.len() => st.committed.push(Committed { entry, in_term }),
            None => st.commit_conflict = true, // a gap: an earlier offset was never committed
        }
    }

    /// KafkaRaftClient.handleFetchResponse. After the common response handling, a Follower of
    /// the sender acts only on the answer to its current position (the echoed fetchOffset and
    /// lastFetchedEpoch; Kafka matches the one in-flight request by correlation id):
    /// DivergingEpoch truncates to min(leader's end offset, own end offset for that epoch),
    /// fatal below the HW; records are appended and, if the leader sent one, HW = min(leader
    /// HW, LEO), fatal if that is lower than the current HW.
    fn handle_fetch_response(&self, st: &mut KraftState, m: &FetchResponse) {
        let FetchResponse {
            from,
            to,
            epoch,
            leader,
            result,
        } = m;
        let (from, to) = (*from, *to);
        if let FetchResult::Error { error } = result {
            if *error == FetchError::FencedLeaderEpoch && *epoch >= st.servers[to as usize].epoch {
                st.marker |= marker::FETCH_FENCED;
            }
        }
        let is_error = matches!(result, FetchResult::Error { .. });
        if Self::common_response(st, to, *epoch, *leader, is_error) {
            return;
        }
        let srv = &mut st.servers[to as usize];
        if srv.role != Role::Follower || srv.leader != Some(from) {
            return;
        }
        match *result {
            FetchResult::Records {
                fetch_offset,
                last_fetched_epoch,
                ref records,
                high_watermark,
            } => {
                if (fetch_offset, last_fetched_epoch) != (srv.leo(), srv.last_epoch()) {
                    return; // answers a position we no longer have
                }
                srv.log.extend(records.iter().copied());
                let Some(leader_hw) = high_watermark else {
                    return;
                };
                let new = if self.has(Bug::FollowerHwUnclamped) {
                    leader_hw // BUG: not clamped to the follower's own log end
                } else {
                    leader_hw.min(srv.leo())
                };
                if new < srv.hw {
                    // Kafka: FollowerState.updateHighWatermark throws on a non-monotonic update.
                    st.marker |= marker::ILLEGAL;
                    return;
                }
                srv.hw = new;
            }
            FetchResult::DivergingEpoch {
                fetch_offset,
                last_fetched_epoch,
                epoch: e,
                end_offset,
            } => {
                let asked = (fetch_offset, last_fetched_epoch);
                self.truncate_to_divergence(st, to, asked, (e, end_offset))
            }
            FetchResult::Error { .. } => unreachable!("errors are handled as common responses"),
        }
    }

    /// A follower's DivergingEpoch response (epoch `e` ends at `end_offset` on the leader) to
    /// the position it `asked` about: if that is still its position, truncate to the end of
    /// `e` (or its own end of `e`, if lower).
    fn truncate_to_divergence(
        &self,
        st: &mut KraftState,
        to: ServerId,
        asked: (Offset, Epoch),
        (e, end_offset): (Epoch, Offset),
    ) {
        let srv = &mut st.servers[to as usize];
        if asked != (srv.leo(), srv.last_epoch()) || self.has(Bug::DivergingRefetch) {
            return; // (BUG diverging-refetch, liveness: never truncates, refetches)
        }
        let (_, mine) = srv.end_offset_for_epoch(e);
        let target = end_offset.min(mine);
        if target < srv.hw {
            st.marker |= marker::ILLEGAL; // Kafka: KafkaException, the replica stops
            return;
        }
        if (target as usize) < srv.log.len() {
            srv.log.truncate(target as usize);
            st.marker |= marker::TRUNCATED;
        }
    }

    /// Deliver: the destination handles one copy of a message in flight (taken off the
    /// network by the skeleton).
    pub(crate) fn deliver(&self, st: &mut KraftState, m: &Msg) {
        match m {
            Msg::Vote(m) => self.handle_vote(st, m),
            Msg::VoteResponse(m) => self.handle_vote_response(st, m),
            Msg::BeginQuorumEpoch(m) => self.handle_begin_quorum_epoch(st, m),
            Msg::EndQuorumEpoch(m) => self.handle_end_quorum_epoch(st, m),
            Msg::Fetch(m) => self.handle_fetch(st, m),
            Msg::FetchResponse(m) => self.handle_fetch_response(st, m),
        }
    }

    /// Restart (QuorumState.initialize from the quorum-state file: epoch, leader and vote): led
    /// the epoch -> Resigned; knew its leader -> Follower; else voted for itself -> Candidate
    /// with its own vote; voted for another -> Voted; no vote -> Unattached. HW and leader
    /// state are lost.
    pub(crate) fn restart(&self, st: &mut KraftState, s: ServerId) {
        st.servers[s as usize] = self.restored(s, &st.servers[s as usize]);
        st.restarts += 1;
    }

    /// The server `s` as QuorumState.initialize rebuilds it from what `srv` persisted.
    pub(crate) fn restored(&self, s: ServerId, srv: &Server) -> Server {
        let voted_for = if self.has(Bug::VoteNotPersisted) {
            None // BUG: the vote was never written to the quorum-state file
        } else {
            srv.voted_for
        };
        // The quorum-state file holds the leader known for the epoch too: QuorumState.initialize
        // comes back Resigned if it led, Follower of it if it knew one, else from the vote.
        let leader = srv.leader;
        let (role, votes) = match (leader, voted_for) {
            (Some(l), _) if l == s => (Role::Resigned, 0),
            (Some(_), _) => (Role::Follower, 0),
            (None, Some(v)) if v == s => (Role::Candidate, 1 << s),
            (None, Some(_)) => (Role::Voted, 0),
            (None, None) => (Role::Unattached, 0),
        };
        Server {
            epoch: srv.epoch,
            voted_for,
            leader,
            log: srv.log.clone(),
            role,
            votes,
            ..Server::new()
        }
    }
}

/// Whether Kafka's QuorumState allows a server to go from `b` to `a` in one step (the class
/// comment and the checks of each transitionTo* method), plus the two invariants of an epoch:
/// the persisted vote and the known leader never change within it.
pub(crate) fn transition_allowed(b: &Server, a: &Server) -> bool {
    use Role::*;
    if a.epoch < b.epoch {
        return false;
    }
    let same = a.epoch == b.epoch;
    if same
        && ((b.voted_for.is_some() && a.voted_for != b.voted_for)
            || (b.leader.is_some() && a.leader.is_some() && a.leader != b.leader))
    {
        return false;
    }
    match (b.role, a.role) {
        (x, y) if x == y && same => true,
        (_, Unattached) => !same,
        (from, Voted) => !same || from == Unattached,
        (Leader, Candidate) => false,
        (_, Candidate) => a.epoch == b.epoch + 1,
        (from, Leader) => same && from == Candidate,
        (from, Resigned) => same && from == Leader,
        (from, Follower) => !same || matches!(from, Unattached | Voted | Candidate | Resigned),
    }
}
