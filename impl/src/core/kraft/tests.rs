use super::*;
use crate::core::testnet::Net;
use crate::core::HardState;

fn cluster(n: u64) -> Net<KraftCore> {
    let ids: Vec<NodeId> = (0..n).collect();
    Net::new(
        ids.iter()
            .map(|&i| KraftCore::new(i, &ids, Config::model()))
            .collect(),
    )
}

fn restored(id: NodeId, epoch: u64, leader: Option<NodeId>, log: Vec<Entry>) -> KraftCore {
    KraftCore::restore(
        id,
        &[0, 1, 2],
        Config::model(),
        PersistentState {
            hard_state: HardState {
                term: epoch,
                voted_for: None,
                leader,
            },
            log,
        },
    )
}

fn cmd(epoch: u64, v: &str) -> Entry {
    Entry::command(epoch, v)
}

fn lc(epoch: u64, leader: NodeId) -> Entry {
    Entry {
        term: epoch,
        data: EntryData::LeaderChange { leader },
    }
}

/// Fetch until quiet: every follower fires its fetch timer `rounds` times.
fn fetch_rounds(net: &mut Net<KraftCore>, rounds: usize) {
    for _ in 0..rounds {
        for id in 0..net.nodes.len() as u64 {
            net.fire(id, Timer::FetchTimeout);
        }
        net.deliver_all();
    }
}

#[test]
fn election_appends_leader_change_and_begins_epoch() {
    let mut net = cluster(3);
    let out = net.fire(0, Timer::ElectionTimeout);
    assert_eq!(out.send.len(), 2);
    net.deliver_all();
    let v = net.nodes[0].view();
    assert_eq!((v.role, v.epoch, v.leader), (Role::Leader, 1, Some(0)));
    assert_eq!(v.log, vec![lc(1, 0)]);
    assert_eq!(v.epoch_start_offset, Some(0));
    // BeginQuorumEpoch made both others followers of 0.
    for id in [1, 2] {
        let v = net.nodes[id].view();
        assert_eq!((v.role, v.leader), (Role::Follower, Some(0)));
    }
    // HW is not above epochStartOffset until a follower fetched the LeaderChange record.
    assert_eq!(net.nodes[0].high_watermark(), 0);
    fetch_rounds(&mut net, 2);
    assert_eq!(net.nodes[0].high_watermark(), 1);
    assert_eq!(net.nodes[1].high_watermark(), 1);
}

#[test]
fn timers_follow_the_role() {
    let election = &[Timer::ElectionTimeout][..];
    let mut net = cluster(3);
    assert_eq!(net.nodes[0].role(), Role::Unattached);
    assert_eq!(net.nodes[0].timers(), election);
    net.fire(0, Timer::ElectionTimeout);
    assert_eq!(net.nodes[0].timers(), election);
    net.deliver_all();
    assert_eq!(net.nodes[0].role(), Role::Leader);
    assert_eq!(
        net.nodes[0].timers(),
        &[Timer::BeginQuorumEpochTimeout, Timer::CheckQuorumTimeout]
    );
    assert_eq!(net.nodes[1].role(), Role::Follower);
    assert_eq!(
        net.nodes[1].timers(),
        &[Timer::ElectionTimeout, Timer::FetchTimeout]
    );
    // Nobody fetched: the leader resigns and only waits for the next election.
    net.fire(0, Timer::CheckQuorumTimeout);
    assert_eq!(net.nodes[0].role(), Role::Resigned);
    assert_eq!(net.nodes[0].timers(), election);
    let voted = restored(1, 3, None, vec![]);
    assert_eq!(voted.timers(), election);
}

#[test]
fn single_voter_commits_at_once() {
    let mut c = KraftCore::new(0, &[0], Config::model());
    let out = c.step(Input::Timer(Timer::ElectionTimeout));
    assert_eq!(c.role(), Role::Leader);
    assert_eq!(out.committed, Some(1));
    let out = c.step(Input::Propose(b"a".to_vec()));
    assert_eq!(out.committed, Some(2));
}

