//! The clients of a chaos run: each writes keys of its own (every acknowledged one must be read
//! back at the end) and reads and writes a few shared registers (whose histories must be
//! linearizable, checked with stateright's `LinearizabilityTester`).

use raftspec_impl::client::{Client, ClientError};
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const REGISTER_KEYS: u64 = 4;

pub type Op = RegisterOp<Option<String>>;
pub type Ret = RegisterRet<Option<String>>;

/// One register operation; `ret` is `None` if its outcome is unknown.
#[derive(Clone, Debug)]
pub struct Call {
    pub key: String,
    pub thread: u64,
    pub op: Op,
    pub invoked: Instant,
    pub ret: Option<(Instant, Ret)>,
}

#[derive(Default)]
pub struct Tally {
    pub calls: Vec<Call>,
    pub acked: Vec<(String, String)>,
    pub attempted: u64,
    pub indeterminate: u64,
    pub failed: u64,
}

/// xorshift64, seeded per client.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Run client `t` until `stop`.
pub fn client(t: u64, seed: u64, urls: Vec<String>, stop: Arc<AtomicBool>) -> Tally {
    let mut rng = Rng((seed ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
    let mut c = Client::new(&urls, false);
    c.deadline = Duration::from_secs(4);
    let mut w = Tally::default();
    // A client whose operation has an unknown outcome goes on as a new thread of the history
    // (the old one keeps that operation pending forever).
    let mut thread = t * 1_000_000;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        w.attempted += 1;
        if i.is_multiple_of(3) {
            let (k, v) = (format!("ack-{t}-{i}"), format!("v{t}-{i}"));
            match c.put(&k, &v) {
                Ok(_) => w.acked.push((k, v)),
                Err(ClientError::Indeterminate(_)) => w.indeterminate += 1,
                Err(ClientError::Failed(_)) => w.failed += 1,
            }
            continue;
        }
        let key = format!("reg-{}", rng.below(REGISTER_KEYS));
        let value = format!("{t}.{i}");
        let invoked = Instant::now();
        let (op, result) = if rng.below(2) == 0 {
            let r = c.put(&key, &value).map(|_| RegisterRet::WriteOk);
            (RegisterOp::Write(Some(value)), r)
        } else {
            (RegisterOp::Read, c.get(&key).map(RegisterRet::ReadOk))
        };
        let ret = match result {
            Ok(ret) => Some((Instant::now(), ret)),
            Err(ClientError::Indeterminate(_)) => {
                w.indeterminate += 1;
                None
            }
            Err(ClientError::Failed(_)) => {
                w.failed += 1;
                continue; // certainly not executed: not part of the history
            }
        };
        let unknown = ret.is_none();
        w.calls.push(Call {
            key,
            thread,
            op,
            invoked,
            ret,
        });
        if unknown {
            thread += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.below(8)));
    }
    w
}

/// Feed one key's calls to the tester in real-time order; `Ok(true)` iff linearizable.
pub fn linearizable(calls: &[Call]) -> Result<bool, String> {
    let mut evs: Vec<(Instant, u8, &Call)> = Vec::new();
    for c in calls {
        evs.push((c.invoked, 1, c));
        if let Some((t, _)) = &c.ret {
            // At equal instants returns go first: the stricter reading.
            evs.push((*t, 0, c));
        }
    }
    evs.sort_by_key(|e| (e.0, e.1));
    let mut t: LinearizabilityTester<u64, Register<Option<String>>> =
        LinearizabilityTester::new(Register(None));
    for (_, kind, c) in evs {
        if kind == 1 {
            t.on_invoke(c.thread, c.op.clone()).map(|_| ())?;
        } else {
            let ret = c.ret.clone().expect("returned").1;
            t.on_return(c.thread, ret).map(|_| ())?;
        }
    }
    Ok(t.is_consistent())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checker has teeth: a read that misses an acknowledged write is rejected.
    #[test]
    fn a_stale_read_is_not_linearizable() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let call = |thread, op, i, r, ret| Call {
            key: "k".into(),
            thread,
            op,
            invoked: at(i),
            ret: Some((at(r), ret)),
        };
        let write = call(
            1,
            RegisterOp::Write(Some("a".into())),
            0,
            10,
            RegisterRet::WriteOk,
        );
        let fresh = call(
            2,
            RegisterOp::Read,
            20,
            30,
            RegisterRet::ReadOk(Some("a".into())),
        );
        let stale = call(2, RegisterOp::Read, 20, 30, RegisterRet::ReadOk(None));
        assert_eq!(linearizable(&[write.clone(), fresh]), Ok(true));
        assert_eq!(linearizable(&[write, stale]), Ok(false));
    }
}
