//! The mail door's bounds, through the real SMTP receiver on every backend: idle
//! sessions kept alive with NOOP do not shut others out, a client over its cap is told
//! 421, a session ends at its time limit whatever it sends, a message of many tiny
//! MIME parts is refused whole (nothing stored), and a flood from one sender is
//! answered 451 instead of becoming reports (docs/operations.md, "Mail").
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use embargo_mail::budget::{BudgetLimits, Rate};
use embargo_mail::parse::ParseLimits;
use embargo_mail::server::SmtpLimits;
use embargo_mail::{Ingestor, MailError};
use embargo_store::test_support::fresh_store;
use embargo_store::{Mailbox, ReportFilter, Reports, SqlStore};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub const ORG: &str = "security@example.org";
pub const KAFKA: &str = "security@kafka.example.org";
pub const ANN: &str = "ann@researcher.example";

/// An organisation with the project `kafka`, and an ingestor over it taking
/// messages up to 10 MiB (room for many tiny parts under the size limit).
pub async fn setup(store: &SqlStore) -> Ingestor {
    crate::intake::setup_with(store, 10 * 1024 * 1024).await
}

/// A small report from `from`, with a Message-ID of its own.
pub fn report_mail(from: &str, n: usize) -> String {
    format!(
        "From: {from}\r\nTo: {KAFKA}\r\nSubject: Bug {n}\r\nMessage-ID: <bug-{n}-{}@client.test>\r\n\r\n\
         The parser fails on crafted input.\r\n",
        std::process::id()
    )
}

/// A receiver within `limits` on a port of its own.
async fn start(ingestor: Ingestor, limits: SmtpLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(embargo_mail::server::serve_with(
        listener,
        ingestor,
        "mx.test".into(),
        limits,
        std::future::pending(),
    ));
    addr
}

/// Small limits, so the tests run in seconds.
fn small() -> SmtpLimits {
    SmtpLimits {
        max_sessions: 16,
        max_per_client: 4,
        session_limit: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(1),
        budget: BudgetLimits::unlimited(),
    }
}

/// One SMTP client, connecting from the loopback address `127.0.0.<from>` (all of
/// 127/8 is this machine, so each one is another client to the receiver).
struct Client {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Client {
    /// Connects; the greeting (or refusal) with it.
    async fn connect(from: u8, server: SocketAddr) -> (Client, String) {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(127, 0, 0, from)),
                0,
            ))
            .unwrap();
        let stream = socket.connect(server).await.unwrap();
        let (read, write) = stream.into_split();
        let mut client = Client {
            read: BufReader::new(read),
            write,
        };
        let greeting = client.reply().await;
        (client, greeting)
    }

    /// The next whole reply (every line of a multi-line one); empty once closed.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(10), self.read.read_line(&mut line))
                .await
                .expect("a reply within 10 s")
                .unwrap_or(0);
            all.push_str(&line);
            if n == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    /// Sends `line` (CRLF added) and reads the reply; empty if the server closed.
    async fn command(&mut self, line: &str) -> String {
        if self
            .write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .is_err()
        {
            return String::new();
        }
        self.reply().await
    }

    /// One transaction; the reply to the end of the data.
    async fn send(&mut self, from: &str, data: &str) -> String {
        assert!(self.command("EHLO client.test").await.starts_with("250"));
        assert!(
            self.command(&format!("MAIL FROM:<{from}>"))
                .await
                .starts_with("250")
        );
        assert!(
            self.command(&format!("RCPT TO:<{KAFKA}>"))
                .await
                .starts_with("250")
        );
        assert!(self.command("DATA").await.starts_with("354"));
        self.write.write_all(data.as_bytes()).await.unwrap();
        self.command(".").await
    }
}

