//! A project's dependency statements through `/api/v1/projects/{slug}/statements`, on
//! every backend: add, read with history, edit (a stale version refused), withdraw; who
//! sees what (the project's team, another project's member, the organisation team,
//! anyone); bad input refused with the field named and nothing changed; the upload
//! routes' own body limit; the public VEX URLs showing the public statements only, each
//! document parsed back and valid against its official schema.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, apps};

pub fn statement(cve: &str, component: &str, public: bool) -> Value {
    json!({
        "vulnerability": cve,
        "component": {
            "purl": format!("pkg:maven/org.example/{component}"),
            "name": format!("org.example:{component}"),
        },
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
        "impact": format!("{component} never calls the vulnerable code of {cve}."),
        "public": public,
    })
}

const BASE: &str = "/api/v1/projects/alpha/statements";

/// Adds a statement as `token`; returns its id.
pub async fn add(app: &TestApp, token: &str, body: &Value) -> i64 {
    let (status, v) = app.post_json(BASE, Some(token), body).await;
    assert_eq!(status, StatusCode::CREATED, "{}: {v}", app.backend);
    v["id"].as_i64().expect("id")
}

/// The ids a list answer holds.
fn ids(list: &Value) -> Vec<i64> {
    list["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_are_kept_by_the_team_and_others_see_only_the_public_ones() {
    for app in apps().await {
        let b = app.backend;
        let private = add(
            &app,
            &app.member_a,
            &statement("CVE-2022-42003", "databind", false),
        )
        .await;
        let public = add(
            &app,
            &app.member_a,
            &statement("CVE-2020-8908", "guava", true),
        )
        .await;

        // The team and the organisation team: all, with authors.
        for token in [&app.member_a, &app.admin] {
            let (status, list) = app.get_json(BASE, Some(token)).await;
            assert_eq!(status, StatusCode::OK, "{b}");
            assert_eq!(list["scope"], "all", "{b}");
            assert_eq!(ids(&list), [private, public], "{b}");
            assert_eq!(list["statements"][0]["author"], "alice@alpha.example.org");
        }
        // Anyone, and another project's member: the public one, no author.
        for token in [None, Some(app.member_b.as_str())] {
            let (status, list) = app.get_json(BASE, token).await;
            assert_eq!(status, StatusCode::OK, "{b}");
            assert_eq!(list["scope"], "public", "{b}");
            assert_eq!(ids(&list), [public], "{b}");
            assert_eq!(list["statements"][0]["author"], Value::Null, "{b}");
            // The private one is as unknown as a number never used.
            for id in [private, 999_999] {
                let (status, body) = app.get(&format!("{BASE}/{id}"), token).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{b}: {body}");
            }
            let (status, one) = app.get_json(&format!("{BASE}/{public}"), token).await;
            assert_eq!(status, StatusCode::OK, "{b}");
            assert!(
                one.get("history").is_none(),
                "{b}: no history for others: {one}"
            );
        }
        // Only the team writes: another project's member gets 404, nobody 401.
        let edit =
            json!({"version": 1, "statement": statement("CVE-2022-42003", "databind", true)});
        for (token, expected) in [
            (Some(app.member_b.as_str()), StatusCode::NOT_FOUND),
            (None, StatusCode::UNAUTHORIZED),
        ] {
            let (s, _) = app
                .post_json(BASE, token, &statement("CVE-1", "x", true))
                .await;
            assert_eq!(s, expected, "{b}: add");
            let (s, _) = app
                .send_json(Method::PUT, &format!("{BASE}/{private}"), token, &edit)
                .await;
            assert_eq!(s, expected, "{b}: edit");
            let (s, _) = app
                .send_json(
                    Method::DELETE,
                    &format!("{BASE}/{public}"),
                    token,
                    &json!({}),
                )
                .await;
            assert_eq!(s, expected, "{b}: withdraw");
        }
        // Beta's list is its own (empty), whoever asks.
        let (_, beta) = app
            .get_json("/api/v1/projects/beta/statements", Some(&app.admin))
            .await;
        assert_eq!(ids(&beta), Vec::<i64>::new(), "{b}");
        let (status, _) = app.get("/api/v1/projects/nope/statements", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");

        // The organisation team edits; a second edit on the same version is stale.
        let (status, v2) = app
            .send_json(
                Method::PUT,
                &format!("{BASE}/{private}"),
                Some(&app.admin),
                &edit,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v2}");
        assert_eq!(v2["version"], 2);
        assert_eq!(v2["author"], "admin@example.org");
        let (status, stale) = app
            .send_json(
                Method::PUT,
                &format!("{BASE}/{private}"),
                Some(&app.member_a),
                &edit,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {stale}");
        assert!(
            stale["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("changed meanwhile"),
            "{b}: {stale}"
        );
        // Now public, so anyone sees it; the history is the team's.
        let (status, _) = app.get(&format!("{BASE}/{private}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let (_, one) = app
            .get_json(&format!("{BASE}/{private}"), Some(&app.member_a))
            .await;
        let history = one["history"].as_array().expect("history");
        assert_eq!(history.len(), 2, "{b}");
        assert_eq!(history[0]["change"], "added");
        assert_eq!(history[0]["statement"]["public"], false);
        assert_eq!(history[1]["author"], "admin@example.org");

        // Withdrawn: gone from the lists and from everyone else; kept for the team.
        let (status, w) = app
            .send_json(
                Method::DELETE,
                &format!("{BASE}/{public}?version=1"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {w}");
        assert!(w["withdrawn_at"].is_string(), "{b}: {w}");
        let (_, list) = app.get_json(BASE, None).await;
        assert_eq!(ids(&list), [private], "{b}");
        let (status, _) = app.get(&format!("{BASE}/{public}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (_, kept) = app
            .get_json(&format!("{BASE}/{public}"), Some(&app.member_a))
            .await;
        assert_eq!(kept["history"][1]["change"], "withdrawn", "{b}: {kept}");
        let (status, _) = app
            .send_json(
                Method::DELETE,
                &format!("{BASE}/{public}"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: withdrawn already");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_statements_are_refused_naming_the_field_and_change_nothing() {
    for app in apps().await {
        let b = app.backend;
        let id = add(
            &app,
            &app.member_a,
            &statement("CVE-2022-42003", "databind", true),
        )
        .await;
        let mut no_justification = statement("CVE-2024-1", "x", true);
        no_justification["justification"] = Value::Null;
        no_justification["impact"] = Value::Null;
        let mut affected = statement("CVE-2024-1", "x", true);
        affected["status"] = json!("affected");
        let mut bad_purl = statement("CVE-2024-1", "x", true);
        bad_purl["component"]["purl"] = json!("maven:not-a-purl");
        let mut long = statement("CVE-2024-1", "x", true);
        long["impact"] = json!("x".repeat(10_001));
        let mut bad_until = statement("CVE-2024-1", "x", true);
        bad_until["until"] = json!("next week");
        let cases = [
            (no_justification, "justification"),
            (affected, "action"),
            (bad_purl, "purl"),
            (long, "impact"),
            (json!({"vulnerability": "CVE-2024-1"}), "component"),
            (bad_until, "until"),
        ];
        for (body, needle) in cases {
            let (status, e) = app.post_json(BASE, Some(&app.member_a), &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}: {e}");
            let message = e["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(needle), "{b}: {needle} not in {message:?}");
            let edit = json!({"version": 1, "statement": body});
            let (status, _) = app
                .send_json(
                    Method::PUT,
                    &format!("{BASE}/{id}"),
                    Some(&app.member_a),
                    &edit,
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: edit {needle}");
        }
        for (path, needle) in [
            (format!("{BASE}/abc"), "id"),
            (format!("{BASE}/export?format=pdf"), "format"),
            (format!("{BASE}/export"), "format"),
        ] {
            let (status, e) = app.get_json(&path, Some(&app.member_a)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {path}: {e}");
            assert_eq!(e["error"]["code"], "invalid_input", "{b}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(needle)
            );
        }
        let (status, e) = app
            .send_json(
                Method::DELETE,
                &format!("{BASE}/{id}?version=two"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {e}");
        // A malformed document and a scanner report that is none: refused with where.
        let res = app
            .http
            .post(app.url(&format!("{BASE}/import?source=broken.json")))
            .bearer_auth(&app.member_a)
            .body("{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [")
            .send()
            .await
            .expect("import");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let e: Value = res.json().await.expect("json");
        let message = e["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("broken.json: ") && message.contains("line"),
            "{b}: {message}"
        );
        let res = app
            .http
            .post(app.url("/api/v1/projects/alpha/scans"))
            .bearer_auth(&app.member_a)
            .body("not a report")
            .send()
            .await
            .expect("scan");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        // Nothing changed.
        let (_, list) = app.get_json(BASE, Some(&app.member_a)).await;
        assert_eq!(ids(&list), [id], "{b}");
        assert_eq!(list["statements"][0]["version"], 1, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_and_reports_have_their_own_body_limit_and_nothing_else_does() {
    let app = apps().await.swap_remove(0);
    // Over the router's 512 KiB but within 20 MiB: read (and refused as no document).
    let big = vec![b' '; 1024 * 1024];
    for path in [
        format!("{BASE}/import"),
        "/api/v1/projects/alpha/scans".into(),
    ] {
        let res = app
            .http
            .post(app.url(&path))
            .bearer_auth(&app.member_a)
            .body(big.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        let too_big = app
            .http
            .post(app.url(&path))
            .bearer_auth(&app.member_a)
            .body(vec![b' '; 20 * 1024 * 1024 + 1])
            .send()
            .await
            .expect("post");
        assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let e: Value = too_big.json().await.expect("json");
        assert_eq!(e["error"]["code"], "payload_too_large");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("20 MiB")
        );
    }
    // Everything else keeps 512 KiB.
    let mut s = statement("CVE-2024-1", "x", true);
    s["impact"] = json!("x".repeat(600 * 1024));
    let (status, _) = app.post_json(BASE, Some(&app.member_a), &s).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// The public documents of alpha: (file, content type, body).
pub async fn public_documents(app: &TestApp) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for file in [
        "openvex.json",
        "cyclonedx.json",
        "csaf.json",
        "dependency-check.xml",
    ] {
        let res = app
            .http
            .get(app.url(&format!("/projects/alpha/vex/{file}")))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{}: {file}", app.backend);
        let ct = res.headers()["content-type"]
            .to_str()
            .expect("type")
            .to_string();
        out.push((file.to_string(), ct, res.text().await.expect("body")));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_vex_urls_publish_the_public_statements_only_in_valid_documents() {
    for app in apps().await {
        let b = app.backend;
        add(
            &app,
            &app.member_a,
            &statement("CVE-2020-8908", "guava", true),
        )
        .await;
        add(
            &app,
            &app.member_a,
            &statement("CVE-2022-42003", "databind", true),
        )
        .await;
        let mut private = statement("CVE-2099-0001", "secret-component", false);
        private["impact"] = json!("PRIVATE-IMPACT-TEXT");
        add(&app, &app.member_a, &private).await;
        // A signed-in team member gets the same public documents.
        for (file, ct, body) in public_documents(&app).await {
            let expected = match file.as_str() {
                "dependency-check.xml" => "application/xml",
                "cyclonedx.json" => "application/vnd.cyclonedx+json",
                _ => "application/json",
            };
            assert_eq!(ct, expected, "{b}: {file}");
            for secret in ["CVE-2099-0001", "secret-component", "PRIVATE-IMPACT-TEXT"] {
                assert!(!body.contains(secret), "{b}: {file} shows {secret}");
            }
            let read = embargo_formats::vex::import(body.as_bytes())
                .unwrap_or_else(|e| panic!("{b}: {file} does not read back: {e}"));
            let mut vulns: Vec<_> = read
                .statements
                .iter()
                .map(|s| s.vulnerability.as_str())
                .collect();
            vulns.sort_unstable();
            assert_eq!(vulns, ["CVE-2020-8908", "CVE-2022-42003"], "{b}: {file}");
            crate::statements_exchange::validate(&file, &body);
        }
        // The same document twice: it is dated by the statements, not the request.
        let again = public_documents(&app).await;
        let first = public_documents(&app).await;
        assert_eq!(again, first, "{b}: stable between changes");
        // Linked from the project's page and its security.txt.
        let (_, page) = app.get("/projects/alpha", None).await;
        let (_, txt) = app.get("/projects/alpha/security.txt", None).await;
        for file in [
            "openvex.json",
            "cyclonedx.json",
            "csaf.json",
            "dependency-check.xml",
        ] {
            assert!(
                page.contains(&format!("/projects/alpha/vex/{file}")),
                "{b}: {file}"
            );
            assert!(
                txt.contains(&format!("/projects/alpha/vex/{file}")),
                "{b}: {file}"
            );
        }
        // Beta has no public statement: no OpenVEX or CSAF document (neither format can
        // be empty), empty CycloneDX and Dependency-Check documents.
        for (file, expected) in [
            ("openvex.json", StatusCode::NOT_FOUND),
            ("csaf.json", StatusCode::NOT_FOUND),
            ("cyclonedx.json", StatusCode::OK),
            ("dependency-check.xml", StatusCode::OK),
        ] {
            let (status, body) = app.get(&format!("/projects/beta/vex/{file}"), None).await;
            assert_eq!(status, expected, "{b}: {file}: {body}");
            if status == StatusCode::OK {
                crate::statements_exchange::validate(file, &body);
            }
        }
        let (status, e) = app
            .get_json(
                "/api/v1/projects/beta/statements/export?format=openvex",
                Some(&app.member_b),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("no statements")
        );
        let (status, _) = app.get("/projects/alpha/vex/report.pdf", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = app.get("/projects/nope/vex/openvex.json", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    }
}
