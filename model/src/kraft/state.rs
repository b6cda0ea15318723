//! KRaft state: what each server holds, what travels on the network, and the history the
//! properties need. Small integers and fixed-size arrays only, so states hash and clone cheaply.
//!
//! Offsets are 0-based: offset `o` is `log[o]`, and the log end offset (LEO) is `log.len()`.
//! The high watermark (HW) is exclusive, as in Kafka: offsets below it are committed, so it is
//! also the number of committed records. Epoch 0 means "no epoch" (the last fetched epoch of an
//! empty log).

use crate::bounds::MAX_SERVERS;
use crate::network::Envelope;
use arrayvec::ArrayVec;
use serde::{Deserialize, Serialize};

pub type ServerId = u8;
pub type Epoch = u8;
/// 0-based log offset; as an end offset, the offset one past the last record.
pub type Offset = u8;
pub type Value = u8;

/// Records a log can hold: `max_term` LeaderChange records, `max_log` data records, and one more
/// LeaderChange per restart (a restarted leader comes back as a candidate of its epoch and may
/// win it again). [`super::validate_bounds`] keeps bounds inside this.
pub const LOG_CAPACITY: usize = 8;
const _: () = assert!(LOG_CAPACITY <= crate::protocol::HISTORY);

/// The value of a LeaderChange control record; client values are `1..=values`.
pub const LEADER_CHANGE: Value = 0;

/// A record: the epoch of the leader that appended it and what it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub epoch: Epoch,
    /// [`LEADER_CHANGE`] for the control record a new leader appends at its epoch start offset.
    pub value: Value,
}

impl Entry {
    pub fn is_data(&self) -> bool {
        self.value != LEADER_CHANGE
    }
}

impl crate::protocol::LogEntry for Entry {
    fn entry_term(&self) -> Epoch {
        self.epoch
    }
}

pub type Log = ArrayVec<Entry, LOG_CAPACITY>;

/// The six KRaft roles (Kafka's `EpochState` implementations; no Prospective: no pre-vote).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Unattached,
    Voted,
    Candidate,
    Leader,
    Follower,
    Resigned,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Unattached => "Unattached",
            Role::Voted => "Voted",
            Role::Candidate => "Candidate",
            Role::Leader => "Leader",
            Role::Follower => "Follower",
            Role::Resigned => "Resigned",
        }
    }
}

/// One server. `epoch`, `voted_for` and `log` are persisted (quorum-state file and log);
/// everything else is volatile.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Server {
    pub epoch: Epoch,
    pub voted_for: Option<ServerId>,
    pub log: Log,
    pub role: Role,
    /// The leader this server knows for its epoch: itself when Leader or Resigned, the leader it
    /// fetches from when Follower, none otherwise.
    pub leader: Option<ServerId>,
    /// The log's high watermark (exclusive).
    pub hw: Offset,
    /// Candidate: bit i set when server i granted its vote (its own included).
    pub votes: u8,
    /// Leader: offset of its LeaderChange record (its LEO when elected).
    pub epoch_start: Offset,
    /// Leader: each voter's end offset as last reported by a valid Fetch (0 = none yet).
    pub end_offsets: [Offset; MAX_SERVERS],
}

impl Server {
    pub fn new() -> Self {
        Server {
            epoch: 0,
            voted_for: None,
            log: Log::new(),
            role: Role::Unattached,
            leader: None,
            hw: 0,
            votes: 0,
            epoch_start: 0,
            end_offsets: [0; MAX_SERVERS],
        }
    }

    /// Log end offset.
    pub fn leo(&self) -> Offset {
        self.log.len() as Offset
    }

    /// Epoch of the last record (Kafka's `lastFetchedEpoch`), 0 for an empty log.
    pub fn last_epoch(&self) -> Epoch {
        self.log.last().map_or(0, |e| e.epoch)
    }

    /// Kafka's `endOffsetForEpoch`: the largest epoch `e <= epoch` present in this log and the
    /// end offset of `e`'s records; (0, 0) when the log has no such epoch. Epochs never decrease
    /// along a log, so this is a partition point.
    pub fn end_offset_for_epoch(&self, epoch: Epoch) -> (Epoch, Offset) {
        let end = self.log.partition_point(|e| e.epoch <= epoch);
        let e = if end == 0 { 0 } else { self.log[end - 1].epoch };
        (e, end as Offset)
    }

