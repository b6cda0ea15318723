//! raftspec-view: pictures and summaries of raftspec traces.
//!
//! A typed pipeline: a [`Story`] (one [`Frame`] per step: the model's typed
//! [`StateView`](raftspec_model::view::StateView) and
//! [`EventView`](raftspec_model::view::EventView)) is built from a checker path
//! ([`Story::from_path`]), from a raftspec ITF trace replayed on its model, or, for a trace
//! from another tool, by the JSON adapter in [`foreign`]; [`svg::draw`] turns a story into a
//! message sequence diagram styled by one CSS block, and [`text`] into short summaries. The
//! Explorer gets both through the delegating model [`Shown`].

pub mod explorer;
pub mod foreign;
pub mod golden;
pub mod story;
pub mod svg;
pub mod text;

pub use explorer::Shown;
pub use story::{Frame, Story};

use raftspec_model::liveness::LassoTrace;
use raftspec_model::trace::Trace;

/// Draws a trace: a property named in it is marked violated at the last step (raftspec
/// writes traces with a property only for counterexamples).
pub fn render(trace: &Trace) -> String {
    let violated: Vec<String> = trace.property.iter().cloned().collect();
    svg::draw(&Story::from_trace(trace), &violated)
}

/// Draws a liveness counterexample with its cycle (or the state it is stuck in) marked.
pub fn render_lasso(lasso: &LassoTrace) -> String {
    let last = lasso.trace.steps.len() - 1;
    let (first, label) = if lasso.stutters {
        (
            last,
            "stuck: no fair step enabled, stays here forever".to_string(),
        )
    } else {
        let first = lasso.loop_start + 1;
        (
            first,
            format!("cycle: steps {first}..{last} repeat forever"),
        )
    };
    svg::draw_with_band(&Story::from_trace(&lasso.trace), &[], (first, last, &label))
}
