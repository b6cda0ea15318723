//! Human-readable action labels: who does what to whom, in protocol terms.

use crate::raft::{
    Action, AppendEntries, AppendEntriesReject, AppendEntriesResponse, Entry, Heartbeat,
    HeartbeatResponse, Msg, RequestVote, RequestVoteResponse,
};

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
        Msg::RequestVote(RequestVote {
            from,
            to,
            term,
            last_log_term,
            last_log_index,
            commit,
            commit_term,
        }) => format!(
            "RequestVote S{from}→S{to} {{term {term}, lastLogTerm {last_log_term}, lastLogIndex {last_log_index}{}}}",
            commit_info(*commit, *commit_term)
        ),
        Msg::RequestVoteResponse(RequestVoteResponse {
            from,
            to,
            term,
            granted,
            commit,
            commit_term,
        }) => format!(
            "RequestVoteResponse S{from}→S{to} {{term {term}, {}{}}}",
            if *granted { "granted" } else { "denied" },
            commit_info(*commit, *commit_term)
        ),
        Msg::AppendEntries(AppendEntries {
            from,
            to,
            term,
            prev_log_index,
            prev_log_term,
            entries: es,
            leader_commit,
        }) => format!(
            "AppendEntries S{from}→S{to} {{term {term}, prevLogIndex {prev_log_index}, prevLogTerm {prev_log_term}, entries {}, leaderCommit {leader_commit}}}",
            entries(es)
        ),
        Msg::AppendEntriesResponse(AppendEntriesResponse {
            from,
            to,
            term,
            success,
            match_index,
        }) => format!(
            "AppendEntriesResponse S{from}→S{to} {{term {term}, {}, matchIndex {match_index}}}",
            if *success { "success" } else { "failure" }
        ),
        Msg::Heartbeat(Heartbeat {
            from,
            to,
            term,
            commit,
        }) => format!("Heartbeat S{from}→S{to} {{term {term}, commit {commit}}}"),
        Msg::HeartbeatResponse(HeartbeatResponse { from, to, term }) => {
            format!("HeartbeatResponse S{from}→S{to} {{term {term}}}")
        }
        Msg::AppendEntriesReject(AppendEntriesReject {
            from,
            to,
            term,
            rejected,
            hint_index,
            hint_term,
        }) => format!(
            "AppendEntriesResponse S{from}→S{to} {{term {term}, reject {rejected}, hint index {hint_index} term {hint_term}}}"
        ),
    }
}

/// raft-rs's commit information on a vote message, when there is any.
fn commit_info(commit: u8, commit_term: u8) -> String {
    if commit == 0 && commit_term == 0 {
        String::new()
    } else {
        format!(", commit {commit} (term {commit_term})")
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
