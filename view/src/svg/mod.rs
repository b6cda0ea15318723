//! A story drawn as a message sequence diagram: one lifeline per server (its role shown by
//! style, a badge at every change of role or term), one arrow per message from the step that
//! sent it to the step that ended it, local events on the lifelines, each step's label and
//! changes, and the final logs with the commit mark. Each part is one function below; every
//! element is styled by the sheet in [`style`].

mod flow;
mod lanes;
mod messages;
mod panel;
pub mod style;

pub use flow::{flow, Arrow, End, Flow};

use crate::story::Story;
use std::fmt::Write as _;

/// Height of the header above the first step row, and of a step row.
const HEAD_H: f64 = 74.0;
const ROW_H: f64 = 30.0;

/// Where things go.
pub(crate) struct Layout {
    pub n: usize,
    pub rows: usize,
    pub width: f64,
    pub panel_top: f64,
    pub legend_top: f64,
    pub height: f64,
}

impl Layout {
    pub const PAD: f64 = 10.0;
    const NUM_W: f64 = 26.0;
    const COL_W: f64 = 128.0;
    pub const DESC_W: f64 = 420.0;
    /// Room left of the first lifeline for the labels of its timers and client requests.
    const LEFT: f64 = 92.0;
    /// Room right of the last lifeline for its badges.
    const RIGHT: f64 = 106.0;
    pub const CELL_W: f64 = 38.0;
    pub const PANEL_ROW: f64 = 34.0;

    fn new(story: &Story) -> Layout {
        let n = story
            .frames
            .iter()
            .map(|f| f.state.servers.len())
            .max()
            .unwrap_or(0);
        let rows = story.frames.len();
        let acked = story
            .frames
            .last()
            .is_some_and(|f| !f.state.acknowledged.is_empty());
        let mut l = Layout {
            n,
            rows,
            width: 0.0,
            panel_top: 0.0,
            legend_top: 0.0,
            height: 0.0,
        };
        l.panel_top = l.diagram_bottom() + 16.0;
        l.legend_top =
            l.panel_top + 28.0 + Self::PANEL_ROW * n as f64 + if acked { 22.0 } else { 0.0 };
        l.height = l.legend_top + 58.0;
        let panel_w = Self::PAD + 250.0 + Self::CELL_W * 6.0 + 160.0;
        l.width = (l.desc_x() + Self::DESC_W + Self::PAD)
            .max(panel_w)
            .max(640.0);
        l
    }
    pub fn lane(&self, s: usize) -> f64 {
        Self::PAD + Self::NUM_W + Self::LEFT + Self::COL_W * s as f64
    }
    pub fn y(&self, step: usize) -> f64 {
        HEAD_H + ROW_H * step as f64 + ROW_H / 2.0
    }
    pub fn row_top(&self, step: usize) -> f64 {
        HEAD_H + ROW_H * step as f64
    }
    pub fn desc_x(&self) -> f64 {
        self.lane(self.n.max(1) - 1) + Self::RIGHT
    }
    pub fn diagram_bottom(&self) -> f64 {
        HEAD_H + ROW_H * self.rows as f64 + ROW_H * 0.6
    }
    pub fn inflight_y(&self) -> f64 {
        self.y(self.rows.saturating_sub(1)) + ROW_H * 0.8
    }
    pub fn num_x(&self) -> f64 {
        Self::PAD + Self::NUM_W - 4.0
    }
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Draws a story and marks `violated` (properties that fail in its last state).
pub fn draw(story: &Story, violated: &[String]) -> String {
    let l = Layout::new(story);
    // One part a line, so that a changed picture diffs by part.
    let mut o = open(story, &l);
    o.push('\n');
    header(&mut o, story, &l, violated);
    o.push('\n');
    lanes::bands(&mut o, &l, violated);
    o.push('\n');
    lanes::heads(&mut o, &l);
    o.push('\n');
    lanes::lifelines(&mut o, story, &l);
    o.push('\n');
    let kinds = messages::draw(&mut o, story, &l);
    o.push('\n');
    lanes::events(&mut o, story, &l);
    o.push('\n');
    lanes::badges(&mut o, story, &l);
    o.push('\n');
    panel::steps(&mut o, story, &l, violated);
    o.push('\n');
    panel::logs(&mut o, story, &l);
    o.push('\n');
    panel::legend(&mut o, story, &l, &kinds);
    o.push_str("\n</svg>");
    o
}

/// Draws a story with a band beside steps `first..=last` and its label (a lasso's cycle).
pub fn draw_with_band(story: &Story, violated: &[String], band: (usize, usize, &str)) -> String {
    let drawn = draw(story, violated);
    let (first, last, label) = band;
    let l = Layout::new(story);
    let (top, bottom) = (l.row_top(first), l.row_top(last + 1));
    let overlay = format!(
        r#"<g class="lasso"><rect x="1" y="{top:.1}" width="5" height="{:.1}"/><text x="9" y="{:.1}">{}</text></g></svg>"#,
        bottom - top,
        top - 2.0,
        esc(label)
    );
    let body = drawn.strip_suffix("</svg>").unwrap_or(&drawn);
    format!("{body}{overlay}")
}

fn open(story: &Story, l: &Layout) -> String {
    let path_attr = story
        .path
        .as_deref()
        .map(|p| format!(r#" data-path="{}""#, esc(p)))
        .unwrap_or_default();
    let (w, h) = (l.width, l.height);
    let mut o = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="raftspec-msc" data-variant="{}" data-steps="{}"{path_attr} width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" style="max-width:100%;height:auto">"#,
        story.variant,
        l.rows.saturating_sub(1)
    );
    o.push_str(&style::sheet());
    let _ = write!(
        o,
        r#"<rect class="bg" x="0" y="0" width="{w:.0}" height="{h:.0}"/>"#
    );
    o
}

fn header(o: &mut String, story: &Story, l: &Layout, violated: &[String]) {
    let mut title = format!("{} — {} steps", story.subject, l.rows.saturating_sub(1));
    if !violated.is_empty() {
        let _ = write!(title, " — {} violated", violated.join(", "));
    } else if let Some(p) = &story.property {
        let _ = write!(title, " — {p}");
    }
    let x = Layout::PAD;
    let _ = write!(
        o,
        r#"<text class="title" x="{x}" y="20">{}</text><text class="subtitle" x="{x}" y="36">bounds: {}</text>"#,
        esc(&title),
        esc(&story.bounds)
    );
}
