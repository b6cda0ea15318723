//! The Explorer's pictures: [`Shown`] wraps a model, delegates every step and property to it,
//! and adds `format_step` (what changed, then the state) and `as_svg` (the path so far drawn
//! as a message sequence diagram). The models themselves draw nothing.

use crate::story::Story;
use raftspec_model::Spec;
use stateright::{Expectation, Model, Path, Property};
use std::sync::Arc;

type Condition<S> = fn(&S, &<S as Model>::State) -> bool;
type ShownCondition<S> = fn(&Shown<S>, &<S as Model>::State) -> bool;

/// A model as the Explorer shows it.
#[derive(Clone)]
pub struct Shown<S: Spec> {
    inner: S,
    /// The inner model's properties, each reached from a wrapper property by its index.
    props: Arc<Vec<(Expectation, &'static str, Condition<S>)>>,
}

/// Most properties a wrapped model may have (the models have 16 and 17).
const MAX_PROPERTIES: usize = 48;

impl<S: Spec> Shown<S> {
    /// Wraps `inner`; fails if it has more properties than the wrapper can forward.
    pub fn new(inner: S) -> Result<Shown<S>, TooManyProperties> {
        let props: Vec<_> = inner
            .properties()
            .into_iter()
            .map(|p| (p.expectation, p.name, p.condition))
            .collect();
        if props.len() > MAX_PROPERTIES {
            return Err(TooManyProperties(props.len()));
        }
        Ok(Shown {
            inner,
            props: Arc::new(props),
        })
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The `Always` properties the state violates.
    fn violated(&self, state: &S::State) -> Vec<String> {
        self.props
            .iter()
            .filter(|(e, _, c)| *e == Expectation::Always && !c(&self.inner, state))
            .map(|(_, name, _)| name.to_string())
            .collect()
    }
}

/// A model with more properties than [`Shown`] forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyProperties(pub usize);

impl std::fmt::Display for TooManyProperties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the model has {} properties; the Explorer wrapper forwards at most {MAX_PROPERTIES}",
            self.0
        )
    }
}
impl std::error::Error for TooManyProperties {}

/// The wrapper's `I`th property: the inner model's `I`th, on the inner model.
fn nth<S: Spec, const I: usize>(m: &Shown<S>, state: &S::State) -> bool {
    (m.props[I].2)(&m.inner, state)
}

macro_rules! conditions {
    ($($i:literal)*) => {
        fn conditions<S: Spec>() -> [ShownCondition<S>; MAX_PROPERTIES] {
            [$(nth::<S, $i>),*]
        }
    };
}
conditions!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
    31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);

impl<S: Spec> Model for Shown<S> {
    type State = S::State;
    type Action = S::Action;

    fn init_states(&self) -> Vec<S::State> {
        self.inner.init_states()
    }
    fn actions(&self, state: &S::State, out: &mut Vec<S::Action>) {
        self.inner.actions(state, out)
    }
    fn next_state(&self, state: &S::State, action: S::Action) -> Option<S::State> {
        self.inner.next_state(state, action)
    }
    fn within_boundary(&self, state: &S::State) -> bool {
        self.inner.within_boundary(state)
    }
    fn format_action(&self, action: &S::Action) -> String {
        self.inner.format_action(action)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        let table = conditions::<S>();
        self.props
            .iter()
            .zip(table)
            .map(|((expectation, name, _), condition)| Property {
                expectation: expectation.clone(),
                name,
                condition,
            })
            .collect()
    }
    fn format_step(&self, last: &S::State, action: S::Action) -> Option<String> {
        crate::text::format_step(&self.inner, last, action)
    }
    fn as_svg(&self, path: Path<S::State, S::Action>) -> Option<String> {
        let violated = self.violated(path.last_state());
        let story = Story::from_path(&self.inner, path);
        Some(crate::svg::draw(&story, &violated))
    }
}
