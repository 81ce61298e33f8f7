//! `/metrics` counts the reports the SMTP receiver takes, as it counts the web's and
//! the API's (docs/operations.md#running-it): a new report by mail is one more
//! `embargo_reports_received_total{channel="mail"}`; the same message again (a
//! duplicate Message-ID) is not. A raw SMTP session, so neither Python nor a relay is
//! needed. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");
const ORG: &str = "security@example.org";
const TOKEN: &str = "metrics-token-mail-0123456789";

struct Server {
    child: Child,
    http: SocketAddr,
    smtp: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address printed after `prefix` on one of the first lines of `line`.
fn address_in(line: &str, prefix: &str) -> Option<SocketAddr> {
    let rest = line.strip_prefix(prefix)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// `embargo serve` with the SMTP receiver and `/metrics`, on a fresh installation.
fn serve(dir: &Path, db: Option<&str>) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--smtp-listen",
        "127.0.0.1:0",
    ])
    .env("EMBARGO_DATA_DIR", dir)
    .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
    .env("EMBARGO_ADMIN_PASSWORD", "a-long-enough-password")
    .env("EMBARGO_METRICS_TOKEN", TOKEN)
    .env("EMBARGO_SMTP_BUDGET_PER_CLIENT", "off")
    .env("EMBARGO_SMTP_BUDGET_PER_SENDER", "off")
    .env("EMBARGO_LOG", "error")
    .env_remove("EMBARGO_DATA_KEY")
    .env_remove("EMBARGO_DATABASE_URL")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(url) = db {
        cmd.env("EMBARGO_DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut http, mut smtp) = (None, None);
    while http.is_none() || smtp.is_none() {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("serve stopped before it listened");
        };
        smtp = smtp.or_else(|| address_in(&line, "SMTP receiver listening on "));
        http = http.or_else(|| address_in(&line, "Embargo is listening on "));
    }
    // Keep reading, so that the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        http: http.unwrap(),
        smtp: smtp.unwrap(),
    }
}

/// One SMTP transaction on a raw socket; the reply code to the end of DATA.
fn send(smtp: SocketAddr, message_id: &str) -> String {
    let session = format!(
        "EHLO client.test\r\nMAIL FROM:<ann@researcher.example>\r\nRCPT TO:<{ORG}>\r\nDATA\r\n\
         From: ann@researcher.example\r\nTo: {ORG}\r\nSubject: Overflow in the parser\r\n\
         Message-ID: <{message_id}>\r\n\r\nA crafted file overflows the parser.\r\n.\r\nQUIT\r\n"
    );
    let mut conn = std::net::TcpStream::connect(smtp).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    conn.write_all(session.as_bytes()).unwrap();
    let mut replies = String::new();
    conn.read_to_string(&mut replies).unwrap();
    let codes: Vec<&str> = replies
        .lines()
        .filter(|l| l.as_bytes().get(3) == Some(&b' '))
        .map(|l| &l[..3])
        .collect();
    // 220 greeting, EHLO, MAIL, RCPT, 354, the end of DATA, 221.
    assert_eq!(codes.len(), 7, "{replies}");
    codes[5].to_string()
}

async fn mail_intake(http: &reqwest::Client, base: &str) -> String {
    let scraped = http
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let body = scraped.text().await.unwrap();
    body.lines()
        .find(|l| l.starts_with("embargo_reports_received_total{channel=\"mail\"}"))
        .unwrap_or_else(|| panic!("no mail intake line:\n{body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_the_reports_the_smtp_receiver_takes() {
    for backend in backends() {
        let Some((url, _guard)) = fresh_database_url(backend).await else {
            continue;
        };
        let name = backend.name();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let tmp = tempfile::tempdir().unwrap();
        let server = serve(&tmp.path().join("data"), db);
        let base = format!("http://{}", server.http);
        let http = reqwest::Client::new();
        assert_eq!(
            mail_intake(&http, &base).await,
            "embargo_reports_received_total{channel=\"mail\"} 0",
            "{name}"
        );
        let smtp = server.smtp;
        let first = tokio::task::spawn_blocking(move || send(smtp, "first@researcher.example"));
        assert_eq!(first.await.unwrap(), "250", "{name}: the report is taken");
        assert_eq!(
            mail_intake(&http, &base).await,
            "embargo_reports_received_total{channel=\"mail\"} 1",
            "{name}"
        );
        // The same message again is taken (250) but makes no second report.
        let again = tokio::task::spawn_blocking(move || send(smtp, "first@researcher.example"));
        assert_eq!(again.await.unwrap(), "250", "{name}");
        assert_eq!(
            mail_intake(&http, &base).await,
            "embargo_reports_received_total{channel=\"mail\"} 1",
            "{name}: a duplicate is not a report"
        );
        drop(server);
    }
}
