//! E-mail end to end, through the real binary: Python's smtplib as the client of the
//! SMTP receiver, aiosmtpd (PyPI) as the relay the outbox worker delivers to.
//! Without python3 + aiosmtpd these tests print SKIPPED (and fail under CI=true); the
//! smuggling test writes its malformed session on a raw socket and needs neither.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use embargo_store::test_support::{TestBackend, TestDb, backends, fresh_database_url};
use embargo_store::{Mailbox, ReportFilter, Reports, Sealer, SqlStore};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");
const ORG: &str = "security@example.org";
const KAFKA: &str = "security@kafka.example.org";

/// An SMTP relay on `port` (0: one of its own), which it prints ("READY PORT") once it
/// listens; every message it gets is a file in `out`.
const RELAY_PY: &str = r#"
import sys, os, asyncio, itertools
from aiosmtpd.smtp import SMTP
port, out = int(sys.argv[1]), sys.argv[2]
counter = itertools.count()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        tmp = os.path.join(out, f".{os.getpid()}-{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Rcpt: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n" + envelope.content)
        os.rename(tmp, os.path.join(out, f"{os.getpid()}-{n}.eml"))
        return "250 OK"
async def main():
    handler = Handler()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), "127.0.0.1", port)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
"#;

const SEND_PY: &str = r#"
import smtplib, sys
port, sender, rcpt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
data = open(path, "rb").read()
try:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(sender, [rcpt], data)
    print(250)
except smtplib.SMTPResponseException as e:
    print(e.smtp_code)
except smtplib.SMTPRecipientsRefused as e:
    print(list(e.recipients.values())[0][0])
"#;

/// Sends `count` messages over `conns` connections; prints the Message-ID of each one
/// answered 250, as soon as it is.
const BURST_PY: &str = r#"
import smtplib, sys, threading, os
port, count, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
body = ("The parser fails on crafted input. " * 110)[:4000]
def worker(w):
    s = None
    for i in range(w, count, conns):
        mid = f"burst-{i}-{os.getpid()}@client.test"
        msg = f"From: r{i}@researcher.example\r\nTo: security@example.org\r\nSubject: Burst {i}\r\nMessage-ID: <{mid}>\r\n\r\n{body}\r\n"
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            s.sendmail(f"r{i}@researcher.example", ["security@example.org"], msg.encode())
            with lock:
                print("OK", mid, flush=True)
        except Exception:
            s = None
            return
threads = [threading.Thread(target=worker, args=(w,)) for w in range(conns)]
for t in threads: t.start()
for t in threads: t.join()
print("DONE", flush=True)
"#;

/// python3 with aiosmtpd, or a SKIPPED line (a failure under CI=true).
#[track_caller]
fn python_ready() -> bool {
    embargo_testkit::require_python("mail end-to-end tests", &["aiosmtpd", "smtplib"])
}

fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

struct Relay {
    child: Child,
    out: PathBuf,
    port: u16,
}

impl Relay {
    /// A relay on a port of its own (no race for a free one).
    fn start(dir: &Path) -> Relay {
        Self::start_on(dir, 0)
    }

    /// A relay on `port`: one the server was told before the relay existed.
    fn start_on(dir: &Path, port: u16) -> Relay {
        let out = dir.join("relay-out");
        std::fs::create_dir_all(&out).unwrap();
        let py = script(dir, "relay.py", RELAY_PY);
        let mut child = Command::new("python3")
            .arg(&py)
            .arg(port.to_string())
            .arg(&out)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let (ready, port) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        assert_eq!(ready, "READY");
        let port = port
            .parse()
            .unwrap_or_else(|_| panic!("relay said {line:?}"));
        Relay { child, out, port }
    }

    /// Every message the relay got so far.
    fn messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    }

    /// Waits for a message matching `pred`.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "the relay never got {what}; it has:\n{:#?}",
                self.messages()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        l.split_once(':')
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    })
}

struct Server {
    child: Child,
    smtp: SocketAddr,
}

