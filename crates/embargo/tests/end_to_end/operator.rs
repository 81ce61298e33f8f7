//! The operator's kit, as an operator meets it (docs/operations.md#running-it): only
//! `init` and `serve` create an installation, every other command refuses where there
//! is none and creates nothing; the README's quick start runs as written; `/metrics`
//! answers only its token; JSON logs; the systemd unit and the container file name
//! real options. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");

/// A data key, given as `EMBARGO_DATA_KEY` where a test needs one without a file.
const KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `embargo ARGS` on `dir` (and `db`, a PostgreSQL URL), with `env` set.
fn embargo(dir: &Path, db: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("EMBARGO_ADMIN_PASSWORD")
        .env_remove("EMBARGO_DATA_KEY")
        .env_remove("EMBARGO_BASE_URL")
        .env_remove("EMBARGO_DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(url) = db {
        cmd.arg("--database-url").arg(url);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(o: Output) -> String {
    let (out, err) = text(&o);
    assert!(o.status.success(), "failed: {out}\n{err}");
    out
}

fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

/// The database at `url` holds no organisation (the refused command made none).
async fn no_organisation(url: &str) {
    use embargo_store::{Organisations, Sealer, SqlStore};
    let store = SqlStore::connect(url, Sealer::from_hex(KEY_HEX).unwrap())
        .await
        .unwrap();
    assert!(store.organisation().await.unwrap().is_none());
}

/// The commands an operator runs on an installation, each refused where there is none.
fn admin_commands(example: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["cve", "pool", "status"],
        vec!["cve", "pool", "add", "CVE-2026-10000"],
        vec!["user", "add", "--email", "alice@example.org"],
        vec!["token", "create", "--email", "admin@example.org"],
        vec!["projects", "import", example],
        vec!["projects", "list"],
        vec!["sender", "list", "--by", "admin@example.org"],
        vec!["cve", "export", "CVE-2026-10000"],
    ]
}

#[tokio::test]
async fn admin_commands_refuse_where_there_is_no_installation_and_create_nothing() {
    let example = repo().join("examples/projects.toml");
    let example = example.to_str().unwrap();
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let tmp = tempfile::tempdir().unwrap();
        // A directory that does not exist, and one that exists but is empty.
        let missing = tmp.path().join("wrong-directory");
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        for dir in [&missing, &empty] {
            for args in admin_commands(example) {
                let out = embargo(dir, db, &args, &[]);
                let (stdout, stderr) = text(&out);
                assert!(
                    !out.status.success(),
                    "{args:?} ran without an installation: {stdout}"
                );
                assert!(
                    stderr.contains("no Embargo installation at")
                        && stderr.contains("embargo init"),
                    "{args:?} on {}: {stderr}",
                    backend_label(backend)
                );
                assert!(
                    !stdout.contains("/setup/"),
                    "{args:?} made an administrator"
                );
            }
            // The MTA keeps a message for an installation it cannot find (75).
            let mut pipe = Command::new(BIN);
            pipe.args(["ingest-mail", "--data-dir"])
                .arg(dir)
                .env_remove("EMBARGO_DATA_KEY")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(url) = db {
                pipe.arg("--database-url").arg(url);
            }
            let mut child = pipe.spawn().unwrap();
            let _ = std::io::Write::write_all(
                &mut child.stdin.take().unwrap(),
                b"From: ann@researcher.example\r\nSubject: x\r\n\r\ny\r\n",
            );
            assert_eq!(child.wait().unwrap().code(), Some(75), "ingest-mail");
            assert!(!missing.exists(), "a refused command created the directory");
            assert!(entries(&empty).is_empty(), "{:?}", entries(&empty));
        }
        // A database without an installation, the key given by the environment (several
        // PostgreSQL nodes): refused too, and no organisation made.
        if let Some(url) = db {
            let out = embargo(
                &empty,
                Some(url),
                &["cve", "pool", "status"],
                &[("EMBARGO_DATA_KEY", KEY_HEX)],
            );
            let (_, stderr) = text(&out);
            assert!(!out.status.success());
            assert!(stderr.contains("holds no organisation"), "{stderr}");
            no_organisation(url).await;
        }

        // `init` makes the installation; the same commands then work; `init` again
        // changes nothing. On PostgreSQL with the key the refused command was given
        // (the database remembers which key it is used with).
        let key: &[(&str, &str)] = match db {
            Some(_) => &[("EMBARGO_DATA_KEY", KEY_HEX)],
            None => &[],
        };
        let made = ok(embargo(&missing, db, &["init"], key));
        assert!(made.contains("Created the first administrator admin@example.org"));
        assert!(made.contains("Embargo is installed"), "{made}");
        let status = ok(embargo(&missing, db, &["cve", "pool", "status"], key));
        assert!(status.contains("0 free, 0 assigned"), "{status}");
        let again = ok(embargo(&missing, db, &["init"], key));
        assert!(again.contains("already exists") && !again.contains("Created"));
        let token = ok(embargo(
            &missing,
            db,
            &["token", "create", "--email", "admin@example.org"],
            key,
        ));
        assert!(!token.trim().is_empty());
    }
}

