//! `cargo bench -p embargo-mail`: messages per second through the intake path (what
//! `embargo ingest-mail` does after start-up) and through the SMTP receiver, with
//! 4 KB messages, on SQLite and (with EMBARGO_TEST_POSTGRES) PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use embargo_domain::ids::Email;
use embargo_domain::policy::Policy;
use embargo_mail::{Ingestor, MailConfig};
use embargo_store::test_support::fresh_store;
use embargo_store::{Organisation, Organisations, Store};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

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
        let ingestor = Ingestor::new(
            store,
            MailConfig {
                base_url: "http://bench.test".into(),
                organisation,
                default_policy: Policy::default(),
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
        let server = tokio::spawn(embargo_mail::server::serve(
            listener,
            ingestor.clone(),
            "bench".into(),
            std::future::pending(),
        ));
        let start = Instant::now();
        let mut clients = Vec::new();
        for c in 0..SMTP_CLIENTS {
            clients.push(tokio::spawn(async move {
                let transport =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
                        .port(port)
                        .build();
                let envelope = Envelope::new(
                    Some("r@researcher.example".parse().unwrap()),
                    vec!["security@example.org".parse().unwrap()],
                )
                .unwrap();
                for i in (c..MESSAGES).step_by(SMTP_CLIENTS) {
                    transport
                        .send_raw(&envelope, &message(i, "smtp"))
                        .await
                        .unwrap();
                }
            }));
        }
        for c in clients {
            c.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{backend:8} SMTP receiver {:7.1} messages/s ({MESSAGES} x 4 KB, {SMTP_CLIENTS} clients, a connection per message)",
            MESSAGES as f64 / secs
        );
        server.abort();
    }
}
