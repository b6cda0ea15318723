//! Protocol options of a variant: switches, each off by default, that make a model take finer
//! steps or behave as a particular implementation does (as etcd's `Config.PreVote` is an option
//! of one protocol, not a new protocol). They are part of the bounds: they change the space.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Most entries one AppendEntries (Raft) or Fetch response (KRaft) may carry: as many as the
/// longest log either model holds (KRaft's 8 records), so `batch = MAX_BATCH` is no cap at all.
pub const MAX_BATCH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Requests go to one peer per step, as raft.tla's RequestVote(i, j) / AppendEntries(i, j):
    /// a candidate (leader) may have reached one peer and not yet another. Off: a timer step
    /// sends to every peer at once.
    pub per_peer: bool,
    /// Entries one AppendEntries (Raft) or Fetch response (KRaft) carries at most, from the
    /// receiver's position on (1..=MAX_BATCH; 1 as raft.tla).
    pub batch: u8,
    // --- The raft-rs profile (tikv/raft-rs 0.7; `--flavor raft-rs` sets them all). Each is
    // one rule of raft-rs that the Raft paper leaves open; specs/raft.md gives each its source.
    /// A new leader appends an empty entry of its term (value 0) before anything else
    /// (`Raft::become_leader`).
    pub leader_noop: bool,
    /// The heartbeat timer sends Heartbeat messages (no entries, commit = min(matchIndex,
    /// commitIndex)), answered by HeartbeatResponse, after which the leader sends an append to
    /// a peer that lags (`bcast_heartbeat`, `handle_heartbeat(_response)`).
    pub separate_heartbeats: bool,
    /// The leader sends appends on events, not on a timer: to every peer on election, on a
    /// client request and when its commit index advances, and to a peer that acknowledged
    /// or rejected an append (`bcast_append`, `handle_append_response`).
    pub eager_append: bool,
    /// Per-peer flow control: a probing peer gets one append until it answers, a
    /// replicating peer gets every entry at once with nextIndex advanced optimistically; a
    /// rejection moves it back to probing (`tracker::Progress`).
    pub flow_control: bool,
    /// A rejection carries the rejected prevLogIndex and a hint (the receiver's last index at
    /// or below it with a term at most prevLogTerm, and that term); the leader probes there
    /// (`find_conflict_by_term`, `Progress::maybe_decr_to`).
    pub reject_hint: bool,
    /// A request of a lower term gets no reply at all (`Raft::step`, without check_quorum
    /// or pre_vote).
    pub silent_lower_term: bool,
    /// A server that knows the leader of its term grants no vote, even if it has not voted
    /// (`Raft::step`, `can_vote`).
    pub vote_needs_no_leader: bool,
    /// A candidate denied by enough servers that it cannot win steps down to follower
    /// (`Raft::poll`, `VoteResult::Lost`).
    pub lost_election_steps_down: bool,
    /// The commit index is persisted (HardState.commit) and survives a restart.
    pub persist_commit: bool,
    /// An append whose prevLogIndex is below the receiver's commit index is acknowledged with
    /// the commit index, the log left alone (`handle_append_entries`).
    pub ack_below_commit: bool,
    /// Vote requests and denials carry the sender's commit index and its entry's term; a
    /// follower or candidate that denies a vote, or a candidate that is denied one, commits up
    /// to it if its log holds that entry (`maybe_commit_by_vote`).
    pub commit_by_vote: bool,
    // --- raftspec's production rules (impl/src/core/raft.rs `Config::production()`;
    // `--flavor production` sets them with `leader_noop` and `batch = MAX_BATCH`). Each is
    // one rule of our core that the Raft paper leaves open; rules in `raft/production.rs`.
    /// A new leader sends AppendEntries to every peer at once, as its heartbeat would
    /// (`Config::send_on_election`).
    pub send_on_election: bool,
    /// Sending entries moves the peer's nextIndex past them at once; an acknowledgement never
    /// lowers nextIndex; a refusal never backs it below matchIndex + 1 (`Config::pipeline`).
    pub pipeline: bool,
    /// A refusal carries, in its matchIndex field, min(last index, prevLogIndex - 1); the
    /// leader backs nextIndex to at most the hint + 1, and a hint below matchIndex lowers
    /// matchIndex to it (`Config::reject_hint`).
    pub refusal_hint: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            per_peer: false,
            batch: 1,
            leader_noop: false,
            separate_heartbeats: false,
            eager_append: false,
            flow_control: false,
            reject_hint: false,
            silent_lower_term: false,
            vote_needs_no_leader: false,
            lost_election_steps_down: false,
            persist_commit: false,
            ack_below_commit: false,
            commit_by_vote: false,
            send_on_election: false,
            pipeline: false,
            refusal_hint: false,
        }
    }
}

/// A named set of options: the protocol as one implementation runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flavor {
    /// The Raft paper and raft.tla (every option off).
    Raft,
    /// tikv/raft-rs 0.7 at its default configuration (no pre-vote, no check-quorum).
    RaftRs,
    /// raftspec's own core as a real node runs it (`Config::production()`).
    Production,
}

