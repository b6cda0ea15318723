//! KRaft's safety properties (`Always`) and the witnesses (`Sometimes`) that keep a pass from
//! being vacuous. Names as in ../shared/protocols.md.

use super::state::*;
use super::KraftModel;
use crate::bounds::MAX_SERVERS;
use arrayvec::ArrayVec;
use stateright::Property;

pub(crate) fn all() -> Vec<Property<KraftModel>> {
    type S = KraftState;
    type M = KraftModel;
    vec![
        Property::always("ElectionSafety", |m: &M, s: &S| {
            m.latches.holds(0, || election_safety(s))
        }),
        Property::always("ElectionSafetyView", |m: &M, s: &S| {
            m.latches.holds(1, || leader_views_agree(s))
        }),
        Property::always("LogMatching", |m: &M, s: &S| {
            m.latches.holds(2, || log_matching(s))
        }),
        Property::always("LeaderCompleteness", |m: &M, s: &S| {
            m.latches.holds(3, || leader_completeness(s))
        }),
        Property::always("StateMachineSafety", |m: &M, s: &S| {
            m.latches.holds(4, || state_machine_safety(s))
        }),
        Property::always("CommittedEntriesReachMajority", |m: &M, s: &S| {
            m.latches
                .holds(5, || committed_reach_majority(s, m.bounds.majority()))
        }),
        Property::always("MonotonicHighWatermark", |m: &M, s: &S| {
            m.latches.holds(6, || s.marker & marker::HW_REGRESSED == 0)
        }),
        Property::always("NoIllegalState", |m: &M, s: &S| {
            m.latches.holds(7, || s.marker & marker::ILLEGAL == 0)
        }),
        Property::always("HighWatermarkInLog", |m: &M, s: &S| {
            m.latches.holds(13, || high_watermark_in_log(s))
        }),
        Property::always("EntryEpochsNotAboveCurrent", |m: &M, s: &S| {
            m.latches.holds(14, || entry_epochs_not_above_current(s))
        }),
        Property::always("LogEpochsMonotonic", |m: &M, s: &S| {
            m.latches.holds(15, || log_epochs_monotonic(s))
        }),
        Property::always("LeaderOffsetsInLog", |m: &M, s: &S| {
            m.latches.holds(16, || leader_offsets_in_log(s))
        }),
        Property::sometimes("LeaderElected", |m: &M, s: &S| {
            m.latches
                .first(8, || s.servers.iter().any(|v| v.role == Role::Leader))
        }),
        Property::sometimes("EntryCommitted", |m: &M, s: &S| {
            m.latches
                .first(9, || s.committed.iter().any(|c| c.entry.is_data()))
        }),
        Property::sometimes("TruncatedAfterDivergingEpoch", |m: &M, s: &S| {
            m.latches.first(10, || s.marker & marker::TRUNCATED != 0)
        }),
        Property::sometimes("FetchFenced", |m: &M, s: &S| {
            m.latches.first(11, || s.marker & marker::FETCH_FENCED != 0)
        }),
        Property::sometimes("LeaderResignedAndReplaced", |m: &M, s: &S| {
            m.latches
                .first(12, || s.marker & marker::REPLACED_RESIGNED != 0)
        }),
    ]
}

/// At most one leader per epoch.
fn election_safety(s: &KraftState) -> bool {
    let leaders = || s.servers.iter().filter(|v| v.role == Role::Leader);
    leaders().all(|a| leaders().filter(|b| b.epoch == a.epoch).count() == 1)
}

/// No two servers at one epoch believe in different leaders (a Leader or Resigned server
/// believes in itself, a Follower in the leader it fetches from).
fn leader_views_agree(s: &KraftState) -> bool {
    s.servers.iter().enumerate().all(|(i, a)| {
        s.servers[i + 1..].iter().all(|b| {
            a.epoch != b.epoch || a.leader.is_none() || b.leader.is_none() || a.leader == b.leader
        })
    })
}

/// Two logs with a record of the same offset and epoch agree on every record up to it.
fn log_matching(s: &KraftState) -> bool {
    crate::logs::log_matching(&logs(s), |e| e.epoch)
}

/// Every server's log (persisted, so crashed servers count too).
fn logs(s: &KraftState) -> ArrayVec<&[Entry], MAX_SERVERS> {
    s.servers.iter().map(|v| &v.log[..]).collect()
}

/// A leader holds every record committed in an earlier epoch.
fn leader_completeness(s: &KraftState) -> bool {
    crate::logs::leaders_complete(
        s.servers
            .iter()
            .filter(|v| v.role == Role::Leader)
            .map(|l| (l.epoch, &l.log[..])),
        s.committed.iter().map(|c| (&c.entry, c.in_epoch)),
    )
}

/// Every server holds the records below its HW (it cannot apply what it does not have), and
/// those committed prefixes agree with each other and with what leaders committed.
fn state_machine_safety(s: &KraftState) -> bool {
    let applied: ArrayVec<Option<&[Entry]>, MAX_SERVERS> = s
        .servers
        .iter()
        .map(|v| v.log.get(..v.hw as usize))
        .collect();
    !s.commit_conflict
        && crate::logs::applied_prefixes_agree(&applied, s.committed.iter().map(|c| &c.entry))
}

/// Every committed record is stored by a majority of voters.
fn committed_reach_majority(s: &KraftState, majority: usize) -> bool {
    crate::logs::stored_by_majority(s.committed.iter().map(|c| &c.entry), &logs(s), majority)
}

/// No server's HW is past its own log end offset (it cannot have committed records it does
/// not hold).
pub(crate) fn high_watermark_in_log(s: &KraftState) -> bool {
    s.servers.iter().all(|v| v.hw <= v.leo())
}

/// No record has an epoch above its server's current epoch: a leader appends in its own
/// epoch, and a follower fetches only from the leader of the epoch it has adopted.
pub(crate) fn entry_epochs_not_above_current(s: &KraftState) -> bool {
    s.servers
        .iter()
        .all(|v| v.log.iter().all(|e| e.epoch <= v.epoch))
}

/// The epochs along every log never decrease.
pub(crate) fn log_epochs_monotonic(s: &KraftState) -> bool {
    s.servers
        .iter()
        .all(|v| v.log.windows(2).all(|w| w[0].epoch <= w[1].epoch))
}

/// A leader's epoch start offset holds its own LeaderChange record (so epochStartOffset < LEO),
/// and no voter's end offset it tracks is past its own LEO (a valid Fetch never asks beyond
/// the leader's log, and a leader's log only grows within its epoch).
pub(crate) fn leader_offsets_in_log(s: &KraftState) -> bool {
    let n = s.servers.len();
    s.servers
        .iter()
        .filter(|v| v.role == Role::Leader)
        .all(|l| {
            l.log.get(l.epoch_start as usize)
                == Some(&Entry {
                    epoch: l.epoch,
                    value: LEADER_CHANGE,
                })
                && l.end_offsets[..n].iter().all(|&o| o <= l.leo())
        })
}
