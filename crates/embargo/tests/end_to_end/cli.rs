//! The binary's contract as deployment scripts use it: first start, projects import,
//! tokens, the CVE pool, on the embedded default and on PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");

fn embargo(data_dir: &Path, db: Option<&str>, args: &[&str]) -> Output {
    // Only `init` or `serve` create an installation (docs/operations.md#running-it).
    if args != ["init"] && !data_dir.join("data.key").exists() {
        let init = embargo(data_dir, db, &["init"]);
        assert!(init.status.success(), "embargo init: {init:?}");
    }
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("EMBARGO_ADMIN_PASSWORD");
    if let Some(url) = db {
        cmd.arg("--database-url").arg(url);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data_dir: &Path, db: Option<&str>, port: u16, password: Option<&str>) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env("EMBARGO_ADMIN_EMAIL", "root@example.org")
        .env("EMBARGO_BASE_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match password {
        Some(p) => cmd.env("EMBARGO_ADMIN_PASSWORD", p),
        None => cmd.env_remove("EMBARGO_ADMIN_PASSWORD"),
    };
    if let Some(url) = db {
        cmd.arg("--database-url").arg(url);
    }
    Server(cmd.spawn().unwrap())
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "embargo serve did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads the server's stdout until a line contains `needle`, returning that line.
fn read_line_with(server: &mut Server, needle: &str) -> String {
    use std::io::{BufRead, BufReader};
    let out = server.0.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(needle) {
            // Keep draining so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return line;
        }
    }
    panic!("no line with {needle:?} in:\n{seen}");
}

#[tokio::test]
async fn projects_import_is_idempotent_and_all_or_nothing() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/projects.toml");
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());

        let first = ok(embargo(
            dir.path(),
            db,
            &["projects", "import", example.to_str().unwrap()],
        ));
        assert!(
            first.contains("created kafka (Apache Kafka, team of 2)"),
            "{first}"
        );
        assert!(first.contains("created dapr"), "{first}");
        let again = ok(embargo(
            dir.path(),
            db,
            &["projects", "import", example.to_str().unwrap()],
        ));
        assert!(
            again.contains("unchanged kafka") && !again.contains("created"),
            "{again}"
        );

        let changed = dir.path().join("changed.toml");
        let text = std::fs::read_to_string(&example)
            .unwrap()
            .replace("name = \"Dapr\"", "name = \"Dapr Runtime\"");
        std::fs::write(&changed, text).unwrap();
        let upd = ok(embargo(
            dir.path(),
            db,
            &["projects", "import", changed.to_str().unwrap()],
        ));
        assert!(
            upd.contains("updated dapr (Dapr Runtime") && upd.contains("unchanged kafka"),
            "{upd}"
        );

        // A bad entry after a good new one: refused whole, the good one not stored.
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[[project]]\nslug='new-one'\nname='New'\n\n[[project]]\nslug='x'\nname='X'\nteam=['not-an-address']\n").unwrap();
        let out = embargo(
            dir.path(),
            db,
            &["projects", "import", bad.to_str().unwrap()],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("project #2") && err.contains("not-an-address"),
            "{err}"
        );
        let list = ok(embargo(dir.path(), db, &["projects", "list"]));
        assert!(!list.contains("new-one"), "{list}");
        assert!(
            list.contains("kafka") && list.contains("security@kafka.example.org"),
            "{list}"
        );
        assert!(
            list.contains("commons-text\tApache Commons Text\torganisation team"),
            "{list}"
        );
    }
}

#[tokio::test]
async fn first_start_token_and_pool() {
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        // The setup link it prints carries the public URL, which must be its real
        // address before it binds: a reserved port (a race; see `unbound_port`).
        let port = embargo_testkit::unbound_port();

        // No password given: the first start prints a one-time setup link.
        let mut server = serve(dir.path(), db, port, None);
        let line = read_line_with(&mut server, "/setup/");
        assert!(
            line.starts_with(&format!("http://127.0.0.1:{port}/setup/")),
            "{line}"
        );
        wait_healthy(port).await;
        let setup = reqwest::get(line.trim()).await.unwrap();
        assert_eq!(setup.status(), 200, "the setup link opens");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let key = std::fs::metadata(dir.path().join("data.key")).unwrap();
            assert_eq!(
                key.permissions().mode() & 0o777,
                0o600,
                "the data key is private"
            );
            assert_eq!(key.len(), 32);
        }

        let out = ok(embargo(
            dir.path(),
            db,
            &["token", "create", "--email", "root@example.org"],
        ));
        let token = out.lines().last().unwrap().trim().to_string();
        assert_eq!(token.len(), 64, "{out}");
        let client = reqwest::Client::new();
        let list = client
            .get(format!("http://127.0.0.1:{port}/api/v1/reports"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), 200);
        let unauth = client
            .get(format!("http://127.0.0.1:{port}/api/v1/reports"))
            .send()
            .await
            .unwrap();
        assert_eq!(unauth.status(), 401);
        let wrong = client
            .get(format!("http://127.0.0.1:{port}/api/v1/reports"))
            .bearer_auth("0".repeat(64))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);

        let out = embargo(
            dir.path(),
            db,
            &["token", "create", "--email", "nobody@example.org"],
        );
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no user nobody@example.org"));

        let added = ok(embargo(
            dir.path(),
            db,
            &[
                "cve",
                "pool",
                "add",
                "CVE-2026-10000..CVE-2026-10099",
                "CVE-2026-20000",
            ],
        ));
        assert!(
            added.contains("Added 101 ids (0 were already in the pool); 101 free"),
            "{added}"
        );
        let again = ok(embargo(
            dir.path(),
            db,
            &["cve", "pool", "add", "CVE-2026-10050..CVE-2026-10149"],
        ));
        assert!(
            again.contains("Added 50 ids (50 were already in the pool); 151 free"),
            "{again}"
        );
        let status = ok(embargo(dir.path(), db, &["cve", "pool", "status"]));
        assert!(status.contains("next: CVE-2026-10000"), "{status}");
        let bad = embargo(
            dir.path(),
            db,
            &["cve", "pool", "add", "CVE-2026-10099..CVE-2026-10000"],
        );
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("ends before it starts"));
        drop(server);

        // A restart does not re-initialise: no new setup link, same data.
        let port = embargo_testkit::unbound_port();
        let mut server = serve(dir.path(), db, port, Some("another-password-123"));
        let line = read_line_with(&mut server, "listening");
        assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
        wait_healthy(port).await;
        let status = ok(embargo(dir.path(), db, &["cve", "pool", "status"]));
        assert!(status.contains("151 free"), "{status}");
    }
}

#[test]
fn a_bad_configuration_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("embargo.toml");
    std::fs::write(&cfg, "[policy]\ntime_zone = \"Mars/Olympus\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["projects", "list", "--config"])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Mars/Olympus"));
    let out = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .env("EMBARGO_BASE_URL", "ftp://x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be an http(s) URL"));
}
