//! Fault tests on real processes: a 3-node cluster per variant under concurrent clients, with
//! the leader and followers killed (SIGKILL) at random moments and restarted. Afterwards every
//! acknowledged write must be readable, and the recorded history of the contended keys must be
//! linearizable (stateright's `LinearizabilityTester`, one register per key).

use raftspec_impl::client::{Client, ClientError};
use raftspec_impl::local::LocalCluster;
use raftspec_impl::node::Mode;
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REGISTER_KEYS: u64 = 4;
const WORKERS: u64 = 3;
const CHAOS: Duration = Duration::from_secs(20);

type Op = RegisterOp<Option<String>>;
type Ret = RegisterRet<Option<String>>;

/// One client operation on a register key; `ret` is None if its outcome is unknown.
#[derive(Clone, Debug)]
struct Call {
    key: String,
    thread: u64,
    op: Op,
    invoked: Instant,
    ret: Option<(Instant, Ret)>,
}

/// A small deterministic generator (per thread), seeded from the clock.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Rng((t ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("raftspec-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn start_cluster(mode: Mode, tag: &str) -> LocalCluster {
    let dir = temp_dir(tag);
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_raftspec"));
    let mut c = LocalCluster::new(exe, mode, 3, &dir, None).expect("lay out cluster");
    c.node_args = ["--heartbeat-ms", "30", "--election-ms", "250"]
        .map(String::from)
        .to_vec();
    c.die_with_parent = true;
    c.start_all().expect("start nodes");
    c.wait_for_leader(Duration::from_secs(20))
        .expect("a leader within 20 s");
    c
}

struct Worker {
    calls: Vec<Call>,
    acked: Vec<(String, String)>,
    indeterminate: u64,
}

fn worker(t: u64, urls: Vec<String>, stop: Arc<AtomicBool>) -> Worker {
    let mut rng = Rng::new(t + 1);
    let mut c = Client::new(&urls, false);
    c.deadline = Duration::from_secs(4);
    let mut w = Worker {
        calls: Vec::new(),
        acked: Vec::new(),
        indeterminate: 0,
    };
    // Thread ids for the tester: a worker whose op has an unknown outcome continues as a new
    // thread (the old one keeps that op in flight forever).
    let mut thread = t * 1_000_000;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        if i.is_multiple_of(3) {
            // A write to a key of its own: must be readable at the end if acknowledged.
            let (k, v) = (format!("ack-{t}-{i}"), format!("v{t}-{i}"));
            match c.put(&k, &v) {
                Ok(_) => w.acked.push((k, v)),
                Err(ClientError::Indeterminate(_)) => w.indeterminate += 1,
                Err(ClientError::Failed(_)) => {}
            }
            continue;
        }
        let key = format!("reg-{}", rng.below(REGISTER_KEYS));
        let write = rng.below(2) == 0;
        let value = format!("{t}.{i}");
        let invoked = Instant::now();
        let (op, result) = if write {
            let r = c.put(&key, &value).map(|_| RegisterRet::WriteOk);
            (RegisterOp::Write(Some(value)), r)
        } else {
            (RegisterOp::Read, c.get(&key).map(RegisterRet::ReadOk))
        };
        match result {
            Ok(ret) => w.calls.push(Call {
                key,
                thread,
                op,
                invoked,
                ret: Some((Instant::now(), ret)),
            }),
            Err(ClientError::Indeterminate(_)) => {
                w.indeterminate += 1;
                w.calls.push(Call {
                    key,
                    thread,
                    op,
                    invoked,
                    ret: None,
                });
                thread += 1;
            }
            // Certainly not executed: not part of the history.
            Err(ClientError::Failed(_)) => {}
        }
        std::thread::sleep(Duration::from_millis(rng.below(8)));
    }
    w
}