impl Flavor {
    pub const ALL: [Flavor; 3] = [Flavor::Raft, Flavor::RaftRs, Flavor::Production];

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Raft => "raft",
            Flavor::RaftRs => "raft-rs",
            Flavor::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<Flavor> {
        Flavor::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The options of this flavor.
    pub fn options(self) -> Options {
        match self {
            Flavor::Raft => Options::default(),
            Flavor::RaftRs => Options::raft_rs(),
            Flavor::Production => Options::production(),
        }
    }
}

impl Options {
    /// tikv/raft-rs 0.7: every raft-rs option on, one entry per append.
    pub fn raft_rs() -> Options {
        Options {
            leader_noop: true,
            separate_heartbeats: true,
            eager_append: true,
            flow_control: true,
            reject_hint: true,
            silent_lower_term: true,
            vote_needs_no_leader: true,
            lost_election_steps_down: true,
            persist_commit: true,
            ack_below_commit: true,
            commit_by_vote: true,
            ..Options::default()
        }
    }

    /// raftspec's core in production (`Config::production()`): a leader's no-op entry, eager
    /// sends on election, pipelining, refusal hints, and no cap on entries per message.
    pub fn production() -> Options {
        Options {
            leader_noop: true,
            send_on_election: true,
            pipeline: true,
            refusal_hint: true,
            batch: MAX_BATCH as u8,
            ..Options::default()
        }
    }

    /// Whether any raft-rs option is on.
    pub fn any_raft_rs(&self) -> bool {
        let o = Options {
            per_peer: self.per_peer,
            batch: self.batch,
            ..Options::default()
        };
        *self != o
    }

    /// The raft-rs options by name, with their values.
    pub fn raft_rs_switches(&self) -> Vec<(&'static str, bool)> {
        self.switches(Flavor::RaftRs)
    }

    /// A flavor's on/off options by name, with their values here (for printing).
    pub fn switches(&self, flavor: Flavor) -> Vec<(&'static str, bool)> {
        let mut o = *self;
        SWITCHES
            .iter()
            .filter(|s| s.flavor == flavor)
            .map(|s| (s.name, *(s.slot)(&mut o)))
            .collect()
    }

    /// Switches one option on by name (`no-NAME`: off); false if there is none of that name.
    pub fn set_switch(&mut self, name: &str) -> bool {
        let (name, on) = match name.strip_prefix("no-") {
            Some(n) => (n, false),
            None => (name, true),
        };
        match SWITCHES.iter().find(|s| s.name == name) {
            Some(s) => {
                *(s.slot)(self) = on;
                true
            }
            None => false,
        }
    }
}

/// An on/off option: its `--option` name, the flavor whose rule it states, its field.
pub struct Switch {
    pub name: &'static str,
    pub flavor: Flavor,
    slot: for<'a> fn(&'a mut Options) -> &'a mut bool,
}

const fn switch(
    name: &'static str,
    flavor: Flavor,
    slot: for<'a> fn(&'a mut Options) -> &'a mut bool,
) -> Switch {
    Switch { name, flavor, slot }
}

/// Every on/off option: the one list that `--option`, its errors and the bounds line read.
pub const SWITCHES: &[Switch] = &[
    switch("leader-noop", Flavor::RaftRs, |o| &mut o.leader_noop),
    switch("separate-heartbeats", Flavor::RaftRs, |o| {
        &mut o.separate_heartbeats
    }),
    switch("eager-append", Flavor::RaftRs, |o| &mut o.eager_append),
    switch("flow-control", Flavor::RaftRs, |o| &mut o.flow_control),
    switch("reject-hint", Flavor::RaftRs, |o| &mut o.reject_hint),
    switch("silent-lower-term", Flavor::RaftRs, |o| {
        &mut o.silent_lower_term
    }),
    switch("vote-needs-no-leader", Flavor::RaftRs, |o| {
        &mut o.vote_needs_no_leader
    }),
    switch("lost-election-steps-down", Flavor::RaftRs, |o| {
        &mut o.lost_election_steps_down
    }),
    switch("persist-commit", Flavor::RaftRs, |o| &mut o.persist_commit),
    switch("ack-below-commit", Flavor::RaftRs, |o| {
        &mut o.ack_below_commit
    }),
    switch("commit-by-vote", Flavor::RaftRs, |o| &mut o.commit_by_vote),
    switch("send-on-election", Flavor::Production, |o| {
        &mut o.send_on_election
    }),
    switch("pipeline", Flavor::Production, |o| &mut o.pipeline),
    switch("refusal-hint", Flavor::Production, |o| &mut o.refusal_hint),
];

/// An option the model cannot represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("--batch must be between 1 and {MAX_BATCH} (got {0})")]
    Batch(u8),
}

impl Options {
    pub fn is_default(&self) -> bool {
        *self == Options::default()
    }

    /// Rejects options the model cannot represent.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.batch == 0 || self.batch as usize > MAX_BATCH {
            return Err(OptionsError::Batch(self.batch));
        }
        Ok(())
    }
}

/// The options that differ from the default, e.g. `per-peer batch=2` (empty when default).
impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        if self.per_peer {
            words.push("per-peer".to_string());
        }
        if self.batch != 1 {
            words.push(format!("batch={}", self.batch));
        }
        let same = |o: Options| {
            Options {
                batch: self.batch,
                ..o
            } == *self
        };
        if same(Options::raft_rs()) {
            words.push("raft-rs".to_string());
        } else if same(Options::production()) {
            words.push("production".to_string());
        } else {
            let mut o = *self;
            for s in SWITCHES {
                if *(s.slot)(&mut o) {
                    words.push(s.name.to_string());
                }
            }
        }
        f.write_str(&words.join(" "))
    }
}
