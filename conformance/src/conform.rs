//! Conformance per variant: default options, the implementation under test (optionally with
//! an injected mutant), the bug catalog's counterexamples, and ITF files.

use crate::driver::{Node, NodeId};
use crate::protocol::{Protocol, WithoutKnownDifferences};
use crate::record::{
    record, replay_validated, validate, RecordError, RecordOptions, RecordingError, Validation,
};
use crate::replay::{replay, Divergence, DivergenceJson};
use crate::sources::{actions_of_trace, TraceProblem};
use crate::suite::{run_suite, GraphConfig, Progress, SuiteOptions, SuiteReport};
use crate::variants::{bounds, net, with_binding, Binding, BindingVisitor, NodeTask};
use raftspec_model::bounds::BoundsError;
use raftspec_model::bugs::{catalog_for, Bug};
use raftspec_model::check::{check, CheckOptions, Stop};
use raftspec_model::options::Options;
use raftspec_model::spec::{with_spec, Spec, SpecVisitor};
use raftspec_model::trace::Trace;
use raftspec_model::{Bounds, Variant};
use serde::Serialize;
use std::marker::PhantomData;
use std::time::Instant;

/// The implementation under test: raftspec's own cores in one of their configurations,
/// possibly with one injected bug (feature `mutants`), or (feature `raft-rs`) tikv/raft-rs;
/// and the model options (flavor) the traces are drawn from.
#[derive(Clone, Debug, Default)]
pub struct Target {
    #[cfg(feature = "mutants")]
    pub mutant: Option<raftspec_impl::core::Mutant>,
    /// Which configuration of raftspec's cores runs (`--config`).
    pub config: CoreConfig,
    /// Entries per AppendEntries / Fetch response (the model's `batch` option; 0 means 1).
    pub batch: u8,
    /// The Raft model's options (`--flavor`); KRaft has none.
    pub options: Options,
    /// Drive tikv/raft-rs instead of raftspec's Raft core (feature `raft-rs`).
    #[cfg(feature = "raft-rs")]
    pub raft_rs: Option<RaftRsTarget>,
}

/// tikv/raft-rs as the implementation under test, possibly with a bug injected in the
/// wrapper around it.
#[cfg(feature = "raft-rs")]
#[derive(Clone, Copy, Debug, Default)]
pub struct RaftRsTarget {
    pub mutant: Option<crate::raftrs::RsMutant>,
}

#[cfg(feature = "raft-rs")]
impl Target {
    /// tikv/raft-rs, with the model in the raft-rs flavor.
    pub fn raft_rs(mutant: Option<crate::raftrs::RsMutant>) -> Target {
        Target {
            options: Options::raft_rs(),
            raft_rs: Some(RaftRsTarget { mutant }),
            ..Target::default()
        }
    }
}

/// A configuration of raftspec's cores (`impl/src/core/{raft,kraft}.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreConfig {
    /// `Config::model()`: one entry per message (or the model's `batch`), no eager sends,
    /// Figure 2 nextIndex.
    #[default]
    Model,
    /// `Config::production()`, what a real node runs: 512 entries per message, sends on
    /// election, pipelining, refusal hints, a leader's no-op entry (Raft).
    Production,
}

impl CoreConfig {
    pub const ALL: [CoreConfig; 2] = [CoreConfig::Model, CoreConfig::Production];

