//! Free loopback ports and small blocking network helpers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is found by binding `127.0.0.1:0` and dropping the listener, so another
/// process may grab it before the caller binds it; the server starters retry with
/// fresh ports when a start fails for that reason.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| {
        panic!("coffer-testkit: cannot bind 127.0.0.1:0 to find a free port: {e}")
    });
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("coffer-testkit: bound socket has no local address: {e}"))
        .port()
}

/// Returns `n` distinct free ports.
pub(crate) fn free_ports(n: usize) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::with_capacity(n);
    while ports.len() < n {
        let p = free_port();
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// Whether something accepts TCP connections on `addr` right now.
pub(crate) fn accepts_tcp(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Waits until `addr` accepts TCP connections, or `timeout` passes.
pub(crate) fn wait_for_tcp(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if accepts_tcp(addr) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A parsed HTTP/1.1 response from [`raw_http`].
#[derive(Debug)]
pub(crate) struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The body bytes, lossily decoded.
    pub body: String,
}

/// Sends one unsigned HTTP/1.1 request with `Connection: close` and reads the whole
/// answer. Blocking and runtime-free, so it works from sync and async tests alike.
///
/// No `Content-Type` is sent: moto treats a form content type as form data and then
/// ignores an XML body such as `CreateBucketConfiguration`.
pub(crate) fn raw_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not an HTTP response: {:?}",
                String::from_utf8_lossy(&raw[..raw.len().min(200)])
            ),
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<RawResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status_line = head.split("\r\n").next()?;
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let body = String::from_utf8_lossy(&raw[split + 4..]).into_owned();
    Some(RawResponse { status, body })
}