    /// Data (client) records in the log.
    pub fn data_records(&self) -> usize {
        self.log.iter().filter(|e| e.is_data()).count()
    }
}

impl crate::protocol::Node for Server {
    type Entry = Entry;
    fn current_term(&self) -> Epoch {
        self.epoch
    }
    fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
    fn entries(&self) -> &[Entry] {
        &self.log
    }
    fn applied(&self) -> Option<&[Entry]> {
        self.log.get(..self.hw as usize)
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

/// Records carried by one Fetch response: at most `Options::batch` (one by default, as Raft
/// carries one entry per AppendEntries).
pub type Records = ArrayVec<Entry, { crate::options::MAX_BATCH }>;

/// Voters a resigning leader names, most caught-up first.
pub type Successors = ArrayVec<ServerId, { MAX_SERVERS - 1 }>;

/// Kafka error codes a Fetch response may carry (UNKNOWN_LEADER_EPOCH is never sent: the
/// requester always ignores it, see specs/kraft.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FetchError {
    /// The request's epoch is older than the receiver's.
    FencedLeaderEpoch,
    /// The receiver is at the request's epoch but is not its leader.
    NotLeaderOrFollower,
}

/// What a Fetch response says besides the responder's epoch and leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum FetchResult {
    /// The position is on the leader's log: the record at `fetch_offset` (if any) and the
    /// leader's HW, absent until the leader has one in its epoch (LeaderState's HW starts
    /// empty). `fetch_offset`/`last_fetched_epoch` echo the request (see specs/kraft.md).
    Records {
        fetch_offset: Offset,
        last_fetched_epoch: Epoch,
        records: Records,
        #[serde(with = "itf_opt")]
        high_watermark: Option<Offset>,
    },
    /// The position is not on the leader's log: truncate, then fetch again.
    DivergingEpoch {
        fetch_offset: Offset,
        last_fetched_epoch: Epoch,
        epoch: Epoch,
        end_offset: Offset,
    },
    Error {
        error: FetchError,
    },
}

/// VoteRequest(candidateEpoch, candidateId = from, lastOffsetEpoch, lastOffset = LEO).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Vote {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
    pub last_epoch: Epoch,
    pub last_offset: Offset,
}

/// VoteResponse: the responder's epoch and leader, and whether it granted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VoteResponse {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
    #[serde(with = "itf_opt")]
    pub leader: Option<ServerId>,
    pub granted: bool,
}

/// BeginQuorumEpoch(leaderId = from, leaderEpoch).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BeginQuorumEpoch {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
}

/// EndQuorumEpoch(leaderId = from, leaderEpoch, preferredSuccessors).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EndQuorumEpoch {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
    pub successors: Successors,
}

/// Fetch(currentLeaderEpoch, fetchOffset = LEO, lastFetchedEpoch) from follower to leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fetch {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
    pub fetch_offset: Offset,
    pub last_fetched_epoch: Epoch,
}

/// FetchResponse: the responder's epoch and leader (Kafka's currentLeader) and the result.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FetchResponse {
    pub from: ServerId,
    pub to: ServerId,
    pub epoch: Epoch,
    #[serde(with = "itf_opt")]
    pub leader: Option<ServerId>,
    pub result: FetchResult,
}

/// A message in flight: one of the typed messages above (serialized as the tagged struct).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "tag", content = "value")]
pub enum Msg {
    Vote(Vote),
    VoteResponse(VoteResponse),
    BeginQuorumEpoch(BeginQuorumEpoch),
    EndQuorumEpoch(EndQuorumEpoch),
    Fetch(Fetch),
    FetchResponse(FetchResponse),
}