    pub fn name(self) -> &'static str {
        match self {
            CoreConfig::Model => "model",
            CoreConfig::Production => "production",
        }
    }

    pub fn parse(s: &str) -> Option<CoreConfig> {
        CoreConfig::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The model options that describe this configuration, rule for rule (specs/raft.md,
    /// "Options"). Production: `Options::production()`; for KRaft, whose production core
    /// differs only in its batch, no cap on records per Fetch response. `batch = MAX_BATCH`
    /// is exact for a cap of 512: no model log holds more than MAX_BATCH entries, so both
    /// send everything from the receiver's position on.
    pub fn options(self, variant: Variant) -> Options {
        match (self, variant) {
            (CoreConfig::Model, _) => Options::default(),
            (CoreConfig::Production, Variant::Raft) => Options::production(),
            (CoreConfig::Production, Variant::Kraft) => Options {
                batch: Options::production().batch,
                ..Options::default()
            },
        }
    }
}

/// The suite's bounds with the target's model options: a leader's no-op entry takes log
/// room, so the walk's terms are cut to fit (`Bounds::validate`). The batch is the larger
/// of the bounds' and the options' (production sends every entry).
pub fn with_options(opts: &SuiteOptions, options: Options) -> SuiteOptions {
    let mut o = opts.clone();
    let fit = |b: &mut Bounds| {
        b.options = Options {
            per_peer: b.options.per_peer,
            batch: b.options.batch.max(options.batch),
            ..options
        };
        if options.leader_noop {
            let room = (raftspec_model::bounds::MAX_LOG as u8).saturating_sub(b.max_log);
            b.max_term = b.max_term.min(room.max(1));
        }
    };
    o.graphs.iter_mut().for_each(|g| fit(&mut g.bounds));
    fit(&mut o.walk_bounds);
    o
}

impl Target {
    /// The correct implementation.
    pub fn correct() -> Target {
        Target::default()
    }

    /// This target with its cores in configuration `config`, and the model options that
    /// describe it.
    pub fn in_config(self, config: CoreConfig, variant: Variant) -> Target {
        Target {
            config,
            options: config.options(variant),
            ..self
        }
    }

    #[cfg(feature = "mutants")]
    pub fn mutant(m: raftspec_impl::core::Mutant) -> Target {
        Target {
            mutant: Some(m),
            ..Target::default()
        }
    }

    /// The suite options a mutant is replayed with: `opts`, with batches at least as large as
    /// the mutant needs to show.
    #[cfg(feature = "mutants")]
    pub fn options_for_mutant(opts: &SuiteOptions, m: raftspec_impl::core::Mutant) -> SuiteOptions {
        let mut o = opts.clone();
        let need = m.min_batch();
        for b in o
            .graphs
            .iter_mut()
            .map(|g| &mut g.bounds)
            .chain([&mut o.walk_bounds])
        {
            b.options.batch = b.options.batch.max(need);
        }
        o
    }

    /// Whether the implementation under test is tikv/raft-rs.
    pub fn is_raft_rs(&self) -> bool {
        #[cfg(feature = "raft-rs")]
        {
            self.raft_rs.is_some()
        }
        #[cfg(not(feature = "raft-rs"))]
        {
            false
        }
    }

    /// The suite options this target is replayed with: `opts`, with batches at least as large
    /// as its mutant (if any) needs to show; in production config, the four- and five-server
    /// graphs get one more log slot, the leader's no-op entry's, so they still replicate a
    /// client value, and room in flight for the new leader's AppendEntries.
    pub fn suite_options(&self, opts: &SuiteOptions) -> SuiteOptions {
        let mut o = opts.clone();
        if self.config == CoreConfig::Production && self.options.leader_noop {
            for g in o.graphs.iter_mut().filter(|g| g.bounds.servers >= 4) {
                let b = &mut g.bounds;
                b.max_log = b.max_log.max(2);
                // A leader elected by a bare majority sends its election AppendEntries while
                // the other RequestVotes are still in flight.
                let room = b.servers + 1;
                b.network.max_in_flight = b.network.max_in_flight.max(room);
            }
        }
        #[cfg(feature = "mutants")]
        if let Some(m) = self.mutant {
            return Self::options_for_mutant(&o, m);
        }
        o
    }

    /// "raftspec-impl", "mutant NAME", "tikv/raft-rs 0.7" or "raft-rs mutant NAME" (with
    /// " (production config)" where the cores run `Config::production()`).
    pub fn name(&self) -> String {
        match self.config {
            CoreConfig::Model => self.base_name(),
            CoreConfig::Production => format!("{} (production config)", self.base_name()),
        }
    }

    fn base_name(&self) -> String {
        #[cfg(feature = "raft-rs")]
        if let Some(rs) = self.raft_rs {
            return match rs.mutant {
                Some(m) => format!("mutant {m} (a bug in the wrapper around tikv/raft-rs 0.7)"),
                None => "tikv/raft-rs 0.7 (RawNode on MemStorage)".to_string(),
            };
        }
        #[cfg(feature = "mutants")]
        if let Some(m) = self.mutant {
            return format!("mutant {m}");
        }
        "raftspec-impl".to_string()
    }

    /// The same implementation, batching as the model's options say.
    pub fn for_options(&self, o: &Options) -> Target {
        Target {
            batch: o.batch,
            ..self.clone()
        }
    }

    /// The Raft core's configuration. Production is `Config::production()` but for the bytes
    /// of the leader's no-op entry, the model's value 0 (the core never reads a payload; the
    /// KV layer's no-op command is opaque to the model).
    pub fn raft_config(&self) -> raftspec_impl::core::raft::Config {
        use raftspec_impl::core::raft::Config;
        let c = match self.config {
            CoreConfig::Model => Config {
                max_entries_per_message: self.batch.max(1) as usize,
                ..Config::model()
            },
            CoreConfig::Production => Config {
                leader_noop: Some(crate::raft::value_payload(0)),
                ..Config::production()
            },
        };
        #[cfg(feature = "mutants")]
        let c = Config {
            mutant: self.mutant,
            ..c
        };
        c
    }

    /// The KRaft core's configuration (production: `Config::production()` as it is).
    pub fn kraft_config(&self) -> raftspec_impl::core::kraft::Config {
        use raftspec_impl::core::kraft::Config;
        let c = match self.config {
            CoreConfig::Model => Config {
                max_entries_per_message: self.batch.max(1) as usize,
                ..Config::model()
            },
            CoreConfig::Production => Config::production(),
        };
        #[cfg(feature = "mutants")]
        let c = Config {
            mutant: self.mutant,
            ..c
        };
        c
    }
}

fn graph(name: &str, servers: u8, bounds: Bounds, depth: usize) -> GraphConfig {
    GraphConfig {
        name: name.into(),
        bounds: Bounds { servers, ..bounds },
        depth,
    }
}

/// Known differences between a variant's model and the implementation: actions the suite
/// leaves out unless `include_known_differences` (specs/conformance.md).
pub fn known_differences(variant: Variant) -> Vec<&'static str> {
    struct Known;
    impl BindingVisitor for Known {
        type Output = Vec<&'static str>;
        fn visit<B: Binding>(self) -> Self::Output {
            B::KNOWN_DIFFERENCES.to_vec()
        }
    }
    with_binding(variant, Known)
}

