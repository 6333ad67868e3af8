//! A TCP proxy that throttles bandwidth and can cut every connection, for tests of
//! progress, cancellation, resume and retry.
//!
//! Plain std threads (one accept thread, two pump threads per connection), so it
//! works the same from sync tests and from any tokio runtime flavour.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A TCP proxy on `127.0.0.1:<free port>` in front of an upstream address.
///
/// - The rate limit applies to each direction separately and is shared by all
///   connections: with 100 KB/s, two parallel uploads get about 50 KB/s each.
///   Bytes are read, held for their time slot, then forwarded. The kernel still
///   absorbs a burst before a client feels the limit: on loopback a 1 MB `write`
///   returns at once (mostly the client's own autotuned send buffer, which no proxy
///   setting changes), so progress and cancellation tests should move several MB.
/// - [`cut_all`](Self::cut_all) shuts down every open connection at once (the client
///   sees the connection closed or reset); new connections are still accepted,
///   like a network that blips.
/// - Dropping the proxy stops it and closes everything.
#[derive(Debug)]
pub struct ThrottleProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    /// Bytes per second per direction; 0 = unlimited.
    rate: AtomicU64,
    /// Bumped by `set_rate` and `cut_all`, so threads waiting for a time slot stop
    /// waiting and look again.
    epoch: AtomicU64,
    stopping: AtomicBool,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Conn>>,
    /// Client → upstream.
    up: Limiter,
    /// Upstream → client.
    down: Limiter,
    /// Bytes forwarded client → upstream, over all connections.
    sent_up: AtomicU64,
}

/// Handles to both sockets of one proxied connection, for `cut_all`.
#[derive(Debug)]
struct Conn {
    client: TcpStream,
    upstream: TcpStream,
}

/// Hands out time slots: `next` is when the line of already-granted bytes ends.
#[derive(Debug, Default)]
struct Limiter {
    next: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Limiter {
    /// Waits until `n` more bytes may pass at the current rate. Returns early when the
    /// rate changes or connections are cut (the caller's next write then fails).
    fn acquire(&self, shared: &Shared, n: usize) {
        let rate = shared.rate.load(Ordering::SeqCst);
        if rate == 0 {
            return;
        }
        let epoch = shared.epoch.load(Ordering::SeqCst);
        let until = {
            let mut next = lock(&self.next);
            let now = Instant::now();
            let start = next.map_or(now, |t| t.max(now));
            let end = start + Duration::from_secs_f64(n as f64 / rate as f64);
            *next = Some(end);
            end
        };
        loop {
            let now = Instant::now();
            if now >= until || shared.epoch.load(Ordering::SeqCst) != epoch {
                return;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(20)));
        }
    }

    fn reset(&self) {
        *lock(&self.next) = None;
    }
}

