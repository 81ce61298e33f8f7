//! Announcements through the API (docs/mail.md#announcements): the report names where
//! its announcement will go and, once announced, where each copy went and whether it
//! is sent; a disclosure date past the policy's target and an announcement before the
//! agreed date are refused without their confirmation, change nothing then, and are
//! audited when confirmed.

use embargo_domain::announce::Destination;
use embargo_domain::ids::ProjectSlug;
use embargo_domain::policy::PolicyOverrides;
use embargo_store::{ProjectInput, Projects};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{MEMBER_A, TestApp, apps, date_in, email};

/// Project alpha announces to its users list, its security list, the reporter and
/// oss-security, keeping everything else `spawn_app` gave it.
async fn announce_widely(app: &TestApp) {
    let announce_to = [
        "users_list",
        "security_list",
        "reporter",
        "oss-security@lists.openwall.com",
    ]
    .iter()
    .map(|d| Destination::parse(d).expect("destination"))
    .collect();
    app.store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse("alpha").expect("slug"),
            name: "Example Alpha".into(),
            security_email: Some(email("security@alpha.example.org")),
            users_list: Some(email("users@alpha.example.org")),
            security_model_url: Some("https://alpha.example.org/security-model".into()),
            team: vec![email(MEMBER_A)],
            policy: PolicyOverrides {
                announce_to: Some(announce_to),
                ..Default::default()
            },
            trusted: false,
        })
        .await
        .expect("alpha");
}

/// `(destination, address, state)` of each destination of the view's announcement.
fn destinations(view: &Value) -> Vec<(String, String, String)> {
    view["announcement"]["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (s("destination"), s("address"), s("state"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_disclosure_date_needs_a_confirmation_and_is_audited() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Late disclosure", Some("alpha")).await;
        let (status, _) = app
            .transition(&app.member_a, &id, json!({"to": "acknowledged"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        // 45 days is past the default policy's 30.
        let late = json!({"to": "accepted", "disclosure_date": date_in(45)});
        let (status, body) = app.transition(&app.member_a, &id, late.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{b}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("confirm_late: ") && message.contains(&date_in(30)),
            "{b}: {message}"
        );
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["state"], "acknowledged", "{b}: nothing changed");
        assert!(
            view["announcement"].is_null(),
            "{b}: nothing to announce yet"
        );

        let mut confirmed = late;
        confirmed["confirm_late"] = json!(true);
        let (status, view) = app.transition(&app.member_a, &id, confirmed).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["disclosure_date"], date_in(45), "{b}");
        let audit = view["audit"].to_string();
        assert!(
            audit.contains("after the policy's target") && audit.contains("(confirmed)"),
            "{b}: {audit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_announcement_names_its_destinations_and_records_each_copy() {
    for app in apps().await {
        let b = app.backend;
        announce_widely(&app).await;
        let (id, _) = app.submit("Announced widely", Some("alpha")).await;
        app.walk_to(&id, "fixed", "CVE-2026-32000").await;

        // Before: where it will go, from whom.
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(view["announcement"]["announced"], false, "{b}: {view}");
        assert_eq!(
            view["announcement"]["from"], "Example Alpha Security <security@alpha.example.org>",
            "{b}"
        );
        let planned = destinations(&view);
        assert_eq!(
            planned
                .iter()
                .map(|(d, a, _)| (d.as_str(), a.as_str()))
                .collect::<Vec<_>>(),
            [
                ("users_list", "users@alpha.example.org"),
                ("security_list", "security@alpha.example.org"),
                ("reporter", "rita@research.example.net"),
                (
                    "oss-security@lists.openwall.com",
                    "oss-security@lists.openwall.com"
                ),
            ],
            "{b}"
        );

        // The agreed date is 30 days ahead: refused without the confirmation.
        let (status, body) = app
            .transition(&app.member_a, &id, json!({"to": "announced"}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("confirm_early: the agreed disclosure date is"),
            "{b}: {message}"
        );
        let (status, view) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "announced", "confirm_early": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");

        // After: each copy, queued (no relay in these tests) with when.
        assert_eq!(view["announcement"]["announced"], true, "{b}");
        let copies = destinations(&view);
        assert_eq!(copies.len(), 4, "{b}: {copies:?}");
        assert!(copies.iter().all(|(_, _, state)| state == "queued"), "{b}");
        assert!(
            view["announcement"]["destinations"]
                .as_array()
                .expect("copies")
                .iter()
                .all(|d| d["queued_at"].is_string() && d["sent_at"].is_null()),
            "{b}: {view}"
        );
        let audit = view["audit"].to_string();
        assert!(
            audit.contains("before the agreed disclosure date")
                && audit.contains("announcement to users_list, security_list, reporter"),
            "{b}: {audit}"
        );
    }
}