/// Why a mutant is left out of `--mutants all` in a configuration (None: it must be killed
/// there): a production rule is off in `Config::model()`, and a mutant of a partial-batch
/// rule is equivalent in `Config::production()`.
#[cfg(feature = "mutants")]
pub fn not_applicable(m: raftspec_impl::core::Mutant, config: CoreConfig) -> Option<String> {
    match config {
        CoreConfig::Model => m.production_rule().map(|rule| {
            format!("breaks production rule `{rule}`, off in Config::model() (--config production)")
        }),
        CoreConfig::Production => m
            .equivalent_in_production()
            .map(|why| format!("equivalent in Config::production(): {why}")),
    }
}

/// The defaults of `raftspec conform VARIANT --config CONFIG`. The production cores repair
/// and commit through longer histories (a leader's no-op first, pipelined sends, refusal
/// hints that arrive late), so their walks are more and longer: at the model config's 3,000
/// walks of 80 actions, `raft:commit-any-term` survives the production config; 20,000 walks
/// of 120 actions kill it within about 10,000 for seeds 1 to 4 (a few seconds).
pub fn default_options_in(variant: Variant, config: CoreConfig) -> SuiteOptions {
    let mut o = default_options(variant);
    if config == CoreConfig::Production {
        o.walks = 20_000;
        o.walk_len = 120;
    }
    o
}

