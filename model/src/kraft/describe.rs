//! Human-readable KRaft action labels: who does what to whom, in protocol terms.

use super::state::*;
use super::Action;
use crate::network::Envelope;

fn record(e: &Entry) -> String {
    if e.is_data() {
        format!("(e{},v{})", e.epoch, e.value)
    } else {
        format!("(e{},LeaderChange)", e.epoch)
    }
}

fn leader(l: Option<ServerId>) -> String {
    l.map_or("none".to_string(), |l| format!("S{l}"))
}

/// What a Fetch response says, in protocol terms.
fn fetch_result(result: &FetchResult) -> String {
    match result {
        FetchResult::Records {
            fetch_offset,
            records,
            high_watermark,
            ..
        } => {
            let rs: Vec<String> = records.iter().map(record).collect();
            let hw = high_watermark.map_or("none".to_string(), |h| h.to_string());
            format!(
                "records [{}] from offset {fetch_offset}, highWatermark {hw}",
                rs.join(",")
            )
        }
        FetchResult::DivergingEpoch {
            fetch_offset,
            epoch: e,
            end_offset,
            ..
        } => format!(
            "DivergingEpoch {{epoch {e}, endOffset {end_offset}}} for fetchOffset {fetch_offset}"
        ),
        FetchResult::Error { error } => match error {
            FetchError::FencedLeaderEpoch => "FENCED_LEADER_EPOCH".to_string(),
            FetchError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER".to_string(),
        },
    }
}

/// A KRaft message in protocol terms.
pub fn kraft_msg(m: &Msg) -> String {
    let (from, to) = (m.from(), m.to());
    match m {
        Msg::Vote(Vote {
            epoch,
            last_epoch,
            last_offset,
            ..
        }) => format!(
            "Vote S{from}→S{to} {{epoch {epoch}, lastOffsetEpoch {last_epoch}, lastOffset {last_offset}}}"
        ),
        Msg::VoteResponse(VoteResponse {
            epoch,
            leader: l,
            granted,
            ..
        }) => format!(
            "VoteResponse S{from}→S{to} {{epoch {epoch}, leader {}, {}}}",
            leader(*l),
            if *granted { "granted" } else { "refused" }
        ),
        Msg::BeginQuorumEpoch(BeginQuorumEpoch { epoch, .. }) => {
            format!("BeginQuorumEpoch S{from}→S{to} {{epoch {epoch}, leader S{from}}}")
        }
        Msg::EndQuorumEpoch(EndQuorumEpoch {
            epoch, successors, ..
        }) => {
            let names: Vec<String> = successors.iter().map(|v| format!("S{v}")).collect();
            format!(
                "EndQuorumEpoch S{from}→S{to} {{epoch {epoch}, leader S{from}, preferredSuccessors [{}]}}",
                names.join(",")
            )
        }
        Msg::Fetch(Fetch {
            epoch,
            fetch_offset,
            last_fetched_epoch,
            ..
        }) => format!(
            "Fetch S{from}→S{to} {{epoch {epoch}, fetchOffset {fetch_offset}, lastFetchedEpoch {last_fetched_epoch}}}"
        ),
        Msg::FetchResponse(FetchResponse {
            epoch,
            leader: l,
            result,
            ..
        }) => {
            let body = fetch_result(result);
            format!(
                "FetchResponse S{from}→S{to} {{epoch {epoch}, leader {}, {body}}}",
                leader(*l)
            )
        }
    }
}

/// A KRaft action in protocol terms.
pub fn kraft_action(a: &Action) -> String {
    match a {
        Action::Deliver(m) => format!("S{} handles {}", m.to(), kraft_msg(m)),
        Action::Drop(m) => format!("network drops {}", kraft_msg(m)),
        Action::Duplicate(m) => format!("network duplicates {}", kraft_msg(m)),
        Action::ElectionTimeout(s) => {
            format!("S{s} election timeout (a follower's fetch timeout): starts an election")
        }
        Action::SendFetch(s) => format!("S{s} fetch timer: sends Fetch to its leader"),
        Action::CheckQuorumTimeout(s) => {
            format!("S{s} check-quorum timeout: resigns and sends EndQuorumEpoch")
        }
        Action::ClientRequest(s, v) => format!("client asks leader S{s} to append v{v}"),
        Action::Restart(s) => format!("S{s} crashes and restarts from disk"),
        Action::SendVoteRequest(s, to) => format!("candidate S{s} sends Vote to S{to}"),
        Action::SendBeginQuorumEpoch(s, to) => {
            format!("leader S{s} sends BeginQuorumEpoch to S{to}")
        }
    }
}
