//! Human-readable action labels: who does what to whom, in protocol terms.

use crate::raft::{Action, Entry, Msg};

fn entries(es: &[Entry]) -> String {
    let cells: Vec<String> = es
        .iter()
        .map(|e| format!("(t{},v{})", e.term, e.value))
        .collect();
    format!("[{}]", cells.join(","))
}

/// A Raft message in protocol terms.
pub fn raft_msg(m: &Msg) -> String {
    match m {
        Msg::RequestVote {
            from,
            to,
            term,
            last_log_term,
            last_log_index,
        } => format!(
            "RequestVote S{from}→S{to} {{term {term}, lastLogTerm {last_log_term}, lastLogIndex {last_log_index}}}"
        ),
        Msg::RequestVoteResponse {
            from,
            to,
            term,
            granted,
        } => format!(
            "RequestVoteResponse S{from}→S{to} {{term {term}, {}}}",
            if *granted { "granted" } else { "denied" }
        ),
        Msg::AppendEntries {
            from,
            to,
            term,
            prev_log_index,
            prev_log_term,
            entries: es,
            leader_commit,
        } => format!(
            "AppendEntries S{from}→S{to} {{term {term}, prevLogIndex {prev_log_index}, prevLogTerm {prev_log_term}, entries {}, leaderCommit {leader_commit}}}",
            entries(es)
        ),
        Msg::AppendEntriesResponse {
            from,
            to,
            term,
            success,
            match_index,
        } => format!(
            "AppendEntriesResponse S{from}→S{to} {{term {term}, {}, matchIndex {match_index}}}",
            if *success { "success" } else { "failure" }
        ),
    }
}

/// A Raft action in protocol terms.
pub fn raft_action(a: &Action) -> String {
    match a {
        Action::Deliver(m) => format!(
            "S{} handles {}",
            crate::network::Envelope::to(m),
            raft_msg(m)
        ),
        Action::Drop(m) => format!("network drops {}", raft_msg(m)),
        Action::Duplicate(m) => format!("network duplicates {}", raft_msg(m)),
        Action::ElectionTimeout(s) => format!("S{s} election timeout: starts an election"),
        Action::HeartbeatTimeout(s) => format!("S{s} heartbeat timeout: sends AppendEntries"),
        Action::RequestVote(s, to) => format!("candidate S{s} sends RequestVote to S{to}"),
        Action::AppendEntries(s, to) => format!("leader S{s} sends AppendEntries to S{to}"),
        Action::ClientRequest(s, v) => format!("client asks leader S{s} to append v{v}"),
        Action::Restart(s) => format!("S{s} crashes and restarts from disk"),
    }
}