#[test]
fn replication_by_fetch_commits_and_follower_hw_is_clamped() {
    let mut net = cluster(3);
    net.fire(0, Timer::ElectionTimeout);
    net.deliver_all();
    net.propose(0, "a");
    net.propose(0, "b");
    fetch_rounds(&mut net, 4);
    assert_eq!(net.nodes[0].high_watermark(), 3);
    assert_eq!(net.nodes[1].log().len(), 3);
    // A follower whose log is shorter than the leader HW clamps it to its own end.
    let mut f = restored(1, 1, Some(0), vec![lc(1, 0)]);
    f.step(Input::Receive {
        from: 0,
        msg: Message::FetchResponse {
            epoch: 1,
            leader: Some(0),
            error: None,
            fetch_offset: 1,
            last_fetched_epoch: 1,
            diverging: None,
            records: vec![cmd(1, "a")],
            high_watermark: Some(3),
        },
    });
    assert_eq!(f.high_watermark(), 2);
}

#[test]
fn hw_needs_an_entry_of_the_new_epoch_on_a_majority() {
    // Leader 0 of epoch 2 inherits [a@1, b@1]; node 1 has them too; epochStartOffset = 2.
    let mut l = restored(0, 1, None, vec![cmd(1, "a"), cmd(1, "b")]);
    l.step(Input::Timer(Timer::ElectionTimeout));
    l.step(Input::Receive {
        from: 1,
        msg: Message::VoteResponse {
            epoch: 2,
            leader: None,
            granted: true,
            error: None,
        },
    });
    assert_eq!(l.view().epoch_start_offset, Some(2));
    // Node 1 fetches at offset 2 (it has both old entries): majority at 2 = epochStartOffset.
    let out = l.step(Input::Receive {
        from: 1,
        msg: Message::Fetch {
            epoch: 2,
            fetch_offset: 2,
            last_fetched_epoch: 1,
        },
    });
    assert_eq!(
        l.high_watermark(),
        0,
        "HW must stay until the LeaderChange record is covered"
    );
    assert_eq!(out.committed, None);
    l.step(Input::Receive {
        from: 1,
        msg: Message::Fetch {
            epoch: 2,
            fetch_offset: 3,
            last_fetched_epoch: 2,
        },
    });
    assert_eq!(l.high_watermark(), 3);
}

