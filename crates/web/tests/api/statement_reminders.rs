//! Reminders of expiring statements, on both backends, with the clock in the test's
//! hands: one mail to the project's team before a statement expires, never a second
//! one for the same expiry (a later pass, a restart, two nodes at once), and a new one
//! when the expiry is renewed and comes near again.

use embargo_app::{App, Ports, Settings};
use embargo_domain::policy::Policy;
use embargo_formats::cve5::Cna;
use embargo_store::{Mailbox, QueuedMail};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use crate::statements::{add, statement};
use crate::support::{TestApp, apps, email};

/// Another application over the same database: a second node, or the same one after a
/// restart.
pub fn node(app: &TestApp) -> App {
    App::new(app.store.clone(), settings(app), Ports::default())
}

/// Another node of the installation: its own connection pool on the same database,
/// the same data key, as a second `embargo serve` has.
pub async fn other_node(app: &TestApp) -> App {
    let store = embargo_store::test_support::second_node(&app.store, &app.db).await;
    App::new(std::sync::Arc::new(store), settings(app), Ports::default())
}

fn settings(app: &TestApp) -> Settings {
    Settings {
        base_url: app.base.clone(),
        organisation: embargo_app::model::Organisation {
            name: "Example Software Foundation".into(),
            security_email: email("security@example.org"),
        },
        default_policy: Policy::default(),
        cna: Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "example".into(),
            vendor: "Example Software Foundation".into(),
        },
        record_schema: None,
    }
}

/// The reminders queued so far (claimed, so each is seen once).
async fn reminders(app: &TestApp) -> Vec<QueuedMail> {
    let now = Timestamp::now() + SignedDuration::from_hours(24 * 400);
    app.store
        .claim_outgoing("test", now, now + SignedDuration::from_secs(60), 1000)
        .await
        .expect("claim")
        .into_iter()
        .filter(|m| m.report.is_none())
        .collect()
}

fn day(days: i64) -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(24 * days)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_statement_is_reminded_once_to_its_team() {
    for app in apps().await {
        let b = app.backend;
        let mut body = statement("CVE-2022-42003", "jackson-databind", true);
        body["until"] = json!(crate::support::date_in(20));
        let id = add(&app, &app.member_a, &body).await;
        let (first, second) = (node(&app), node(&app));

        // 20 days before: not yet (the window is 14 days).
        assert_eq!(
            first
                .remind_expiring_statements(day(0))
                .await
                .expect("pass"),
            0,
            "{b}"
        );
        // 10 days before, two nodes at once: one reminder between them.
        let (x, y) = tokio::join!(
            first.remind_expiring_statements(day(10)),
            second.remind_expiring_statements(day(10))
        );
        assert_eq!(x.expect("pass") + y.expect("pass"), 1, "{b}");
        let sent = reminders(&app).await;
        assert_eq!(sent.len(), 1, "{b}");
        assert_eq!(sent[0].to, vec![email("security@alpha.example.org")], "{b}");
        assert_eq!(
            sent[0].subject,
            format!("[Example Alpha] Statement #{id} on CVE-2022-42003 expires soon"),
            "{b}"
        );
        assert!(sent[0].body.contains("in 10 days"), "{b}: {}", sent[0].body);
        assert!(
            sent[0]
                .body
                .contains(&format!("/projects/alpha/statements/{id}")),
            "{b}"
        );
        // Later passes, after a restart, past the date: nothing more for this expiry.
        for d in [11, 19, 30] {
            assert_eq!(
                node(&app)
                    .remind_expiring_statements(day(d))
                    .await
                    .expect("pass"),
                0,
                "{b}: day {d}"
            );
        }
        assert!(reminders(&app).await.is_empty(), "{b}");

        // Renewed: a new expiry is reminded of when it comes near.
        body["until"] = json!(crate::support::date_in(60));
        let (status, v) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/projects/alpha/statements/{id}"),
                Some(&app.member_a),
                &json!({"statement": body, "version": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
        assert_eq!(
            first
                .remind_expiring_statements(day(40))
                .await
                .expect("pass"),
            0,
            "{b}"
        );
        assert_eq!(
            first
                .remind_expiring_statements(day(50))
                .await
                .expect("pass"),
            1,
            "{b}"
        );
        // A withdrawn statement is not reminded of.
        let mut other = statement("CVE-2020-8908", "guava", false);
        other["until"] = json!(crate::support::date_in(5));
        let gone = add(&app, &app.member_a, &other).await;
        let (status, _) = app
            .send_json(
                reqwest::Method::DELETE,
                &format!("/api/v1/projects/alpha/statements/{gone}"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert!(status.is_success(), "{b}: {status}");
        assert_eq!(
            first
                .remind_expiring_statements(day(1))
                .await
                .expect("pass"),
            0,
            "{b}"
        );
    }
}
