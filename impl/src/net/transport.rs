//! TCP transport: one outbound connection per peer, owned by a thread that reconnects with
//! exponential backoff; one reader thread per inbound connection.
//!
//! An outbound connection starts with a `Hello` frame naming the sender and the mode; the
//! receiver checks both against its configuration. Messages for a peer that is down are
//! dropped when its queue is full: consensus tolerates loss, and an unbounded queue would
//! grow without limit while a peer is away.

use super::frame::{self, FrameError, FrameKey, HELLO, MAX_FRAME};
use crate::core::NodeId;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};
use std::marker::PhantomData;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// What travels on a connection.
#[derive(Serialize, Deserialize)]
enum Wire<M> {
    Hello {
        from: NodeId,
        mode: String,
    },
    Msg(M),
    /// "What is your current term?" (asked by a node rebuilt with `--rejoin-empty`).
    TermProbe,
    /// The sender's term, and whether it leads in it.
    TermReply {
        term: u64,
        leader: bool,
    },
}

/// The bytes a node sends to open a connection to `to` (for tests and tools that talk to a
/// node's peer port directly).
pub fn hello_frame(from: NodeId, mode: &str, key: &FrameKey, to: NodeId) -> Vec<u8> {
    let hello = Wire::<()>::Hello {
        from,
        mode: mode.to_string(),
    };
    frame::encode(&hello, key, HELLO, to)
}

/// The bytes of one protocol message from `from` to `to`, after [`hello_frame`].
pub fn message_frame<M: Serialize>(msg: &M, key: &FrameKey, from: NodeId, to: NodeId) -> Vec<u8> {
    frame::encode(&Wire::Msg(msg), key, from, to)
}

/// What a transport hands to the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming<M> {
    Msg(M),
    TermProbe,
    TermReply { term: u64, leader: bool },
}

/// Counters for the benchmark and `/status`.
#[derive(Default, Debug)]
pub struct NetStats {
    pub msgs_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub msgs_received: AtomicU64,
    pub bytes_received: AtomicU64,
    pub dropped: AtomicU64,
    /// Connections closed for a frame that failed authentication or validation.
    pub refused: AtomicU64,
}

/// Receives protocol messages only (term probes go unanswered).
pub type Deliver<M> = Arc<dyn Fn(NodeId, M) + Send + Sync>;
/// Receives everything a peer sends.
pub type DeliverAll<M> = Arc<dyn Fn(NodeId, Incoming<M>) + Send + Sync>;

pub struct Transport<M> {
    id: NodeId,
    key: FrameKey,
    queues: BTreeMap<NodeId, SyncSender<Vec<u8>>>,
    pub stats: Arc<NetStats>,
    _m: PhantomData<fn(M)>,
}

const QUEUE: usize = 4096;

