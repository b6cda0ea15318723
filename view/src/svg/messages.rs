//! Message arrows: one per copy, from the step that sent it to the step that ended it, coloured
//! by request/response family, labelled along the arrow.

use super::flow::{flow, Arrow, End};
use super::style::FAMILY_COUNT;
use super::{clip, esc, Layout};
use crate::story::Story;
use crate::text::msg_label;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn is_reply(kind: &str) -> bool {
    kind.ends_with("Response") || kind.ends_with("Reply") || kind.ends_with("Ack")
}

/// Messages of one request/response pair share a family (and so a colour).
fn family(kind: &str, families: &mut Vec<String>) -> usize {
    let f = kind.trim_end_matches("Response").trim_end_matches("Reply");
    let i = families.iter().position(|x| x == f).unwrap_or_else(|| {
        families.push(f.to_string());
        families.len() - 1
    });
    i % FAMILY_COUNT
}

/// Draws every message of the story; returns the kinds seen, in order, for the legend.
pub(crate) fn draw(o: &mut String, story: &Story, l: &Layout) -> Vec<String> {
    let flow = flow(&story.frames);
    let mut families = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let mut siblings: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    o.push_str(r#"<g class="messages">"#);
    for a in &flow.arrows {
        if !kinds.contains(&a.msg.kind) {
            kinds.push(a.msg.kind.clone());
        }
        if a.msg.from >= l.n || a.msg.to >= l.n {
            continue;
        }
        let fam = family(&a.msg.kind, &mut families);
        let sibling = siblings.entry((a.msg.from, a.start)).or_insert(0);
        arrow(o, a, fam, *sibling, msg_label(&a.msg, &story.words), l);
        *sibling += 1;
    }
    for (i, m) in &flow.dups {
        if m.from < l.n && m.to < l.n {
            let x = l.lane(m.from) + (l.lane(m.to) - l.lane(m.from)) * 0.25;
            let _ = write!(
                o,
                r#"<text class="dup" x="{x:.1}" y="{:.1}">+1 copy</text>"#,
                l.y(*i) + 4.0
            );
        }
    }
    o.push_str("</g>");
    kinds
}

/// The end point of an arrow and its class.
fn end_point(a: &Arrow, l: &Layout) -> (f64, f64, &'static str) {
    let (x0, xt) = (l.lane(a.msg.from), l.lane(a.msg.to));
    match a.end {
        End::Delivered(j) => (xt, l.y(j), "delivered"),
        End::Dropped(j) => ((x0 + xt) / 2.0, l.y(j), "dropped"),
        End::Discarded(j) => (xt, l.y(j), "discarded"),
        End::InFlight => (xt, l.inflight_y(), "in-flight"),
    }
}

fn arrow(o: &mut String, a: &Arrow, fam: usize, sibling: usize, label: String, l: &Layout) {
    let (x0, y0) = (l.lane(a.msg.from), l.y(a.start));
    let (x1, y1, class) = end_point(a, l);
    let reply = if is_reply(&a.msg.kind) {
        " data-reply=\"1\""
    } else {
        ""
    };
    let _ = write!(
        o,
        r#"<g class="msg {class}" data-fam="{fam}"{reply}><title>{}</title><line x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}"/>"#,
        esc(&format!("S{}→S{} {label}", a.msg.from, a.msg.to))
    );
    let angle = (y1 - y0).atan2(x1 - x0);
    match a.end {
        End::Delivered(_) => head(o, x1, y1, angle),
        End::Dropped(_) => {
            let _ = write!(
                o,
                r#"<text class="mark" x="{x1:.1}" y="{:.1}">✕</text><text class="note" x="{x1:.1}" y="{:.1}">dropped</text>"#,
                y1 + 5.0,
                y1 + 15.0
            );
        }
        End::Discarded(_) => {
            let _ = write!(o, r#"<circle cx="{x1:.1}" cy="{y1:.1}" r="3"/>"#);
        }
        End::InFlight => {
            head(o, x1, y1, angle);
            let _ = write!(
                o,
                r#"<text class="note" x="{x1:.1}" y="{:.1}">in flight</text>"#,
                y1 + 11.0
            );
        }
    }
    along(o, (x0, y0), (x1, y1), sibling, &label);
    o.push_str("</g>");
}

fn head(o: &mut String, x: f64, y: f64, angle: f64) {
    let (s, c) = angle.sin_cos();
    let (len, wd) = (8.0, 3.5);
    let (bx, by) = (x - len * c, y - len * s);
    let _ = write!(
        o,
        r#"<path d="M{x:.1},{y:.1} L{:.1},{:.1} L{:.1},{:.1} Z"/>"#,
        bx - wd * s,
        by + wd * c,
        bx + wd * s,
        by - wd * c
    );
}

/// A label along the arrow, kept upright; arrows leaving one point stagger their labels.
fn along(o: &mut String, (x0, y0): (f64, f64), (x1, y1): (f64, f64), sibling: usize, label: &str) {
    let f = [0.5, 0.68, 0.36, 0.8][sibling % 4];
    let (mx, my) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
    let mut deg = (y1 - y0).atan2(x1 - x0).to_degrees();
    if deg > 90.0 {
        deg -= 180.0;
    } else if deg < -90.0 {
        deg += 180.0;
    }
    let len = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
    let room = 2.0 * f.min(1.0 - f) * len;
    let max_chars = ((room - 14.0) / 5.6).max(8.0) as usize;
    let _ = write!(
        o,
        r#"<text class="label" x="{mx:.1}" y="{my:.1}" dy="-3" transform="rotate({deg:.1} {mx:.1} {my:.1})">{}</text>"#,
        esc(&clip(label, max_chars))
    );
}
