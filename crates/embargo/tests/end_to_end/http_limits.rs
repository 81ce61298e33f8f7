//! The HTTP door of a real `embargo serve` under slow clients (docs/operations.md#http),
//! with small limits set through the environment: a client that sends half a request
//! head is dropped after the header timeout, one that never sends its body is answered
//! 503 after the request timeout, and beyond the connection cap a new
//! connection is answered 503 and closed at once while the open ones keep working.
//! The bounds are the server's, the same on every database: this runs on SQLite.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");
const HEADER_TIMEOUT_SECS: u64 = 2;
const REQUEST_TIMEOUT_SECS: u64 = 2;
const MAX_CONNECTIONS: usize = 3;

struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("EMBARGO_DATA_DIR", dir.path())
        .env("EMBARGO_ORG_SECURITY_EMAIL", "security@example.org")
        .env("EMBARGO_ADMIN_EMAIL", "admin@example.org")
        .env("EMBARGO_LOG", "error")
        .env(
            "EMBARGO_HTTP_HEADER_TIMEOUT",
            HEADER_TIMEOUT_SECS.to_string(),
        )
        .env(
            "EMBARGO_HTTP_REQUEST_TIMEOUT",
            REQUEST_TIMEOUT_SECS.to_string(),
        )
        .env("EMBARGO_HTTP_MAX_CONNECTIONS", MAX_CONNECTIONS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let addr = embargo_testkit::wait_for_address(
        child.stdout.take().unwrap(),
        "Embargo is listening on ",
        Duration::from_secs(60),
    );
    Server {
        child,
        addr,
        _dir: dir,
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Everything the server sends until it closes the connection (or 10 s pass).
fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One `/healthz` on a kept-alive connection; the status line.
fn healthz(s: &mut TcpStream) -> String {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: embargo\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    // The answer is small: read until its body ("ok") has arrived.
    while !String::from_utf8_lossy(&got).ends_with("ok") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn slow_clients_are_dropped_and_connections_are_capped() {
    let server = start();

    // Half a request head, then nothing: closed after the header timeout.
    let mut slow = connect(server.addr);
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: emb")
        .unwrap();
    let t0 = Instant::now();
    let said = read_to_close(&mut slow);
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(HEADER_TIMEOUT_SECS * 1000 - 300)
            && took < Duration::from_secs(HEADER_TIMEOUT_SECS + 3),
        "the half-sent request was closed after {took:?} (timeout {HEADER_TIMEOUT_SECS} s); it said {said:?}"
    );
    assert!(!said.contains("200 OK"), "{said}");

    // A whole head, then a body that never comes: 503 after the request timeout.
    let mut trickle = connect(server.addr);
    trickle
        .write_all(
            b"POST /api/v1/reports HTTP/1.1\r\nHost: embargo\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\": ",
        )
        .unwrap();
    let t0 = Instant::now();
    let mut buf = [0u8; 1024];
    let n = trickle.read(&mut buf).unwrap();
    let said = String::from_utf8_lossy(&buf[..n]).into_owned();
    let took = t0.elapsed();
    assert!(
        said.starts_with("HTTP/1.1 503") && said.contains("retry-after: 5"),
        "{said:?}"
    );
    assert!(
        took >= Duration::from_millis(REQUEST_TIMEOUT_SECS * 1000 - 300)
            && took < Duration::from_secs(REQUEST_TIMEOUT_SECS + 3),
        "answered after {took:?} (timeout {REQUEST_TIMEOUT_SECS} s)"
    );
    drop(trickle);

    // Fill the cap: one working kept-alive connection and idle ones.
    let mut working = connect(server.addr);
    assert_eq!(healthz(&mut working), "HTTP/1.1 200 OK");
    let idle: Vec<TcpStream> = (1..MAX_CONNECTIONS).map(|_| connect(server.addr)).collect();
    std::thread::sleep(Duration::from_millis(200));

    // One more: answered 503 and closed at once, without waiting for its request.
    let t0 = Instant::now();
    let mut extra = connect(server.addr);
    let said = read_to_close(&mut extra);
    assert!(
        said.starts_with("HTTP/1.1 503") && said.contains("too many connections"),
        "{said:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());

    // The open connection is still served.
    assert_eq!(healthz(&mut working), "HTTP/1.1 200 OK");

    // Idle connections time out like half-sent ones and free their places.
    drop(working);
    std::thread::sleep(Duration::from_secs(HEADER_TIMEOUT_SECS + 1));
    let mut later = connect(server.addr);
    assert_eq!(healthz(&mut later), "HTTP/1.1 200 OK");
    drop(idle);
}
