//! Delegation as at the ASF: a trusted project's team assigns CVE ids from the pool to
//! its own accepted reports; an untrusted project's team is refused (403) and requests
//! one; the organisation team can always assign.

use embargo_domain::ids::{CveId, ProjectSlug};
use embargo_domain::policy::PolicyOverrides;
use embargo_store::{Cves, ProjectInput, Projects};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{MEMBER_A, TestApp, apps, date_in, email};

/// Marks project alpha trusted, keeping everything else `spawn_app` gave it.
async fn trust_alpha(app: &TestApp) {
    app.store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse("alpha").expect("slug"),
            name: "Example Alpha".into(),
            security_email: Some(email("security@alpha.example.org")),
            users_list: Some(email("users@alpha.example.org")),
            security_model_url: Some("https://alpha.example.org/security-model".into()),
            team: vec![email(MEMBER_A)],
            policy: PolicyOverrides::default(),
            trusted: true,
        })
        .await
        .expect("trust alpha");
}

/// A report of `project`, acknowledged and accepted by that project's own team.
async fn accepted(app: &TestApp, project: &str, token: &str) -> String {
    let (id, _) = app.submit("Delegated CVE problem", Some(project)).await;
    for body in [
        json!({"to": "acknowledged"}),
        json!({"to": "accepted", "disclosure_date": date_in(30)}),
    ] {
        let (status, view) = app.transition(token, &id, body).await;
        assert_eq!(status, StatusCode::OK, "{}: {view}", app.backend);
    }
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_projects_assign_their_own_cve_ids() {
    for app in apps().await {
        let b = app.backend;
        trust_alpha(&app).await;
        let pool: Vec<_> = ["CVE-2026-31001", "CVE-2026-31002", "CVE-2026-31003"]
            .iter()
            .map(|c| CveId::parse(c).expect("cve"))
            .collect();
        app.store.add_to_pool(&pool).await.expect("pool");

        // Alpha is trusted: its member takes the next free id of the pool directly.
        let ra = accepted(&app, "alpha", &app.member_a).await;
        let (status, view) = app
            .transition(&app.member_a, &ra, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["state"], "cve_assigned", "{b}: {view}");
        assert_eq!(view["cve"], "CVE-2026-31001", "{b}: {view}");

        // Beta is not: its member is refused and requests one instead.
        let rb = accepted(&app, "beta", &app.member_b).await;
        let (status, view) = app
            .transition(&app.member_b, &rb, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {view}");
        assert!(
            view.to_string().contains("cve_requested"),
            "{b}: the refusal says what to do instead: {view}"
        );
        let (status, view) = app
            .transition(
                &app.member_b,
                &rb,
                json!({"to": "cve_requested", "summary": "Leak in the beta handler"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (status, _) = app
            .transition(&app.member_b, &rb, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}");

        // The organisation team approves the request from the pool.
        let (status, view) = app
            .transition(&app.admin, &rb, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["cve"], "CVE-2026-31002", "{b}: {view}");

        // Trust does not reach another project's reports: they stay invisible (404).
        let rb2 = accepted(&app, "beta", &app.member_b).await;
        let (status, _) = app
            .transition(&app.member_a, &rb2, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    }
}
