//! `embargo serve` as an operator runs it, for the tests that kill it (`durability`,
//! `two_nodes`): a node started with both doors open and its addresses read from its
//! output, intake bursts over HTTP and SMTP that record exactly what was acknowledged
//! (201 / 250), an SMTP sink that stands in for the relay, and a store opened beside the
//! running nodes to check what survived.

#![allow(clippy::unwrap_used)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use embargo_store::{Sealer, SqlStore};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_embargo");
pub const ORG: &str = "security@example.org";
const HTTP_PREFIX: &str = "Embargo is listening on ";
const SMTP_PREFIX: &str = "SMTP receiver listening on ";

/// One `embargo serve` process on `data` (and `database`, when PostgreSQL).
pub struct Node {
    pub child: Child,
    pub http: SocketAddr,
    pub smtp: SocketAddr,
}

/// Where a node's installation lives and what it is started with.
#[derive(Clone)]
pub struct NodeSetup {
    pub data: PathBuf,
    pub database: Option<String>,
    /// `EMBARGO_DATA_KEY`; without it the key is `data/data.key`.
    pub key: Option<String>,
    /// Further variables (relay, reminder period, admin password, …).
    pub env: Vec<(String, String)>,
}

impl NodeSetup {
    pub fn new(data: &Path, database: Option<&str>) -> NodeSetup {
        NodeSetup {
            data: data.to_path_buf(),
            database: database.map(String::from),
            key: None,
            env: Vec::new(),
        }
    }

    /// The command with everything but its arguments: intake unthrottled, since the
    /// bursts from one client are the point (the limits have tests of their own).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("EMBARGO_DATA_DIR", &self.data)
            .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
            .env("EMBARGO_ADMIN_EMAIL", "admin@example.org")
            .env("EMBARGO_RATE_LIMITS", "off")
            .env("EMBARGO_SMTP_BUDGET_PER_CLIENT", "off")
            .env("EMBARGO_SMTP_BUDGET_PER_SENDER", "off")
            .env("EMBARGO_MAIL_RETRY_BASE_MS", "200")
            .env("EMBARGO_LOG", "error")
            .env_remove("EMBARGO_DATABASE_URL")
            .env_remove("EMBARGO_DATA_KEY");
        if let Some(url) = &self.database {
            cmd.env("EMBARGO_DATABASE_URL", url);
        }
        if let Some(key) = &self.key {
            cmd.env("EMBARGO_DATA_KEY", key);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `embargo serve` with both doors on ports of their own; returns once both listen.
    pub fn start(&self) -> Node {
        let mut child = self
            .command()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--smtp-listen",
                "127.0.0.1:0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (http, smtp) = both_addresses(child.stdout.take().unwrap());
        Node { child, http, smtp }
    }

    /// The store the nodes use, opened beside them with the same key.
    pub async fn open_store(&self) -> SqlStore {
        let sealer = match &self.key {
            Some(hex) => Sealer::from_hex(hex).unwrap(),
            None => Sealer::load_or_create(&self.data.join("data.key")).unwrap(),
        };
        let url = self.database.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data.join("embargo.db").display()
            )
        });
        SqlStore::connect(&url, sealer).await.unwrap()
    }
}

/// Reads a node's standard output until it named both its HTTP and SMTP addresses,
/// then keeps draining it on its thread (a full pipe would stop the node).
fn both_addresses(out: impl std::io::Read + Send + 'static) -> (SocketAddr, SocketAddr) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut http, mut smtp, mut printed) = (None, None, Vec::new());
    while http.is_none() || smtp.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("serve did not name both addresses ({e}):\n{printed:#?}"));
        http = http.or_else(|| embargo_testkit::listening_address(&line, HTTP_PREFIX));
        smtp = smtp.or_else(|| embargo_testkit::listening_address(&line, SMTP_PREFIX));
        printed.push(line);
    }
    (http.unwrap(), smtp.unwrap())
}

