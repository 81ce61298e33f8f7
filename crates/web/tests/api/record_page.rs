//! The record section of the report page for the organisation team: after the
//! announcement it still shows the record state and offers to publish (the form to edit
//! the record is gone); a RESERVED id is rejected from the page with a reason.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::post_form;
use crate::support::{ADMIN, MEMBER_A, TestApp, apps, csrf_of};

async fn page(c: &reqwest::Client, app: &TestApp, id: &str) -> String {
    c.get(app.url(&format!("/reports/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body")
}

async fn record_move(app: &TestApp, token: &str, id: &str, to: &str) {
    let (status, view) = app
        .post_json(
            &format!("/api/v1/reports/{id}/record/transitions"),
            Some(token),
            &json!({"to": to}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {to}: {view}", app.backend);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organisation_publishes_from_the_page_after_the_announcement() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Announced, then published", Some("alpha")).await;
        app.walk_to(&id, "fixed", "CVE-2026-32001").await;
        record_move(&app, &app.member_a, &id, "review").await;
        record_move(&app, &app.admin, &id, "ready").await;
        let (status, view) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "announced", "confirm_early": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");

        let admin = app.login(ADMIN).await;
        let html = page(&admin, &app, &id).await;
        assert!(
            html.contains(r#"id="record-state" data-state="ready""#),
            "{b}: the record state is shown after the announcement"
        );
        assert!(
            html.contains(r#"class="record-transition" data-to="published""#),
            "{b}: publishing is offered"
        );
        assert!(!html.contains(r#"id="record-form""#), "{b}: no editing");
        let res = post_form(
            &admin,
            app.url(&format!("/reports/{id}/record/transition")),
            &[("csrf", csrf_of(&html).as_str()), ("to", "published")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let html = page(&admin, &app, &id).await;
        assert!(
            html.contains(r#"id="record-state" data-state="published""#),
            "{b}"
        );
        // The project member sees the state, and no move.
        let member = app.login(MEMBER_A).await;
        let html = page(&member, &app, &id).await;
        assert!(html.contains(r#"data-state="published""#), "{b}");
        assert!(!html.contains("record-transition"), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organisation_rejects_a_reserved_id_from_the_page_with_a_reason() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("A duplicate report", Some("alpha")).await;
        app.walk_to(&id, "cve_assigned", "CVE-2026-32002").await;

        // The project member is not offered the move, and is refused it.
        let member = app.login(MEMBER_A).await;
        let html = page(&member, &app, &id).await;
        assert!(html.contains(r#"data-state="reserved""#), "{b}");
        assert!(
            !html.contains("record-reason-rejected"),
            "{b}: a project member is offered to reject the id"
        );
        let res = member
            .post(app.url(&format!("/reports/{id}/record/transition")))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("to", "rejected"),
                ("reason", "Not ours to reject."),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}");

        let admin = app.login(ADMIN).await;
        let html = page(&admin, &app, &id).await;
        assert!(
            html.contains(
                r#"<input type="text" id="record-reason-rejected" name="reason" required>"#
            ),
            "{b}: the reason is asked for"
        );
        let res = admin
            .post(app.url(&format!("/reports/{id}/record/transition")))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("to", "rejected"),
                ("reason", "Duplicate of CVE-2026-32001."),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let html = page(&admin, &app, &id).await;
        assert!(html.contains(r#"data-state="rejected""#), "{b}");
        assert!(
            html.contains("Duplicate of CVE-2026-32001."),
            "{b}: reason shown"
        );
        let (status, view) = app
            .send_json(
                Method::GET,
                &format!("/api/v1/reports/{id}"),
                Some(&app.admin),
                &serde_json::Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(view["record_state"], "rejected", "{b}: {view}");
    }
}
