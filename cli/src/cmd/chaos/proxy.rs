//! A TCP proxy on every directed peer link (node i's connection to node j), so that the
//! nemesis can cut or slow single links without root or firewall rules: node i is told that
//! node j listens on the proxy's port. A cut link swallows what it is sent (a black hole, as
//! a partition is: the sender learns nothing); a slow one holds each chunk back.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

#[derive(Default)]
pub struct LinkState {
    pub cut: AtomicBool,
    pub delay_ms: AtomicU64,
}

pub struct Link {
    pub from: usize,
    pub to: usize,
    pub listen: SocketAddr,
    pub state: Arc<LinkState>,
}

impl Link {
    /// Listen on a free loopback port, forwarding every connection to `target`.
    pub fn start(from: usize, to: usize, target: SocketAddr) -> std::io::Result<Link> {
        let l = TcpListener::bind("127.0.0.1:0")?;
        let listen = l.local_addr()?;
        let state = Arc::new(LinkState::default());
        let st = state.clone();
        thread::Builder::new()
            .name(format!("proxy-{from}-{to}"))
            .spawn(move || {
                for conn in l.incoming().flatten() {
                    let st = st.clone();
                    let _ = thread::Builder::new()
                        .name("proxy-conn".into())
                        .spawn(move || forward(conn, target, &st));
                }
            })?;
        Ok(Link {
            from,
            to,
            listen,
            state,
        })
    }
}

/// Copy `client` to a new connection to `target` until either side closes.
fn forward(client: TcpStream, target: SocketAddr, st: &LinkState) {
    let Ok(server) = TcpStream::connect_timeout(&target, Duration::from_millis(500)) else {
        return; // the target node is down: the client sees the connection close
    };
    let _ = server.set_nodelay(true);
    let (Ok(mut from), Ok(mut to)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if st.cut.load(Relaxed) {
            continue; // black hole
        }
        let d = st.delay_ms.load(Relaxed);
        if d > 0 {
            thread::sleep(Duration::from_millis(d));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
}