impl<M: Serialize + DeserializeOwned + Send + 'static> Transport<M> {
    /// Start accepting on `listener` and connecting to every peer. Every decoded protocol
    /// message is handed to `deliver(from, msg)`.
    pub fn start(
        id: NodeId,
        mode: &str,
        listener: TcpListener,
        peers: &BTreeMap<NodeId, SocketAddr>,
        deliver: Deliver<M>,
    ) -> Transport<M> {
        let all: DeliverAll<M> = Arc::new(move |from, i| {
            if let Incoming::Msg(m) = i {
                deliver(from, m)
            }
        });
        // Callers without a cluster identity (the recorder) share a per-mode key.
        let key = FrameKey::new(&format!("unnamed-{mode}"), None);
        Transport::start_all(id, mode, key, listener, peers, all)
    }

    /// Like [`start`](Transport::start), with the cluster's frame key, handing over term
    /// probes and replies too.
    pub fn start_all(
        id: NodeId,
        mode: &str,
        key: FrameKey,
        listener: TcpListener,
        peers: &BTreeMap<NodeId, SocketAddr>,
        deliver: DeliverAll<M>,
    ) -> Transport<M> {
        let stats = Arc::new(NetStats::default());
        let known: Vec<NodeId> = peers.keys().copied().collect();
        {
            let link = Link {
                id,
                mode: mode.to_string(),
                key: key.clone(),
                known,
                stats: stats.clone(),
            };
            let deliver = deliver.clone();
            thread::Builder::new()
                .name("accept".into())
                .spawn(move || accept_loop(listener, link, deliver))
                .expect("spawn accept thread");
        }
        let mut queues = BTreeMap::new();
        for (&peer, &addr) in peers {
            if peer == id {
                continue;
            }
            let (tx, rx) = sync_channel(QUEUE);
            queues.insert(peer, tx);
            let hello = frame::encode(
                &Wire::<M>::Hello {
                    from: id,
                    mode: mode.to_string(),
                },
                &key,
                HELLO,
                peer,
            );
            let stats = stats.clone();
            thread::Builder::new()
                .name(format!("send-{peer}"))
                .spawn(move || send_loop(peer, addr, hello, rx, stats))
                .expect("spawn sender thread");
        }
        Transport {
            id,
            key,
            queues,
            stats,
            _m: PhantomData,
        }
    }

    /// Queue `msg` for `to`; dropped if `to` is unknown or its queue is full.
    pub fn send(&self, to: NodeId, msg: &M) {
        self.send_wire(to, &Wire::Msg(msg));
    }

    /// Ask `to` for its current term (answered with [`Incoming::TermReply`]).
    pub fn probe_term(&self, to: NodeId) {
        self.send_wire(to, &Wire::<&M>::TermProbe);
    }

    /// Answer a term probe.
    pub fn reply_term(&self, to: NodeId, term: u64, leader: bool) {
        self.send_wire(to, &Wire::<&M>::TermReply { term, leader });
    }

    fn send_wire(&self, to: NodeId, wire: &Wire<&M>) {
        let Some(q) = self.queues.get(&to) else {
            return;
        };
        let bytes = frame::encode(wire, &self.key, self.id, to);
        let n = bytes.len() as u64;
        match q.try_send(bytes) {
            Ok(()) => {
                self.stats.msgs_sent.fetch_add(1, Relaxed);
                self.stats.bytes_sent.fetch_add(n, Relaxed);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

fn send_loop(
    peer: NodeId,
    addr: SocketAddr,
    hello: Vec<u8>,
    rx: Receiver<Vec<u8>>,
    stats: Arc<NetStats>,
) {
    let mut backoff = Duration::from_millis(20);
    loop {
        let stream = match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Ok(s) => s,
            Err(_) => {
                // Drop what piled up for a peer we cannot reach; the protocol retries.
                while rx.try_recv().is_ok() {
                    stats.dropped.fetch_add(1, Relaxed);
                }
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(500));
                continue;
            }
        };
        backoff = Duration::from_millis(20);
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        let mut w = BufWriter::with_capacity(64 << 10, stream);
        if w.write_all(&hello).and_then(|_| w.flush()).is_err() {
            continue;
        }
        loop {
            let Ok(first) = rx.recv() else {
                return; // transport dropped: the node is shutting down
            };
            let mut ok = w.write_all(&first).is_ok();
            // Coalesce whatever else is queued into the same write.
            while ok {
                match rx.try_recv() {
                    Ok(more) => ok = w.write_all(&more).is_ok(),
                    Err(_) => break,
                }
            }
            if !ok || w.flush().is_err() {
                eprintln!("transport: connection to node {peer} at {addr} lost; reconnecting");
                break;
            }
        }
    }
}

/// What the receiving side of every connection checks against.
#[derive(Clone)]
struct Link {
    id: NodeId,
    mode: String,
    key: FrameKey,
    known: Vec<NodeId>,
    stats: Arc<NetStats>,
}

fn accept_loop<M: DeserializeOwned + Send + 'static>(
    listener: TcpListener,
    link: Link,
    deliver: DeliverAll<M>,
) {
    for conn in listener.incoming() {
        let Ok(stream) = conn else {
            continue;
        };
        let (link, deliver) = (link.clone(), deliver.clone());
        let _ = thread::Builder::new()
            .name("recv".into())
            .spawn(move || read_loop(stream, &link, &*deliver));
    }
}

