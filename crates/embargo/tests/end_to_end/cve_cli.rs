//! `embargo cve import` and `embargo cve export` over the corpus' real CVE records, on
//! SQLite and (with `EMBARGO_TEST_POSTGRES`) PostgreSQL: every record imports, imports
//! again unchanged, exports back equal to the file (REJECTED records and ADP containers
//! included, every product of a record of several) and valid against the bundled CVE
//! JSON 5.2.0 schema (Python `jsonschema`;
//! SKIPPED without it, a failure under `CI=true`); a changed record is a new version; a
//! broken file is refused with its name and the JSON path. An advisory announced
//! through the API exports as the record its public page serves.

#![expect(clippy::unwrap_used, reason = "test")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use embargo_store::test_support::{TestBackend, backends, fresh_database_url};
use serde_json::Value;

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

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const VALIDATE_PY: &str = r#"
import json, sys, pathlib
from jsonschema import Draft7Validator
schema, files = sys.argv[1], sys.argv[2:]
with open(schema, encoding="utf-8") as f:
    v = Draft7Validator(json.load(f))
bad = 0
for p in files:
    with open(p, encoding="utf-8") as f:
        errs = list(v.iter_errors(json.load(f)))
    for e in errs[:5]:
        print("%s: /%s: %s" % (pathlib.Path(p).name, "/".join(map(str, e.absolute_path)), e.message[:300]))
    bad += bool(errs)
print("%d records, %d invalid" % (len(files), bad))
sys.exit(1 if bad else 0)
"#;

