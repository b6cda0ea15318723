//! The sanity invariants (indices in range, entry terms/epochs not above the current one, logs
//! ordered by term/epoch, leader bookkeeping within the leader's log) can fail: each is judged
//! on a hand-built state that breaks it, and holds on the same state unbroken. One is also
//! reported end to end by the checker on a catalog bug whose HW runs past the log end.

use raftspec_model::bounds::{Bounds, NetworkSemantics};
use raftspec_model::check::{check, CheckOptions, Stop, Verdict};
use raftspec_model::kraft::{self, KraftModel, KraftState};
use raftspec_model::raft::{self, RaftModel, RaftState};
use raftspec_model::Bug;
use stateright::{Expectation, Model};

fn bounds() -> Bounds {
    Bounds {
        servers: 3,
        max_term: 2,
        max_log: 1,
        values: 1,
        max_restarts: 0,
        network: NetworkSemantics {
            drop: false,
            reorder: true,
            max_copies: 1,
            max_in_flight: 3,
            max_drops: None,
        },
        options: Default::default(),
    }
}

/// The verdict of the named `Always` property on one state (unarmed model: plain evaluation).
fn holds<M: Model>(model: &M, name: &str, s: &M::State) -> bool {
    let p = model
        .properties()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("the model has a property {name}"));
    assert!(matches!(p.expectation, Expectation::Always), "{name}");
    (p.condition)(model, s)
}

/// Every `Always` property that fails on `s`.
fn failing<M: Model>(model: &M, s: &M::State) -> Vec<&'static str> {
    model
        .properties()
        .into_iter()
        .filter(|p| matches!(p.expectation, Expectation::Always) && !(p.condition)(model, s))
        .map(|p| p.name)
        .collect()
}

/// Raft: S0 leads term 2 with log [(1,1), (2,1)], S1 holds [(1,1)] committed; S2 is empty.
fn raft_state(model: &RaftModel) -> RaftState {
    let mut st = model.init_states().remove(0);
    let e = |term| raft::Entry { term, value: 1 };
    let l = &mut st.servers[0];
    l.term = 2;
    l.role = raft::Role::Leader;
    l.voted_for = Some(0);
    l.log.push(e(1));
    l.log.push(e(2));
    l.commit_index = 1;
    l.next_index = [3, 2, 1, 1, 1];
    l.match_index = [0, 1, 0, 0, 0];
    let f = &mut st.servers[1];
    f.term = 2;
    f.log.push(e(1));
    f.commit_index = 1;
    st.servers[2].term = 1;
    st.committed.push(raft::Committed {
        entry: e(1),
        in_term: 1,
    });
    st
}

#[test]
fn raft_sanity_invariants_hold_on_a_sound_state() {
    let model = RaftModel::new(bounds(), None);
    let st = raft_state(&model);
    assert_eq!(failing(&model, &st), Vec::<&str>::new());
}

#[test]
fn raft_commit_index_past_the_log_is_reported() {
    let model = RaftModel::new(bounds(), None);
    let mut st = raft_state(&model);
    st.servers[1].commit_index = 2; // one entry in its log
    assert!(!holds(&model, "CommitIndexInLog", &st));
    st.servers[1].commit_index = 1;
    st.servers[2].commit_index = 1; // an empty log
    assert!(!holds(&model, "CommitIndexInLog", &st));
}

#[test]
fn raft_entry_term_above_current_is_reported() {
    let model = RaftModel::new(bounds(), None);
    let mut st = raft_state(&model);
    st.servers[1].term = 0; // holds an entry of term 1
    assert!(!holds(&model, "EntryTermsNotAboveCurrent", &st));
}

#[test]
fn raft_log_terms_going_down_are_reported() {
    let model = RaftModel::new(bounds(), None);
    let mut st = raft_state(&model);
    st.servers[1].log[0].term = 2;
    st.servers[1].log.push(raft::Entry { term: 1, value: 1 });
    assert!(holds(&model, "EntryTermsNotAboveCurrent", &st));
    assert!(!holds(&model, "LogTermsMonotonic", &st));
}

#[test]
fn raft_leader_indices_out_of_range_are_reported() {
    let model = RaftModel::new(bounds(), None);
    for (field, peer, value) in [
        ("next", 1, 4), // past last + 1 = 3
        ("next", 2, 0), // below 1
        ("match", 1, 3),
        ("match", 2, 3), // past the leader's last index 2
    ] {
        let mut st = raft_state(&model);
        let l = &mut st.servers[0];
        match field {
            "next" => l.next_index[peer] = value,
            _ => l.match_index[peer] = value,
        }
        assert!(
            !holds(&model, "LeaderIndicesInRange", &st),
            "{field}Index[{peer}] = {value}"
        );
    }
    // The same indices on a follower mean nothing (the view normalises them).
    let mut st = raft_state(&model);
    st.servers[1].next_index[0] = 9;
    st.servers[1].match_index[0] = 9;
    assert!(holds(&model, "LeaderIndicesInRange", &st));
}

