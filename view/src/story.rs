//! The typed input of every picture: a story of frames, one per step of a trace.

use raftspec_model::spec::{with_spec, SpecVisitor};
use raftspec_model::trace::{diff, Trace};
use raftspec_model::view::{EventView, StateView, Vocabulary};
use raftspec_model::{Spec, Variant};
use serde_json::Value;
use stateright::Path;

/// One step: the state after it, what happened (none for the initial state), the step's
/// label and what changed, for people.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub state: StateView,
    pub event: Option<EventView>,
    pub label: String,
    pub changes: String,
}

/// A trace as pictures read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Story {
    pub variant: Variant,
    pub words: Vocabulary,
    /// The title's subject: the variant, with the bug injected if any.
    pub subject: String,
    pub bounds: String,
    pub property: Option<String>,
    pub path: Option<String>,
    pub frames: Vec<Frame>,
}

/// State fields left out of a step's change line: the network (drawn as arrows) and leader
/// bookkeeping.
const NOISY: [&str; 7] = [
    "network",
    "nextIndex",
    "matchIndex",
    "votesGranted",
    "restarts",
    "fetchOffsets",
    "endOffsets",
];

/// What changed between two states, in one line.
pub fn changes(before: &Value, after: &Value) -> String {
    diff(before, after)
        .into_iter()
        .filter(|c| {
            !NOISY
                .iter()
                .any(|n| c.starts_with(n) || c.contains(&format!(".{n}")))
        })
        .map(|c| c.replace('"', ""))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Story {
    /// A story with no frames yet, its header taken from `trace`.
    pub(crate) fn header(trace: &Trace, words: Vocabulary) -> Story {
        let mut subject = trace.variant.to_string();
        if let Some(b) = trace.bug {
            subject.push_str(&format!(" with bug {b}"));
        }
        Story {
            variant: trace.variant,
            words,
            subject,
            bounds: trace.bounds.to_string(),
            property: trace.property.clone(),
            path: trace.path.clone(),
            frames: Vec::new(),
        }
    }

    /// A checker path, read through the model's typed views.
    pub fn from_path<S: Spec>(spec: &S, path: Path<S::State, S::Action>) -> Story {
        let trace = Trace::from_path(spec, path.clone(), None);
        let (states, actions): (Vec<_>, Vec<_>) = path.into_vec().into_iter().unzip();
        let actions: Vec<S::Action> = actions.into_iter().flatten().collect();
        Story::typed(spec, &trace, &states, &actions)
    }

    /// A trace file: a raftspec trace that replays on its model is read through the model's
    /// typed views; any other (another tool's) through the JSON adapter.
    pub fn from_trace(trace: &Trace) -> Story {
        let replayed = with_spec(
            trace.variant,
            trace.bounds.clone(),
            trace.bug,
            Replay { trace },
        );
        replayed.unwrap_or_else(|| crate::foreign::story(trace))
    }

    fn typed<S: Spec>(
        spec: &S,
        trace: &Trace,
        states: &[S::State],
        actions: &[S::Action],
    ) -> Story {
        let mut story = Story::header(trace, spec.vocabulary());
        for (i, (state, step)) in states.iter().zip(&trace.steps).enumerate() {
            story.frames.push(Frame {
                state: spec.state_view(state),
                event: i.checked_sub(1).map(|k| spec.event_view(&actions[k])),
                label: step
                    .action
                    .as_ref()
                    .map_or_else(|| "initial state".to_string(), |a| a.label.clone()),
                changes: match i {
                    0 => String::new(),
                    _ => changes(&trace.steps[i - 1].state, &step.state),
                },
            });
        }
        story
    }
}

/// Re-runs a trace's actions on its model; the typed story when every recorded state is the
/// model's, None otherwise.
struct Replay<'a> {
    trace: &'a Trace,
}

impl SpecVisitor for Replay<'_> {
    type Output = Option<Story>;
    fn visit<S: Spec>(self, spec: S) -> Option<Story> {
        let steps = &self.trace.steps;
        let first = &steps.first()?.state;
        let init = spec
            .init_states()
            .into_iter()
            .find(|s| spec.state_json(s) == *first)?;
        let (mut states, mut actions) = (vec![init], Vec::new());
        for step in &steps[1..] {
            let action = spec.action_from_json(&step.action.as_ref()?.args).ok()?;
            let next = spec.next_state(states.last()?, action.clone())?;
            if spec.state_json(&next) != step.state {
                return None;
            }
            states.push(next);
            actions.push(action);
        }
        Some(Story::typed(&spec, self.trace, &states, &actions))
    }
}
