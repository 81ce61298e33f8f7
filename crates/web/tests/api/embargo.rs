//! Until announcement nothing about a report shows on any public page or answer.

use reqwest::StatusCode;

use crate::support::{TestApp, apps};

/// Every public page and public API answer, plus error pages that mention the id.
async fn public_bodies(app: &TestApp, id: &str, cve: &str) -> Vec<(String, StatusCode, String)> {
    let paths = [
        "/".to_string(),
        "/report".into(),
        "/advisories".into(),
        "/projects/alpha".into(),
        "/projects/beta".into(),
        "/api/v1/advisories".into(),
        "/api/v1/openapi.json".into(),
        "/healthz".into(),
        format!("/advisories/{cve}"),
        format!("/advisories/{cve}.json"),
        format!("/reports/{id}"),
        format!("/api/v1/reports/{id}"),
        "/api/v1/reports?project=alpha".into(),
        format!("/status/{id}"),
        format!("/api/v1/status/{id}"),
        format!("/nowhere/{id}"),
    ];
    let mut out = Vec::new();
    for p in paths {
        let (status, body) = app.get(&p, None).await;
        out.push((p, status, body));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_embargoed_report_leaks_nowhere_until_it_is_announced() {
    for app in apps().await {
        let b = app.backend;
        let canary = format!("CANARY-{}", hex::encode(rand::random::<[u8; 6]>()));
        let (id, _) = app
            .submit(&format!("{canary} heap overflow in parser"), Some("alpha"))
            .await;
        let cve = "CVE-2026-20000";
        app.walk_to(&id, "fixed", cve).await;

        for (path, status, body) in public_bodies(&app, &id, cve).await {
            assert!(
                !body.contains(&canary),
                "{b}: {path} shows the canary title"
            );
            assert!(!body.contains(&id), "{b}: {path} shows the report id");
            assert!(!body.contains(cve), "{b}: {path} shows the reserved CVE");
            assert!(
                status != StatusCode::OK || !path.contains(cve),
                "{b}: {path} answers before announcement"
            );
        }
        // The project pages are the same as for a project with no reports at all.
        let (_, alpha) = app.get("/projects/alpha", None).await;
        let (_, beta) = app.get("/projects/beta", None).await;
        assert!(
            alpha.contains("No advisories published.") && beta.contains("No advisories published."),
            "{b}"
        );

        let (status, view) = app
            .transition(&app.admin, &id, serde_json::json!({"to": "announced"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (_, index) = app.get("/advisories", None).await;
        assert!(index.contains(cve), "{b}: announced, so now public");
        let (status, _) = app.get(&format!("/advisories/{cve}.json"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        // The public advisory carries the record's title, never the reporter's.
        assert!(
            !index.contains(&canary),
            "{b}: the report's own title stays private"
        );
    }
}