/// KRaft: S0 leads epoch 2 with log [LC(1), (1,v1), LC(2)], HW 2, epoch start 2, S1 (its
/// follower) holds the first two records, HW 2.
fn kraft_state(model: &KraftModel) -> KraftState {
    let mut st = model.init_states().remove(0);
    let lc = |epoch| kraft::Entry {
        epoch,
        value: kraft::LEADER_CHANGE,
    };
    let data = kraft::Entry { epoch: 1, value: 1 };
    let l = &mut st.servers[0];
    l.epoch = 2;
    l.role = kraft::Role::Leader;
    l.voted_for = Some(0);
    l.leader = Some(0);
    l.log.push(lc(1));
    l.log.push(data);
    l.log.push(lc(2));
    l.hw = 2;
    l.epoch_start = 2;
    l.end_offsets = [0, 2, 0, 0, 0];
    let f = &mut st.servers[1];
    f.epoch = 2;
    f.role = kraft::Role::Follower;
    f.voted_for = Some(0);
    f.leader = Some(0);
    f.log.push(lc(1));
    f.log.push(data);
    f.hw = 2;
    st.servers[2].epoch = 1;
    st.committed.push(kraft::Committed {
        entry: lc(1),
        in_term: 1,
    });
    st.committed.push(kraft::Committed {
        entry: data,
        in_term: 1,
    });
    st
}

#[test]
fn kraft_sanity_invariants_hold_on_a_sound_state() {
    let model = KraftModel::new(bounds(), None);
    let st = kraft_state(&model);
    assert_eq!(failing(&model, &st), Vec::<&str>::new());
}

#[test]
fn kraft_high_watermark_past_the_log_is_reported() {
    let model = KraftModel::new(bounds(), None);
    let mut st = kraft_state(&model);
    st.servers[1].hw = 3; // LEO 2
    assert!(!holds(&model, "HighWatermarkInLog", &st));
    st.servers[1].hw = 2;
    st.servers[2].hw = 1; // an empty log
    assert!(!holds(&model, "HighWatermarkInLog", &st));
}

#[test]
fn kraft_entry_epoch_above_current_is_reported() {
    let model = KraftModel::new(bounds(), None);
    let mut st = kraft_state(&model);
    st.servers[1].epoch = 0;
    assert!(!holds(&model, "EntryEpochsNotAboveCurrent", &st));
}

#[test]
fn kraft_log_epochs_going_down_are_reported() {
    let model = KraftModel::new(bounds(), None);
    let mut st = kraft_state(&model);
    st.servers[1].log[0].epoch = 2;
    assert!(holds(&model, "EntryEpochsNotAboveCurrent", &st));
    assert!(!holds(&model, "LogEpochsMonotonic", &st));
}

#[test]
fn kraft_leader_offsets_out_of_log_are_reported() {
    let model = KraftModel::new(bounds(), None);
    let breaks: [fn(&mut kraft::Server); 4] = [
        |l| l.epoch_start = 3,    // at LEO: past the log
        |l| l.epoch_start = 1,    // a data record, not its LeaderChange
        |l| l.epoch_start = 0,    // the LeaderChange of another epoch
        |l| l.end_offsets[1] = 4, // a voter past the leader's LEO 3
    ];
    for (i, break_it) in breaks.iter().enumerate() {
        let mut st = kraft_state(&model);
        break_it(&mut st.servers[0]);
        assert!(!holds(&model, "LeaderOffsetsInLog", &st), "case {i}");
    }
}

/// End to end: FollowerHwUnclamped lets a follower take the leader's HW past its own log end;
/// the checker reports HighWatermarkInLog, not only the StateMachineSafety it leads to.
#[test]
fn checker_reports_a_high_watermark_past_the_log() {
    let row = raftspec_model::bugs::entry(raftspec_model::Variant::Kraft, Bug::FollowerHwUnclamped)
        .expect("a catalog row");
    let outcome = check(
        KraftModel::new(row.bounds.clone(), Some(Bug::FollowerHwUnclamped)),
        CheckOptions {
            stop: Stop::AtProperty("HighWatermarkInLog"),
            ..Default::default()
        },
    );
    let p = outcome.report.property("HighWatermarkInLog").unwrap();
    assert_eq!(p.verdict, Verdict::Violated);
    let correct = check(KraftModel::new(row.bounds, None), CheckOptions::default());
    assert_eq!(
        correct
            .report
            .property("HighWatermarkInLog")
            .unwrap()
            .verdict,
        Verdict::Holds
    );
}
