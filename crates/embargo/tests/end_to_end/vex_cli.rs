//! `embargo vex import|export|triage` as deployment scripts use them, on the embedded
//! default and on PostgreSQL: the Kafka project's real suppression file imported (again:
//! unchanged) and exported back in every format; a broken file refused naming itself
//! and the position, storing nothing, with a non-zero exit; a real scanner report
//! triaged as `{"findings": [...], "summary": {...}}` and as the plain-text answer. The
//! corpus comes through `embargo_testkit` (SKIPPED without it, a failure under
//! `CI=true`).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};
use serde_json::{Value, json};

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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

const PROJECTS: &str = r#"
[[project]]
slug = "kafka"
name = "Apache Kafka"
security_email = "security@kafka.example.org"
team = ["dev@kafka.example.org"]
"#;

/// Statements answering the Trivy report's findings: one not affected, one affected.
fn answers() -> Value {
    let subcomponent = json!([{"@id": "pkg:maven/com.fasterxml.jackson.core/jackson-databind"}]);
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://kafka.example.org/vex/1",
        "author": "Apache Kafka security team",
        "timestamp": "2026-11-19T10:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2020-9548"},
                "products": [{"@id": "pkg:generic/kafka", "subcomponents": subcomponent}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "Kafka never enables default typing."
            },
            {
                "vulnerability": {"name": "CVE-2021-20190"},
                "products": [{"@id": "pkg:generic/kafka", "subcomponents": subcomponent}],
                "status": "affected",
                "action_statement": "Upgrade to Kafka 3.7.1."
            }
        ]
    })
}

#[tokio::test]
async fn statements_are_imported_exported_and_answer_a_scanner_report_from_the_command_line() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("embargo vex end to end") else {
        return;
    };
    let kafka = corpus.join("suppressions/apache-kafka-dependencycheck-suppressions.xml");
    let kafka = kafka.to_str().unwrap();
    let trivy = corpus.join("scanner-reports/trivy/trivy-pom.json");
    let trivy = trivy.to_str().unwrap();
    let expected = embargo_formats::vex::import(&std::fs::read(kafka).unwrap()).unwrap();
    for backend in backends() {
        let b = backend.name();
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        let run = |args: &[&str]| embargo(dir.path(), db, args);
        let projects = dir.path().join("projects.toml");
        std::fs::write(&projects, PROJECTS).unwrap();
        ok(run(&["projects", "import", projects.to_str().unwrap()]));

        let out = ok(run(&["vex", "import", "--project", "kafka", kafka]));
        assert!(
            out.contains(": dependency-check: 4 added, 0 updated, 0 unchanged"),
            "{b}: {out}"
        );
        let out = ok(run(&["vex", "import", "--project", "kafka", kafka]));
        assert!(
            out.contains("0 added, 0 updated, 4 unchanged"),
            "{b}: {out}"
        );

        // Every format exports, and reads back as the statements imported.
        for format in ["openvex", "cyclonedx", "csaf", "dependency-check"] {
            let doc = ok(run(&[
                "vex",
                "export",
                "--project",
                "kafka",
                "--format",
                format,
            ]));
            let back = embargo_formats::vex::import(doc.as_bytes())
                .unwrap_or_else(|e| panic!("{b}: {format} does not read back: {e}\n{doc}"));
            let mut got: Vec<_> = back.statements.iter().map(|s| &s.vulnerability).collect();
            let mut want: Vec<_> = expected
                .statements
                .iter()
                .map(|s| &s.vulnerability)
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{b}: {format}");
        }
        let dc = ok(run(&[
            "vex",
            "export",
            "--project",
            "kafka",
            "--format",
            "dependency-check",
        ]));
        let back = embargo_formats::vex::import(dc.as_bytes()).unwrap();
        assert_eq!(
            back.statements, expected.statements,
            "{b}: the suppression file round-trips"
        );

        // A broken file is refused, naming itself and where; the good one beside it is
        // taken; nothing of the broken one is stored; the exit says so.
        let broken = dir.path().join("broken.json");
        std::fs::write(
            &broken,
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [",
        )
        .unwrap();
        let answers_file = dir.path().join("answers.json");
        std::fs::write(&answers_file, answers().to_string()).unwrap();
        let o = run(&[
            "vex",
            "import",
            "--project",
            "kafka",
            broken.to_str().unwrap(),
            answers_file.to_str().unwrap(),
        ]);
        assert!(!o.status.success(), "{b}: a refused file fails the command");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}: ", broken.display())) && err.contains("line 2"),
            "{b}: {err}"
        );
        assert!(
            stdout(&o).contains("openvex: 2 added"),
            "{b}: {}",
            stdout(&o)
        );
        let o = run(&["vex", "import", "--project", "nope", kafka]);
        assert!(
            !o.status.success() && stderr(&o).contains("no project \"nope\""),
            "{b}"
        );
        let o = run(&["vex", "export", "--project", "kafka", "--format", "pdf"]);
        assert!(!o.status.success() && stderr(&o).contains("openvex"), "{b}");

        // Triage: the contract's JSON, each finding with its answer.
        let out = ok(run(&["vex", "triage", "--project", "kafka", trivy]));
        let triage: Value = serde_json::from_str(&out).unwrap();
        let keys: Vec<_> = triage.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["findings", "summary"], "{b}");
        assert_eq!(triage["summary"]["total"], 2, "{b}: {triage}");
        assert_eq!(triage["summary"]["not_affected"], 1, "{b}");
        assert_eq!(triage["summary"]["affected"], 1, "{b}");
        assert_eq!(triage["findings"][0]["status"], "not_affected", "{b}");
        assert_eq!(
            triage["findings"][0]["impact"],
            "Kafka never enables default typing."
        );
        let text = ok(run(&[
            "vex",
            "triage",
            "--project",
            "kafka",
            "--text",
            trivy,
        ]));
        assert!(text.contains("Upgrade to Kafka 3.7.1."), "{b}: {text}");
        let o = run(&[
            "vex",
            "triage",
            "--project",
            "kafka",
            broken.to_str().unwrap(),
        ]);
        assert!(!o.status.success(), "{b}");
        assert!(
            stderr(&o).contains(&format!("{}: ", broken.display())),
            "{b}: {}",
            stderr(&o)
        );
        let o = run(&[
            "vex",
            "triage",
            "--project",
            "kafka",
            "/no/such/report.json",
        ]);
        assert!(
            !o.status.success() && stderr(&o).contains("/no/such/report.json"),
            "{b}"
        );
    }
}
