//! The diagram's frame and lifelines: step bands, server heads, lifelines styled by role,
//! local events, and badges where a role, term or log changes.

use super::style::SHADE_COUNT;
use super::{esc, Layout};
use crate::story::Story;
use crate::text::{actor, event_text, role_text, term};
use raftspec_model::view::{EventView, ServerView, Vocabulary};
use std::fmt::Write as _;

/// The role class of a server: `leader`, `candidate`, `follower`, `down` or `other`.
pub(crate) fn role_class(s: &ServerView) -> &'static str {
    let r = s.role.to_ascii_lowercase();
    if s.down {
        "down"
    } else if r.contains("leader") && !r.contains("follow") {
        "leader"
    } else if r.contains("candidate") || r.contains("prospective") {
        "candidate"
    } else if r.contains("follower") || r.contains("voted") {
        "follower"
    } else {
        "other"
    }
}

/// The shade attribute of a cell of term `t`.
pub(crate) fn shade(t: Option<i64>) -> String {
    match t {
        Some(t) if t >= 0 => format!(r#" data-shade="{}""#, t as usize % SHADE_COUNT),
        _ => String::new(),
    }
}

pub(crate) fn bands(o: &mut String, l: &Layout, violated: &[String]) {
    let w = l.width - 2.0 * Layout::PAD;
    for i in 0..l.rows {
        let class = if i + 1 == l.rows && !violated.is_empty() {
            "band violated"
        } else if i % 2 == 0 {
            "band even"
        } else {
            "band"
        };
        let _ = write!(
            o,
            r#"<rect class="{class}" x="{}" y="{:.1}" width="{w:.1}" height="30"/><text class="stepno" x="{:.1}" y="{:.1}">{i}</text>"#,
            Layout::PAD,
            l.row_top(i),
            l.num_x(),
            l.y(i) + 4.0
        );
    }
}

pub(crate) fn heads(o: &mut String, l: &Layout) {
    for s in 0..l.n {
        let x = l.lane(s);
        let _ = write!(
            o,
            r#"<rect class="head" x="{:.1}" y="46" width="40" height="20" rx="4"/><text class="lifeline-head" x="{x:.1}" y="60">S{s}</text>"#,
            x - 20.0
        );
    }
}

/// One segment per server and step, styled by the role after that step.
pub(crate) fn lifelines(o: &mut String, story: &Story, l: &Layout) {
    o.push_str(r#"<g class="lifelines">"#);
    for s in 0..l.n {
        let x = l.lane(s);
        for (i, f) in story.frames.iter().enumerate() {
            let Some(sv) = f.state.servers.get(s) else {
                continue;
            };
            let y0 = if i == 0 { 66.0 } else { l.y(i) };
            let y1 = if i + 1 == l.rows {
                l.diagram_bottom()
            } else {
                l.y(i + 1)
            };
            let _ = write!(
                o,
                r#"<line class="lifeline" data-server="{s}" data-role="{}" x1="{x:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{y1:.1}"/>"#,
                role_class(sv)
            );
        }
    }
    o.push_str("</g>");
}

/// Timers, client requests, crashes and restarts, on the lifeline of their server.
pub(crate) fn events(o: &mut String, story: &Story, l: &Layout) {
    o.push_str(r#"<g class="events">"#);
    for (i, f) in story.frames.iter().enumerate() {
        let Some(e) = &f.event else { continue };
        let Some(s) = actor(e).filter(|s| *s < l.n) else {
            continue;
        };
        let (x, y) = (l.lane(s), l.y(i));
        let fault = matches!(e, EventView::Crash { .. } | EventView::Recover { .. });
        if fault {
            let _ = write!(
                o,
                r#"<text class="crash" x="{x:.1}" y="{:.1}">✕</text>"#,
                y + 6.0
            );
        } else {
            let _ = write!(
                o,
                r#"<g class="event"><circle cx="{x:.1}" cy="{y:.1}" r="4.5"/></g>"#
            );
        }
        let class = if fault {
            "event-label fault"
        } else {
            "event-label"
        };
        let _ = write!(
            o,
            r#"<text class="{class}" x="{:.1}" y="{:.1}">{}</text>"#,
            x - 8.0,
            y - 5.0,
            esc(&event_text(e))
        );
    }
    o.push_str("</g>");
}

fn role_key(s: &ServerView) -> (&str, Option<i64>, bool) {
    (&s.role, s.term, s.down)
}

/// Badges where a server's role or term changes, and its log where the log or commit changes.
pub(crate) fn badges(o: &mut String, story: &Story, l: &Layout) {
    o.push_str(r#"<g class="badges">"#);
    let mut before: &[ServerView] = &[];
    for (i, f) in story.frames.iter().enumerate() {
        for (s, sv) in f.state.servers.iter().enumerate() {
            let old = before.get(s);
            let (x, y) = (l.lane(s) + 7.0, l.y(i));
            if old.map(role_key) != Some(role_key(sv)) {
                role_badge(o, sv, &story.words, x, y);
            }
            let log_changed = old.map(|b| (&b.log, b.commit)) != Some((&sv.log, sv.commit));
            if log_changed && (i > 0 || !sv.log.is_empty()) {
                mini_log(o, sv, &story.words, x, y + 1.0);
            }
        }
        before = &f.state.servers;
    }
    o.push_str("</g>");
}

fn role_badge(o: &mut String, sv: &ServerView, w: &Vocabulary, x: f64, y: f64) {
    let text = if sv.down {
        "down".to_string()
    } else {
        role_text(sv, w)
    };
    let bw = 7.0 + 6.2 * text.chars().count() as f64;
    let _ = write!(
        o,
        r#"<g class="role-badge" data-role="{}"><rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="13" rx="3"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
        role_class(sv),
        y - 14.0,
        x + 3.5,
        y - 4.0,
        esc(&text)
    );
}

/// A small row of term-shaded cells beside a lifeline: the log right after a step.
fn mini_log(o: &mut String, sv: &ServerView, w: &Vocabulary, x: f64, y: f64) {
    let cw = 17.0;
    o.push_str(r#"<g class="mini-log">"#);
    if sv.log.is_empty() {
        let _ = write!(
            o,
            r#"<text class="mini-empty" x="{x:.1}" y="{:.1}">log []</text>"#,
            y + 10.0
        );
    }
    for (k, c) in sv.log.iter().enumerate() {
        let cx = x + cw * k as f64;
        let committed = if sv.commit.is_some_and(|m| (k as i64) < m) {
            " data-committed=\"1\""
        } else {
            ""
        };
        let _ = write!(
            o,
            r#"<rect class="cell"{}{committed} x="{cx:.1}" y="{y:.1}" width="{:.1}" height="12"/><text class="cell-term" x="{:.1}" y="{:.1}">{}</text>"#,
            shade(c.term),
            cw - 1.0,
            cx + cw / 2.0 - 0.5,
            y + 9.5,
            term(w, c.term)
        );
    }
    if let Some(c) = sv.commit.filter(|c| *c > 0) {
        let cx = x + cw * c.clamp(0, 64) as f64 - 1.0;
        let _ = write!(
            o,
            r#"<line class="commit-mark" x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}"/>"#,
            y - 1.0,
            y + 13.0
        );
    }
    o.push_str("</g>");
}
