//! Raft as a [`Spec`]: how its states and actions appear in traces (ITF records, no nulls).

use super::state::*;
use super::{Action, RaftModel};
use crate::bounds::Bounds;
use crate::bugs::Bug;
use crate::spec::{itf_option, Spec, Variant};
use serde_json::{json, Value};

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Follower => "Follower",
        Role::Candidate => "Candidate",
        Role::Leader => "Leader",
    }
}

fn server_json(s: &Server, n: usize) -> Value {
    json!({
        "role": role_name(s.role),
        "term": s.term,
        "votedFor": itf_option(s.voted_for),
        "log": s.log.iter().map(|e| json!({"term": e.term, "value": e.value})).collect::<Vec<_>>(),
        "commitIndex": s.commit_index,
        "votesGranted": (0..n as u8).filter(|i| s.votes_granted & (1 << i) != 0).collect::<Vec<_>>(),
        "nextIndex": &s.next_index[..n],
        "matchIndex": &s.match_index[..n],
    })
}

impl Spec for RaftModel {
    fn variant(&self) -> Variant {
        Variant::Raft
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    fn bug(&self) -> Option<Bug> {
        self.bug
    }
    fn action_name(&self, action: &Action) -> &'static str {
        action.name()
    }
    fn state_json(&self, st: &RaftState) -> Value {
        let n = st.servers.len();
        json!({
            "servers": st.servers.iter().map(|s| server_json(s, n)).collect::<Vec<_>>(),
            "network": st.network.in_flight.iter().map(|(m, c)| json!({"msg": m, "copies": c})).collect::<Vec<_>>(),
            "committed": st.committed.iter().map(|c| json!({"term": c.entry.term, "value": c.entry.value, "inTerm": c.in_term})).collect::<Vec<_>>(),
            "commitConflict": st.commit_conflict,
            "restarts": st.restarts,
        })
    }
    fn vocabulary(&self) -> crate::view::Vocabulary {
        super::view::WORDS
    }
    fn state_view(&self, st: &RaftState) -> crate::view::StateView {
        super::view::state_view(st)
    }
    fn event_view(&self, action: &Action) -> crate::view::EventView {
        super::view::event_view(action)
    }
    fn for_checking(&self) -> Self {
        RaftModel {
            latches: crate::latch::Latches::armed(),
            ..self.clone()
        }
    }
}