fn backend_label(b: TestBackend) -> &'static str {
    match b {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
    }
}

#[tokio::test]
async fn user_add_is_idempotent_and_links_carry_the_public_url() {
    let example = repo().join("examples/projects.toml");
    let public = [("EMBARGO_BASE_URL", "https://security.example.org/")];
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let dir = tempfile::tempdir().unwrap();
        let made = ok(embargo(dir.path(), db, &["init"], &public));
        assert!(
            made.contains("https://security.example.org/setup/"),
            "{made}"
        );
        ok(embargo(
            dir.path(),
            db,
            &["projects", "import", example.to_str().unwrap()],
            &public,
        ));
        // alice is on the kafka team of the projects file: adding her again works and
        // gives her a link to set her password.
        let again = ok(embargo(
            dir.path(),
            db,
            &["user", "add", "--email", "alice@example.org"],
            &public,
        ));
        assert!(
            again.contains("already a member; nothing changed"),
            "{again}"
        );
        let link = again.lines().last().unwrap();
        assert!(
            link.starts_with("https://security.example.org/setup/"),
            "{again}"
        );
        let new = ok(embargo(
            dir.path(),
            db,
            &["user", "add", "--email", "zoe@example.org"],
            &public,
        ));
        assert!(new.contains("Added zoe@example.org"), "{new}");
        assert!(new.contains("https://security.example.org/setup/"), "{new}");
        // Asking for more than she has is not quietly ignored.
        let out = embargo(
            dir.path(),
            db,
            &["user", "add", "--email", "alice@example.org", "--org-team"],
            &public,
        );
        assert!(!out.status.success());
        assert!(
            text(&out).1.contains("not of the organisation team"),
            "{}",
            text(&out).1
        );
    }
}

/// A running `embargo serve`, killed when dropped.
struct Server {
    child: Child,
    addr: std::net::SocketAddr,
    stderr: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, db: Option<&str>, env: &[(&str, &str)]) -> Server {
    let stderr = dir.with_extension("stderr.log");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("EMBARGO_ADMIN_PASSWORD", "a-long-enough-password")
        .env("EMBARGO_RATE_LIMITS", "off")
        .env_remove("EMBARGO_METRICS_TOKEN")
        .env_remove("EMBARGO_LOG_FORMAT")
        .env_remove("EMBARGO_DATA_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(url) = db {
        cmd.arg("--database-url").arg(url);
    }
    let mut child = cmd.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let addr =
        embargo_testkit::wait_for_address(out, "Embargo is listening on ", Duration::from_secs(90));
    Server {
        child,
        addr,
        stderr,
    }
}