impl Msg {
    pub fn epoch(&self) -> Epoch {
        match self {
            Msg::Vote(Vote { epoch, .. })
            | Msg::VoteResponse(VoteResponse { epoch, .. })
            | Msg::BeginQuorumEpoch(BeginQuorumEpoch { epoch, .. })
            | Msg::EndQuorumEpoch(EndQuorumEpoch { epoch, .. })
            | Msg::Fetch(Fetch { epoch, .. })
            | Msg::FetchResponse(FetchResponse { epoch, .. }) => *epoch,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Vote(_) => "Vote",
            Msg::VoteResponse(_) => "VoteResponse",
            Msg::BeginQuorumEpoch(_) => "BeginQuorumEpoch",
            Msg::EndQuorumEpoch(_) => "EndQuorumEpoch",
            Msg::Fetch(_) => "Fetch",
            Msg::FetchResponse(_) => "FetchResponse",
        }
    }

    pub(crate) fn ends_mut(&mut self) -> (&mut ServerId, &mut ServerId) {
        match self {
            Msg::Vote(Vote { from, to, .. })
            | Msg::VoteResponse(VoteResponse { from, to, .. })
            | Msg::BeginQuorumEpoch(BeginQuorumEpoch { from, to, .. })
            | Msg::EndQuorumEpoch(EndQuorumEpoch { from, to, .. })
            | Msg::Fetch(Fetch { from, to, .. })
            | Msg::FetchResponse(FetchResponse { from, to, .. }) => (from, to),
        }
    }
}

impl Envelope for Msg {
    fn from(&self) -> u8 {
        match self {
            Msg::Vote(Vote { from, .. })
            | Msg::VoteResponse(VoteResponse { from, .. })
            | Msg::BeginQuorumEpoch(BeginQuorumEpoch { from, .. })
            | Msg::EndQuorumEpoch(EndQuorumEpoch { from, .. })
            | Msg::Fetch(Fetch { from, .. })
            | Msg::FetchResponse(FetchResponse { from, .. }) => *from,
        }
    }
    fn to(&self) -> u8 {
        match self {
            Msg::Vote(Vote { to, .. })
            | Msg::VoteResponse(VoteResponse { to, .. })
            | Msg::BeginQuorumEpoch(BeginQuorumEpoch { to, .. })
            | Msg::EndQuorumEpoch(EndQuorumEpoch { to, .. })
            | Msg::Fetch(Fetch { to, .. })
            | Msg::FetchResponse(FetchResponse { to, .. }) => *to,
        }
    }
}

/// An entry some leader acknowledged to a client, and the epoch of that leader.
pub type Committed = crate::protocol::Committed<Entry>;

/// What the last step did that a state alone cannot show. Reset by every step, so it splits
/// only the states a marked step leads to, never whole subtrees.
pub mod marker {
    /// A follower removed records after a DivergingEpoch response.
    pub const TRUNCATED: u8 = 1;
    /// A follower handled a FENCED_LEADER_EPOCH Fetch response.
    pub const FETCH_FENCED: u8 = 2;
    /// A server that did not restart lowered its HW.
    pub const HW_REGRESSED: u8 = 4;
    /// A transition Kafka's QuorumState forbids, or a fatal condition Kafka raises (truncation
    /// below the HW, a message naming another leader for the receiver's epoch).
    pub const ILLEGAL: u8 = 8;
    /// A leader was elected while another server sat Resigned at a lower epoch.
    pub const REPLACED_RESIGNED: u8 = 16;
}

/// A KRaft state: the shared frame over KRaft's servers, messages and history.
pub type KraftState = crate::protocol::Cluster<super::Kraft>;

impl crate::protocol::Parts for super::Kraft {
    const VARIANT: crate::spec::Variant = crate::spec::Variant::Kraft;
    type Server = Server;
    type Entry = Entry;
    type Msg = Msg;
    type Action = super::Action;
}

/// ITF encoding of an optional server id inside messages (`{"tag":"Some","value":x}` or
/// `{"tag":"None","value":{"#tup":[]}}`), so that traces hold no nulls.
pub(crate) mod itf_opt {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
        crate::spec::itf_option(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "tag", content = "value")]
        enum Opt {
            Some(u8),
            None(serde::de::IgnoredAny),
        }
        Ok(match Opt::deserialize(d)? {
            Opt::Some(x) => Some(x),
            Opt::None(_) => None,
        })
    }
}
