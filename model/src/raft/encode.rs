//! Raft's parts in traces (ITF records, no nulls) and pictures; the state record around them
//! and the [`crate::spec::Spec`] plumbing are [`crate::protocol`]'s.

use super::state::*;
use super::{Action, Raft};
use crate::protocol::Shows;
use crate::spec::itf_option;
use crate::view::{EventView, LogCell, MsgView, ServerView, Vocabulary};
use serde_json::{json, Value};

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Follower => "Follower",
        Role::Candidate => "Candidate",
        Role::Leader => "Leader",
    }
}

impl Shows for Raft {
    const WORDS: Vocabulary = super::view::WORDS;

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

    fn committed_json(c: &Committed) -> Value {
        json!({"term": c.entry.term, "value": c.entry.value, "inTerm": c.in_term})
    }

    fn server_picture(s: &Server) -> ServerView {
        super::view::server_view(s)
    }

    fn msg_picture(m: &Msg) -> MsgView {
        super::view::msg_view(m)
    }

    fn entry_cell(e: &Entry) -> LogCell {
        super::view::cell(e)
    }

    fn event_view(a: &Action) -> EventView {
        super::view::event_view(a)
    }
}
