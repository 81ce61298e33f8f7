//! The whole story through the HTTP API: intake to published advisory.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{apps, token_of};

#[tokio::test(flavor = "multi_thread")]
async fn a_report_travels_from_intake_to_a_published_advisory() {
    for app in apps().await {
        let b = app.backend;
        let (id, status_url) = app
            .submit("Session leak in the request handler", Some("alpha"))
            .await;
        assert!(
            status_url.starts_with(&format!("{}/status/", app.base)),
            "{b}: {status_url}"
        );
        let token = token_of(&status_url).to_string();

        // The status link works, as a page and through the API.
        let (status, page) = app.get(&format!("/status/{token}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains(r#"data-state="received""#), "{b}: {page}");
        let (status, view) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(view["state"], "received");
        assert_eq!(view["title"], "Session leak in the request handler");
        assert!(
            !view["messages"].as_array().expect("messages").is_empty(),
            "{b}: a receipt message"
        );

        // The project member acknowledges and accepts; the reporter sees the answers.
        let (status, view) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "acknowledged", "message": "Thanks, we are on it."}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["state"], "acknowledged");
        assert!(view["deadlines"]["discuss_by"].is_string(), "{b}: {view}");
        let (status, view) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "accepted", "disclosure_date": crate::support::date_in(20)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert!(view["deadlines"]["announce_by"].is_string(), "{b}: {view}");

        let (status, _) = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                Some(&app.member_a),
                &json!({"kind": "note", "body": "internal: fix is in PR 42"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let (_, view) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        let bodies: Vec<String> = view["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["body"].to_string())
            .collect();
        assert!(
            bodies.iter().any(|m| m.contains("Thanks, we are on it.")),
            "{b}: {bodies:?}"
        );
        assert!(
            !bodies.iter().any(|m| m.contains("PR 42")),
            "{b}: notes never reach the reporter"
        );

        // The reporter answers through the link.
        let (status, _) = app
            .post_json(
                &format!("/api/v1/status/{token}/messages"),
                None,
                &json!({"body": "Happy to test the fix."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");

        // CVE: requested by the project, assigned by the organisation team from the pool.
        let (status, _) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "cve_requested", "summary": "Session leak"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let (status, err) = app
            .transition(&app.member_a, &id, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "{b}: an empty pool is refused: {err}"
        );
        use embargo_store::Cves;
        let pool: Vec<_> =
            embargo_domain::ids::CveId::parse_range("CVE-2026-10000..CVE-2026-10009")
                .expect("range");
        app.store.add_to_pool(&pool).await.expect("pool");
        let (status, err) = app
            .transition(&app.member_a, &id, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{b}: only the organisation team assigns: {err}"
        );
        assert_eq!(err["error"]["code"], "forbidden");
        let (status, view) = app
            .transition(&app.admin, &id, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["cve"], "CVE-2026-10000", "{b}: the lowest free id");

        // The record, the draft for the reporter, the fix, the announcement.
        let (status, err) = app
            .transition(&app.member_a, &id, json!({"to": "reporter_review"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: no record yet: {err}");
        let (status, view) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/reports/{id}/record"),
                Some(&app.member_a),
                &crate::support::record_json(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert!(view["record_problem"].is_null(), "{b}: {view}");
        let (status, view) = app
            .transition(&app.member_a, &id, json!({"to": "reporter_review"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (_, rv) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        assert!(
            rv.to_string().contains("CVE-2026-10000: Example Alpha"),
            "{b}: the reporter sees the draft: {rv}"
        );
        let (status, view) = app
            .transition(&app.member_a, &id, json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/pull/42", "release_ref": "1.4.1"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (status, view) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "announced", "confirm_early": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["state"], "announced");
        let actions: Vec<&str> = view["audit"]
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|a| a["detail"].as_str())
            .collect();
        assert!(
            actions.iter().any(|d| d.starts_with("fixed -> announced")),
            "{b}: {actions:?}"
        );

        // Public now: the index, the project page, the advisory and its CVE record.
        let (status, index) = app.get("/advisories", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            index.contains(r#"<a class="advisory" href="/advisories/CVE-2026-10000">CVE-2026-10000: Example Alpha: request handler leaks session data</a>"#),
            "{b}: {index}"
        );
        let (_, project) = app.get("/projects/alpha", None).await;
        assert!(
            project.contains(r#"href="/advisories/CVE-2026-10000""#),
            "{b}: {project}"
        );
        let (_, other) = app.get("/projects/beta", None).await;
        assert!(
            !other.contains("CVE-2026-10000"),
            "{b}: only alpha's page lists it"
        );
        let (status, page) = app.get("/advisories/CVE-2026-10000", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(page.contains("Severity: important"), "{b}: {page}");
        let res = app
            .http
            .get(app.url("/advisories/CVE-2026-10000.json"))
            .send()
            .await
            .expect("json");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("application/json")
        );
        let record: serde_json::Value = res.json().await.expect("record json");
        assert_eq!(
            record["cveMetadata"]["cveId"], "CVE-2026-10000",
            "{b}: the CVE JSON 5 record: {record}"
        );
        let (_, list) = app.get_json("/api/v1/advisories", None).await;
        assert_eq!(
            list["advisories"][0]["cve"], "CVE-2026-10000",
            "{b}: {list}"
        );
        let (_, reporter) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        assert_eq!(reporter["state"], "announced", "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_pages_health_and_headers() {
    for app in apps().await {
        let b = app.backend;
        let res = app
            .http
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        assert_eq!(res.text().await.expect("body"), "ok");

        let res = app.http.get(app.url("/")).send().await.expect("home");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let h = res.headers().clone();
        assert_eq!(
            h["content-security-policy"],
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store");
        let home = res.text().await.expect("body");
        assert!(home.contains("Example Software Foundation"), "{b}");
        assert!(
            home.contains(r#"href="/projects/alpha""#) && home.contains(r#"href="/projects/beta""#),
            "{b}"
        );
        assert!(home.contains(r#"href="/report""#), "{b}");

        let (status, page) = app.get("/projects/beta", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(
            page.contains("security@example.org"),
            "{b}: beta falls back to the organisation's address"
        );
        assert!(page.contains("users@beta.example.org"), "{b}");
        assert!(
            page.contains("https://beta.example.org/security-model"),
            "{b}"
        );
        assert!(page.contains("Clickjacking"), "{b}: known non-issues");
        assert!(page.contains("3 working days"), "{b}: deadlines");
        let (status, alpha) = app.get("/projects/alpha", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(alpha.contains("security@alpha.example.org"), "{b}");

        let res = app
            .http
            .get(app.url("/advisories"))
            .send()
            .await
            .expect("index");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=300",
            "{b}: advisories may be cached"
        );
        for path in [
            "/projects/nope",
            "/advisories/CVE-2026-99999",
            "/advisories/CVE-2026-99999.json",
            "/advisories/junk",
            "/nowhere",
        ] {
            let (status, _) = app.get(path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{b}: {path}");
        }
        let (status, doc) = app.get_json("/api/v1/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(doc["openapi"], "3.1.0");
        for path in [
            "/reports",
            "/reports/{id}",
            "/reports/{id}/transitions",
            "/reports/{id}/messages",
            "/reports/{id}/record",
            "/reports/{id}/record/transitions",
            "/reports/{id}/record/versions",
            "/reports/{id}/route",
            "/status/{token}",
            "/status/{token}/messages",
            "/advisories",
        ] {
            assert!(doc["paths"][path].is_object(), "openapi lacks {path}");
        }
    }
}