/// The defaults of `raftspec conform VARIANT`: about a minute on two cores.
///
/// State graphs, each small in one direction so that it can go deep: `faults` (drop,
/// duplicate, a restart; short), `replication` (two entries in one term, duplicates; deep),
/// `elections` (three terms, one entry, a restart; deep), `mixed` (three terms and two
/// entries: conflicting suffixes, repairs, commits of older entries), and `four servers` /
/// `five servers` (quorum arithmetic of even and larger clusters).
pub fn default_options(variant: Variant) -> SuiteOptions {
    // Small graphs first: a broken quorum is caught in a second.
    let graphs = vec![
        graph("four servers", 4, bounds(2, 1, 0, net(false, 1, 4)), 12),
        graph("five servers", 5, bounds(2, 1, 0, net(false, 1, 5)), 10),
        graph("faults", 3, bounds(2, 1, 1, net(true, 2, 4)), 9),
        graph("replication", 3, bounds(1, 2, 0, net(false, 2, 4)), 15),
        graph("elections", 3, bounds(3, 1, 1, net(false, 1, 4)), 12),
        graph("mixed", 3, bounds(3, 2, 0, net(false, 1, 3)), 15),
    ];
    struct WalkBounds;
    impl BindingVisitor for WalkBounds {
        type Output = Bounds;
        fn visit<B: Binding>(self) -> Bounds {
            B::walk_bounds()
        }
    }
    let walk_bounds = with_binding(variant, WalkBounds);
    SuiteOptions {
        graphs,
        walk_bounds: Bounds {
            values: 2,
            ..walk_bounds
        },
        walk_servers: vec![3, 4, 5],
        walks: 3000,
        walk_len: 80,
        seed: 1,
        proptest_cases: 300,
        proptest_len: 60,
        include_known_differences: false,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        marks: marks_of(variant),
    }
}

/// The coverage marks of a variant's core (instrumented build only).
fn marks_of(variant: Variant) -> Option<crate::suite::MarkReader> {
    #[cfg(feature = "mutants")]
    {
        fn of(prefix: &str) -> Vec<(&'static str, u64)> {
            let mut all = raftspec_impl::core::cov::snapshot();
            all.retain(|(n, _)| n.starts_with(prefix));
            all
        }
        struct Marks;
        impl BindingVisitor for Marks {
            type Output = crate::suite::MarkReader;
            fn visit<B: Binding>(self) -> Self::Output {
                || of(B::MARKS)
            }
        }
        Some(with_binding(variant, Marks))
    }
    #[cfg(not(feature = "mutants"))]
    {
        let _ = variant;
        None
    }
}

/// Why a suite cannot run: its bounds are ones the model cannot hold.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    #[error("bounds of graph {graph}: {error}")]
    GraphBounds { graph: String, error: BoundsError },
    #[error("walk bounds: {0}")]
    WalkBounds(BoundsError),
    #[error("graph {graph} has options [{options}] but the walks have [{walks}]: one suite, one set of protocol options")]
    MixedOptions {
        graph: String,
        options: Options,
        walks: Options,
    },
    #[error("per-peer sends are a model option the implementation does not offer (it sends to every peer on a timer): conform without --per-peer")]
    PerPeer,
}

/// Runs the suite for a variant against a target.
pub fn conform(
    variant: Variant,
    opts: &SuiteOptions,
    target: &Target,
    progress: Progress<'_>,
) -> Result<SuiteReport, ConformError> {
    let opts = &with_options(opts, target.options);
    let options = check_suite(variant, opts)?;
    let target = &target.for_options(&options);
    Ok(with_binding(
        variant,
        RunSuite {
            opts,
            target,
            progress,
        },
    ))
}

