//! Helpers shared by the model test files.

use raftspec_model::check::{check, CheckOptions, Stop, Verdict};
use raftspec_model::Spec;

/// Checks `spec` with and without symmetry: the verdicts must agree, and symmetry must cut the
/// states of three interchangeable servers several-fold. Returns the verdicts.
pub fn symmetry_keeps_verdicts<S: Spec>(spec: S, what: &str) -> Vec<(String, Verdict)> {
    let verdicts = |symmetry| {
        let r = check(
            spec.clone(),
            CheckOptions {
                symmetry,
                stop: Stop::Never,
                ..Default::default()
            },
        )
        .report;
        let v: Vec<(String, Verdict)> = r
            .properties
            .iter()
            .map(|p| (p.name.clone(), p.verdict))
            .collect();
        (v, r.unique_states)
    };
    let (plain, n_plain) = verdicts(false);
    let (reduced, n_reduced) = verdicts(true);
    assert_eq!(plain, reduced, "{what}");
    assert!(
        n_reduced * 3 < n_plain,
        "symmetry should cut 3 servers' states several-fold: {n_reduced} vs {n_plain} ({what})"
    );
    plain
}
