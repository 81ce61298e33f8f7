//! What both browser tests need: chromedriver and Chromium found and started, the
//! `embargo` server run as a process, and the small waits and reads that drive pages.

#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use embargo_store::test_support::{self, TestBackend};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The longest any single step may take before the test gives up on it.
pub const WAIT: Duration = Duration::from_secs(30);

/// How long a server or driver may take to start answering.
pub const START: Duration = Duration::from_secs(90);

pub const POLL: Duration = Duration::from_millis(100);

pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

pub struct BrowserTools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

pub async fn wait_for(c: &Client, css: &str) -> Element {
    match c
        .wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "{css} did not appear within {WAIT:?} ({e}); {}",
            describe(c).await
        ),
    }
}

/// Types into the named field of `form` as a person would: clear it, then type.
pub async fn type_in(form: &Element, name: &str, value: &str) {
    let field = form
        .find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .unwrap_or_else(|e| panic!("no field named {name:?} in the form: {e}"));
    field.clear().await.unwrap();
    if !value.is_empty() {
        field.send_keys(value).await.unwrap();
    }
    let got = field.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(
        got.replace("\r\n", "\n"),
        value,
        "typing into {name:?} did not give the expected value"
    );
}

pub async fn field_value(form: &Element, name: &str) -> Option<String> {
    let field = form
        .find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .ok()?;
    field.prop("value").await.ok().flatten()
}

pub async fn visible_errors(c: &Client) -> Vec<String> {
    visible_texts(c, "p.error").await
}

/// The non-empty texts of the displayed elements matching `css`.
pub async fn visible_texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.unwrap_or_default() {
        if e.is_displayed().await.unwrap_or(false) {
            let t = e.text().await.unwrap_or_default();
            if !t.trim().is_empty() {
                out.push(t.trim().to_string());
            }
        }
    }
    out
}

pub async fn body_text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(b) => b.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub async fn describe(c: &Client) -> String {
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    format!(
        "browser at {url}, page text:\n{}",
        truncate(&body_text(c).await, 3000)
    )
}

/// A child process killed (with its process group, for chromedriver's browsers) when the
/// test ends; when the test fails, the end of its log is printed.
pub struct Proc {
    pub name: &'static str,
    pub child: Child,
    pub log: PathBuf,
    pub group: bool,
}

impl Proc {
    pub fn spawn(name: &'static str, mut cmd: Command, log: &Path, group: bool) -> Proc {
        let out = File::create(log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        if group {
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        Proc {
            name,
            child,
            log: log.to_path_buf(),
            group,
        }
    }

    pub fn log_tail(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        let start = s.len().saturating_sub(6000);
        let start = (start..s.len())
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(s.len());
        s[start..].to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group {
            // chromedriver's chromium processes share its process group.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "----- last output of {} -----\n{}\n----- end of {} -----",
                self.name,
                self.log_tail(),
                self.name
            );
        }
    }
}

pub async fn wait_until_ok(http: &reqwest::Client, url: &str, within: Duration, proc: &mut Proc) {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(r) = http.get(url).timeout(Duration::from_secs(2)).send().await
            && r.status().is_success()
        {
            return;
        }
        let exited = proc.child.try_wait().unwrap();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "{} did not answer {url} with 200 within {within:?}{}:\n{}",
            proc.name,
            exited
                .map(|s| format!(" (it exited: {s})"))
                .unwrap_or_default(),
            proc.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// chromedriver on a port it picks itself (`--port=0`), which it names in its log;
/// returns it, answering `/status`, and its URL. With port 0 chromedriver binds IPv6 on
/// an ephemeral port and then IPv4 on the same number, which another process may hold:
/// it then exits with "Address already in use", and a new one is started.
pub async fn start_chromedriver(
    tools: &BrowserTools,
    dir: &Path,
    http: &reqwest::Client,
) -> (Proc, String) {
    const ATTEMPTS: usize = 5;
    let log = dir.join("chromedriver.log");
    for attempt in 1..=ATTEMPTS {
        let mut cmd = Command::new(&tools.chromedriver);
        cmd.arg("--port=0");
        let mut driver = Proc::spawn("chromedriver", cmd, &log, true);
        let deadline = Instant::now() + START;
        let port = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(port) = text.lines().find_map(|line| {
                line.trim()
                    .strip_prefix("ChromeDriver was started successfully on port ")?
                    .trim_end_matches('.')
                    .parse::<u16>()
                    .ok()
            }) {
                break Some(port);
            }
            let exited = driver.child.try_wait().expect("chromedriver status");
            if exited.is_some() && text.contains("Address already in use") && attempt < ATTEMPTS {
                break None;
            }
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "chromedriver did not start within {START:?}:\n{}",
                driver.log_tail()
            );
            tokio::time::sleep(POLL).await;
        };
        let Some(port) = port else { continue };
        let url = format!("http://127.0.0.1:{port}");
        wait_until_ok(http, &format!("{url}/status"), START, &mut driver).await;
        return (driver, url);
    }
    unreachable!("the last attempt either starts or fails its assertion")
}

