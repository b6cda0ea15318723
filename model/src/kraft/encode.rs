//! KRaft as a [`Spec`]: how its states and actions appear in traces (ITF records, no nulls).
//! Server fields use the names a variant-independent renderer reads: `role`, `epoch`,
//! `votedFor`, `leader`, `log` (records with `epoch` and `value`; value 0 is the LeaderChange
//! control record) and `highWatermark`.

use super::state::*;
use super::{Action, KraftModel};
use crate::bounds::Bounds;
use crate::bugs::Bug;
use crate::spec::{itf_option, Spec, Variant};
use serde_json::{json, Value};

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

impl Spec for KraftModel {
    fn variant(&self) -> Variant {
        Variant::Kraft
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
    fn state_json(&self, st: &KraftState) -> Value {
        let n = st.servers.len();
        json!({
            "servers": st.servers.iter().map(|s| server_json(s, n)).collect::<Vec<_>>(),
            "network": st.network.in_flight.iter().map(|(m, c)| json!({"msg": m, "copies": c})).collect::<Vec<_>>(),
            "committed": st.committed.iter().map(|c| json!({"epoch": c.entry.epoch, "value": c.entry.value, "inEpoch": c.in_epoch})).collect::<Vec<_>>(),
            "commitConflict": st.commit_conflict,
            "restarts": st.restarts,
        })
    }
    fn vocabulary(&self) -> crate::view::Vocabulary {
        super::view::WORDS
    }
    fn state_view(&self, st: &KraftState) -> crate::view::StateView {
        super::view::state_view(st)
    }
    fn event_view(&self, action: &Action) -> crate::view::EventView {
        super::view::event_view(action)
    }
    fn for_checking(&self) -> Self {
        KraftModel {
            latches: crate::latch::Latches::armed(),
            ..self.clone()
        }
    }
}
