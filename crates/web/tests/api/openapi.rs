//! The OpenAPI document at `/api/v1/openapi.json`, generated from the handlers and their
//! types:
//!
//! - its snapshot (`snapshots/`): any change to the API surface shows as a diff to
//!   review; accept it with `cargo insta review` (or `INSTA_UPDATE=always`) and commit
//!   the `.snap` file. Under `CI=true` a difference or a missing snapshot fails;
//! - its operations against the router's `/api/v1` routes, both ways: [`ROUTES`] is the
//!   document's set of path and method, and each one is routed on a running app (and
//!   answers a status the document lists for it);
//! - its validity, by Python's `openapi-spec-validator` (SKIPPED when it is missing, a
//!   failure under `CI=true`).

use std::collections::BTreeSet;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{apps, token_of};

/// Every `/api/v1` route of `router.rs`, relative to the document's server `/api/v1`.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/reports"),
    ("GET", "/reports"),
    ("GET", "/reports/{id}"),
    ("POST", "/reports/{id}/transitions"),
    ("POST", "/reports/{id}/messages"),
    ("PUT", "/reports/{id}/record"),
    ("POST", "/reports/{id}/record/transitions"),
    ("GET", "/reports/{id}/record/versions"),
    ("POST", "/reports/{id}/route"),
    ("POST", "/reports/{id}/merge"),
    ("POST", "/reports/{id}/split"),
    ("GET", "/reports/{id}/clocks"),
    ("POST", "/reports/{id}/exploited"),
    ("GET", "/reports/{id}/cra/{stage}"),
    ("POST", "/reports/{id}/cra/{stage}/done"),
    ("GET", "/overdue"),
    ("POST", "/reports/{id}/triage"),
    ("POST", "/triage/confirm"),
    ("POST", "/reports/{id}/owner"),
    ("GET", "/held"),
    ("POST", "/held/discard"),
    ("GET", "/senders"),
    ("POST", "/senders"),
    ("POST", "/senders/{id}/lift"),
    ("GET", "/projects/{slug}/statements"),
    ("POST", "/projects/{slug}/statements"),
    ("POST", "/projects/{slug}/statements/import"),
    ("GET", "/projects/{slug}/statements/export"),
    ("GET", "/projects/{slug}/statements/{id}"),
    ("PUT", "/projects/{slug}/statements/{id}"),
    ("DELETE", "/projects/{slug}/statements/{id}"),
    ("POST", "/projects/{slug}/scans"),
    ("GET", "/status/{token}"),
    ("POST", "/status/{token}/messages"),
    ("GET", "/statistics"),
    ("GET", "/advisories"),
    ("GET", "/openapi.json"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The document's operations as (METHOD, path).
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method.to_ascii_lowercase()).is_some() {
                ops.insert((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_is_generated_and_matches_its_snapshot() {
    let mut first: Option<Value> = None;
    for app in apps().await {
        let b = app.backend;
        let res = app
            .http
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        assert_eq!(res.headers()["content-type"], "application/json", "{b}");
        let doc: Value = res.json().await.expect("JSON");
        assert_eq!(doc["openapi"], "3.1.0", "{b}");
        assert_eq!(doc["servers"], json!([{ "url": "/api/v1" }]), "{b}");
        match &first {
            Some(d) => assert_eq!(&doc, d, "{b}: the document depends on nothing stored"),
            None => {
                insta::with_settings!({ sort_maps => true }, {
                    insta::assert_json_snapshot!("openapi", doc);
                });
                first = Some(doc);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_api_route_is_documented_with_its_method_and_answers_as_documented() {
    for app in apps().await {
        let b = app.backend;
        let (_, doc) = app.get_json("/api/v1/openapi.json", None).await;
        let listed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(operations(&doc), listed, "{b}: the document's operations");

        // Every listed route is routed for its method: a real report and status token,
        // so that a 404 could only mean a missing route, and bodies that change nothing
        // (`{}` is invalid wherever a body is read; the report is still `received`).
        let (id, status_url) = app
            .submit("Routes of the OpenAPI document", Some("alpha"))
            .await;
        let token = token_of(&status_url).to_string();
        for (method, path) in ROUTES {
            let url = format!("/api/v1{path}")
                .replace("{id}", &id)
                .replace("{token}", &token)
                .replace("{slug}", "alpha");
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            let (status, body) = app.send_json(m, &url, Some(&app.admin), &json!({})).await;
            assert!(
                status != StatusCode::METHOD_NOT_ALLOWED && status != StatusCode::NOT_FOUND,
                "{b}: {method} {url} is not routed ({status}): {body}"
            );
            let responses = &doc["paths"][path][method.to_ascii_lowercase()]["responses"];
            assert!(
                responses.get(status.as_str()).is_some(),
                "{b}: {method} {path} answered {status}, which the document does not list: {body}"
            );
        }

        // And no other method is routed on those paths.
        let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
        for path in paths {
            let url = format!("/api/v1{path}")
                .replace("{id}", &id)
                .replace("{token}", &token)
                .replace("{slug}", "alpha");
            for method in METHODS {
                if ROUTES.contains(&(method, path)) {
                    continue;
                }
                let m = Method::from_bytes(method.as_bytes()).expect("method");
                let (status, _) = app.send_json(m, &url, Some(&app.admin), &json!({})).await;
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{b}: {method} {url} is routed but not in ROUTES"
                );
            }
        }
    }
}

/// Validates `doc` with `openapi_spec_validator`: (valid, its output).
fn validate(doc: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             validate(json.load(open(sys.argv[1], encoding='utf-8')))\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .expect("python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_is_valid_openapi() {
    if !embargo_testkit::require_python(
        "the_document_is_valid_openapi",
        &["openapi_spec_validator"],
    ) {
        return;
    }
    let app = apps().await.swap_remove(0);
    let (status, doc) = app.get_json("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let (ok, report) = validate(&doc);
    assert!(ok, "the document is not valid OpenAPI:\n{report}");
    // A pass means something: a broken copy is refused.
    let mut broken = doc.clone();
    broken["paths"]["/reports"]["post"]["responses"] = json!(42);
    assert!(
        !validate(&broken).0,
        "the validator accepted a broken document"
    );
}