pub fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Today (UTC) plus `days`, as YYYY-MM-DD.
pub fn date_in_days(days: i64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Howard Hinnant's civil_from_days.
    let z = secs.div_euclid(86_400) + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Chromium and chromedriver, or `None` after `test` said it is SKIPPED (a failure
/// under `CI=true`).
pub fn browser_tools(test: &str) -> Option<BrowserTools> {
    Some(BrowserTools {
        chromium: embargo_testkit::require_program(test, &["chromium", "chromium-browser"])?,
        chromedriver: embargo_testkit::require_program(test, &["chromedriver"])?,
    })
}

pub async fn browser(driver_url: &str, chromium: &Path, profile: &Path, height: u32) -> Client {
    std::fs::create_dir_all(profile).unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &format!("--window-size=1280,{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .unwrap_or_else(|e| panic!("could not start a chromium session: {e}"))
}

/// Clicks a submit button and waits until the browser has loaded the answer: the old
/// page's elements go stale, and the new document is complete.
pub async fn press(c: &Client, button: &Element) {
    button.click().await.unwrap();
    let deadline = Instant::now() + WAIT;
    while button.is_displayed().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "clicking the button did not load a new page within {WAIT:?}; {}",
            describe(c).await
        );
        tokio::time::sleep(POLL).await;
    }
    loop {
        let ready = c.execute("return document.readyState", vec![]).await;
        if matches!(ready, Ok(Value::String(ref s)) if s == "complete") {
            break;
        }
        assert!(Instant::now() < deadline, "the page did not finish loading");
        tokio::time::sleep(POLL).await;
    }
}

/// One browser story at a time in this process: two headless Chromiums, a chromedriver
/// and a server per story are plenty for a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `story` on `backend` (a fresh PostgreSQL database for that backend). Without
/// Chromium or PostgreSQL it prints its SKIPPED line, and fails under `CI=true`.
pub async fn run_story<F, Fut>(test: &str, backend: TestBackend, story: F)
where
    F: FnOnce(BrowserTools, Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(tools) = browser_tools(test) else {
        return;
    };
    match backend {
        TestBackend::Sqlite => {
            let _one = ONE_AT_A_TIME.lock().await;
            story(tools, Backend::Sqlite).await;
        }
        TestBackend::Postgres => {
            if !test_support::backends().contains(&TestBackend::Postgres) {
                return;
            }
            let _one = ONE_AT_A_TIME.lock().await;
            // `_db` drops the database after the story (and its server) is done.
            let (url, _db) = test_support::fresh_database_url(TestBackend::Postgres)
                .await
                .unwrap();
            story(tools, Backend::Postgres(url)).await;
        }
    }
}

/// Runs one `embargo` CLI command to its end (bounded), failing the test if it fails;
/// returns its stdout.
pub fn run_embargo(
    args: &[&str],
    db_args: &[String],
    env: &[(&str, String)],
    dir: &Path,
) -> String {
    let name = random_hex();
    let (out_log, err_log) = (
        dir.join(format!("cli-{name}.out")),
        dir.join(format!("cli-{name}.err")),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embargo"));
    cmd.args(args).args(db_args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out_log).unwrap())
        .stderr(File::create(&err_log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + START;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("embargo {} did not finish within {START:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_log).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_log).unwrap_or_default();
    assert!(
        status.success(),
        "embargo {} failed ({status}):\n{stdout}\n{stderr}",
        args.join(" ")
    );
    stdout
}

/// An action that cannot be undone (reject, announce, merge, publish) sits behind its
/// verb ("Reject…") and wants "I understand this cannot be undone" ticked: a person
/// opens it and ticks the box. Nothing happens for a form without them.
pub async fn confirm_irreversible(form: &Element) {
    if let Ok(summary) = form
        .find(Locator::XPath("ancestor::details[1]/summary"))
        .await
        && !form.is_displayed().await.unwrap()
    {
        summary.click().await.unwrap();
    }
    if let Ok(b) = form.find(Locator::Css("input.confirm-irreversible")).await
        && !b.is_selected().await.unwrap()
    {
        b.click().await.unwrap();
    }
}