/// Feed one key's calls to the tester in real-time order; true iff linearizable.
fn linearizable(calls: &[Call]) -> Result<bool, String> {
    enum Ev<'a> {
        Invoke(&'a Call),
        Return(&'a Call),
    }
    let mut evs: Vec<(Instant, u8, Ev)> = Vec::new();
    for c in calls {
        evs.push((c.invoked, 1, Ev::Invoke(c)));
        if let Some((t, _)) = &c.ret {
            // At equal instants returns go first: the safe (stricter) reading.
            evs.push((*t, 0, Ev::Return(c)));
        }
    }
    evs.sort_by_key(|e| (e.0, e.1));
    let mut t: LinearizabilityTester<u64, Register<Option<String>>> =
        LinearizabilityTester::new(Register(None));
    for (_, _, e) in evs {
        match e {
            Ev::Invoke(c) => t.on_invoke(c.thread, c.op.clone()).map(|_| ())?,
            Ev::Return(c) => t
                .on_return(c.thread, c.ret.clone().expect("returned").1)
                .map(|_| ())?,
        }
    }
    Ok(t.is_consistent())
}

fn fault_test(mode: Mode) {
    let started = Instant::now();
    let mut c = start_cluster(mode, &format!("faults-{mode}"));
    let urls = c.urls();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|t| {
            let (urls, stop) = (urls.clone(), stop.clone());
            std::thread::spawn(move || worker(t, urls, stop))
        })
        .collect();

    // Chaos: alternately kill the leader and a follower, at random moments, and restart.
    let mut rng = Rng::new(99);
    let mut kills = BTreeMap::<&str, u32>::new();
    let chaos_start = Instant::now();
    let mut round = 0;
    while chaos_start.elapsed() < CHAOS {
        std::thread::sleep(Duration::from_millis(800 + rng.below(1500)));
        let leader = c.leader();
        let victim = match (round % 2, leader) {
            (0, Some(l)) => {
                *kills.entry("leader").or_default() += 1;
                l
            }
            (_, Some(l)) => {
                *kills.entry("follower").or_default() += 1;
                (l + 1 + rng.below(2) as usize) % 3
            }
            (_, None) => {
                *kills.entry("no leader known").or_default() += 1;
                rng.below(3) as usize
            }
        };
        round += 1;
        c.kill(victim);
        std::thread::sleep(Duration::from_millis(200 + rng.below(1200)));
        c.start(victim).expect("restart node");
    }
    stop.store(true, Ordering::Relaxed);
    let results: Vec<Worker> = workers
        .into_iter()
        .map(|h| h.join().expect("worker"))
        .collect();

    // Heal, then read back.
    for i in 0..3 {
        assert!(c.is_running(i) || c.start(i).is_ok());
    }
    c.wait_for_leader(Duration::from_secs(20))
        .expect("a leader after the faults");
    let mut reader = Client::new(&urls, false);
    reader.deadline = Duration::from_secs(20);
    let mut calls: Vec<Call> = results.iter().flat_map(|w| w.calls.clone()).collect();
    let acked: Vec<(String, String)> = results.iter().flat_map(|w| w.acked.clone()).collect();
    let indeterminate: u64 = results.iter().map(|w| w.indeterminate).sum();
    let mut missing = Vec::new();
    for (k, v) in &acked {
        match reader.get(k) {
            Ok(Some(got)) if got == *v => {}
            other => missing.push(format!("{k}: wrote {v}, read {other:?}")),
        }
    }
    for k in 0..REGISTER_KEYS {
        let key = format!("reg-{k}");
        let invoked = Instant::now();
        let got = reader.get(&key).expect("final read");
        calls.push(Call {
            key,
            thread: u64::MAX - k,
            op: RegisterOp::Read,
            invoked,
            ret: Some((Instant::now(), RegisterRet::ReadOk(got))),
        });
    }
    eprintln!(
        "{mode}: {} acked unique writes, {} register ops, {indeterminate} unknown outcomes, kills {kills:?}, {:?}",
        acked.len(),
        calls.len(),
        started.elapsed()
    );
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:#?}");
    assert!(
        acked.len() >= 30,
        "too few acknowledged writes ({}) to mean anything",
        acked.len()
    );
    assert!(
        kills.get("leader").copied().unwrap_or(0) >= 2,
        "leader was not killed: {kills:?}"
    );

    converged(&c, Duration::from_secs(20));

    // Linearizability per key (a register each), with a time budget.
    let mut by_key: BTreeMap<String, Vec<Call>> = BTreeMap::new();
    for call in calls {
        by_key.entry(call.key.clone()).or_default().push(call);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let verdicts = Arc::new(Mutex::new(Vec::new()));
    {
        let verdicts = verdicts.clone();
        std::thread::spawn(move || {
            for (k, calls) in by_key {
                let v = linearizable(&calls);
                verdicts.lock().unwrap().push((k, calls.len(), v));
            }
            let _ = tx.send(());
        });
    }
    rx.recv_timeout(Duration::from_secs(60))
        .expect("linearizability check did not finish within 60 s");
    for (k, n, v) in verdicts.lock().unwrap().iter() {
        assert_eq!(v, &Ok(true), "history of {k} ({n} ops) is not linearizable");
    }
}

/// After the faults stop, every node holds the same log and has committed all of it within
/// `bound` (issue 16: an idle follower with a deep conflicting suffix was never repaired).
fn converged(c: &LocalCluster, bound: Duration) {
    let start = Instant::now();
    let mut last = Vec::new();
    while start.elapsed() < bound {
        last = c
            .statuses()
            .into_iter()
            .map(|(_, s)| (s["log_end"].as_u64(), s["commit"].as_u64()))
            .collect();
        let len = last.first().map(|&(l, _)| l);
        if last.len() == 3
            && last
                .iter()
                .all(|&(l, k)| l.is_some() && l == len.flatten() && k == l)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no convergence within {bound:?}: (log length, committed) per node {last:?}");
}

#[test]
fn raft_cluster_survives_kill_9_without_losing_acknowledged_writes() {
    fault_test(Mode::Raft);
}

#[test]
fn kraft_cluster_survives_kill_9_without_losing_acknowledged_writes() {
    fault_test(Mode::Kraft);
}

/// The checker has teeth: a history where a read misses an acknowledged write is rejected.
#[test]
fn the_history_check_rejects_a_stale_read() {
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let call = |thread, op, i, r, ret| Call {
        key: "k".into(),
        thread,
        op,
        invoked: at(i),
        ret: Some((at(r), ret)),
    };
    let ok = vec![
        call(
            1,
            RegisterOp::Write(Some("a".into())),
            0,
            10,
            RegisterRet::WriteOk,
        ),
        call(
            2,
            RegisterOp::Read,
            20,
            30,
            RegisterRet::ReadOk(Some("a".into())),
        ),
    ];
    assert_eq!(linearizable(&ok), Ok(true));
    let stale = vec![
        call(
            1,
            RegisterOp::Write(Some("a".into())),
            0,
            10,
            RegisterRet::WriteOk,
        ),
        call(2, RegisterOp::Read, 20, 30, RegisterRet::ReadOk(None)),
    ];
    assert_eq!(linearizable(&stale), Ok(false));
    // An unknown-outcome write may or may not be seen.
    let mut maybe = vec![Call {
        key: "k".into(),
        thread: 1,
        op: RegisterOp::Write(Some("a".into())),
        invoked: at(0),
        ret: None,
    }];
    maybe.push(call(2, RegisterOp::Read, 20, 30, RegisterRet::ReadOk(None)));
    maybe.push(call(
        2,
        RegisterOp::Read,
        40,
        50,
        RegisterRet::ReadOk(Some("a".into())),
    ));
    assert_eq!(linearizable(&maybe), Ok(true));
}
