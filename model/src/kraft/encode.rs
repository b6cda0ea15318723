//! KRaft's parts in traces (ITF records, no nulls) and pictures; the state record around them
//! and the [`crate::spec::Spec`] plumbing are [`crate::protocol`]'s. Server fields use the
//! names a variant-independent renderer reads: `role`, `epoch`, `votedFor`, `leader`, `log`
//! (records with `epoch` and `value`; value 0 is the LeaderChange control record) and
//! `highWatermark`.

use super::state::*;
use super::{Action, Kraft};
use crate::protocol::Shows;
use crate::spec::itf_option;
use crate::view::{EventView, LogCell, MsgView, ServerView, Vocabulary};
use serde_json::{json, Value};

impl Shows for Kraft {
    const WORDS: Vocabulary = super::view::WORDS;

    fn server_json(s: &Server, n: usize) -> Value {
        json!({
            "role": s.role.name(),
            "epoch": s.epoch,
            "votedFor": itf_option(s.voted_for),
            "leader": itf_option(s.leader),
            "log": s.log.iter().map(|e| json!({"epoch": e.epoch, "value": e.value})).collect::<Vec<_>>(),
            "highWatermark": s.hw,
            "votesGranted": (0..n as u8).filter(|i| s.votes & (1 << i) != 0).collect::<Vec<_>>(),
            "epochStartOffset": s.epoch_start,
            "endOffsets": &s.end_offsets[..n],
        })
    }

    fn committed_json(c: &Committed) -> Value {
        json!({"epoch": c.entry.epoch, "value": c.entry.value, "inEpoch": c.in_term})
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
