//! KRaft's typed views for presentation (see [`crate::view`]): servers, messages, steps.

use super::state::*;
use super::Action;
use crate::view::*;

pub(super) const WORDS: Vocabulary = Vocabulary {
    t: "e",
    term: "epoch",
    commit: "HW",
    commit_long: "high watermark",
    control: Some(("LC", "the LeaderChange control record a new leader appends")),
};

pub(super) fn cell(e: &Entry) -> LogCell {
    LogCell {
        term: Some(e.epoch.into()),
        value: if e.is_data() {
            CellValue::Client(e.value.into())
        } else {
            CellValue::Control("LC".into())
        },
    }
}

pub(super) fn server_view(s: &Server) -> ServerView {
    ServerView {
        role: s.role.name().to_string(),
        term: Some(s.epoch.into()),
        voted_for: s.voted_for.map(i64::from),
        leader: s.leader.map(i64::from),
        log: s.log.iter().map(cell).collect(),
        commit: Some(s.hw.into()),
        down: false,
    }
}

fn pos(index: Offset, term: Epoch) -> FieldValue {
    FieldValue::Position {
        index: index.into(),
        term: term.into(),
    }
}

fn result(r: &FetchResult) -> FieldValue {
    match r {
        FetchResult::Records {
            fetch_offset,
            last_fetched_epoch,
            records,
            high_watermark,
        } => FieldValue::Variant(
            "Records".into(),
            vec![
                Field::new("fetch", pos(*fetch_offset, *last_fetched_epoch)),
                Field::new(
                    "records",
                    FieldValue::Cells(records.iter().map(cell).collect()),
                ),
                Field::new("HW", FieldValue::MaybeInt(high_watermark.map(i64::from))),
            ],
        ),
        FetchResult::DivergingEpoch {
            fetch_offset,
            last_fetched_epoch,
            epoch,
            end_offset,
        } => FieldValue::Variant(
            "DivergingEpoch".into(),
            vec![
                Field::new("fetch", pos(*fetch_offset, *last_fetched_epoch)),
                Field::new("diverging", pos(*end_offset, *epoch)),
            ],
        ),
        FetchResult::Error { error } => FieldValue::Text(format!("{error:?}")),
    }
}

/// A message as pictures show it.
pub(super) fn msg_view(m: &Msg) -> MsgView {
    MsgView::of(m, m.kind(), fields(m))
}

fn fields(m: &Msg) -> Vec<Field> {
    let mut out = vec![Field::new("epoch", FieldValue::Term(m.epoch().into()))];
    match m {
        Msg::Vote(Vote {
            last_epoch,
            last_offset,
            ..
        }) => out.push(Field::new("last", pos(*last_offset, *last_epoch))),
        Msg::VoteResponse(VoteResponse {
            leader, granted, ..
        }) => out.extend([
            Field::new("leader", server(*leader)),
            Field::new(
                "granted",
                FieldValue::Flag {
                    on: *granted,
                    yes: "granted",
                    no: "refused",
                },
            ),
        ]),
        Msg::BeginQuorumEpoch(_) => {}
        Msg::EndQuorumEpoch(EndQuorumEpoch { successors, .. }) => out.push(Field::new(
            "successors",
            FieldValue::Servers(successors.iter().map(|&s| s.into()).collect()),
        )),
        Msg::Fetch(Fetch {
            fetch_offset,
            last_fetched_epoch,
            ..
        }) => out.push(Field::new("fetch", pos(*fetch_offset, *last_fetched_epoch))),
        Msg::FetchResponse(FetchResponse {
            leader, result: r, ..
        }) => out.extend([
            Field::new("leader", server(*leader)),
            Field::new("result", result(r)),
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
        Action::SendFetch(s) => EventView::timer(*s, "send fetch"),
        Action::CheckQuorumTimeout(s) => EventView::timer(*s, "check quorum timeout"),
        Action::ClientRequest(s, v) => EventView::client(*s, *v),
        Action::Restart(s) => EventView::restart(*s),
        Action::SendVoteRequest(s, to) => EventView::Local {
            server: Some(*s as usize),
            text: format!("sends Vote to S{to}"),
        },
        Action::SendBeginQuorumEpoch(s, to) => EventView::Local {
            server: Some(*s as usize),
            text: format!("sends BeginQuorumEpoch to S{to}"),
        },
    }
}
