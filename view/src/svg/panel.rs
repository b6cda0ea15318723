//! Text beside and below the diagram: each step's label and changes, the final logs, the
//! entries acknowledged to clients, and the legend.

use super::lanes::{role_class, shade};
use super::{clip, esc, Layout};
use crate::story::Story;
use crate::text::{abbreviate, cell_value, role_text, term};
use raftspec_model::view::{ServerView, Vocabulary};
use std::fmt::Write as _;

/// Each step's label, and under it what changed (the last step also names the violation).
pub(crate) fn steps(o: &mut String, story: &Story, l: &Layout, violated: &[String]) {
    o.push_str(r#"<g class="steps">"#);
    let dx = l.desc_x();
    for (i, f) in story.frames.iter().enumerate() {
        let _ = write!(
            o,
            r#"<text class="action-label" x="{dx:.1}" y="{:.1}"><title>{}</title>{}</text>"#,
            l.y(i) - 2.0,
            esc(&f.label),
            esc(&clip(&f.label, (Layout::DESC_W / 6.1) as usize))
        );
        let last_violates = i + 1 == l.rows && !violated.is_empty();
        let detail = match (last_violates, f.changes.is_empty()) {
            (false, _) => f.changes.clone(),
            (true, true) => format!("✗ {} violated", violated.join(", ")),
            (true, false) => format!("✗ {} violated · {}", violated.join(", "), f.changes),
        };
        if detail.is_empty() {
            continue;
        }
        let class = if last_violates {
            "changes violated"
        } else {
            "changes"
        };
        let _ = write!(
            o,
            r#"<text class="{class}" x="{dx:.1}" y="{:.1}"><title>{}</title>{}</text>"#,
            l.y(i) + 10.0,
            esc(&detail),
            esc(&clip(&detail, (Layout::DESC_W / 5.4) as usize))
        );
    }
    o.push_str("</g>");
}

/// The final state: each server's role and log as cells, with the commit mark.
pub(crate) fn logs(o: &mut String, story: &Story, l: &Layout) {
    let w = &story.words;
    let _ = write!(
        o,
        r#"<g class="logs"><text class="panel-title" x="{}" y="{:.1}">After step {}: each server's log as ({}, value) cells; the red bar marks the {}</text>"#,
        Layout::PAD,
        l.panel_top + 12.0,
        l.rows.saturating_sub(1),
        w.term,
        w.commit_long
    );
    let Some(last) = story.frames.last() else {
        o.push_str("</g>");
        return;
    };
    for (s, sv) in last.state.servers.iter().enumerate() {
        server_row(
            o,
            s,
            sv,
            w,
            l.panel_top + 24.0 + Layout::PANEL_ROW * s as f64,
        );
    }
    acknowledged(o, story, l);
    o.push_str("</g>");
}

fn server_row(o: &mut String, s: usize, sv: &ServerView, w: &Vocabulary, y: f64) {
    let mut who = role_text(sv, w);
    if let Some(v) = sv.voted_for {
        let _ = write!(who, " · voted S{v}");
    }
    if let Some(ld) = sv.leader {
        let _ = write!(who, " · leader S{ld}");
    }
    let (x, ty) = (Layout::PAD, y + 17.0);
    let _ = write!(
        o,
        r#"<text class="sname" x="{x}" y="{ty:.1}">S{s}</text><text class="who" data-role="{}" x="{}" y="{ty:.1}">{}</text>"#,
        role_class(sv),
        x + 26.0,
        esc(&clip(&who, 34))
    );
    let x0 = x + 230.0;
    if sv.log.is_empty() {
        let _ = write!(
            o,
            r#"<text class="empty" x="{x0:.1}" y="{ty:.1}">(empty log)</text>"#
        );
    }
    let cw = Layout::CELL_W;
    for (k, c) in sv.log.iter().enumerate() {
        let (cx, mid) = (x0 + cw * k as f64, x0 + cw * k as f64 + cw / 2.0 - 1.0);
        let committed = if sv.commit.is_some_and(|m| (k as i64) < m) {
            " data-committed=\"1\""
        } else {
            ""
        };
        let _ = write!(
            o,
            r#"<rect class="log-cell"{}{committed} x="{cx:.1}" y="{y:.1}" width="{:.1}" height="26"/><text class="big-term" x="{mid:.1}" y="{:.1}">{}</text><text class="cell-value" x="{mid:.1}" y="{:.1}">{}</text><text class="cell-index" x="{:.1}" y="{:.1}">{}</text>"#,
            shade(c.term),
            cw - 2.0,
            y + 11.0,
            term(w, c.term),
            y + 22.0,
            esc(&clip(&cell_value(&c.value), 6)),
            cx + 1.0,
            y - 1.0,
            k + 1
        );
    }
    if let Some(c) = sv.commit {
        let cx = x0 + cw * c.clamp(0, 64) as f64 - 1.0;
        let _ = write!(
            o,
            r#"<line class="commit-mark" x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}"/><text class="commit-label" x="{:.1}" y="{ty:.1}">{} {c}</text>"#,
            y - 3.0,
            y + 29.0,
            x0 + cw * sv.log.len().max(c.clamp(0, 64) as usize) as f64 + 8.0,
            w.commit
        );
    }
}

/// The entries some leader acknowledged to clients, by index.
fn acknowledged(o: &mut String, story: &Story, l: &Layout) {
    let w = &story.words;
    let Some(last) = story
        .frames
        .last()
        .filter(|f| !f.state.acknowledged.is_empty())
    else {
        return;
    };
    let cells: Vec<String> = last
        .state
        .acknowledged
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let by =
                a.by.map(|x| format!(" by the leader of {}{x}", w.t))
                    .unwrap_or_default();
            let t = a.cell.term.map_or("?".into(), |t| t.to_string());
            format!(
                "index {}: ({}{t}, {}){by}",
                k + 1,
                w.t,
                cell_value(&a.cell.value)
            )
        })
        .collect();
    let _ = write!(
        o,
        r#"<text class="acked" x="{}" y="{:.1}">acknowledged to clients as committed: {}</text>"#,
        Layout::PAD,
        l.legend_top - 8.0,
        esc(&cells.join("; "))
    );
}

/// What the styles and marks mean, and the message abbreviations used.
pub(crate) fn legend(o: &mut String, story: &Story, l: &Layout, kinds: &[String]) {
    let mut lines = vec![
        "lifeline: grey follower, orange candidate, thick green leader, dashed red down".to_string(),
        "✕ crash/restart or dropped message · ○ stale message discarded unread · ○ on lifeline: timer or client request · dashed arrow: response".to_string(),
    ];
    let abbrevs: Vec<String> = kinds
        .iter()
        .filter(|k| abbreviate(k) != **k)
        .map(|k| format!("{} = {k}", abbreviate(k)))
        .collect();
    if !abbrevs.is_empty() {
        lines.push(abbrevs.join(", "));
    }
    if let Some((short, meaning)) = story.words.control {
        lines.push(format!("{short} = {meaning}"));
    }
    for (k, line) in lines.iter().enumerate() {
        let _ = write!(
            o,
            r#"<text class="legend" x="{}" y="{:.1}">{}</text>"#,
            Layout::PAD,
            l.legend_top + 10.0 + 13.0 * k as f64,
            esc(line)
        );
    }
}