/// The README's commands after "Then, in another shell", as written, with the binary
/// in place of `cargo run --release -p embargo --`, beside a running server.
#[tokio::test]
async fn the_readme_quick_start_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let after = readme
        .split("Then, in another shell")
        .nth(1)
        .expect("the README's quick start");
    let block = after
        .split("```sh")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let commands: Vec<Vec<String>> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let rest = l
                .strip_prefix("cargo run --release -p embargo -- ")
                .unwrap_or_else(|| panic!("a quick-start line not run as the others: {l}"));
            rest.split_whitespace().map(String::from).collect()
        })
        .collect();
    assert!(commands.len() >= 4, "{commands:?}");
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("embargo-data");
        let server = serve(&dir, db, &[]);
        let base = format!("http://{}", server.addr);
        // Without a token, there is no /metrics at all.
        let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
        assert_eq!(metrics.status(), 404);
        for args in &commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut cmd = Command::new(BIN);
            // As in the README: the working directory holds `embargo-data` and the
            // examples are relative to the repository.
            cmd.args(&args)
                .current_dir(repo())
                .env("EMBARGO_DATA_DIR", &dir)
                .env_remove("EMBARGO_ADMIN_PASSWORD");
            if let Some(url) = db {
                cmd.env("EMBARGO_DATABASE_URL", url);
            }
            let out = cmd.output().unwrap();
            let (stdout, stderr) = text(&out);
            assert!(
                out.status.success(),
                "README command {args:?} failed: {stdout}\n{stderr}"
            );
        }
        drop(server);
    }
}