/// The suite's protocol options, once its graphs and walks are shown to be bounds the
/// variant's model can hold, all with the same options.
fn check_suite(variant: Variant, opts: &SuiteOptions) -> Result<Options, ConformError> {
    for g in &opts.graphs {
        variant
            .validate(&g.bounds)
            .map_err(|error| ConformError::GraphBounds {
                graph: g.name.to_string(),
                error,
            })?;
    }
    let options = opts.walk_bounds.options;
    if options.per_peer {
        return Err(ConformError::PerPeer);
    }
    if let Some(g) = opts.graphs.iter().find(|g| g.bounds.options != options) {
        return Err(ConformError::MixedOptions {
            graph: g.name.clone(),
            options: g.bounds.options,
            walks: options,
        });
    }
    for &servers in &opts.walk_servers {
        let b = Bounds {
            servers,
            ..opts.walk_bounds.clone()
        };
        variant.validate(&b).map_err(ConformError::WalkBounds)?;
    }
    Ok(options)
}

/// The suite over one binding: its model (without the known differences unless asked) and
/// the target's nodes.
struct RunSuite<'a, 'p> {
    opts: &'a SuiteOptions,
    target: &'a Target,
    progress: Progress<'p>,
}

impl BindingVisitor for RunSuite<'_, '_> {
    type Output = SuiteReport;
    fn visit<B: Binding>(self) -> SuiteReport {
        B::with_nodes(
            self.target,
            SuiteOn::<B> {
                run: self,
                binding: PhantomData,
            },
        )
    }
}

struct SuiteOn<'a, 'p, B> {
    run: RunSuite<'a, 'p>,
    binding: PhantomData<B>,
}

impl<B: Binding> NodeTask<B::Spec> for SuiteOn<'_, '_, B> {
    type Output = SuiteReport;
    fn run<N: Node<Abstract = <B::Spec as Protocol>::Msg>>(
        self,
        make: &(dyn Fn(NodeId, u8) -> N + Sync),
    ) -> SuiteReport {
        let RunSuite {
            opts,
            target,
            progress,
        } = self.run;
        // Only raftspec's own core counts rule branches.
        let opts = &SuiteOptions {
            marks: opts.marks.filter(|_| !target.is_raft_rs()),
            ..opts.clone()
        };
        let spec = |b: &Bounds| B::spec(b.clone(), None);
        if opts.include_known_differences {
            run_suite(&spec, opts, make, progress)
        } else {
            let spec = |b: &Bounds| WithoutKnownDifferences(spec(b));
            run_suite(&spec, opts, make, progress)
        }
    }
}

/// One catalog row's counterexample replayed against the correct implementation.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogResult {
    pub bug: String,
    pub property: String,
    /// Actions in the counterexample (None: the checker found none at the row's bounds, a
    /// problem of the model's catalog, reported but not a divergence).
    pub steps: Option<usize>,
    /// Where the implementation left the buggy model (None: it did not, a failure).
    #[serde(skip)]
    pub divergence: Option<Box<Divergence>>,
    #[serde(rename = "divergence")]
    pub divergence_json: Option<DivergenceJson>,
    pub seconds: f64,
}

impl CatalogResult {
    /// One line: where and how the implementation refuses the bug.
    pub fn summary(&self) -> String {
        let Some(steps) = self.steps else {
            return format!(
                "{:<26} no counterexample at the catalog's bounds (nothing to replay)",
                self.bug
            );
        };
        match &self.divergence {
            Some(d) => format!(
                "{:<26} {:>2}-step counterexample: implementation diverges at step {} ({}{}: model {} / impl {})",
                self.bug,
                steps,
                d.step,
                d.node.map(|n| format!("S{n}.")).unwrap_or_default(),
                d.field,
                d.expected,
                d.actual
            ),
            None => format!(
                "{:<26} {:>2}-step counterexample: NO DIVERGENCE (the implementation follows the buggy model)",
                self.bug, steps
            ),
        }
    }
}