fn read_loop<M: DeserializeOwned>(
    stream: TcpStream,
    link: &Link,
    deliver: &(dyn Fn(NodeId, Incoming<M>) + Send + Sync),
) {
    let peer_addr = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let _ = stream.set_nodelay(true);
    // A connection that never says hello is not kept forever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut r = BufReader::with_capacity(64 << 10, &stream);
    let close = |why: &dyn std::fmt::Display| {
        link.stats.refused.fetch_add(1, Relaxed);
        eprintln!("transport: closing connection from {peer_addr}: {why}");
    };
    let from = match frame::read_frame::<_, Wire<M>>(&mut r, MAX_FRAME, &link.key, HELLO, link.id) {
        Ok(Some((Wire::Hello { from, mode: m }, _))) => {
            if m != link.mode {
                return close(&format!("peer runs {m} mode, this node runs {}", link.mode));
            }
            if from == link.id || !link.known.contains(&from) {
                return close(&format!("unknown node id {from}"));
            }
            from
        }
        Ok(Some((_, _))) => return close(&"message before hello"),
        Ok(None) => return,
        Err(e) => return close(&e),
    };
    let _ = stream.set_read_timeout(None);
    loop {
        match frame::read_frame::<_, Wire<M>>(&mut r, MAX_FRAME, &link.key, from, link.id) {
            Ok(Some((wire, n))) => {
                link.stats.msgs_received.fetch_add(1, Relaxed);
                link.stats.bytes_received.fetch_add(n as u64, Relaxed);
                let incoming = match wire {
                    Wire::Msg(m) => Incoming::Msg(m),
                    Wire::TermProbe => Incoming::TermProbe,
                    Wire::TermReply { term, leader } => Incoming::TermReply { term, leader },
                    Wire::Hello { .. } => return close(&"second hello"),
                };
                deliver(from, incoming);
            }
            Ok(None) => return,
            Err(FrameError::Io(_)) => return, // peer went away
            Err(e) => return close(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::mpsc::channel;

    type Msg = crate::core::raft::Message;

    fn hb(term: u64) -> Msg {
        Msg::RequestVoteResponse {
            term,
            granted: false,
        }
    }

    fn hello(from: NodeId) -> Wire<Msg> {
        Wire::Hello {
            from,
            mode: "raft".into(),
        }
    }

    /// Connect to `addr`, send `bytes`, and wait for the other side to close.
    fn closed_after(addr: SocketAddr, bytes: &[u8]) -> bool {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(bytes).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        s.read(&mut buf).unwrap_or(0) == 0
    }

    #[test]
    fn delivers_between_members_and_refuses_strangers() {
        let l0 = TcpListener::bind("127.0.0.1:0").unwrap();
        let l1 = TcpListener::bind("127.0.0.1:0").unwrap();
        let a1 = l1.local_addr().unwrap();
        let peers = BTreeMap::from([(0, l0.local_addr().unwrap()), (1, a1)]);
        let key = FrameKey::new("c", Some(b"s3cret"));
        let (tx, rx) = channel();
        let tx = std::sync::Mutex::new(tx);
        let t0 =
            Transport::<Msg>::start_all(0, "raft", key.clone(), l0, &peers, Arc::new(|_, _| {}));
        let t1 = Transport::<Msg>::start_all(
            1,
            "raft",
            key.clone(),
            l1,
            &peers,
            Arc::new(move |from, m| tx.lock().unwrap().send((from, m)).unwrap()),
        );
        t0.send(1, &hb(1));
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got, (0, Incoming::Msg(hb(1))));

        // An oversized frame: only that connection is closed.
        assert!(closed_after(a1, &[0xff, 0xff, 0xff, 0xff, 1]));
        // A correctly keyed hello from an unknown id.
        assert!(closed_after(a1, &frame::encode(&hello(9), &key, HELLO, 1)));
        // A stranger without the secret claims to be node 0 and sends term 2^64-1.
        let wrong = FrameKey::new("c", Some(b"guess"));
        let mut attack = frame::encode(&hello(0), &wrong, HELLO, 1);
        attack.extend(frame::encode(&Wire::Msg(hb(u64::MAX)), &wrong, 0, 1));
        assert!(closed_after(a1, &attack));
        // Node 0's own frames to node 1 replayed on a new connection but tagged for node 0's
        // other link do not pass either.
        let mut replay = frame::encode(&hello(0), &key, HELLO, 1);
        replay.extend(frame::encode(&Wire::Msg(hb(u64::MAX)), &key, 0, 2));
        assert!(closed_after(a1, &replay));
        assert_eq!(t1.stats.refused.load(Relaxed), 4);

        t0.send(1, &hb(2));
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            got,
            (0, Incoming::Msg(hb(2))),
            "nothing of the strangers got through"
        );
        assert!(t0.stats.bytes_sent.load(Relaxed) > 0);
    }
}
