//! Publishing to the CVE Program: with CVE Services configured, the organisation team's
//! READY → PUBLISHED sends the CNA container (here to the local fake of CVE Services) and
//! marks the record only when the service took it; a refused call (a wrong API key)
//! leaves the record READY with the service's message; REJECT sends the reason.

use std::sync::Arc;

use embargo_cveservices::fake::{FakeConfig, FakeCveServices, RunningFake};
use embargo_cveservices::{ApiKey, BatchType, Client, Credentials, IdState};
use embargo_domain::ids::CveId;
use embargo_store::test_support::fresh_store;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::records::rich_record;
use crate::support::{TestApp, spawn_app_full};

const KEY: &str = "the-right-key";

/// The fake service, and one id reserved there for the organisation.
async fn service() -> (RunningFake, CveId) {
    let fake = FakeCveServices::new(FakeConfig::single("example", "cna@example.org", KEY, 10))
        .spawn()
        .await
        .expect("fake CVE Services");
    let reserved = client(&fake, KEY)
        .reserve(2, 2026, BatchType::Sequential)
        .await
        .expect("reserve");
    (fake, reserved.ids[0].cve_id.clone())
}

fn client(fake: &RunningFake, key: &str) -> Client {
    Client::new(
        &fake.url,
        Credentials::new("example", "cna@example.org", ApiKey::new(key)),
    )
    .expect("client")
}

async fn move_record(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    app.post_json(
        &format!("/api/v1/reports/{id}/record/transitions"),
        Some(token),
        &body,
    )
    .await
}

/// A report with a READY record for `cve`, announced: ready to publish.
async fn ready_and_announced(app: &TestApp, cve: &CveId) -> String {
    let b = app.backend;
    let (id, _) = app
        .submit("Deserialization in the REST API", Some("alpha"))
        .await;
    app.walk_to(&id, "cve_assigned", &cve.to_string()).await;
    let (status, view) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/reports/{id}/record"),
            Some(&app.member_a),
            &rich_record(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}: {view}");
    for (token, to) in [(&app.member_a, "review"), (&app.admin, "ready")] {
        let (status, view) = move_record(app, token, &id, json!({"to": to})).await;
        assert_eq!(status, StatusCode::OK, "{b}: {to}: {view}");
    }
    for body in [
        json!({"to": "reporter_review"}),
        json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/pull/42", "release_ref": "3.7.1"}),
        json!({"to": "announced", "confirm_early": true}),
    ] {
        let (status, view) = app.transition(&app.member_a, &id, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}: {view}");
    }
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_sends_the_record_and_a_refusal_leaves_it_ready() {
    for (backend, store, db) in fresh_store().await {
        let (fake, cve) = service().await;
        let right = Arc::new(client(&fake, KEY));
        let app = spawn_app_full(backend, store, db, Default::default(), Some(right)).await;
        let id = ready_and_announced(&app, &cve).await;

        let (status, view) = move_record(&app, &app.admin, &id, json!({"to": "published"})).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {view}");
        assert_eq!(view["record_state"], "published", "{backend}");
        assert_eq!(fake.service.id_state(&cve), Some(IdState::Published));
        let record = fake
            .service
            .record(&cve)
            .expect("the fake holds the record");
        let cna = &record["containers"]["cna"];
        assert_eq!(
            cna["title"], "Example Alpha: deserialization in the REST API",
            "{backend}: {record}"
        );
        assert!(
            cna["metrics"].to_string().contains("CVSS:4.0/"),
            "{backend}: the vectors went too: {cna}"
        );
        let (_, page) = app.get(&format!("/reports/{id}"), Some(&app.admin)).await;
        assert!(
            page.contains("Published at the CVE Program through CVE Services"),
            "{backend}: the report says where it went"
        );

        // Rejecting the published id (with a reason) rejects it at the service too.
        let (status, view) = move_record(
            &app,
            &app.admin,
            &id,
            json!({"to": "rejected", "reason": "Duplicate of CVE-2026-0001."}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend}: {view}");
        assert_eq!(fake.service.id_state(&cve), Some(IdState::Rejected));
        let record = fake.service.record(&cve).expect("rejected record");
        assert!(
            record.to_string().contains("Duplicate of CVE-2026-0001."),
            "{backend}: {record}"
        );
    }
    for (backend, store, db) in fresh_store().await {
        let (fake, cve) = service().await;
        let wrong = Arc::new(client(&fake, "a-wrong-key"));
        let app = spawn_app_full(backend, store, db, Default::default(), Some(wrong)).await;
        let id = ready_and_announced(&app, &cve).await;

        let (status, err) = move_record(&app, &app.admin, &id, json!({"to": "published"})).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{backend}: {err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("did not accept the credentials") && !message.contains("a-wrong-key"),
            "{backend}: {err}"
        );
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin))
            .await;
        assert_eq!(view["record_state"], "ready", "{backend}: {view}");
        assert_eq!(fake.service.id_state(&cve), Some(IdState::Reserved));
        assert!(fake.service.record(&cve).is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_cve_services_publishing_is_recorded_here_and_says_so() {
    for (backend, store, db) in fresh_store().await {
        let app = spawn_app_full(backend, store, db, Default::default(), None).await;
        let id = ready_and_announced(&app, &CveId::parse("CVE-2026-20200").expect("id")).await;
        let (status, view) = move_record(&app, &app.admin, &id, json!({"to": "published"})).await;
        assert_eq!(status, StatusCode::OK, "{backend}: {view}");
        assert_eq!(view["record_state"], "published");
        let (_, page) = app.get(&format!("/reports/{id}"), Some(&app.admin)).await;
        assert!(
            page.contains("not sent to the CVE Program"),
            "{backend}: the report says it was not sent"
        );
    }
}