#[test]
fn diverging_epoch_truncates_to_the_smaller_end_offset() {
    // Leader log: a@1, LC@3, c@3. Follower: a@1, x@2, y@2 (epoch 2 never committed).
    let mut leader = restored(0, 3, Some(0), vec![cmd(1, "a"), lc(3, 0), cmd(3, "c")]);
    // Make it a live leader of epoch 3 is not possible by restore (Resigned); elect in epoch 4.
    leader.step(Input::Timer(Timer::ElectionTimeout));
    leader.step(Input::Receive {
        from: 2,
        msg: Message::VoteResponse {
            epoch: 4,
            leader: None,
            granted: true,
            error: None,
        },
    });
    assert_eq!(leader.role(), Role::Leader);
    let out = leader.step(Input::Receive {
        from: 1,
        msg: Message::Fetch {
            epoch: 4,
            fetch_offset: 3,
            last_fetched_epoch: 2,
        },
    });
    let resp = out.send[0].1.clone();
    match &resp {
        Message::FetchResponse {
            diverging, records, ..
        } => {
            // Largest epoch <= 2 on the leader is 1, which ends at offset 1.
            assert_eq!(
                *diverging,
                Some(DivergingEpoch {
                    epoch: 1,
                    end_offset: 1
                })
            );
            assert!(records.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut f = restored(1, 4, Some(0), vec![cmd(1, "a"), cmd(2, "x"), cmd(2, "y")]);
    let out = f.step(Input::Receive {
        from: 0,
        msg: resp.clone(),
    });
    assert_eq!(out.persist.truncate_to, Some(1));
    assert_eq!(f.log(), &[cmd(1, "a")]);
    assert!(out.fetch_again);
    // The same response again no longer matches the position: ignored.
    let out = f.step(Input::Receive { from: 0, msg: resp });
    assert!(out.persist.is_empty());
    // The next fetch from (1, epoch 1) is valid and gets the leader's records.
    let out = f.step(Input::Timer(Timer::FetchTimeout));
    assert_eq!(
        out.send,
        vec![(
            0,
            Message::Fetch {
                epoch: 4,
                fetch_offset: 1,
                last_fetched_epoch: 1
            }
        )]
    );
}

#[test]
fn fetch_epoch_fencing() {
    let mut net = cluster(3);
    net.fire(0, Timer::ElectionTimeout);
    net.deliver_all();
    let ask = |net: &mut Net<KraftCore>, epoch| {
        net.step(
            0,
            Input::Receive {
                from: 1,
                msg: Message::Fetch {
                    epoch,
                    fetch_offset: 0,
                    last_fetched_epoch: 0,
                },
            },
        )
        .send[0]
            .1
            .clone()
    };
    let stale = ask(&mut net, 0);
    assert!(matches!(
        stale,
        Message::FetchResponse {
            error: Some(ErrorCode::FencedLeaderEpoch),
            epoch: 1,
            leader: Some(0),
            ..
        }
    ));
    let future = ask(&mut net, 5);
    assert!(matches!(
        future,
        Message::FetchResponse {
            error: Some(ErrorCode::UnknownLeaderEpoch),
            ..
        }
    ));
    // A non-leader answers NotLeaderOrFollower.
    let out = net.step(
        1,
        Input::Receive {
            from: 2,
            msg: Message::Fetch {
                epoch: 1,
                fetch_offset: 0,
                last_fetched_epoch: 0,
            },
        },
    );
    assert!(matches!(
        out.send[0].1,
        Message::FetchResponse {
            error: Some(ErrorCode::NotLeaderOrFollower),
            ..
        }
    ));
}

#[test]
fn votes_respect_epoch_log_and_single_vote() {
    let mut v = restored(2, 1, None, vec![cmd(1, "a")]);
    // Shorter log: refused, but the epoch is adopted.
    let out = v.step(Input::Receive {
        from: 0,
        msg: Message::Vote {
            epoch: 2,
            last_offset_epoch: 0,
            last_offset: 0,
        },
    });
    assert!(matches!(
        out.send[0].1,
        Message::VoteResponse {
            granted: false,
            epoch: 2,
            ..
        }
    ));
    assert_eq!(v.view().role, Role::Unattached);
    let out = v.step(Input::Receive {
        from: 1,
        msg: Message::Vote {
            epoch: 2,
            last_offset_epoch: 1,
            last_offset: 1,
        },
    });
    assert!(matches!(
        out.send[0].1,
        Message::VoteResponse { granted: true, .. }
    ));
    assert_eq!(out.persist.hard_state.as_ref().unwrap().voted_for, Some(1));
    // A second candidate in the same epoch is refused.
    let out = v.step(Input::Receive {
        from: 0,
        msg: Message::Vote {
            epoch: 2,
            last_offset_epoch: 1,
            last_offset: 5,
        },
    });
    assert!(matches!(
        out.send[0].1,
        Message::VoteResponse { granted: false, .. }
    ));
    // A stale candidate is fenced.
    let out = v.step(Input::Receive {
        from: 0,
        msg: Message::Vote {
            epoch: 1,
            last_offset_epoch: 1,
            last_offset: 5,
        },
    });
    assert!(matches!(
        out.send[0].1,
        Message::VoteResponse {
            error: Some(ErrorCode::FencedLeaderEpoch),
            ..
        }
    ));
}

#[test]
fn check_quorum_resigns_without_majority_fetches() {
    let mut net = cluster(3);
    net.fire(0, Timer::ElectionTimeout);
    net.deliver_all();
    fetch_rounds(&mut net, 1);
    net.fire(0, Timer::CheckQuorumTimeout);
    assert_eq!(net.nodes[0].role(), Role::Leader);
    // No fetches in the next period.
    let out = net.fire(0, Timer::CheckQuorumTimeout);
    assert_eq!(net.nodes[0].role(), Role::Resigned);
    assert!(out
        .send
        .iter()
        .all(|(_, m)| matches!(m, Message::EndQuorumEpoch { .. })));
    net.deliver_all();
    let elect = net
        .outputs
        .iter()
        .filter_map(|(_, o)| o.elect_soon)
        .collect::<Vec<_>>();
    assert_eq!(elect.len(), 2);
    assert!(elect.contains(&0));
}

#[test]
fn restart_roles_follow_the_quorum_state() {
    let r = |leader, voted| {
        KraftCore::restore(
            1,
            &[0, 1, 2],
            Config::model(),
            PersistentState {
                hard_state: HardState {
                    term: 3,
                    voted_for: voted,
                    leader,
                },
                log: vec![],
            },
        )
        .role()
    };
    assert_eq!(r(Some(1), Some(1)), Role::Resigned);
    assert_eq!(r(Some(0), None), Role::Follower);
    assert_eq!(r(None, Some(1)), Role::Candidate);
    assert_eq!(r(None, Some(2)), Role::Voted);
    assert_eq!(r(None, None), Role::Unattached);
}

#[test]
fn truncation_below_hw_is_refused() {
    let mut f = restored(1, 2, Some(0), vec![cmd(1, "a"), cmd(1, "b")]);
    // Learn HW 2 from the leader of epoch 2.
    f.step(Input::Receive {
        from: 0,
        msg: Message::FetchResponse {
            epoch: 2,
            leader: Some(0),
            error: None,
            fetch_offset: 2,
            last_fetched_epoch: 1,
            diverging: None,
            records: vec![],
            high_watermark: Some(2),
        },
    });
    assert_eq!(f.high_watermark(), 2);
    let out = f.step(Input::Receive {
        from: 0,
        msg: Message::FetchResponse {
            epoch: 2,
            leader: Some(0),
            error: None,
            fetch_offset: 2,
            last_fetched_epoch: 1,
            diverging: Some(DivergingEpoch {
                epoch: 1,
                end_offset: 1,
            }),
            records: vec![],
            high_watermark: Some(2),
        },
    });
    assert!(out.fatal.is_some());
    assert_eq!(f.log().len(), 2);
}

#[test]
fn caught_up_fetch_without_news_may_be_deferred() {
    let mut net = cluster(3);
    net.fire(0, Timer::ElectionTimeout);
    net.deliver_all();
    fetch_rounds(&mut net, 3);
    let fetch = Message::Fetch {
        epoch: 1,
        fetch_offset: 1,
        last_fetched_epoch: 1,
    };
    assert!(net.nodes[0].may_defer(1, &fetch));
    net.propose(0, "x");
    assert!(
        !net.nodes[0].may_defer(1, &fetch),
        "new records: answer at once"
    );
}

#[cfg(feature = "mutants")]
mod mutants {
    use super::*;

    #[test]
    fn hw_at_epoch_start_commits_early() {
        let mut cfg = Config::model();
        cfg.mutant = Some("kraft:hw-at-epoch-start".parse().unwrap());
        let mut l = KraftCore::restore(
            0,
            &[0, 1, 2],
            cfg,
            PersistentState {
                hard_state: HardState {
                    term: 1,
                    voted_for: None,
                    leader: None,
                },
                log: vec![cmd(1, "a")],
            },
        );
        l.step(Input::Timer(Timer::ElectionTimeout));
        l.step(Input::Receive {
            from: 1,
            msg: Message::VoteResponse {
                epoch: 2,
                leader: None,
                granted: true,
                error: None,
            },
        });
        l.step(Input::Receive {
            from: 1,
            msg: Message::Fetch {
                epoch: 2,
                fetch_offset: 1,
                last_fetched_epoch: 1,
            },
        });
        assert_eq!(l.high_watermark(), 1);
    }
}

/// Production settings under random faults: once they stop, every node holds the leader's log
/// and has committed it within a few rounds, and committed prefixes never disagree.
#[test]
fn production_cluster_converges_after_random_faults() {
    let ids: Vec<NodeId> = (0..3).collect();
    let restart =
        |c: &KraftCore| KraftCore::restore(c.id(), &ids, c.config().clone(), c.persistent_state());
    let mut entries = 0;
    for seed in 0..300 {
        let mut net = Net::new(
            ids.iter()
                .map(|&i| KraftCore::new(i, &ids, Config::production()))
                .collect(),
        );
        let mut rng = crate::core::testnet::Rng(seed);
        net.chaos(&mut rng, 200, &restart);
        assert!(net.committed_prefixes_agree(), "seed {seed}");
        let rounds = net.converge(20);
        if rounds.is_none() {
            for c in &net.nodes {
                eprintln!(
                    "{:?} {:?}",
                    c.summary(),
                    c.log().iter().map(|e| e.term).collect::<Vec<_>>()
                );
            }
        }
        assert!(rounds.is_some(), "seed {seed}: no convergence in 20 rounds");
        entries += net.nodes[0].log().len();
    }
    assert!(entries > 300 * 3, "only {entries} entries in 300 runs");
}
