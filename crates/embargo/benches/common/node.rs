//! A real `embargo serve` process for the benchmarks that measure the server by
//! itself: started on a fresh installation (SQLite in a temporary directory, or a
//! PostgreSQL database), with the example projects, HTTP and SMTP on ports of their
//! own, and read from outside through `/proc`: its CPU time and its memory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_embargo");
pub const ORG: &str = "security@example.org";
/// The Kafka team's list in `examples/projects.toml`: mail to it is routed to Kafka.
pub const KAFKA_LIST: &str = "security@kafka.example.org";
const HTTP_PREFIX: &str = "Embargo is listening on ";
const SMTP_PREFIX: &str = "SMTP receiver listening on ";

/// The benchmark node's `/metrics` credential.
const METRICS_TOKEN: &str = "bench-metrics-token-0123456789abcdef";

/// Linux's clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`, 100 on every
/// architecture Embargo is built for).
const TICKS_PER_SECOND: f64 = 100.0;

/// An installation the benchmarks start nodes on.
pub struct Install {
    pub data: PathBuf,
    pub database: Option<String>,
}

pub struct Node {
    child: Child,
    pub http: SocketAddr,
    pub smtp: SocketAddr,
}

impl Install {
    /// A new installation with the example projects imported.
    pub fn new(data: &Path, database: Option<String>) -> Install {
        let install = Install {
            data: data.to_path_buf(),
            database,
        };
        let projects = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/projects.toml");
        for args in [
            vec!["init".to_string()],
            vec![
                "projects".into(),
                "import".into(),
                projects.display().to_string(),
            ],
        ] {
            let out = install.command().args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "embargo {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        install
    }

    /// `embargo` with the installation's environment: limits meant for one abusive
    /// client are off, since one benchmark client sends everything.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("EMBARGO_DATA_DIR", &self.data)
            .env("EMBARGO_ORG_SECURITY_EMAIL", ORG)
            .env("EMBARGO_ADMIN_EMAIL", "admin@example.org")
            .env("EMBARGO_ADMIN_PASSWORD", "bench-admin-password-long-enough")
            .env("EMBARGO_RATE_LIMITS", "off")
            .env("EMBARGO_SMTP_BUDGET_PER_CLIENT", "off")
            .env("EMBARGO_SMTP_BUDGET_PER_SENDER", "off")
            // 64 connections from the one client address.
            .env("EMBARGO_SMTP_MAX_PER_CLIENT", "64")
            .env("EMBARGO_LOG", "error")
            .env_remove("EMBARGO_DATA_KEY")
            .env_remove("EMBARGO_DATABASE_URL")
            .env("EMBARGO_METRICS_TOKEN", METRICS_TOKEN);
        if let Some(url) = &self.database {
            cmd.env("EMBARGO_DATABASE_URL", url);
        }
        cmd
    }

    /// `embargo serve` with HTTP and SMTP on free ports; returns once both listen.
    pub fn serve(&self) -> Node {
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
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (http, smtp) = addresses(out);
        Node { child, http, smtp }
    }
}

/// Reads the node's output until it named both addresses, then drains it on a thread.
fn addresses(out: impl std::io::BufRead + Send + 'static) -> (SocketAddr, SocketAddr) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut http, mut smtp) = (None, None);
    while http.is_none() || smtp.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("serve named its addresses");
        http = http.or_else(|| embargo_testkit::listening_address(&line, HTTP_PREFIX));
        smtp = smtp.or_else(|| embargo_testkit::listening_address(&line, SMTP_PREFIX));
    }
    (http.unwrap(), smtp.unwrap())
}

impl Node {
    /// The CPU time (user + system) the server has used so far.
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // The fields after the command name (which is in parentheses and may hold
        // spaces): state is the 3rd field of the line, utime the 14th, stime the 15th.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND)
    }

    /// Bytes the server has handed to `write` calls so far (database, log, temporary
    /// files): what intake costs the disk.
    pub fn written(&self) -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{}/io", self.child.id())).unwrap();
        io.lines()
            .find_map(|l| l.strip_prefix("wchar: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Resident memory now and at its peak, in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib = |key: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    /// The group-commit counters from `/metrics`: (transactions, intakes they held);
    /// `None` where there are none (PostgreSQL).
    pub async fn intake_commits(&self) -> Option<(u64, u64)> {
        let text = reqwest::Client::new()
            .get(format!("http://{}/metrics", self.http))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        embargo_testkit::intake_commits(&text)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
