//! The outbox worker against a relay that refuses some recipients, on every backend:
//! one refused address does not stop the other copies of a mail, and what the relay
//! said is stored and logged without the address.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use embargo_mail::outbound::{self, OutboundConfig};
use embargo_store::Reports;
use embargo_store::test_support::fresh_store;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::bounds::{ANN, KAFKA, ORG, report_mail, setup};

/// What the relay took: the envelope recipients, the message and the envelope sender,
/// per transaction.
pub type Taken = Arc<Mutex<Vec<(Vec<String>, String, String)>>>;

/// A minimal relay: takes every recipient but `refuse`, which it answers 550 naming
/// the address (as real relays do).
pub async fn relay(refuse: &'static [&'static str]) -> (u16, Taken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = Taken::default();
    let out = Arc::clone(&taken);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(conversation(stream, refuse, Arc::clone(&out)));
        }
    });
    (port, taken)
}

async fn conversation(stream: TcpStream, refuse: &[&str], taken: Taken) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let _ = write.write_all(b"220 relay.test ESMTP\r\n").await;
    let mut rcpts = Vec::new();
    let mut mail_from = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 relay.test\r\n".to_string()
        } else if upper.starts_with("MAIL") {
            mail_from = line
                .split(['<', '>'])
                .nth(1)
                .unwrap_or_default()
                .to_string();
            "250 2.1.0 Ok\r\n".to_string()
        } else if upper.starts_with("NOOP") {
            "250 2.1.0 Ok\r\n".to_string()
        } else if upper.starts_with("RSET") {
            rcpts.clear();
            "250 2.0.0 Ok\r\n".to_string()
        } else if upper.starts_with("RCPT") {
            let address = line
                .split(['<', '>'])
                .nth(1)
                .unwrap_or_default()
                .to_string();
            if refuse.contains(&address.as_str()) {
                format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown\r\n")
            } else {
                rcpts.push(address);
                "250 2.1.5 Ok\r\n".to_string()
            }
        } else if upper.starts_with("DATA") {
            let _ = write.write_all(b"354 go on\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            taken
                .lock()
                .unwrap()
                .push((std::mem::take(&mut rcpts), data, mail_from.clone()));
            "250 2.0.0 Ok: queued\r\n".to_string()
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
            return;
        } else {
            "500 5.5.2 What?\r\n".to_string()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn one_refused_recipient_does_not_stop_the_other_copies() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        // A new report queues the receipt to the reporter and the team's notice to the
        // project team, copied to the organisation team.
        let outcome = ingestor
            .ingest(report_mail(ANN, 1).as_bytes(), None)
            .await
            .unwrap();
        let embargo_mail::Outcome::NewReport(id) = outcome else {
            panic!("{backend}: {outcome:?}");
        };
        // The relay refuses the reporter and the project team's address.
        let (port, taken) = relay(&[ANN, KAFKA]).await;
        let mut config = OutboundConfig::new(
            "127.0.0.1".into(),
            port,
            "Security <security@example.org>".parse().unwrap(),
        );
        config.smtp_timeout = Duration::from_secs(10);
        let transport = outbound::transport(&config);
        let tried = outbound::deliver_due(ingestor.app(), &transport, &config, "test-worker")
            .await
            .unwrap();
        assert_eq!(tried, 2, "{backend}");

        // The organisation's copy of the notice went out, to it alone.
        let taken = taken.lock().unwrap().clone();
        assert_eq!(taken.len(), 1, "{backend}: {taken:?}");
        assert_eq!(taken[0].0, vec![ORG.to_string()], "{backend}");
        assert!(
            taken[0].1.contains("New report"),
            "{backend}: {}",
            taken[0].1
        );

        let outbox = store.outbox_for_report(&id).await.unwrap();
        let notice = outbox.iter().find(|m| m.to[0].as_str() == KAFKA).unwrap();
        assert_eq!(notice.state, "sent", "{backend}: the others got it");
        let receipt = outbox.iter().find(|m| m.to[0].as_str() == ANN).unwrap();
        assert_eq!(receipt.state, "failed", "{backend}: a 550 is for good");
        let error = receipt.last_error.as_deref().unwrap_or_default();
        assert!(
            error.contains("<redacted>: Recipient address rejected"),
            "{backend}: {error}"
        );
        assert!(
            !error.contains('@'),
            "{backend}: no address in clear: {error}"
        );
    }
}
