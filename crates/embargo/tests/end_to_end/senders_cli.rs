//! `embargo sender block|throttle|lift|list` as an operator uses them, on the embedded
//! default and on PostgreSQL: each done as an organisation-team member (`--by`), bad
//! input refused with the field named.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_embargo");
const ROOT: &str = "root@example.org";

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
        .env("EMBARGO_ADMIN_EMAIL", ROOT)
        .env_remove("EMBARGO_ADMIN_PASSWORD");
    if let Some(url) = db {
        cmd.arg("--database-url").arg(url);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: Output, needle: &str) {
    assert!(!o.status.success(), "succeeded: {}", text(&o));
    assert!(text(&o).contains(needle), "{needle:?} not in: {}", text(&o));
}

#[tokio::test]
async fn senders_are_blocked_throttled_listed_and_lifted_from_the_command_line() {
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let run = |args: &[&str]| embargo(dir.path(), db, args);

        let out = ok(run(&[
            "sender",
            "block",
            "Mallory@Example.com",
            "--reason",
            "fake reports",
            "--by",
            ROOT,
        ]));
        assert!(
            out.contains("Added rule #1: mallory@example.com\tblock\tfake reports"),
            "{out}"
        );
        let out = ok(run(&[
            "sender",
            "throttle",
            "@spam.example",
            "--per-day",
            "2",
            "--reason",
            "scanner",
            "--by",
            ROOT,
        ]));
        assert!(
            out.contains("Added rule #2: @spam.example\tthrottle to 2 a day"),
            "{out}"
        );

        // Bad input, a duplicate, or someone not on the organisation team: refused.
        refused(
            run(&["sender", "block", "nodomain", "--reason", "r", "--by", ROOT]),
            "pattern:",
        );
        refused(
            run(&[
                "sender",
                "block",
                "a@b.example",
                "--reason",
                " ",
                "--by",
                ROOT,
            ]),
            "reason:",
        );
        refused(
            run(&[
                "sender",
                "throttle",
                "a@b.example",
                "--per-day",
                "0",
                "--reason",
                "r",
                "--by",
                ROOT,
            ]),
            "per_day:",
        );
        refused(
            run(&[
                "sender",
                "block",
                "MALLORY@example.com",
                "--reason",
                "r",
                "--by",
                ROOT,
            ]),
            "in force already",
        );
        refused(
            run(&["sender", "list", "--by", "nobody@example.org"]),
            "no user nobody@example.org",
        );
        ok(run(&["user", "add", "--email", "alice@project.example"]));
        refused(
            run(&["sender", "list", "--by", "alice@project.example"]),
            "not on the organisation team",
        );

        let out = ok(run(&["sender", "list", "--by", ROOT]));
        assert!(
            out.contains("#1\tmallory@example.com") && out.contains("#2\t@spam.example"),
            "{out}"
        );
        let out = ok(run(&[
            "sender",
            "lift",
            "1",
            "--reason",
            "apologised",
            "--by",
            ROOT,
        ]));
        assert!(
            out.contains("Lifted rule #1") && out.contains("apologised"),
            "{out}"
        );
        refused(
            run(&["sender", "lift", "1", "--reason", "again", "--by", ROOT]),
            "lifted already",
        );
        let out = ok(run(&["sender", "list", "--by", ROOT]));
        assert!(
            !out.contains("mallory") && out.contains("@spam.example"),
            "{out}"
        );
        let out = ok(run(&["sender", "list", "--lifted", "--by", ROOT]));
        assert!(
            out.contains("#1\tmallory@example.com") && out.contains("lifted by root@example.org"),
            "{out}"
        );
    }
}
