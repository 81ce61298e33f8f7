//! Statements in and out, on every backend: the Kafka project's real Dependency-Check
//! suppression file imported through the API and exported back as it was; a real
//! scanner report triaged through `POST /api/v1/projects/{slug}/scans` against
//! statements imported to answer some of its findings (the team against all, another
//! member against the public ones, JSON or the plain-text mail body); and the team's
//! statements page: list, add, edit with history, withdraw, import and triage uploads.
//! The corpus comes through `embargo_testkit` (SKIPPED without it, a failure under
//! `CI=true`), and so do the schema validators (Python `jsonschema`, `xmllint`).

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{MEMBER_A, TestApp, apps, csrf_of, page_text, post_form};

/// JSON Schema validation of the VEX formats; the CSAF part is the testkit's.
const VEX_VALIDATOR_PY: &str = r#"
def vex_validator(mode, corpus):
    if mode == "openvex":
        return Draft202012Validator(load(corpus / "schemas/openvex/openvex_json_schema.json"))
    if mode == "cyclonedx":
        d = corpus / "schemas/cyclonedx"
        res = [(load(d / n)["$id"], Resource.from_contents(load(d / n), default_specification=DRAFT7))
               for n in ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json")]
        return Draft7Validator(load(d / "bom-1.6.schema.json"), registry=Registry().with_resources(res))
    return validator(mode, corpus)
mode, corpus, path = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
errs = list(vex_validator(mode, corpus).iter_errors(load(path)))
for e in errs[:5]:
    print("/%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
sys.exit(1 if errs else 0)
"#;

/// Checks a public document against its official schema (the JSON Schemas of the
/// corpus, the Dependency-Check XSD with `xmllint`).
pub fn validate(file: &str, body: &str) {
    if let Err(report) = check(file, body) {
        panic!("{file} is not valid:\n{report}\n{body}");
    }
}

/// [`validate`]'s answer: `Err` with the validator's messages.
fn check(file: &str, body: &str) -> Result<(), String> {
    let Some(corpus) = embargo_testkit::corpus_or_skip("VEX schema validation") else {
        return Ok(());
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(file);
    std::fs::write(&path, body).expect("write");
    let out = if file.ends_with(".xml") {
        let Some(xmllint) = embargo_testkit::require_program("the suppression XSD", &["xmllint"])
        else {
            return Ok(());
        };
        Command::new(xmllint)
            .args(["--noout", "--schema"])
            .arg(corpus.join("suppressions/schema/dependency-suppression.1.3.xsd"))
            .arg(&path)
            .output()
            .expect("xmllint")
    } else {
        if !embargo_testkit::require_python("VEX JSON schemas", &["jsonschema", "referencing"]) {
            return Ok(());
        }
        let mode = file.trim_end_matches(".json");
        let script = dir.path().join("validate.py");
        let py = format!("{}{VEX_VALIDATOR_PY}", embargo_testkit::SCHEMA_VALIDATOR_PY);
        std::fs::write(&script, py).expect("script");
        Command::new("python3")
            .arg(&script)
            .arg(mode)
            .arg(&corpus)
            .arg(&path)
            .output()
            .expect("python3")
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn the_validators_refuse_what_is_not_valid() {
    if embargo_testkit::corpus().is_none() && !embargo_testkit::in_ci() {
        return;
    }
    for (file, body) in [
        ("openvex.json", r#"{"@context": 42}"#),
        (
            "cyclonedx.json",
            r#"{"bomFormat": "CycloneDX", "specVersion": 1.6}"#,
        ),
        ("csaf.json", r#"{"document": 42}"#),
        (
            "dependency-check.xml",
            "<suppressions><nothing/></suppressions>",
        ),
    ] {
        assert!(
            check(file, body).is_err(),
            "{file}: a broken document passed"
        );
    }
}

fn corpus_file(what: &str, path: &str) -> Option<Vec<u8>> {
    let corpus = embargo_testkit::corpus_or_skip(what)?;
    Some(std::fs::read(Path::new(&corpus).join(path)).expect("corpus file"))
}

/// POSTs raw bytes to the API as `token`: (status, JSON or text).
async fn post_raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app.http.post(app.url(path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("post");
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

const KAFKA: &str = "suppressions/apache-kafka-dependencycheck-suppressions.xml";

#[tokio::test(flavor = "multi_thread")]
async fn the_kafka_suppression_file_is_imported_and_exported_back() {
    let Some(original) = corpus_file("Kafka suppressions round trip", KAFKA) else {
        return;
    };
    let expected = embargo_formats::vex::import(&original).expect("the corpus file reads");
    for app in apps().await {
        let b = app.backend;
        let path =
            "/api/v1/projects/alpha/statements/import?source=kafka-suppressions.xml&public=true";
        let (status, summary) = post_raw(&app, path, Some(&app.member_a), original.clone()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {summary}");
        assert_eq!(summary["format"], "dependency-check", "{b}");
        let added = summary["added"].as_array().expect("added").len();
        assert_eq!(added, expected.statements.len(), "{b}: {summary}");
        // Again: nothing changes.
        let (_, again) = post_raw(&app, path, Some(&app.member_a), original.clone()).await;
        assert_eq!(
            again["unchanged"].as_array().map(Vec::len),
            Some(added),
            "{b}"
        );
        assert_eq!(again["added"], json!([]), "{b}");

        // CycloneDX as 1.6 by default and as 1.7 on request.
        for (format, spec) in [("cyclonedx", "1.6"), ("cyclonedx-1.7", "1.7")] {
            let (status, doc) = app
                .get_json(
                    &format!("/api/v1/projects/alpha/statements/export?format={format}"),
                    Some(&app.member_a),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{b}: {doc}");
            assert_eq!(doc["specVersion"], spec, "{b}");
        }

        // Exported back, by the team and at the public URL: the same suppressions.
        let res = app
            .http
            .get(app.url("/api/v1/projects/alpha/statements/export?format=dependency-check"))
            .bearer_auth(&app.member_a)
            .send()
            .await
            .expect("export");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        assert_eq!(res.headers()["content-type"], "application/xml");
        let team = res.text().await.expect("body");
        let (_, public) = app
            .get("/projects/alpha/vex/dependency-check.xml", None)
            .await;
        for doc in [&team, &public] {
            let back = embargo_formats::vex::import(doc.as_bytes()).expect("reads back");
            let strip = |s: &[embargo_domain::vex::Statement]| {
                s.iter()
                    .map(|s| embargo_domain::vex::Statement {
                        public: false,
                        ..s.clone()
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                strip(&back.statements),
                strip(&expected.statements),
                "{b}\n{doc}"
            );
            assert_eq!(
                back.dependency_check_extra, expected.dependency_check_extra,
                "{b}"
            );
            validate("dependency-check.xml", doc);
        }
        // Each suppression's CVEs and notes, as the file has them.
        for cve in [
            "CVE-2023-35116",
            "CVE-2020-8908",
            "CVE-2023-2976",
            "CVE-2023-36479",
        ] {
            assert!(
                team.contains(&format!("<cve>{cve}</cve>")),
                "{b}: {cve}\n{team}"
            );
        }
        assert!(team.contains("Kafka does not use CgiServlet"), "{b}");
    }
}

const TRIVY: &str = "scanner-reports/trivy/trivy-pom.json";

/// An OpenVEX document answering the Trivy report's two jackson-databind findings:
/// one publicly, one privately (the import marks neither public; the test edits).
fn openvex_answers() -> Value {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://alpha.example.org/vex/1",
        "author": "Example Alpha security team",
        "timestamp": "2026-11-19T10:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2020-9548"},
                "products": [{"@id": "pkg:generic/alpha", "subcomponents": [
                    {"@id": "pkg:maven/com.fasterxml.jackson.core/jackson-databind"}]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "Alpha never enables default typing."
            },
            {
                "vulnerability": {"name": "CVE-2021-20190"},
                "products": [{"@id": "pkg:generic/alpha", "subcomponents": [
                    {"@id": "pkg:maven/com.fasterxml.jackson.core/jackson-databind"}]}],
                "status": "affected",
                "action_statement": "Upgrade to Alpha 1.4.2."
            }
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scanner_report_is_triaged_against_the_statements_the_caller_may_see() {
    let Some(report) = corpus_file("scanner report triage", TRIVY) else {
        return;
    };
    for app in apps().await {
        let b = app.backend;
        let doc = serde_json::to_vec(&openvex_answers()).expect("json");
        let (status, summary) = post_raw(
            &app,
            "/api/v1/projects/alpha/statements/import?source=answers.json",
            Some(&app.member_a),
            doc,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}: {summary}");
        assert_eq!(summary["format"], "openvex", "{b}");
        // The not_affected answer is made public; the affected one stays the team's.
        let id = summary["added"][0].as_i64().expect("id");
        let (_, one) = app
            .get_json(
                &format!("/api/v1/projects/alpha/statements/{id}"),
                Some(&app.member_a),
            )
            .await;
        let mut public = one["statement"].clone();
        public["public"] = json!(true);
        let (status, _) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/projects/alpha/statements/{id}"),
                Some(&app.member_a),
                &json!({"version": 1, "statement": public}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");

        let scans = "/api/v1/projects/alpha/scans";
        let (status, team) = post_raw(&app, scans, Some(&app.member_a), report.clone()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {team}");
        let keys: Vec<_> = team.as_object().expect("object").keys().cloned().collect();
        assert_eq!(keys, ["findings", "summary"], "{b}: the contract");
        assert_eq!(
            team["summary"],
            json!({"not_affected": 1, "affected": 1, "fixed": 0, "under_investigation": 0,
                   "needs_analysis": 0, "total": 2}),
            "{b}"
        );
        let first = &team["findings"][0];
        assert_eq!(first["vulnerability"], "CVE-2020-9548", "{b}");
        assert_eq!(first["status"], "not_affected");
        assert_eq!(
            first["justification"],
            "vulnerable_code_not_in_execute_path"
        );
        assert_eq!(first["impact"], "Alpha never enables default typing.");
        assert_eq!(first["statement"], id);

        // Another project's member: only the public statement answers.
        let (_, other) = post_raw(&app, scans, Some(&app.member_b), report.clone()).await;
        assert_eq!(other["summary"]["not_affected"], 1, "{b}: {other}");
        assert_eq!(other["summary"]["needs_analysis"], 1, "{b}");
        assert!(!other.to_string().contains("Upgrade to Alpha"), "{b}");
        let (status, _) = post_raw(&app, scans, None, report.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");

        // The mail body for the reporter.
        let res = app
            .http
            .post(app.url(scans))
            .bearer_auth(&app.member_a)
            .header("accept", "text/plain")
            .body(report.clone())
            .send()
            .await
            .expect("scan");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/plain")
        );
        let text = res.text().await.expect("text");
        for part in ["CVE-2020-9548", "CVE-2021-20190", "Upgrade to Alpha 1.4.2."] {
            assert!(text.contains(part), "{b}: {part} not in:\n{text}");
        }
    }
}

/// A multipart form as a browser sends it: (content type, body).
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----embargo-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    client: &reqwest::Client,
    url: String,
    fields: &[(&str, &str)],
    name: &str,
    file: &[u8],
) -> (StatusCode, String) {
    let (ct, body) = multipart(fields, name, file);
    let res = client
        .post(url)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    (res.status(), res.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_team_keeps_its_statements_on_the_statements_page() {
    let Some(report) = corpus_file("the statements page", TRIVY) else {
        return;
    };
    let Some(kafka) = corpus_file("the statements page", KAFKA) else {
        return;
    };
    for app in apps().await {
        let b = app.backend;
        let alice = app.login(MEMBER_A).await;
        let index = page_text(&alice, app.url("/statements")).await;
        assert!(index.contains("/projects/alpha/statements") && !index.contains("/projects/beta/"));
        let page = page_text(&alice, app.url("/projects/alpha/statements")).await;
        assert!(page.contains("No statements yet."), "{b}");
        let csrf = csrf_of(&page);

        // Add through the form; a form with a missing field is refused, naming it.
        let form = [
            ("csrf", csrf.as_str()),
            ("vulnerability", "CVE-2020-9548"),
            ("component", "com.fasterxml.jackson.core:jackson-databind"),
            (
                "purl",
                "pkg:maven/com.fasterxml.jackson.core/jackson-databind",
            ),
            ("status", "not_affected"),
            ("justification", "vulnerable_code_not_in_execute_path"),
            ("impact", "Alpha never enables default typing."),
            ("until", "2020-01-01"),
        ];
        let res = post_form(&alice, app.url("/projects/alpha/statements"), &form).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let mut bad = form.to_vec();
        bad.retain(|(k, _)| *k != "justification" && *k != "impact");
        let res = post_form(&alice, app.url("/projects/alpha/statements"), &bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        assert!(
            res.text().await.expect("body").contains("justification"),
            "{b}"
        );
        let res = post_form(&alice, app.url("/projects/alpha/statements"), &form[1..]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}: no CSRF token");

        let page = page_text(&alice, app.url("/projects/alpha/statements")).await;
        assert!(
            page.contains("CVE-2020-9548") && page.contains("id=\"expiry-note\""),
            "{b}"
        );
        assert!(
            page.contains("class=\"statement expired overdue\""),
            "{b}: {page}"
        );
        let (_, list) = app
            .get_json("/api/v1/projects/alpha/statements", Some(&app.member_a))
            .await;
        assert_eq!(
            list["statements"].as_array().map(Vec::len),
            Some(1),
            "{b}: one added"
        );
        let id = list["statements"][0]["id"].as_i64().expect("id");

        // Edit: made public, no expiry; the history shows both versions.
        let mut edit = form.to_vec();
        edit.retain(|(k, _)| *k != "until");
        edit.push(("public", "on"));
        edit.push(("version", "1"));
        let url = app.url(&format!("/projects/alpha/statements/{id}"));
        let res = post_form(&alice, url.clone(), &edit).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = post_form(&alice, url.clone(), &edit).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{b}: stale");
        let one = page_text(&alice, url.clone()).await;
        assert_eq!(one.matches("class=\"statement-version\"").count(), 2, "{b}");
        assert!(one.contains("Save as version 3"), "{b}");

        // Import an upload; export as the team; triage an upload.
        let (status, body) = upload(
            &alice,
            app.url("/projects/alpha/statements/import"),
            &[("csrf", &csrf)],
            "kafka-suppressions.xml",
            &kafka,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}");
        assert!(
            body.contains("kafka-suppressions.xml (dependency-check): 4 added"),
            "{b}: {body}"
        );
        let (status, _) = upload(
            &alice,
            app.url("/projects/alpha/statements/import"),
            &[],
            "kafka-suppressions.xml",
            &kafka,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{b}: an upload needs the CSRF token too"
        );
        let export = page_text(
            &alice,
            app.url("/projects/alpha/statements/export?format=openvex"),
        )
        .await;
        assert!(
            export.contains("CVE-2023-36479"),
            "{b}: private ones in the team's export"
        );
        let (_, public) = app.get("/projects/alpha/vex/openvex.json", None).await;
        assert!(
            !public.contains("CVE-2023-36479") && public.contains("CVE-2020-9548"),
            "{b}"
        );
        let (status, result) = upload(
            &alice,
            app.url("/projects/alpha/scans"),
            &[("csrf", &csrf)],
            "trivy-pom.json",
            &report,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{b}: {result}");
        assert!(result.contains("2 findings, 1 answered"), "{b}: {result}");
        assert!(result.contains("<textarea id=\"plain-text\""), "{b}");
        assert!(result.contains("CVE-2021-20190"), "{b}");

        // Withdraw from the list.
        let res = post_form(
            &alice,
            app.url(&format!("/projects/alpha/statements/{id}/withdraw")),
            &[("csrf", csrf.as_str()), ("version", "2")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let one = page_text(&alice, url).await;
        assert!(one.contains("id=\"withdrawn\""), "{b}");

        // Nobody else: another project's member 404, anyone the sign-in page.
        let bob = app.login(crate::support::MEMBER_B).await;
        let res = bob
            .get(app.url("/projects/alpha/statements"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        let (status, _) = upload(
            &bob,
            app.url("/projects/alpha/scans"),
            &[(
                "csrf",
                &csrf_of(&page_text(&bob, app.url("/dashboard")).await),
            )],
            "trivy-pom.json",
            &report,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let res = app
            .http
            .get(app.url("/projects/alpha/statements"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.headers()["location"], "/login", "{b}");
    }
}