#[tokio::test]
async fn metrics_answer_only_their_token_and_logs_can_be_json() {
    let token = "metrics-token-0123456789abcdef";
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let server = serve(
            &dir,
            db,
            &[
                ("EMBARGO_METRICS_TOKEN", token),
                ("EMBARGO_LOG_FORMAT", "json"),
            ],
        );
        let base = format!("http://{}", server.addr);
        let http = reqwest::Client::new();
        let projects = repo().join("examples/projects.toml");
        ok(embargo(
            &dir,
            db,
            &["projects", "import", projects.to_str().unwrap()],
            &[],
        ));
        let created = http
            .post(format!("{base}/api/v1/reports"))
            .json(&json!({
                "project": "kafka",
                "title": "Deserialisation of untrusted data in the REST proxy",
                "description": "A crafted JSON document runs code in the REST proxy.",
                "reporter_email": "ann@researcher.example",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

        // No header, a wrong token, the right one without the Bearer scheme.
        for auth in [None, Some("Bearer wrong-token"), Some(token)] {
            let mut req = http.get(format!("{base}/metrics"));
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            let status = req.send().await.unwrap().status();
            assert_eq!(status, 401, "{auth:?} must not read the metrics");
        }
        let scraped = http
            .get(format!("{base}/metrics"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(scraped.status(), 200);
        let body = scraped.text().await.unwrap();
        for family in [
            "embargo_http_requests_total",
            "embargo_http_request_duration_seconds",
            "embargo_reports_received_total",
            "embargo_outbox_mails",
            "embargo_outbox_queue_depth",
            "embargo_reports_overdue",
            "embargo_database_query_seconds",
        ] {
            assert!(
                body.contains(&format!("# TYPE {family} ")),
                "{family}:\n{body}"
            );
        }
        assert!(body.contains("embargo_reports_received_total{channel=\"api\"} 1"));
        assert!(body.contains("embargo_reports_open 1"), "{body}");
        assert!(body.contains("embargo_database_up 1"), "{body}");
        assert!(
            body.contains("embargo_http_requests_total{class=\"api\",code=\"201\"} 1"),
            "{body}"
        );
        // The receipt and the team's notice wait in the outbox (no relay configured).
        assert!(!body.contains("embargo_outbox_queue_depth 0"), "{body}");
        // Counts only: nothing of the report.
        assert!(
            !body.contains("kafka") && !body.contains("researcher"),
            "{body}"
        );

        let log = server.stderr.clone();
        drop(server);
        assert_json_logs(&std::fs::read_to_string(log).unwrap());
    }
}

/// Every line of a `EMBARGO_LOG_FORMAT=json` log is a JSON object, the start-up line
/// among them.
fn assert_json_logs(log: &str) {
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ready = lines
        .iter()
        .find(|l| l["message"] == "database ready")
        .unwrap_or_else(|| panic!("no start-up line in:\n{log}"));
    assert_eq!(ready["level"], "INFO");
    assert!(ready["timestamp"].is_string() && ready["database"].is_string());
}

/// The systemd unit names the sandboxing it promises and only real options of
/// `embargo serve`, and systemd itself accepts it.
#[test]
fn the_systemd_unit_is_sandboxed_and_names_real_options() {
    let unit = std::fs::read_to_string(repo().join("contrib/embargo.service")).unwrap();
    let keys: Vec<(&str, &str)> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .collect();
    let value = |k: &str| {
        keys.iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("the unit has no {k}="))
    };
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("StateDirectory", "embargo"),
        ("UMask", "0077"),
    ] {
        assert_eq!(value(k), v, "{k}");
    }
    assert!(value("SystemCallFilter").contains("@system-service"));
    let exec = value("ExecStart");
    let help = ok(Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap());
    for flag in exec.split_whitespace().filter(|w| w.starts_with("--")) {
        let flag = flag.split('=').next().unwrap();
        assert!(
            help.contains(flag),
            "ExecStart's {flag} is no option of serve"
        );
    }
    verify_with_systemd(&unit, exec);
}

/// `systemd-analyze verify` on the unit with ExecStart on the binary just built (its
/// path must exist). Installed by `.ci/run` (the `systemd` package); under CI=true its
/// absence fails the test.
fn verify_with_systemd(unit: &str, exec: &str) {
    let Some(analyze) =
        embargo_testkit::require_program("the systemd unit check", &["systemd-analyze"])
    else {
        return;
    };
    let program = exec.split_whitespace().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("embargo.service");
    std::fs::write(&path, unit.replace(program, BIN)).unwrap();
    let out = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    // Outside a booted systemd (containers), verify also reports the missing manager;
    // what matters is that nothing names our unit's lines.
    let ours: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .filter(|l| l.contains("embargo.service"))
        .collect();
    assert!(ours.is_empty(), "systemd-analyze verify: {ours:?}");
    // systemd's own exposure score (0 best, 10 worst): the unit stays at most 2.0.
    let security = Command::new(&analyze)
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&path)
        .output()
        .unwrap();
    let (stdout, _) = text(&security);
    assert!(
        security.status.success(),
        "exposure above 2.0:\n{}",
        stdout.lines().last().unwrap_or_default()
    );
}

/// The container file builds in a stage of its own, runs unprivileged, and starts
/// `serve` with real options (`podman build -f contrib/Containerfile .` is the full
/// check, docs/operations.md#running-it).
#[test]
fn the_container_file_is_multi_stage_and_unprivileged() {
    let file = std::fs::read_to_string(repo().join("contrib/Containerfile")).unwrap();
    let lines: Vec<&str> = file
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let stages = lines.iter().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "one stage builds, another runs: {stages}");
    assert!(lines.iter().any(|l| l.contains("cargo build --release")));
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(!["root", "0"].contains(&user.trim()), "runs as {user}");
    let entry = lines
        .iter()
        .find(|l| l.starts_with("ENTRYPOINT") || l.starts_with("CMD"))
        .expect("an ENTRYPOINT");
    let help = ok(Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap());
    for flag in entry
        .split(['"', ' ', ',', '[', ']'])
        .filter(|w| w.starts_with("--"))
    {
        assert!(
            help.contains(flag),
            "the container's {flag} is no option of serve"
        );
    }
}
