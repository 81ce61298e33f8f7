//! `cargo bench -p embargo-mail`: messages per second through the intake path (what
//! `embargo ingest-mail` does after start-up) and through the SMTP receiver, with
//! 4 KB messages, on SQLite and (with EMBARGO_TEST_POSTGRES) PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use embargo_app::{App, Ports, Settings};
use embargo_domain::ids::Email;
use embargo_domain::policy::Policy;
use embargo_formats::cve5::Cna;
use embargo_mail::{Ingestor, MailLimits};
use embargo_store::test_support::fresh_store;
use embargo_store::{Organisation, Organisations, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const MESSAGES: usize = 300;
const SMTP_CLIENTS: usize = 4;

fn message(i: usize, tag: &str) -> Vec<u8> {
    let body = "The parser fails on crafted input; steps follow. ".repeat(100);
    let mut m = format!(
        "From: Reporter {i} <r{i}@researcher.example>\r\nTo: security@example.org\r\n\
         Subject: Bench report {i}\r\nMessage-ID: <{tag}-{i}@bench.test>\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(&body.as_bytes()[..4096 - m.len().min(4096)]);
    m
}

#[tokio::main]
async fn main() {
    for (backend, store, _db) in fresh_store().await {
        let organisation = Organisation {
            name: "Bench".into(),
            security_email: Email::parse("security@example.org").unwrap(),
        };
        store.init_organisation(&organisation).await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let settings = Settings {
            base_url: "http://bench.test".into(),
            organisation,
            default_policy: Policy::default(),
            cna: Cna {
                org_id: "00000000-0000-4000-8000-000000000000".into(),
                short_name: "bench".into(),
                vendor: "Bench".into(),
            },
            record_schema: None,
        };
        let ingestor = Ingestor::new(
            App::new(store, settings, Ports::default()),
            MailLimits {
                max_message_bytes: 10 * 1024 * 1024,
                max_attachment_bytes: 1024 * 1024,
            },
        );

        let start = Instant::now();
        for i in 0..MESSAGES {
            ingestor.ingest(&message(i, "ingest"), None).await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{backend:8} ingest path   {:7.1} messages/s ({MESSAGES} x 4 KB, one at a time)",
            MESSAGES as f64 / secs
        );

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // The receiver's throughput, not its intake budget (one client sends all).
        let limits = embargo_mail::server::SmtpLimits {
            budget: embargo_mail::budget::BudgetLimits::unlimited(),
            ..Default::default()
        };
        let server = tokio::spawn(embargo_mail::server::serve_with(
            listener,
            ingestor.clone(),
            "bench".into(),
            limits,
            std::future::pending(),
        ));
        let start = Instant::now();
        let mut clients = Vec::new();
        for c in 0..SMTP_CLIENTS {
            clients.push(tokio::spawn(async move {
                // A plain client on one connection per sender, with Nagle off: the
                // figure is the receiver's (parse, commit, 250), not a client's
                // connection set-up or delayed-ACK stalls.
                let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                expect(&mut read, "220").await;
                write.write_all(b"EHLO bench.test\r\n").await.unwrap();
                expect(&mut read, "250").await;
                for i in (c..MESSAGES).step_by(SMTP_CLIENTS) {
                    write
                        .write_all(b"MAIL FROM:<r@researcher.example>\r\n")
                        .await
                        .unwrap();
                    expect(&mut read, "250").await;
                    write
                        .write_all(b"RCPT TO:<security@example.org>\r\n")
                        .await
                        .unwrap();
                    expect(&mut read, "250").await;
                    write.write_all(b"DATA\r\n").await.unwrap();
                    expect(&mut read, "354").await;
                    let mut data = message(i, "smtp");
                    data.extend_from_slice(b"\r\n.\r\n");
                    write.write_all(&data).await.unwrap();
                    expect(&mut read, "250").await;
                }
                write.write_all(b"QUIT\r\n").await.unwrap();
            }));
        }
        for c in clients {
            c.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{backend:8} SMTP receiver {:7.1} messages/s ({MESSAGES} x 4 KB, {SMTP_CLIENTS} clients, one connection each)",
            MESSAGES as f64 / secs
        );
        server.abort();
    }
}

/// Reads one SMTP reply (all its lines) and checks its code.
async fn expect(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: &str) {
    loop {
        let mut line = String::new();
        read.read_line(&mut line).await.unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            return;
        }
    }
}