impl Node {
    /// SIGKILL: no shutdown, no flush, requests and transactions cut where they are.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one burst got acknowledged, and what else it was answered.
#[derive(Default, Debug)]
pub struct Acked {
    /// Report ids answered 201 over HTTP.
    pub reports: Vec<String>,
    /// Message-IDs answered 250 at the end of DATA.
    pub mails: Vec<String>,
    /// Statuses other than 201 (a busy database answers 503; never 500).
    pub refused: Vec<u16>,
}

/// Posts up to `count` reports to `POST /api/v1/reports` over `conns` connections at
/// once, each with a reporter address (so each queues a receipt and a notice). A worker
/// stops at its first transport error (the node died); `stop` ends all of them.
pub async fn http_burst(
    node: SocketAddr,
    tag: String,
    count: usize,
    conns: usize,
    stop: Arc<AtomicBool>,
) -> Acked {
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut workers = Vec::new();
    for _ in 0..conns {
        let (next, acked, stop, tag) = (next.clone(), acked.clone(), stop.clone(), tag.clone());
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let url = format!("http://{node}/api/v1/reports");
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count || stop.load(Ordering::SeqCst) {
                    return;
                }
                let body = serde_json::json!({
                    "title": format!("Burst {tag} {i}"),
                    "description": "The parser fails on crafted input. ".repeat(30),
                    "reporter_email": format!("r{i}@researcher.example"),
                });
                let Ok(answer) = http.post(&url).json(&body).send().await else {
                    return;
                };
                let status = answer.status().as_u16();
                // Acknowledged means the whole answer arrived, as a client sees it.
                let Ok(json) = answer.json::<serde_json::Value>().await else {
                    return;
                };
                let mut acked = acked.lock().unwrap();
                match json["id"].as_str() {
                    Some(id) if status == 201 => acked.reports.push(id.to_string()),
                    _ => acked.refused.push(status),
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

/// Sends up to `count` new reports by mail over `conns` SMTP sessions at once; a
/// session stops at its first transport error or unexpected reply.
pub async fn smtp_burst(
    node: SocketAddr,
    tag: String,
    count: usize,
    conns: usize,
    stop: Arc<AtomicBool>,
) -> Acked {
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut workers = Vec::new();
    for _ in 0..conns {
        let (next, acked, stop, tag) = (next.clone(), acked.clone(), stop.clone(), tag.clone());
        workers.push(tokio::spawn(async move {
            let Ok(mut session) = Smtp::open(node).await else {
                return;
            };
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count || stop.load(Ordering::SeqCst) {
                    let _ = session.command("QUIT").await;
                    return;
                }
                let mid = format!("burst-{tag}-{i}@client.test");
                let from = format!("m{i}@researcher.example");
                match session.send(&from, ORG, &mail(&from, &mid, &tag, i)).await {
                    Ok(250) => acked.lock().unwrap().mails.push(mid),
                    Ok(code) => {
                        acked.lock().unwrap().refused.push(code);
                        return;
                    }
                    Err(_) => return,
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

fn mail(from: &str, mid: &str, tag: &str, i: usize) -> String {
    let body = "The parser fails on crafted input. ".repeat(30);
    format!(
        "From: {from}\r\nTo: {ORG}\r\nSubject: Burst {tag} {i}\r\nMessage-ID: <{mid}>\r\n\r\n{body}\r\n"
    )
}

/// A minimal SMTP client session: enough for a burst and no more.
struct Smtp {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

type IoResult<T> = std::io::Result<T>;

impl Smtp {
    async fn open(addr: SocketAddr) -> IoResult<Smtp> {
        let (r, writer) = TcpStream::connect(addr).await?.into_split();
        let mut s = Smtp {
            reader: BufReader::new(r),
            writer,
        };
        expect(s.reply().await?, 220)?;
        expect(s.command("EHLO client.test").await?, 250)?;
        Ok(s)
    }

    /// The reply's code, after reading every line of a multi-line reply.
    async fn reply(&mut self) -> IoResult<u16> {
        let read = async {
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                if line.as_bytes().get(3) != Some(&b'-') {
                    return line
                        .get(..3)
                        .and_then(|c| c.parse().ok())
                        .ok_or_else(|| std::io::Error::other(format!("bad reply {line:?}")));
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }

    async fn command(&mut self, line: &str) -> IoResult<u16> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        self.reply().await
    }

    /// One transaction; the code answered at the end of DATA. `raw` has no line
    /// starting with a dot.
    async fn send(&mut self, from: &str, to: &str, raw: &str) -> IoResult<u16> {
        expect(self.command(&format!("MAIL FROM:<{from}>")).await?, 250)?;
        expect(self.command(&format!("RCPT TO:<{to}>")).await?, 250)?;
        expect(self.command("DATA").await?, 354)?;
        self.writer.write_all(raw.as_bytes()).await?;
        self.command(".").await
    }
}

fn expect(code: u16, wanted: u16) -> IoResult<()> {
    if code == wanted {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{code} where {wanted} was expected"
        )))
    }
}

/// An SMTP relay for the outbox: accepts every message and keeps it, in memory.
pub struct Sink {
    messages: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// A relay on `port`, which may have been given to the nodes before it listened.
    pub async fn start_on(port: u16) -> Sink {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(relay_session(conn, kept.clone()));
            }
        });
        Sink { messages, task }
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One session with the outbox worker: every message's envelope recipients as an
/// `X-Rcpt:` line, then the message as sent.
async fn relay_session(conn: TcpStream, kept: Arc<Mutex<Vec<String>>>) -> IoResult<()> {
    let (r, mut w) = conn.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut rcpts = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250 8BITMIME\r\n",
            "RCPT" => {
                rcpts.push(line.trim()[8..].trim_matches(['<', '>']).to_string());
                b"250 OK\r\n"
            }
            "DATA" => {
                w.write_all(b"354 go on\r\n").await?;
                let mut data = format!("X-Rcpt: {}\r\n", rcpts.join(","));
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                }
                kept.lock().unwrap().push(data);
                rcpts.clear();
                b"250 OK kept\r\n"
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "RSET" => {
                rcpts.clear();
                b"250 OK\r\n"
            }
            _ => b"250 OK\r\n",
        };
        w.write_all(answer).await?;
    }
}

/// A header of a message as the sink kept it.
pub fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        l.split_once(':')
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    })
}

/// A number in `0..n` that differs from run to run (the moment of a kill).
pub fn random_below(n: u64) -> u64 {
    u64::from_str_radix(&crate::support::random_hex(), 16).unwrap() % n.max(1)
}