impl ThrottleProxy {
    /// Starts a proxy to `upstream` limited to `bytes_per_sec` in each direction
    /// (0 = unlimited). Panics if it cannot bind a loopback port.
    pub fn start(upstream: SocketAddr, bytes_per_sec: u64) -> ThrottleProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("coffer-testkit: proxy cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("coffer-testkit: proxy socket has no address: {e}"));
        let shared = Arc::new(Shared {
            upstream,
            rate: AtomicU64::new(bytes_per_sec),
            epoch: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            sent_up: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
            up: Limiter::default(),
            down: Limiter::default(),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = std::thread::Builder::new()
            .name(format!("throttle-proxy-{}", addr.port()))
            .spawn(move || accept_loop(listener, accept_shared))
            .unwrap_or_else(|e| panic!("coffer-testkit: cannot spawn proxy thread: {e}"));
        ThrottleProxy {
            addr,
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// The proxy's endpoint, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's listening address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes the limit (bytes per second per direction; 0 = unlimited). Takes
    /// effect within a few milliseconds, also for transfers already running.
    pub fn set_rate(&self, bytes_per_sec: u64) {
        self.shared.rate.store(bytes_per_sec, Ordering::SeqCst);
        self.shared.up.reset();
        self.shared.down.reset();
        self.shared.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Drops every open connection now (both the client and the upstream side).
    /// Connections made afterwards are proxied as usual.
    pub fn cut_all(&self) {
        cut_all(&self.shared);
    }

    /// Bytes forwarded from clients to the upstream so far (e.g. to wait until an
    /// upload has sent a few parts).
    pub fn bytes_up(&self) -> u64 {
        self.shared.sent_up.load(Ordering::SeqCst)
    }

    /// How many proxied connections are open right now (e.g. to wait until a transfer
    /// is under way before cutting it).
    pub fn open_connections(&self) -> usize {
        lock(&self.shared.conns).len()
    }
}

impl Drop for ThrottleProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        cut_all(&self.shared);
        // Wake the blocking accept() so the thread sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

fn cut_all(shared: &Shared) {
    let conns = lock(&shared.conns);
    for conn in conns.values() {
        let _ = conn.client.shutdown(Shutdown::Both);
        let _ = conn.upstream.shutdown(Shutdown::Both);
    }
    drop(conns);
    shared.up.reset();
    shared.down.reset();
    shared.epoch.fetch_add(1, Ordering::SeqCst);
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let shared = Arc::clone(&shared);
        // Connecting upstream can take a moment; don't hold up other accepts.
        let _ = std::thread::Builder::new()
            .name("throttle-proxy-conn".into())
            .spawn(move || serve(client, shared));
    }
}

/// Connects one client to the upstream and starts a pump per direction.
fn serve(client: TcpStream, shared: Arc<Shared>) {
    let Ok(upstream) = TcpStream::connect_timeout(&shared.upstream, Duration::from_secs(5)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let clones = || -> std::io::Result<_> {
        Ok((
            client.try_clone()?,
            upstream.try_clone()?,
            client.try_clone()?,
            upstream.try_clone()?,
        ))
    };
    let Ok((c_read, u_write, c_write, u_read)) = clones() else {
        return;
    };
    let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
    lock(&shared.conns).insert(id, Conn { client, upstream });
    // A proxy being dropped right now must not leave this connection open.
    if shared.stopping.load(Ordering::SeqCst) {
        cut_all(&shared);
    }
    let live = Arc::new(AtomicUsize::new(2));
    let (s2, live2) = (Arc::clone(&shared), Arc::clone(&live));
    let spawned = std::thread::Builder::new()
        .name("throttle-proxy-down".into())
        .spawn(move || {
            pump(&s2, u_read, c_write, Direction::Down);
            finish(&s2, &live2, id);
        });
    if spawned.is_err() {
        live.fetch_sub(1, Ordering::SeqCst);
    }
    pump(&shared, c_read, u_write, Direction::Up);
    finish(&shared, &live, id);
}

/// The last pump of a connection to finish removes it, closing its sockets.
fn finish(shared: &Shared, live: &AtomicUsize, id: u64) {
    if live.fetch_sub(1, Ordering::SeqCst) == 1 {
        lock(&shared.conns).remove(&id);
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Up,
    Down,
}

/// Copies `from` to `to` at the shared rate; half-closes `to` on EOF, and closes both
/// on any error.
fn pump(shared: &Shared, mut from: TcpStream, mut to: TcpStream, dir: Direction) {
    let limiter = match dir {
        Direction::Up => &shared.up,
        Direction::Down => &shared.down,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Small reads at low rates, so one slot is about 1/20 s.
        let rate = shared.rate.load(Ordering::SeqCst);
        let chunk = if rate == 0 {
            buf.len()
        } else {
            usize::try_from(rate / 20)
                .unwrap_or(usize::MAX)
                .clamp(256, buf.len())
        };
        match from.read(&mut buf[..chunk]) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                limiter.acquire(shared, n);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
                if matches!(dir, Direction::Up) {
                    shared.sent_up.fetch_add(n as u64, Ordering::SeqCst);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