/// Validates the files against the bundled CVE schema; SKIPPED without Python jsonschema.
fn validate(corpus: &Path, files: &[PathBuf]) {
    if !embargo_testkit::require_python("cve_cli schema validation", &["jsonschema"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("validate.py");
    std::fs::write(&script, VALIDATE_PY).unwrap();
    let run = |files: &[PathBuf]| {
        Command::new("python3")
            .arg(&script)
            .arg(corpus.join("schemas/cve/CVE_Record_Format_bundled_5.2.0.json"))
            .args(files)
            .output()
            .unwrap()
    };
    // A pass means something only if a broken record fails.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"dataType":42}"#).unwrap();
    assert!(
        !run(&[broken]).status.success(),
        "the validator accepted junk"
    );
    let out = run(files);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schema validation failed:\n{report}");
    eprintln!("{report}");
}

#[tokio::test]
async fn every_corpus_record_imports_and_exports_back_equal_and_valid() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("cve_cli") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("cve-records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} records", files.len());
    let n = files.len();
    let args: Vec<&str> = std::iter::once("cve")
        .chain(std::iter::once("import"))
        .chain(files.iter().map(|f| f.to_str().unwrap()))
        .collect();
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());

        let first = ok(embargo(dir.path(), db, &args));
        assert!(
            first.contains(&format!("{n} added, 0 updated, 0 unchanged")),
            "{first}"
        );
        assert!(first.contains("ADP container(s) kept read-only"), "{first}");
        let again = ok(embargo(dir.path(), db, &args));
        assert!(
            again.contains(&format!("0 added, 0 updated, {n} unchanged")),
            "{again}"
        );

        let out = tempfile::tempdir().unwrap();
        let mut exported = Vec::new();
        let mut rejected = 0;
        for file in &files {
            let original: Value =
                serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let id = original["cveMetadata"]["cveId"].as_str().unwrap();
            let text = ok(embargo(dir.path(), db, &["cve", "export", id]));
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                back,
                original,
                "{id}: export differs from {}",
                file.display()
            );
            let path = out.path().join(format!("{id}.json"));
            std::fs::write(&path, &text).unwrap();
            exported.push(path);
            if original["cveMetadata"]["state"] == "REJECTED" {
                rejected += 1;
                // A rejected id has no advisory.
                let csaf = embargo(dir.path(), db, &["cve", "export", id, "--format", "csaf"]);
                assert!(!csaf.status.success());
                assert!(
                    String::from_utf8_lossy(&csaf.stderr).contains("REJECTED"),
                    "{id}"
                );
            }
        }
        assert!(rejected >= 2, "the corpus has REJECTED records");
        validate(&corpus, &exported);

        // The other formats, from the stored record.
        let osv: Value = serde_json::from_str(&ok(embargo(
            dir.path(),
            db,
            &["cve", "export", "CVE-2024-28752", "--format", "osv"],
        )))
        .unwrap();
        assert_eq!(osv["id"], "CVE-2024-28752", "{osv}");
        let csaf: Value = serde_json::from_str(&ok(embargo(
            dir.path(),
            db,
            &["cve", "export", "CVE-2024-28752", "--format", "csaf"],
        )))
        .unwrap();
        assert_eq!(
            csaf["document"]["tracking"]["id"], "CVE-2024-28752",
            "{csaf}"
        );
        // A record of two products keeps both, in every format.
        for id in ["CVE-2024-1979", "CVE-2024-44932"] {
            let export = |format: &str| -> Value {
                serde_json::from_str(&ok(embargo(
                    dir.path(),
                    db,
                    &["cve", "export", id, "--format", format],
                )))
                .unwrap()
            };
            let cve = export("cve");
            assert_eq!(
                cve["containers"]["cna"]["affected"]
                    .as_array()
                    .unwrap()
                    .len(),
                2,
                "{id}"
            );
            let osv = export("osv");
            assert_eq!(osv["affected"].as_array().unwrap().len(), 2, "{id}: {osv}");
            let csaf = export("csaf");
            let tree = csaf["product_tree"]["branches"].to_string();
            for p in cve["containers"]["cna"]["affected"].as_array().unwrap() {
                let name = p["product"].as_str().unwrap();
                assert!(tree.contains(name), "{id}: {name} not in {tree}");
            }
        }

        // A changed record is a new version; the export gives the new one.
        let mut changed: Value =
            serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        let id = changed["cveMetadata"]["cveId"]
            .as_str()
            .unwrap()
            .to_string();
        changed["containers"]["cna"]["title"] = "A corrected title".into();
        let changed_file = dir.path().join("changed.json");
        std::fs::write(&changed_file, changed.to_string()).unwrap();
        let upd = ok(embargo(
            dir.path(),
            db,
            &["cve", "import", changed_file.to_str().unwrap()],
        ));
        assert!(
            upd.contains(&format!("{id}: updated to version 2")),
            "{upd}"
        );
        let back: Value =
            serde_json::from_str(&ok(embargo(dir.path(), db, &["cve", "export", &id]))).unwrap();
        assert_eq!(back, changed);

        // A broken file: refused with its name and where, and nothing stored.
        let mut broken = changed.clone();
        broken["containers"]["cna"]["title"] = "Another title".into();
        broken["containers"]["cna"]["affected"][0]["versions"][0]["status"] = "bogus".into();
        let broken_file = dir.path().join("broken.json");
        std::fs::write(&broken_file, broken.to_string()).unwrap();
        let bad = embargo(
            dir.path(),
            db,
            &[
                "cve",
                "import",
                changed_file.to_str().unwrap(),
                broken_file.to_str().unwrap(),
            ],
        );
        assert!(!bad.status.success());
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(
            err.contains("broken.json")
                && err.contains("containers.cna.affected[0].versions[0].status"),
            "{err}"
        );
        let unknown = embargo(dir.path(), db, &["cve", "export", "CVE-2099-0001"]);
        assert!(!unknown.status.success());
    }
}

struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An advisory announced through the API exports as the same CVE record the public
/// page serves, and as OSV and CSAF.
#[tokio::test]
async fn an_announced_advisory_exports_as_the_web_serves_it() {
    for backend in backends() {
        let (url, _guard) = fresh_database_url(backend).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = (backend == TestBackend::Postgres).then_some(url.as_str());
        // The server binds a port of its own and says which; nothing here follows a
        // link it writes, so its public URL need not be that address.
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path())
            .env("EMBARGO_ADMIN_EMAIL", "root@example.org")
            .env(
                "EMBARGO_ADMIN_PASSWORD",
                "a long enough admin password here",
            )
            .env("EMBARGO_BASE_URL", "http://embargo.test")
            .stdout(std::process::Stdio::piped());
        if let Some(url) = db {
            cmd.arg("--database-url").arg(url);
        }
        let mut server = Server(cmd.spawn().unwrap());
        let addr = embargo_testkit::wait_for_address(
            server.0.stdout.take().unwrap(),
            "Embargo is listening on ",
            std::time::Duration::from_secs(60),
        );
        let base = format!("http://{addr}");
        let http = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(std::time::Instant::now() < deadline, "serve did not start");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/projects.toml");
        ok(embargo(
            dir.path(),
            db,
            &["projects", "import", example.to_str().unwrap()],
        ));
        ok(embargo(
            dir.path(),
            db,
            &["cve", "pool", "add", "CVE-2026-30000"],
        ));
        let out = ok(embargo(
            dir.path(),
            db,
            &["token", "create", "--email", "root@example.org"],
        ));
        let token = out.lines().last().unwrap().trim().to_string();
        let post = |path: String, body: Value| {
            let req = http.post(format!("{base}{path}")).bearer_auth(&token);
            async move {
                let res = req.json(&body).send().await.unwrap();
                let status = res.status();
                let v: Value = res.json().await.unwrap_or(Value::Null);
                assert!(status.is_success(), "{path}: {body}: {status} {v}");
                v
            }
        };
        let report = post(
            "/api/v1/reports".into(),
            serde_json::json!({
                "project": "kafka",
                "title": "Leak in the request handler",
                "description": "Steps to reproduce: send a crafted request.",
                "reporter_name": "Rita Reporter",
                "reporter_email": "rita@research.example.net",
            }),
        )
        .await;
        let id = report["id"].as_str().unwrap().to_string();
        let record = serde_json::json!({
            "title": "Apache Kafka: request handler leaks session data",
            "description": "The request handler of Apache Kafka returns other users' session data for crafted requests.",
            "products": [
                {
                    "product": "Apache Kafka",
                    "collection_url": "https://repo.maven.apache.org/maven2",
                    "package_name": "org.apache.kafka:kafka-clients",
                    "versions": [{"introduced": "1.0", "fixed": "1.4.1"}, {"introduced": "2.0", "last_affected": "2.1"}]
                },
                {
                    "product": "Apache Kafka Connect",
                    "package_url": "pkg:maven/org.apache.kafka/connect-runtime",
                    "versions": [{"introduced": "1.0", "fixed": "1.4.1"}]
                }
            ],
            "cvss_v3_1": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "cwe": "CWE-200",
            "mitigation": "Upgrade to 1.4.1.",
            "references": [{"url": "https://kafka.example.org/security", "tags": ["vendor-advisory"]}]
        });
        for body in [
            serde_json::json!({"to": "acknowledged", "message": "Thanks, we are looking."}),
            serde_json::json!({"to": "accepted", "disclosure_date": "2099-01-01", "confirm_late": true}),
            serde_json::json!({"to": "cve_requested", "summary": "Leak in the request handler"}),
            serde_json::json!({"to": "cve_assigned", "cve": "CVE-2026-30000"}),
            Value::Null,
            serde_json::json!({"to": "reporter_review"}),
            serde_json::json!({"to": "fixed", "fix_ref": "https://git.example.org/kafka/commit/abc123", "release_ref": "1.4.1"}),
            serde_json::json!({"to": "announced", "confirm_early": true}),
        ] {
            if body.is_null() {
                let res = http
                    .put(format!("{base}/api/v1/reports/{id}/record"))
                    .bearer_auth(&token)
                    .json(&record)
                    .send()
                    .await
                    .unwrap();
                assert!(
                    res.status().is_success(),
                    "record: {}",
                    res.text().await.unwrap()
                );
                continue;
            }
            post(format!("/api/v1/reports/{id}/transitions"), body).await;
        }
        let served: Value = http
            .get(format!("{base}/advisories/CVE-2026-30000.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let exported: Value = serde_json::from_str(&ok(embargo(
            dir.path(),
            db,
            &["cve", "export", "CVE-2026-30000"],
        )))
        .unwrap();
        assert_eq!(exported, served, "{}", backend.name());
        let versions = &exported["containers"]["cna"]["affected"][0]["versions"];
        assert_eq!(versions[1]["lessThanOrEqual"], "2.1", "{exported}");
        assert_eq!(exported["dataVersion"], "5.2.0", "{exported}");
        let affected = &exported["containers"]["cna"]["affected"];
        assert_eq!(
            (&affected[0]["packageURL"], &affected[1]["packageURL"]),
            (
                &serde_json::json!("pkg:maven/org.apache.kafka/kafka-clients"),
                &serde_json::json!("pkg:maven/org.apache.kafka/connect-runtime")
            ),
            "{exported}"
        );
        for (format, key) in [("osv", "schema_version"), ("csaf", "document")] {
            let doc: Value = serde_json::from_str(&ok(embargo(
                dir.path(),
                db,
                &["cve", "export", "CVE-2026-30000", "--format", format],
            )))
            .unwrap();
            assert!(doc.get(key).is_some(), "{format}: {doc}");
        }
    }
}