/// The counterexample of a catalog bug (the checker stops at the row's property).
pub fn catalog_trace(variant: Variant, bug: Bug) -> Option<Trace> {
    catalog_trace_with(variant, bug, Options::default())
}

/// The counterexample of a catalog bug in a flavor of the model (its options set on the
/// row's bounds); None if the checker finds none there.
pub fn catalog_trace_with(variant: Variant, bug: Bug, options: Options) -> Option<Trace> {
    let mut row = catalog_for(variant).into_iter().find(|r| r.bug == bug)?;
    // The target's options, with the batch the row needs if it is larger.
    row.bounds.options = Options {
        batch: row.bounds.options.batch.max(options.batch),
        ..options
    };
    variant.validate(&row.bounds).ok()?;
    let property = row.property;
    let opts = CheckOptions {
        stop: Stop::AtProperty(property),
        ..Default::default()
    };
    struct Check<'a>(CheckOptions<'a>);
    impl SpecVisitor for Check<'_> {
        type Output = Vec<Trace>;
        fn visit<S: Spec>(self, spec: S) -> Vec<Trace> {
            check(spec, self.0).counterexamples
        }
    }
    with_spec(variant, row.bounds, Some(bug), Check(opts))
        .into_iter()
        .find(|t| t.property.as_deref() == Some(property))
}

/// Every catalog counterexample of a variant replayed against `target`: each must diverge.
/// (A row without a counterexample is listed with `steps: None`.)
pub fn catalog_results(
    variant: Variant,
    target: &Target,
    progress: Progress<'_>,
) -> Vec<CatalogResult> {
    let mut out = Vec::new();
    for row in catalog_for(variant) {
        let t = Instant::now();
        let Some(trace) = catalog_trace_with(variant, row.bug, target.options) else {
            out.push(CatalogResult {
                bug: row.bug.name().to_string(),
                property: row.property.to_string(),
                steps: None,
                divergence: None,
                divergence_json: None,
                seconds: t.elapsed().as_secs_f64(),
            });
            progress(&out.last().expect("pushed").summary());
            continue;
        };
        let divergence = match replay_trace(&trace, target) {
            Ok(Ok(_)) => None,
            Ok(Err(d)) => Some(d),
            Err(e) => panic!("a catalog counterexample is a model trace: {e}"),
        };
        out.push(CatalogResult {
            bug: row.bug.name().to_string(),
            property: row.property.to_string(),
            steps: Some(trace.steps.len() - 1),
            divergence_json: divergence.as_ref().map(|d| d.to_json()),
            divergence,
            seconds: t.elapsed().as_secs_f64(),
        });
        progress(&out.last().expect("pushed").summary());
    }
    out
}

/// Checks a trace against its model (with the bug it names), then replays it against the
/// target. Outer `Err`: not a trace of the model, or one the model rejects at some step.
pub fn replay_trace(
    trace: &Trace,
    target: &Target,
) -> Result<Result<usize, Box<Divergence>>, TraceProblem> {
    if trace.bounds.options.per_peer {
        return Err(TraceProblem::NotATrace(ConformError::PerPeer.to_string()));
    }
    trace
        .variant
        .validate(&trace.bounds)
        .map_err(|e| TraceProblem::NotATrace(format!("bad \"#meta.bounds\": {e}")))?;
    let target = &target.for_options(&trace.bounds.options);
    with_binding(trace.variant, ReplayTrace { trace, target })
}

struct ReplayTrace<'a> {
    trace: &'a Trace,
    target: &'a Target,
}

type Replayed = Result<Result<usize, Box<Divergence>>, TraceProblem>;