async fn report_count(store: &SqlStore) -> usize {
    store
        .list_reports(&ReportFilter {
            include_closed: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_kept_alive_with_noop_do_not_block_a_new_clients_mail() {
    for (backend, store, _db) in fresh_store().await {
        let server = start(setup(&store).await, small()).await;
        // 64 connections from one address, each kept alive with NOOP.
        let mut refused = 0;
        let mut idlers = Vec::new();
        for _ in 0..64 {
            let (mut client, greeting) = Client::connect(1, server).await;
            if greeting.starts_with("421") {
                assert!(
                    greeting.contains("Too many connections from your address"),
                    "{backend}: {greeting}"
                );
                assert_eq!(client.reply().await, "", "{backend}: closed after 421");
                refused += 1;
                continue;
            }
            assert!(greeting.starts_with("220"), "{backend}: {greeting}");
            idlers.push(tokio::spawn(async move {
                let started = Instant::now();
                loop {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let reply = client.command("NOOP").await;
                    if !reply.starts_with("250") {
                        return (reply, started.elapsed(), client.reply().await);
                    }
                }
            }));
        }
        assert_eq!(idlers.len(), 4, "{backend}: the per-client cap");
        assert_eq!(refused, 60, "{backend}");

        // Another client delivers at once, while the idle sessions hold their slots.
        let started = Instant::now();
        let (mut other, greeting) = Client::connect(2, server).await;
        assert!(greeting.starts_with("220"), "{backend}: {greeting}");
        let reply = other.send(ANN, &report_mail(ANN, 1)).await;
        assert!(reply.starts_with("250"), "{backend}: {reply}");
        assert!(started.elapsed() < Duration::from_secs(2), "{backend}");
        assert_eq!(report_count(&store).await, 1, "{backend}");

        // NOOP every 200 ms does not keep a session past its 2 s limit.
        for idler in idlers {
            let (reply, lasted, after) = idler.await.unwrap();
            assert!(
                reply.starts_with("421 4.4.2 mx.test Session time limit reached"),
                "{backend}: {reply}"
            );
            assert!(lasted < Duration::from_secs(4), "{backend}: {lasted:?}");
            assert_eq!(after, "", "{backend}: closed after 421");
        }
        // Their slots are free again.
        let (_, greeting) = Client::connect(1, server).await;
        assert!(greeting.starts_with("220"), "{backend}: {greeting}");
    }
}

#[tokio::test]
async fn over_a_cap_a_client_is_told_421_and_an_idle_one_is_closed() {
    for (backend, store, _db) in fresh_store().await {
        let limits = SmtpLimits {
            max_sessions: 3,
            max_per_client: 2,
            session_limit: Duration::from_secs(30),
            ..small()
        };
        let server = start(setup(&store).await, limits).await;
        let (mut a, ga) = Client::connect(1, server).await;
        let (_b, gb) = Client::connect(1, server).await;
        let (_, gc) = Client::connect(1, server).await;
        assert!(ga.starts_with("220") && gb.starts_with("220"), "{backend}");
        assert_eq!(
            gc, "421 4.7.0 mx.test Too many connections from your address; try again later\r\n",
            "{backend}"
        );
        let (_d, gd) = Client::connect(2, server).await;
        assert!(gd.starts_with("220"), "{backend}: {gd}");
        let (_, ge) = Client::connect(3, server).await;
        assert_eq!(
            ge, "421 4.7.0 mx.test Too many connections; try again later\r\n",
            "{backend}: all sessions taken"
        );
        // `a` says nothing: closed after the idle timeout (1 s), with 421.
        let started = Instant::now();
        let said = a.reply().await;
        assert_eq!(
            said, "421 4.4.2 mx.test Idle too long; closing\r\n",
            "{backend}"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{backend}");
        assert_eq!(a.reply().await, "", "{backend}");
        // Its slot is free again (give the session a moment to end).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, again) = Client::connect(3, server).await;
        assert!(again.starts_with("220"), "{backend}: {again}");
    }
}

/// A multipart message of `n` tiny parts, every other one an attachment.
fn many_parts(from: &str, n: usize) -> String {
    let mut raw = format!(
        "From: {from}\r\nTo: {KAFKA}\r\nSubject: parts\r\nMessage-ID: <parts-{n}@client.test>\r\n\
         Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    );
    for i in 0..n {
        let kind = if i % 2 == 0 {
            "text/plain"
        } else {
            "application/octet-stream"
        };
        raw.push_str(&format!("--B\r\nContent-Type: {kind}\r\n\r\nx\r\n"));
    }
    raw.push_str("--B--\r\n");
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_of_many_tiny_parts_is_refused_whole() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        // 200,000 parts in about 9 MB: under the 10 MiB size limit.
        let raw = many_parts(ANN, 200_000);
        assert!(
            raw.len() < ingestor.limits().max_message_bytes,
            "{}",
            raw.len()
        );
        let started = Instant::now();
        let err = ingestor.ingest(raw.as_bytes(), None).await.unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(&err, MailError::TooComplex(w) if w == "the message has more MIME parts than the limit of 500"),
            "{backend}: {err:?}"
        );
        assert_eq!(
            err.exit_code(),
            65,
            "{backend}: ingest-mail exits EX_DATAERR"
        );
        eprintln!(
            "{backend}: {} bytes, 200,000 parts refused in {took:?}",
            raw.len()
        );
        assert!(
            !store.mail_seen("parts-200000@client.test").await.unwrap(),
            "{backend}"
        );
        assert_eq!(report_count(&store).await, 0, "{backend}: nothing stored");

        // Over SMTP: 552 with the reason; the session goes on.
        let server = start(ingestor.clone(), SmtpLimits::default()).await;
        let (mut client, _) = Client::connect(1, server).await;
        let reply = client.send(ANN, &raw).await;
        assert_eq!(
            reply, "552 5.3.4 the message has more MIME parts than the limit of 500\r\n",
            "{backend}"
        );
        // Too many attachments (60 of them, in 121 parts) is refused the same way.
        let reply = client.send(ANN, &many_parts(ANN, 120)).await;
        assert_eq!(
            reply, "552 5.3.4 the message has 60 attachments; the limit is 50\r\n",
            "{backend}"
        );
        assert_eq!(report_count(&store).await, 0, "{backend}: nothing stored");
        // Within the bounds a message with attachments is taken.
        let reply = client.send(ANN, &many_parts(ANN, 20)).await;
        assert!(reply.starts_with("250"), "{backend}: {reply}");
        assert_eq!(report_count(&store).await, 1, "{backend}");
    }
}

#[tokio::test]
async fn the_parse_limits_are_the_ingestors() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await.with_parse_limits(ParseLimits {
            max_parts: 1000,
            max_attachments: 2,
        });
        let err = ingestor
            .ingest(many_parts(ANN, 6).as_bytes(), None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the message has 3 attachments; the limit is 2",
            "{backend}"
        );
        assert_eq!(report_count(&store).await, 0, "{backend}");
    }
}

#[tokio::test]
async fn a_flood_from_one_sender_is_answered_451_not_turned_into_reports() {
    for (backend, store, _db) in fresh_store().await {
        let limits = SmtpLimits {
            budget: BudgetLimits {
                per_client: Some(Rate {
                    burst: 6,
                    every: Duration::from_secs(3600),
                }),
                per_sender: Some(Rate {
                    burst: 3,
                    every: Duration::from_secs(3600),
                }),
            },
            session_limit: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(10),
            ..small()
        };
        let server = start(setup(&store).await, limits).await;
        let (mut client, _) = Client::connect(1, server).await;
        let mut replies = Vec::new();
        for n in 0..10 {
            replies.push(
                client
                    .send(
                        "mallory@flood.example",
                        &report_mail("mallory@flood.example", n),
                    )
                    .await,
            );
        }
        assert!(
            replies[..3].iter().all(|r| r.starts_with("250")),
            "{backend}: {replies:?}"
        );
        for r in &replies[3..] {
            assert!(
                r.starts_with(
                    "451 4.7.1 Too many messages from your address or sender; try again in "
                ),
                "{backend}: {r}"
            );
        }
        assert_eq!(report_count(&store).await, 3, "{backend}");
        // Another sender through the same client: its own budget, up to the client's.
        let mut replies = Vec::new();
        for n in 10..15 {
            replies.push(client.send(ANN, &report_mail(ANN, n)).await);
        }
        assert!(
            replies[..3].iter().all(|r| r.starts_with("250")),
            "{backend}: {replies:?}"
        );
        assert!(
            replies[3].starts_with("451"),
            "{backend}: the client's budget: {replies:?}"
        );
        // Another client with another sender is not held back.
        let (mut other, _) = Client::connect(2, server).await;
        let reply = other
            .send(
                "bob@elsewhere.example",
                &report_mail("bob@elsewhere.example", 20),
            )
            .await;
        assert!(reply.starts_with("250"), "{backend}: {reply}");
        assert_eq!(report_count(&store).await, 7, "{backend}");
    }
}
