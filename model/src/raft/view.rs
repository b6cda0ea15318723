//! Raft's typed views for presentation (see [`crate::view`]): servers, messages, steps.

use super::state::*;
use super::Action;
use crate::view::*;

pub(super) const WORDS: Vocabulary = Vocabulary {
    t: "t",
    term: "term",
    commit: "commit",
    commit_long: "commit index",
    control: None,
};

pub(super) fn cell(e: &Entry) -> LogCell {
    LogCell {
        term: Some(e.term.into()),
        value: CellValue::Client(e.value.into()),
    }
}

pub(super) fn server_view(s: &Server) -> ServerView {
    ServerView {
        role: format!("{:?}", s.role),
        term: Some(s.term.into()),
        voted_for: s.voted_for.map(i64::from),
        leader: None,
        log: s.log.iter().map(cell).collect(),
        commit: Some(s.commit_index.into()),
        down: false,
    }
}

fn flag(on: bool, yes: &'static str, no: &'static str) -> FieldValue {
    FieldValue::Flag { on, yes, no }
}

/// A message as pictures show it.
pub(super) fn msg_view(m: &Msg) -> MsgView {
    MsgView::of(m, m.kind(), fields(m))
}

fn fields(m: &Msg) -> Vec<Field> {
    let pos = |i: Index, t: Term| FieldValue::Position {
        index: i.into(),
        term: t.into(),
    };
    let mut out = vec![Field::new("term", FieldValue::Term(m.term().into()))];
    match m {
        Msg::RequestVote(RequestVote {
            last_log_term,
            last_log_index,
            ..
        }) => out.push(Field::new("last", pos(*last_log_index, *last_log_term))),
        Msg::RequestVoteResponse(RequestVoteResponse { granted, .. }) => {
            out.push(Field::new("granted", flag(*granted, "granted", "denied")))
        }
        Msg::AppendEntries(AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        }) => out.extend([
            Field::new("prev", pos(*prev_log_index, *prev_log_term)),
            Field::new(
                "entries",
                FieldValue::Cells(entries.iter().map(cell).collect()),
            ),
            Field::new("commit", FieldValue::Int((*leader_commit).into())),
        ]),
        Msg::AppendEntriesResponse(AppendEntriesResponse {
            success,
            match_index,
            ..
        }) => out.extend([
            Field::new("success", flag(*success, "ok", "rejected")),
            Field::new("match", FieldValue::Int((*match_index).into())),
        ]),
        Msg::Heartbeat(Heartbeat { commit, .. }) => {
            out.push(Field::new("commit", FieldValue::Int((*commit).into())))
        }
        Msg::HeartbeatResponse(_) => {}
        Msg::AppendEntriesReject(AppendEntriesReject {
            rejected,
            hint_index,
            hint_term,
            ..
        }) => out.extend([
            Field::new("rejected", FieldValue::Int((*rejected).into())),
            Field::new("hint", pos(*hint_index, *hint_term)),
        ]),
    }
    out
}

/// What a step is, for pictures.
pub(super) fn event_view(a: &Action) -> EventView {
    match a {
        Action::Deliver(m) => EventView::Deliver(msg_view(m)),
        Action::Drop(m) => EventView::Drop(msg_view(m)),
        Action::Duplicate(m) => EventView::Duplicate(msg_view(m)),
        Action::ElectionTimeout(s) => EventView::timer(*s, "election timeout"),
        Action::HeartbeatTimeout(s) => EventView::timer(*s, "heartbeat timeout"),
        Action::RequestVote(s, to) | Action::AppendEntries(s, to) => EventView::Local {
            server: Some(*s as usize),
            text: format!("sends {} to S{to}", a.name()),
        },
        Action::ClientRequest(s, v) => EventView::client(*s, *v),
        Action::Restart(s) => EventView::restart(*s),
    }
}
