//! The voting restriction of a node rebuilt with `--rejoin-empty` (the rule is documented on
//! [`crate::storage::Rejoin`]). The driver asks the gate about every peer message before the
//! core sees it, and before each election timeout.

use crate::core::{kraft, raft, NodeId};
use crate::storage::Rejoin;
use std::collections::BTreeSet;

/// What the gate needs to know of a peer message.
pub trait Inspect {
    /// The sender's term (epoch).
    fn term(&self) -> u64;
    /// A request for this node's vote.
    fn is_vote_request(&self) -> bool;
    /// The commit point a leader announces in it (Raft leaderCommit, KRaft high watermark).
    fn leader_commit(&self) -> Option<u64>;
    /// The message by which the leader of `term` announces itself to a voter that does not
    /// know it: KRaft's BeginQuorumEpoch; Raft's is an empty AppendEntries, which its leader
    /// sends anyway, so none.
    fn announcement(term: u64, leader: NodeId) -> Option<Self>
    where
        Self: Sized;
}

impl Inspect for raft::Message {
    fn term(&self) -> u64 {
        raft::Message::term(self)
    }
    fn is_vote_request(&self) -> bool {
        matches!(self, raft::Message::RequestVote { .. })
    }
    fn leader_commit(&self) -> Option<u64> {
        match self {
            raft::Message::AppendEntries { leader_commit, .. } => Some(*leader_commit),
            _ => None,
        }
    }
    fn announcement(_: u64, _: NodeId) -> Option<Self> {
        None
    }
}

impl Inspect for kraft::Message {
    fn term(&self) -> u64 {
        self.epoch()
    }
    fn is_vote_request(&self) -> bool {
        matches!(self, kraft::Message::Vote { .. })
    }
    fn leader_commit(&self) -> Option<u64> {
        match self {
            kraft::Message::FetchResponse {
                high_watermark,
                error: None,
                ..
            } => *high_watermark,
            _ => None,
        }
    }
    fn announcement(epoch: u64, leader: NodeId) -> Option<Self> {
        Some(kraft::Message::BeginQuorumEpoch { epoch, leader })
    }
}

#[derive(Debug)]
pub struct RejoinGate {
    /// Other members not heard from yet.
    unheard: BTreeSet<NodeId>,
    /// The highest term heard from any member.
    max_term: u64,
    /// The newest (term, commit point) a leader announced.
    leader_commit: Option<(u64, u64)>,
    floor: Option<u64>,
}

impl RejoinGate {
    /// The gate for a rebuilt node; `None` for an ordinary one.
    pub fn new(rejoin: Option<Rejoin>, me: NodeId, members: &[NodeId]) -> Option<RejoinGate> {
        let r = rejoin?;
        Some(RejoinGate {
            unheard: members.iter().copied().filter(|&m| m != me).collect(),
            max_term: r.vote_floor.unwrap_or(0),
            leader_commit: None,
            floor: r.vote_floor,
        })
    }

    /// Whether the core may see `msg` from `from`: vote requests are dropped while the node
    /// abstains and, afterwards, in terms up to the floor.
    pub fn admit<M: Inspect>(&mut self, from: NodeId, msg: &M) -> bool {
        let term = msg.term();
        if self.floor.is_none() {
            self.unheard.remove(&from);
            self.max_term = self.max_term.max(term);
            if let Some(c) = msg.leader_commit() {
                self.leader_commit = Some((term, c));
            }
        }
        !(msg.is_vote_request() && self.floor.is_none_or(|f| term <= f))
    }

    /// A member's answer to a term probe.
    pub fn heard_term(&mut self, from: NodeId, term: u64) {
        if self.floor.is_none() {
            self.unheard.remove(&from);
            self.max_term = self.max_term.max(term);
        }
    }

    /// Members to probe: none once the floor is set.
    pub fn unheard(&self) -> Vec<NodeId> {
        if self.floor.is_some() {
            return Vec::new();
        }
        self.unheard.iter().copied().collect()
    }

    /// Whether an election timeout may start a campaign (in term `core_term + 1`).
    pub fn may_campaign(&self, core_term: u64) -> bool {
        self.floor.is_some_and(|f| core_term >= f)
    }

    /// After a batch: the floor, once, when the abstention ends (the caller persists it).
    pub fn ready(&mut self, committed: u64) -> Option<u64> {
        if self.floor.is_some() || !self.unheard.is_empty() {
            return None;
        }
        let (term, commit) = self.leader_commit?;
        if term >= self.max_term && committed >= commit {
            self.floor = Some(self.max_term);
            return self.floor;
        }
        None
    }

    pub fn floor(&self) -> Option<u64> {
        self.floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::Message as M;

    fn vote(term: u64) -> M {
        M::RequestVote {
            term,
            last_log_term: 0,
            last_log_index: 0,
        }
    }

    fn append(term: u64, commit: u64) -> M {
        M::AppendEntries {
            term,
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: commit,
        }
    }

    #[test]
    fn a_rebuilt_node_abstains_until_it_heard_everyone_and_caught_up() {
        let mut g = RejoinGate::new(Some(Rejoin::default()), 0, &[0, 1, 2]).unwrap();
        assert!(!g.admit(1, &vote(3)), "no vote while abstaining");
        assert!(!g.may_campaign(9));
        assert!(g.admit(1, &append(3, 5)));
        assert_eq!(g.ready(5), None, "node 2 not heard from yet");
        // Node 2 (partitioned from the leader, say) is at term 7: the lost vote may be there.
        assert!(g.admit(
            2,
            &M::RequestVoteResponse {
                term: 7,
                granted: false
            }
        ));
        assert_eq!(g.ready(5), None, "no leader seen in a term >= 7");
        assert!(g.admit(1, &append(8, 9)));
        assert_eq!(g.ready(8), None, "not caught up with the commit point");
        assert_eq!(g.ready(9), Some(8));
        assert_eq!(g.ready(9), None, "reported once");
        assert!(
            !g.admit(2, &vote(8)),
            "no vote in a term it may have voted in"
        );
        assert!(g.admit(2, &vote(9)));
        assert!(!g.may_campaign(7) && g.may_campaign(8));
        assert!(RejoinGate::new(None, 0, &[0, 1]).is_none());
    }
}