impl Server {
    fn start(
        data: &Path,
        db: Option<&str>,
        relay_port: Option<u16>,
        max_bytes: Option<usize>,
    ) -> Server {
        Self::start_with(data, db, relay_port, max_bytes, &[])
    }

    /// [`Server::start`] with more environment (`EMBARGO_ORG_NAME`, ...).
    fn start_with(
        data: &Path,
        db: Option<&str>,
        relay_port: Option<u16>,
        max_bytes: Option<usize>,
        env: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.envs(env.iter().copied());
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--smtp-listen",
            "127.0.0.1:0",
        ])
        .env("EMBARGO_DATA_DIR", data)
        .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
        .env("EMBARGO_ADMIN_EMAIL", "admin@example.org")
        .env("EMBARGO_MAIL_RETRY_BASE_MS", "200")
        // Bursts from one test client are the point of some tests here; the budget
        // has tests of its own (crates/mail/tests/mail/bounds.rs).
        .env("EMBARGO_SMTP_BUDGET_PER_CLIENT", "off")
        .env("EMBARGO_SMTP_BUDGET_PER_SENDER", "off")
        .env("EMBARGO_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        if let Some(db) = db {
            cmd.env("EMBARGO_DATABASE_URL", db);
        }
        if let Some(port) = relay_port {
            cmd.env("EMBARGO_SMTP_RELAY", format!("127.0.0.1:{port}"));
        }
        if let Some(max) = max_bytes {
            cmd.env("EMBARGO_MAIL_MAX_BYTES", max.to_string());
        }
        let mut child = cmd.spawn().unwrap();
        let smtp = embargo_testkit::wait_for_address(
            child.stdout.take().unwrap(),
            "SMTP receiver listening on ",
            Duration::from_secs(60),
        );
        Server { child, smtp }
    }

    /// Sends `raw` with smtplib; the reply code.
    fn send(&self, dir: &Path, from: &str, to: &str, raw: &str) -> u16 {
        let py = script(dir, "send.py", SEND_PY);
        let eml = dir.join("out.eml");
        std::fs::write(&eml, raw).unwrap();
        let out = Command::new("python3")
            .arg(&py)
            .arg(self.smtp.port().to_string())
            .args([from, to])
            .arg(&eml)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("smtplib: {out:?}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data directory and, on PostgreSQL, a fresh database URL.
async fn database(backend: TestBackend) -> Option<(tempfile::TempDir, Option<String>, TestDb)> {
    let (url, db) = fresh_database_url(backend).await?;
    let dir = tempfile::tempdir().unwrap();
    let url = (backend == TestBackend::Postgres).then_some(url);
    Some((dir, url, db))
}

async fn open_store(dir: &Path, url: Option<&str>) -> SqlStore {
    let sealer = Sealer::load_or_create(&dir.join("data.key")).unwrap();
    let url = url.map_or_else(
        || format!("sqlite://{}?mode=rwc", dir.join("embargo.db").display()),
        String::from,
    );
    SqlStore::connect(&url, sealer).await.unwrap()
}

/// `embargo init` on `dir` unless it holds an installation already: only `init` or
/// `serve` create one (docs/operations.md#running-it).
fn init(dir: &Path, url: Option<&str>) {
    if dir.join("data.key").exists() {
        return;
    }
    let mut cmd = Command::new(BIN);
    cmd.arg("init")
        .env("EMBARGO_DATA_DIR", dir)
        .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
        .env_remove("EMBARGO_DATABASE_URL");
    if let Some(url) = url {
        cmd.env("EMBARGO_DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn import_projects(dir: &Path, url: Option<&str>) {
    init(dir, url);
    let file = dir.join("projects.toml");
    std::fs::write(
        &file,
        format!("[[project]]\nslug = \"kafka\"\nname = \"Apache Kafka\"\nsecurity_email = \"{KAFKA}\"\nteam = [\"alice@example.org\"]\n"),
    )
    .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["projects", "import"])
        .arg(&file)
        .env("EMBARGO_DATA_DIR", dir)
        .env("EMBARGO_ORG_SECURITY_EMAIL", ORG);
    if let Some(url) = url {
        cmd.env("EMBARGO_DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn message(from: &str, to: &str, subject: &str, id: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\r\n{body}\r\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_in_and_out_through_smtp() {
    if !python_ready() {
        return;
    }
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        import_projects(dir, url.as_deref());
        let relay = Relay::start(dir);
        let server = Server::start(dir, url.as_deref(), Some(relay.port), Some(200_000));
        let store = open_store(dir, url.as_deref()).await;
        let ann = "ann@researcher.example";
        let name = backend.name();

        // A new report by mail: 250, the reporter's receipt and the team's notice go out.
        let report = message(
            ann,
            KAFKA,
            "RCE in Connect",
            "r1@researcher.example",
            "",
            "Steps to reproduce: ...",
        );
        assert_eq!(server.send(dir, ann, KAFKA, &report), 250, "{name}");
        let receipt = relay.wait_for("the receipt", |m| {
            m.contains(&format!("X-Rcpt: {ann}")) && m.contains("Report received")
        });
        assert_eq!(header(&receipt, "Auto-Submitted"), Some("auto-generated"));
        let receipt_id = header(&receipt, "Message-ID").unwrap().to_string();
        // Threaded on the reporter's mail, with an id in the sender's domain.
        assert_eq!(
            header(&receipt, "In-Reply-To"),
            Some("<r1@researcher.example>"),
            "{name}"
        );
        assert!(
            receipt_id.ends_with("@example.org>"),
            "{name}: {receipt_id}"
        );
        let subject = header(&receipt, "Subject").unwrap().to_string();
        let token = subject[subject.find("[EMB-").unwrap()..][..18].to_string();
        relay.wait_for("the team's notice", |m| {
            m.contains(&format!("X-Rcpt: {KAFKA}")) && m.contains("New report")
        });

        // The same message again: 250, and still one report.
        assert_eq!(server.send(dir, ann, KAFKA, &report), 250);
        let all = ReportFilter {
            include_closed: true,
            ..Default::default()
        };
        assert_eq!(
            store.list_reports(&all).await.unwrap().len(),
            1,
            "{name}: duplicate Message-ID"
        );

        // The reporter replies to the receipt: the team gets it.
        let reply = message(
            ann,
            ORG,
            &format!("Re: {subject}"),
            "r2@researcher.example",
            &format!("In-Reply-To: {receipt_id}\r\n"),
            "Also affects 3.6.",
        );
        assert_eq!(server.send(dir, ann, ORG, &reply), 250);
        let notice = relay.wait_for("the reporter's reply", |m| {
            m.contains("Reply from the reporter") && m.contains("Also affects 3.6.")
        });
        let notice_id = header(&notice, "Message-ID").unwrap().to_string();
        // The reporter's words relayed to the team: a person's mail, not automatic.
        assert_eq!(header(&notice, "Auto-Submitted"), None, "{name}");

        // A member presses Reply on that team-only notice, Outlook style: it becomes an
        // internal note, the member is told, and nothing reaches the reporter.
        let internal = message(
            "alice@example.org",
            ORG,
            &format!("RE: {token} Reply from the reporter"),
            "t0@example.org",
            &format!("In-Reply-To: {notice_id}\r\n"),
            "Team only: I think this is a dup of EMB-0123456789AB.\r\n\r\n\
             ________________________________\r\nFrom: security@example.org\r\n\
             Sent: Monday, June 1, 2026 10:00 AM\r\nTo: security@kafka.example.org\r\n\
             Subject: Reply from the reporter\r\n\r\nAlso affects 3.6.",
        );
        assert_eq!(server.send(dir, "alice@example.org", ORG, &internal), 250);
        relay.wait_for("the member's notice", |m| {
            m.contains("X-Rcpt: alice@example.org") && m.contains("internal note")
        });

        // A team member answers a mail the reporter got (the receipt): relayed.
        let team = message(
            "alice@example.org",
            ORG,
            &format!("Re: {token} Report received"),
            "t1@example.org",
            &format!("In-Reply-To: {receipt_id}\r\n"),
            "Confirmed, fixing.\r\n\r\nOn Mon, 1 Jun 2026, Ann wrote:\r\n> Also affects 3.6.",
        );
        assert_eq!(server.send(dir, "alice@example.org", ORG, &team), 250);
        let relayed = relay.wait_for("the relayed team reply", |m| {
            m.contains(&format!("X-Rcpt: {ann}")) && m.contains("Confirmed, fixing.")
        });
        assert!(
            !relayed.contains("> Also affects"),
            "{name}: quote kept\n{relayed}"
        );
        // The member's words relayed to the reporter: not marked automatic either.
        assert_eq!(header(&relayed, "Auto-Submitted"), None, "{name}");
        assert_eq!(
            header(&relayed, "In-Reply-To"),
            Some("<r2@researcher.example>"),
            "{name}: threaded on the reporter's latest mail"
        );
        assert!(
            !relay
                .messages()
                .iter()
                .any(|m| m.contains(&format!("X-Rcpt: {ann}")) && m.contains("Team only")),
            "{name}: the internal note never reached the reporter"
        );

        // A stranger on the thread: held; the team is told, the reporter gets nothing.
        let eve = message(
            "eve@elsewhere.example",
            ORG,
            &format!("Re: {token}"),
            "e1@elsewhere.example",
            "",
            "Send me the exploit.",
        );
        assert_eq!(server.send(dir, "eve@elsewhere.example", ORG, &eve), 250);
        relay.wait_for("the held notice", |m| m.contains("Mail held for the team"));
        assert!(
            !relay
                .messages()
                .iter()
                .any(|m| m.contains("Send me the exploit")),
            "{name}: never relayed"
        );

        // Attachment-only: kept, and the reporter is asked for plain text.
        let pdf = message(
            "bob@researcher.example",
            KAFKA,
            "Report",
            "b1@researcher.example",
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n",
            "--zz\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--zz\r\nContent-Type: application/pdf; name=r.pdf\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--zz--",
        );
        assert_eq!(server.send(dir, "bob@researcher.example", KAFKA, &pdf), 250);
        relay.wait_for("the plain-text request", |m| {
            m.contains("X-Rcpt: bob@researcher.example") && m.contains("plain text")
        });

        // Too large: 552, and nothing stored.
        let huge = message(
            ann,
            KAFKA,
            "Huge",
            "h1@researcher.example",
            "",
            &"x".repeat(300_000),
        );
        assert_eq!(server.send(dir, ann, KAFKA, &huge), 552, "{name}");
        assert!(!store.mail_seen("h1@researcher.example").await.unwrap());
        assert_eq!(store.list_reports(&all).await.unwrap().len(), 2, "{name}");

        // Every mail went out once: no Message-ID twice at the relay.
        std::thread::sleep(Duration::from_millis(1500));
        let ids: Vec<String> = relay
            .messages()
            .iter()
            .map(|m| header(m, "Message-ID").unwrap().to_string())
            .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{name}: a mail was delivered twice"
        );
        let stats = store.outbox_stats().await.unwrap();
        assert_eq!(
            stats.queued + stats.failing + stats.failed,
            0,
            "{name}: {stats:?}"
        );
        assert_eq!(stats.sent as usize, ids.len(), "{name}");
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_down_for_a_while_gets_every_mail_exactly_once() {
    if !python_ready() {
        return;
    }
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        // The relay is down at first: its port is told to the server before anything
        // listens there (a race; see `unbound_port`).
        let relay_port = embargo_testkit::unbound_port();
        let server = Server::start(dir, url.as_deref(), Some(relay_port), None);
        let store = open_store(dir, url.as_deref()).await;
        // Ten reports while the relay is down: each queues a receipt and a notice.
        for i in 0..10 {
            let raw = message(
                &format!("r{i}@researcher.example"),
                ORG,
                &format!("Bug {i}"),
                &format!("f{i}@x.test"),
                "",
                "text",
            );
            assert_eq!(server.send(dir, "r@researcher.example", ORG, &raw), 250);
        }
        std::thread::sleep(Duration::from_secs(2));
        let stats = store.outbox_stats().await.unwrap();
        assert_eq!(stats.sent, 0);
        assert!(
            stats.failing > 0,
            "{}: attempts failed and are retried: {stats:?}",
            backend.name()
        );
        let relay = Relay::start_on(dir, relay_port);
        let deadline = Instant::now() + Duration::from_secs(60);
        while relay.messages().len() < 20 {
            assert!(
                Instant::now() < deadline,
                "only {} of 20 arrived",
                relay.messages().len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // Nothing more arrives: exactly once.
        std::thread::sleep(Duration::from_secs(3));
        let ids: Vec<String> = relay
            .messages()
            .iter()
            .map(|m| header(m, "Message-ID").unwrap().to_string())
            .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((ids.len(), unique.len()), (20, 20), "{}", backend.name());
        assert_eq!(store.outbox_stats().await.unwrap().sent, 20);
        drop(server);
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_burst_loses_no_accepted_mail() {
    if !python_ready() {
        return;
    }
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        let mut server = Server::start(dir, url.as_deref(), None, None);
        let py = script(dir, "burst.py", BURST_PY);
        let mut burst = Command::new("python3")
            .arg(&py)
            .args([server.smtp.port().to_string(), "400".into(), "8".into()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut accepted = Vec::new();
        let mut killed = false;
        for line in BufReader::new(burst.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
        {
            if let Some(id) = line.strip_prefix("OK ") {
                accepted.push(id.to_string());
                if accepted.len() == 40 && !killed {
                    // SIGKILL: no shutdown, no flush, mid-transaction for some connections.
                    server.child.kill().unwrap();
                    server.child.wait().unwrap();
                    killed = true;
                }
            }
        }
        burst.wait().unwrap();
        assert!(
            killed,
            "{}: the burst ended before the kill",
            backend.name()
        );
        // Restart on the same database, then check every 250 is there.
        let server = Server::start(dir, url.as_deref(), None, None);
        let store = open_store(dir, url.as_deref()).await;
        for id in &accepted {
            assert!(
                store.mail_seen(id).await.unwrap(),
                "{}: {id} got 250 but is lost",
                backend.name()
            );
        }
        let reports = store
            .list_reports(&ReportFilter {
                include_closed: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(reports.len() >= accepted.len(), "{}", backend.name());
        let _ = std::io::stderr().write_all(
            format!(
                "{}: {} accepted before kill -9, all present after restart\n",
                backend.name(),
                accepted.len()
            )
            .as_bytes(),
        );
        drop(server);
        store.close().await;
    }
}

/// Runs `embargo ingest-mail` with `input` on stdin; its exit code.
fn ingest_mail(dir: &Path, url: Option<&str>, input: &[u8], extra_env: &[(&str, &str)]) -> i32 {
    let mut cmd = Command::new(BIN);
    cmd.args(["ingest-mail"])
        .env("EMBARGO_DATA_DIR", dir)
        .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
        .env("EMBARGO_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = url {
        cmd.env("EMBARGO_DATABASE_URL", url);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The command may stop reading early (too large): a broken pipe is its answer.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait().unwrap().code().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_mail_exits_with_sysexits_codes() {
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        let url = url.as_deref();
        init(dir, url);
        let name = backend.name();
        let raw = message(
            "ann@researcher.example",
            KAFKA,
            "Pipe",
            "p1@researcher.example",
            "",
            "A bug.",
        );
        assert_eq!(
            ingest_mail(dir, url, raw.as_bytes(), &[]),
            0,
            "{name}: taken"
        );
        assert_eq!(
            ingest_mail(dir, url, raw.as_bytes(), &[]),
            0,
            "{name}: a duplicate is taken too"
        );
        let store = open_store(dir, url).await;
        assert!(store.mail_seen("p1@researcher.example").await.unwrap());
        assert_eq!(
            store
                .list_reports(&ReportFilter::default())
                .await
                .unwrap()
                .len(),
            1,
            "{name}"
        );
        let big = message(
            "ann@researcher.example",
            KAFKA,
            "Big",
            "p2@x.test",
            "",
            &"x".repeat(5000),
        );
        assert_eq!(
            ingest_mail(
                dir,
                url,
                big.as_bytes(),
                &[("EMBARGO_MAIL_MAX_BYTES", "1000")]
            ),
            65,
            "{name}: too large"
        );
        assert_eq!(ingest_mail(dir, url, b"\r\n", &[]), 65, "{name}: empty");
        // Beyond the bounds of its structure: refused for good, nothing stored.
        let mut parts = String::from(
            "From: ann@researcher.example\r\nTo: security@kafka.example.org\r\nMessage-ID: <p3@x.test>\r\n\
             Content-Type: multipart/mixed; boundary=B\r\n\r\n",
        );
        for _ in 0..3 {
            parts.push_str("--B\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n");
        }
        parts.push_str("--B--\r\n");
        assert_eq!(
            ingest_mail(
                dir,
                url,
                parts.as_bytes(),
                &[("EMBARGO_MAIL_MAX_ATTACHMENTS", "2")]
            ),
            65,
            "{name}: too many attachments"
        );
        assert_eq!(
            store
                .list_reports(&ReportFilter::default())
                .await
                .unwrap()
                .len(),
            1,
            "{name}"
        );
        store.close().await;
    }
    // No database to be had: the MTA keeps the message and tries again later.
    let dir = tempfile::tempdir().unwrap();
    let raw = message(
        "ann@researcher.example",
        KAFKA,
        "Pipe",
        "p3@researcher.example",
        "",
        "A bug.",
    );
    let unreachable = Some("postgres://embargo:x@127.0.0.1:1/embargo?connect_timeout=2");
    // (The key given, so that it gets as far as the database.)
    let key = ("EMBARGO_DATA_KEY", "11".repeat(32));
    assert_eq!(
        ingest_mail(dir.path(), unreachable, raw.as_bytes(), &[(key.0, &key.1)]),
        75
    );
}

#[test]
fn a_broken_mail_template_stops_the_start_with_file_and_line() {
    let data = tempfile::tempdir().unwrap();
    let templates = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(templates.path().join("kafka")).unwrap();
    std::fs::write(
        templates.path().join("kafka/acknowledged.txt"),
        "Subject: [{{ report_id }}] Thanks\n\nHello,\n{{ mesage }}\n",
    )
    .unwrap();
    let expected = format!(
        "{}:4: unknown variable",
        templates.path().join("kafka/acknowledged.txt").display()
    );
    init(data.path(), None);
    for args in [&["ingest-mail"][..], &["serve", "--listen", "127.0.0.1:0"]] {
        let mut child = Command::new(BIN)
            .args(args)
            .env("EMBARGO_DATA_DIR", data.path())
            .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
            .env("EMBARGO_ADMIN_EMAIL", "admin@example.org")
            .env("EMBARGO_MAIL_TEMPLATES", templates.path())
            .env("EMBARGO_LOG", "error")
            .env_remove("EMBARGO_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(b"From: a@b.example\r\nSubject: x\r\n\r\ny\r\n");
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
    }
}

/// SMTP smuggling: a second transaction hidden in the data behind `<LF>.<LF>`,
/// `<LF>.<CRLF>` or `<CRLF>.<LF>` is text of the first message, never a message of its
/// own. A raw socket, not smtplib, which would repair the bare line feeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_smuggled_behind_a_bare_lf_dot_is_text_of_the_first() {
    use std::io::Read;
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        let server = Server::start(dir, url.as_deref(), None, None);
        let store = open_store(dir, url.as_deref()).await;
        let name = backend.name();
        for (i, separator) in ["\n.\n", "\n.\r\n", "\r\n.\n"].into_iter().enumerate() {
            let session = format!(
                "EHLO client.test\r\nMAIL FROM:<ann@researcher.example>\r\nRCPT TO:<{ORG}>\r\nDATA\r\n\
                 From: ann@researcher.example\r\nTo: {ORG}\r\nSubject: Smuggling {i}\r\n\
                 Message-ID: <outer{i}@researcher.example>\r\n\r\nText of the report.{separator}\
                 MAIL FROM:<admin@example.org>\r\nRCPT TO:<{ORG}>\r\nDATA\r\n\
                 From: admin@example.org\r\nTo: {ORG}\r\nSubject: Smuggled {i}\r\n\
                 Message-ID: <inner{i}@example.org>\r\n\r\nsmuggled-text\r\n.\r\nQUIT\r\n"
            );
            let mut conn = std::net::TcpStream::connect(server.smtp).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            // All at once, as a pipelining client may: the server reads line by line.
            conn.write_all(session.as_bytes()).unwrap();
            let mut replies = String::new();
            conn.read_to_string(&mut replies).unwrap();
            let codes: Vec<&str> = replies
                .lines()
                .filter(|l| l.as_bytes().get(3) == Some(&b' '))
                .map(|l| &l[..3])
                .collect();
            assert_eq!(
                codes,
                ["220", "250", "250", "250", "354", "250", "221"],
                "{name}: {separator:?}: one transaction\n{replies}"
            );
            assert!(
                store
                    .mail_seen(&format!("outer{i}@researcher.example"))
                    .await
                    .unwrap(),
                "{name}"
            );
            assert!(
                !store
                    .mail_seen(&format!("inner{i}@example.org"))
                    .await
                    .unwrap(),
                "{name}: {separator:?}: smuggled"
            );
        }
        let all = ReportFilter {
            include_closed: true,
            ..Default::default()
        };
        let reports = store.list_reports(&all).await.unwrap();
        assert_eq!(reports.len(), 3, "{name}: {reports:?}");
        for summary in reports {
            assert!(
                summary.title.starts_with("Smuggling "),
                "{name}: {summary:?}"
            );
            let report = store.report(&summary.id).await.unwrap().unwrap();
            assert!(
                report.description.contains("Text of the report.")
                    && report.description.contains("MAIL FROM:<admin@example.org>")
                    && report.description.contains("smuggled-text"),
                "{name}: {}",
                report.description
            );
        }
        drop(server);
        store.close().await;
    }
}

/// Reads the From display name and address and `Auto-Submitted` of a message with
/// Python's RFC 5322 parser, a reader that is not ours.
const FROM_PY: &str = r#"
import sys, email
from email import policy
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=policy.default)
a = m["From"].addresses[0]
print(a.display_name)
print(a.addr_spec)
print(m.get("Auto-Submitted") or "")
"#;

fn read_from(dir: &Path, raw: &str) -> (String, String, String) {
    let py = script(dir, "from.py", FROM_PY);
    let eml = dir.join("from.eml");
    std::fs::write(&eml, raw).unwrap();
    let out = Command::new("python3").arg(&py).arg(&eml).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines().map(String::from);
    let mut next = || lines.next().unwrap_or_default();
    (next(), next(), next())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_name_with_a_comma_and_parentheses_is_one_display_name() {
    if !python_ready() {
        return;
    }
    for backend in backends() {
        let Some((dir, url, _db)) = database(backend).await else {
            continue;
        };
        let dir = dir.path();
        let relay = Relay::start(dir);
        // `serve` starts with such a name (it used to stop: "the organisation's
        // security address ... invalid").
        let org = "Example, Inc. (Labs)";
        let server = Server::start_with(
            dir,
            url.as_deref(),
            Some(relay.port),
            None,
            &[("EMBARGO_ORG_NAME", org)],
        );
        let ann = "ann@researcher.example";
        let report = message(ann, ORG, "Crash", "c1@researcher.example", "", "Steps: ...");
        assert_eq!(server.send(dir, ann, ORG, &report), 250);
        let receipt = relay.wait_for("the receipt", |m| {
            m.contains(&format!("X-Rcpt: {ann}")) && m.contains("Report received")
        });
        let (name, address, auto) = read_from(dir, &receipt);
        assert_eq!(
            (name.as_str(), address.as_str(), auto.as_str()),
            (format!("{org} Security").as_str(), ORG, "auto-generated"),
            "{}: {receipt}",
            backend.name()
        );
    }
}
