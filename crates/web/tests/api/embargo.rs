//! Until announcement nothing about a report shows on any public page or answer: the
//! public VEX documents included, though the team wrote a private statement about the
//! embargoed vulnerability.

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
        "/projects/alpha/vex/openvex.json".into(),
        "/projects/alpha/vex/cyclonedx.json".into(),
        "/projects/alpha/vex/csaf.json".into(),
        "/projects/alpha/vex/dependency-check.xml".into(),
        "/projects/alpha/security.txt".into(),
        "/api/v1/projects/alpha/statements".into(),
        "/api/v1/projects/alpha/statements/export?format=openvex".into(),
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
        // The team states, privately, how the embargoed vulnerability touches a
        // dependency (the canary in its impact), and publishes another statement.
        let mut private = crate::statements::statement(cve, "canary-parser", false);
        private["impact"] = serde_json::json!(format!("{canary}: the parser is exposed"));
        crate::statements::add(&app, &app.member_a, &private).await;
        let published = crate::statements::statement("CVE-2020-8908", "guava", true);
        crate::statements::add(&app, &app.member_a, &published).await;

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
        // The public VEX documents carry the public statement, and only it.
        for file in [
            "openvex.json",
            "cyclonedx.json",
            "csaf.json",
            "dependency-check.xml",
        ] {
            let (status, body) = app.get(&format!("/projects/alpha/vex/{file}"), None).await;
            assert_eq!(status, StatusCode::OK, "{b}: {file}");
            assert!(
                body.contains("CVE-2020-8908"),
                "{b}: {file} lacks the public statement"
            );
            assert!(
                !body.contains("canary-parser"),
                "{b}: {file} shows the private one"
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
            .transition(
                &app.admin,
                &id,
                serde_json::json!({"to": "announced", "confirm_early": true}),
            )
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