impl BindingVisitor for ReplayTrace<'_> {
    type Output = Replayed;
    fn visit<B: Binding>(self) -> Replayed {
        let spec = B::spec(self.trace.bounds.clone(), self.trace.bug);
        B::with_nodes(
            self.target,
            TraceOn {
                spec: &spec,
                trace: self.trace,
            },
        )
    }
}

struct TraceOn<'a, P> {
    spec: &'a P,
    trace: &'a Trace,
}

impl<P: Protocol> NodeTask<P> for TraceOn<'_, P> {
    type Output = Replayed;
    fn run<N: Node<Abstract = P::Msg>>(self, make: &(dyn Fn(NodeId, u8) -> N + Sync)) -> Replayed {
        let actions = actions_of_trace(self.spec, self.trace)?;
        Ok(replay(self.spec, &actions, make).map(|r| r.steps))
    }
}

/// Records a run of a real cluster of the implementation (see [`crate::record`]). A run with
/// more elections than the model's bounds can hold is tried again with the next seed (at
/// most three runs).
pub fn record_run(
    variant: Variant,
    opts: &RecordOptions,
    target: &Target,
    progress: Progress<'_>,
) -> Result<Trace, RecordError> {
    let mut last = None;
    for attempt in 0..3 {
        let o = RecordOptions {
            seed: opts.seed + attempt,
            ..opts.clone()
        };
        let result = with_binding(
            variant,
            Record {
                opts: &o,
                target,
                progress: &mut *progress,
            },
        );
        match result {
            Err(e) if e.is_too_many_elections() => {
                progress(&format!("seed {}: {e}; trying the next seed", o.seed));
                last = Some(e);
            }
            other => return other,
        }
    }
    Err(last.expect("three attempts were made"))
}

/// One recorded run of the binding's implementation, checked to fit its model's bounds.
struct Record<'a, 'p> {
    opts: &'a RecordOptions,
    target: &'a Target,
    progress: Progress<'p>,
}

impl BindingVisitor for Record<'_, '_> {
    type Output = Result<Trace, RecordError>;
    fn visit<B: Binding>(self) -> Self::Output {
        let spec = B::spec(B::walk_bounds(), None);
        let max_term = B::record_max_term(self.opts);
        let make = |id, n| B::core(self.target, id, n);
        let t = record(
            &spec,
            &make,
            B::VARIANT.name(),
            max_term,
            self.opts,
            self.progress,
        )?;
        (B::VARIANT.info().check_bounds)(&t.bounds).map_err(RecordError::BoundsExceeded)?;
        Ok(t)
    }
}

/// A recorded run checked against the model, and the model trace it follows replayed against
/// fresh implementation nodes.
pub struct Validated {
    pub validation: Result<Validation, Box<Divergence>>,
    /// The round trip; None when validation failed.
    pub round_trip: Option<Result<usize, Box<Divergence>>>,
}

/// Validates a recorded run (outer `Err`: not a recording this tool can read).
pub fn validate_recording(rec: &Trace, target: &Target) -> Result<Validated, RecordingError> {
    struct Validate<'a> {
        rec: &'a Trace,
        target: &'a Target,
    }
    impl BindingVisitor for Validate<'_> {
        type Output = Result<Validated, RecordingError>;
        fn visit<B: Binding>(self) -> Self::Output {
            let spec = B::spec(self.rec.bounds.clone(), None);
            let validation = validate(&spec, self.rec)?;
            let make = |id, n| B::core(self.target, id, n);
            let round_trip = validation
                .as_ref()
                .ok()
                .map(|v| replay_validated(&spec, v, &make));
            Ok(Validated {
                validation,
                round_trip,
            })
        }
    }
    with_binding(rec.variant, Validate { rec, target })
}

impl CatalogResult {
    /// A counterexample the implementation follows to its end: a failure.
    pub fn followed(&self) -> bool {
        self.steps.is_some() && self.divergence.is_none()
    }
}
