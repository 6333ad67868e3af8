//! Smoke tests: the real servers start, buckets appear, the proxy forwards and cuts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use coffer_testkit::{ServerKind, ThrottleProxy, free_port, garage, moto};

/// Sends one unsigned request and returns the raw response head and body.
fn raw_request(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    s.write_all(request.as_bytes()).expect("write request");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read response");
    String::from_utf8_lossy(&out).into_owned()
}

fn garage_bin() -> String {
    std::env::var("COFFER_GARAGE_BIN").unwrap_or_else(|_| {
        let on_path = Command::new("sh")
            .args(["-c", "command -v garage"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        on_path.unwrap_or_else(|| {
            format!(
                "{}/.cargo/bin/garage",
                std::env::var("HOME").unwrap_or_default()
            )
        })
    })
}

fn process_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn garage_starts_and_makes_buckets() {
    let g = garage();
    assert_eq!(g.kind, ServerKind::Garage);
    assert_eq!(g.region, "garage");
    assert!(g.path_style);
    assert!(g.access_key_id.starts_with("GK"), "{}", g.access_key_id);
    assert_eq!(g.secret_access_key.len(), 64);
    assert!(process_alive(g.pid()));
    assert!(std::ptr::eq(g, garage()), "one server per test binary");

    let bucket = g.fresh_bucket("Smoke_Test");
    assert!(bucket.starts_with("smoke-test-"), "{bucket}");

    // The CLI lists it, with our key allowed read, write and owner.
    let config = format!("/proc/{}/cmdline", g.pid());
    let cmdline = std::fs::read_to_string(config).expect("garage cmdline");
    let conf = cmdline
        .split('\0')
        .skip_while(|a| *a != "-c")
        .nth(1)
        .expect("-c CONF in garage's command line")
        .to_string();
    let info = Command::new(garage_bin())
        .args(["-c", &conf, "bucket", "info", &bucket])
        .output()
        .expect("garage bucket info");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("RWO"), "{info}");
    assert!(info.contains(&g.access_key_id), "{info}");

    // The S3 endpoint answers; unsigned requests are refused, not 404.
    let resp = raw_request(
        g.socket_addr(),
        &format!("HEAD /{bucket} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
}

#[test]
fn moto_buckets_have_regions() {
    let m = moto();
    assert_eq!(m.kind, ServerKind::Moto);
    assert_eq!(m.region, "us-east-1");
    assert!(process_alive(m.pid()));

    let head = |bucket: &str| {
        raw_request(
            m.socket_addr(),
            &format!("HEAD /{bucket} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .to_ascii_lowercase()
    };
    let eu = m.fresh_bucket_in_region("region", "eu-west-2");
    let resp = head(&eu);
    assert!(resp.starts_with("http/1.1 200"), "{resp}");
    assert!(resp.contains("x-amz-bucket-region: eu-west-2"), "{resp}");

    let us = m.fresh_bucket("plain");
    assert!(head(&us).contains("x-amz-bucket-region: us-east-1"));
    let us2 = m.fresh_bucket_in_region("plain", "us-east-1");
    assert!(head(&us2).contains("x-amz-bucket-region: us-east-1"));
}

/// An upstream that echoes everything back, one thread per connection.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind echo");
    let addr = listener.local_addr().expect("echo addr");
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = conn.try_clone().expect("clone");
                let mut w = conn;
                let _ = std::io::copy(&mut r, &mut w);
            });
        }
    });
    addr
}

#[test]
fn proxy_forwards_both_ways() {
    let proxy = ThrottleProxy::start(echo_server(), 0);
    assert!(proxy.endpoint().starts_with("http://127.0.0.1:"));
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut s = TcpStream::connect(proxy.local_addr()).expect("connect proxy");
    let mut writer = s.try_clone().expect("clone");
    let sent = data.clone();
    let t = std::thread::spawn(move || {
        writer.write_all(&sent).expect("write");
        writer
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
    });
    let mut back = Vec::new();
    s.read_to_end(&mut back).expect("read back");
    t.join().expect("writer thread");
    assert_eq!(back, data);
}

#[test]
fn proxy_throttled_still_correct_and_rate_can_change() {
    let proxy = ThrottleProxy::start(echo_server(), 50_000);
    let mut s = TcpStream::connect(proxy.local_addr()).expect("connect proxy");
    s.write_all(b"hello").expect("write");
    let mut buf = [0u8; 5];
    s.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"hello");
    proxy.set_rate(0);
    let data = vec![7u8; 100_000];
    s.write_all(&data).expect("write");
    let mut back = vec![0u8; data.len()];
    s.read_exact(&mut back).expect("read");
    assert_eq!(back, data);
}

#[test]
fn proxy_cut_all_closes_connections() {
    let proxy = ThrottleProxy::start(echo_server(), 0);
    let mut s = TcpStream::connect(proxy.local_addr()).expect("connect proxy");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"ping").expect("write");
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).expect("read");
    assert_eq!(proxy.open_connections(), 1);

    proxy.cut_all();
    // The client sees EOF or a reset, not a hang.
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "{e}"),
    }
    // New connections still work.
    let mut s2 = TcpStream::connect(proxy.local_addr()).expect("reconnect");
    s2.write_all(b"pong").expect("write");
    s2.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"pong");
}

#[test]
fn proxy_in_front_of_garage() {
    let g = garage();
    let proxy = ThrottleProxy::start(g.socket_addr(), 1_000_000);
    let addr: SocketAddr = proxy
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("endpoint addr");
    let resp = raw_request(
        addr,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
}

#[test]
fn free_ports_are_bindable() {
    let p = free_port();
    assert_ne!(p, 0);
    TcpListener::bind(("127.0.0.1", p)).expect("port is free");
}

/// The helpers are blocking but runtime-free, so they work inside async tests too.
#[tokio::test]
async fn usable_from_async_tests() {
    let g = garage();
    let bucket = g.fresh_bucket("async");
    assert!(bucket.starts_with("async-"));
    let m = moto();
    let eu = m.fresh_bucket_in_region("async", "eu-central-1");
    assert!(eu.starts_with("async-"));
    let proxy = ThrottleProxy::start(m.socket_addr(), 0);
    let mut s = tokio::net::TcpStream::connect(proxy.local_addr())
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(format!("HEAD /{eu} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    assert!(
        out.to_ascii_lowercase()
            .contains("x-amz-bucket-region: eu-central-1"),
        "{out}"
    );
}
