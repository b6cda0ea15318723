//! The conformance side of the variant registry: for each variant, its model, the
//! implementation that must behave like it, and the facts of its suite (walk bounds, coverage
//! marks, known differences, recording budget). The one place in this crate that names a
//! variant; everything else is written once over [`Binding`]. The model side lives in
//! `raftspec_model::registry`.

use crate::conform::Target;
use crate::driver::{Node, NodeId};
use crate::kraft::KraftNode;
use crate::protocol::Protocol;
use crate::raft::RaftNode;
use crate::record::RecordOptions;
use raftspec_model::bugs::Bug;
use raftspec_model::kraft::KraftModel;
use raftspec_model::raft::RaftModel;
use raftspec_model::{Bounds, NetworkSemantics, Variant};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A variant as the harness sees it: a model and the implementation held against it.
pub trait Binding {
    type Spec: Protocol;
    const VARIANT: Variant;
    /// The prefix of the variant's core coverage marks (`raftspec_impl::core::cov`).
    const MARKS: &'static str;
    /// Actions where model and implementation are known to differ (specs/conformance.md).
    const KNOWN_DIFFERENCES: &'static [&'static str];

    /// raftspec's own core of this variant, as the target configures it (its messages go
    /// over TCP when a real cluster is recorded).
    type Core: Node<Abstract = <Self::Spec as Protocol>::Msg, Message = Self::Wire>;
    type Wire: Serialize + DeserializeOwned + Send + 'static;

    fn spec(bounds: Bounds, bug: Option<Bug>) -> Self::Spec;
    fn core(target: &Target, id: NodeId, servers: u8) -> Self::Core;
    /// The bounds of `conform`'s random walks (servers and options are set per run).
    fn walk_bounds() -> Bounds;
    /// The most terms (epochs) a recorded run may reach.
    fn record_max_term(o: &RecordOptions) -> u8;
    /// Runs `task` with the target's implementation of this variant (raftspec's core unless
    /// the target names another).
    fn with_nodes<T: NodeTask<Self::Spec>>(target: &Target, task: T) -> T::Output {
        task.run(&|id, n| Self::core(target, id, n))
    }
}

/// Work generic over the implementation's node type.
pub trait NodeTask<P: Protocol> {
    type Output;
    fn run<N: Node<Abstract = P::Msg>>(
        self,
        make: &(dyn Fn(NodeId, u8) -> N + Sync),
    ) -> Self::Output;
}

/// Work generic over a variant's binding.
pub trait BindingVisitor {
    type Output;
    fn visit<B: Binding>(self) -> Self::Output;
}

/// The one place a variant name becomes a binding.
pub fn with_binding<V: BindingVisitor>(variant: Variant, visitor: V) -> V::Output {
    match variant {
        Variant::Raft => visitor.visit::<RaftBinding>(),
        Variant::Kraft => visitor.visit::<KraftBinding>(),
    }
}

pub(crate) fn net(drop: bool, max_copies: u8, max_in_flight: u8) -> NetworkSemantics {
    NetworkSemantics {
        drop,
        reorder: true,
        max_copies,
        max_in_flight,
        max_drops: None,
    }
}

/// Three servers and one client value; the rest as given.
pub(crate) fn bounds(
    max_term: u8,
    max_log: u8,
    max_restarts: u8,
    network: NetworkSemantics,
) -> Bounds {
    Bounds {
        servers: 3,
        max_term,
        max_log,
        values: 1,
        max_restarts,
        network,
        options: Default::default(),
    }
}

pub struct RaftBinding;

impl Binding for RaftBinding {
    type Spec = RaftModel;
    const VARIANT: Variant = Variant::Raft;
    const MARKS: &'static str = "raft:";
    const KNOWN_DIFFERENCES: &'static [&'static str] = &[];

    type Core = RaftNode;
    type Wire = <RaftNode as Node>::Message;

    fn spec(bounds: Bounds, bug: Option<Bug>) -> RaftModel {
        RaftModel::new(bounds, bug)
    }

    fn core(target: &Target, id: NodeId, servers: u8) -> RaftNode {
        RaftNode::new(id, servers, target.raft_config())
    }

    fn walk_bounds() -> Bounds {
        bounds(4, 3, 2, net(true, 2, 8))
    }

    fn record_max_term(_: &RecordOptions) -> u8 {
        14
    }

    fn with_nodes<T: NodeTask<RaftModel>>(target: &Target, task: T) -> T::Output {
        #[cfg(feature = "raft-rs")]
        if let Some(rs) = target.raft_rs {
            let options = target.options;
            let make = move |id, n| crate::raftrs::RaftRsNode::new(id, n, options, rs.mutant);
            return task.run(&make);
        }
        task.run(&|id, n| Self::core(target, id, n))
    }
}

pub struct KraftBinding;

impl Binding for KraftBinding {
    type Spec = KraftModel;
    const VARIANT: Variant = Variant::Kraft;
    const MARKS: &'static str = "kraft:";
    // None since the KRaft model restores a known leader on restart as Kafka does; the
    // mechanism stays for the differences a new variant or option may bring.
    const KNOWN_DIFFERENCES: &'static [&'static str] = &[];

    type Core = KraftNode;
    type Wire = <KraftNode as Node>::Message;

    fn spec(bounds: Bounds, bug: Option<Bug>) -> KraftModel {
        KraftModel::new(bounds, bug)
    }

    fn core(target: &Target, id: NodeId, servers: u8) -> KraftNode {
        KraftNode::new(id, servers, target.kraft_config())
    }

    // KRaft logs hold a LeaderChange record per election: max-term + max-log + max-restarts
    // must fit the model's 8 records.
    fn walk_bounds() -> Bounds {
        bounds(4, 2, 2, net(true, 2, 8))
    }

    // A KRaft log holds one LeaderChange record per election.
    fn record_max_term(o: &RecordOptions) -> u8 {
        let budget = raftspec_model::kraft::LOG_CAPACITY as u8;
        budget.saturating_sub(o.requests + o.restarts).max(1)
    }
}
