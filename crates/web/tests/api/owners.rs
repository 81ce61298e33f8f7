//! Owners and the list's filters, on both backends: a member takes a report, assigns
//! it to a teammate or the organisation team, releases it; "Mine" and the owner filter
//! follow; somebody outside the handling team can neither own nor see it. The list's
//! filters (project, owner, CVE, received between) and orders (deadline, received,
//! updated) are taken alike by the API and the dashboard, each order pages by cursor
//! through every row once, and a bad value is a 400 naming its parameter.

use reqwest::StatusCode;
use serde_json::{Value, json};

use embargo_store::test_support::fresh_store;
use embargo_web::limit::RateLimits;

use crate::support::{
    ADMIN, MEMBER_A, TestApp, apps, csrf_of, page_text, post_form, spawn_app_with,
};

async fn set_owner(app: &TestApp, token: &str, id: &str, owner: &str) -> (StatusCode, Value) {
    app.post_json(
        &format!("/api/v1/reports/{id}/owner"),
        Some(token),
        &json!({ "owner": owner }),
    )
    .await
}

/// The ids of a list, in its order.
async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let (status, list) = app
        .get_json(&format!("/api/v1/reports?{query}"), Some(&app.member_a))
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {query}: {list}", app.backend);
    list["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_takes_assigns_and_releases_a_report() {
    for app in apps().await {
        let b = app.backend;
        let (first, _) = app.submit("Owned report", Some("alpha")).await;
        let (second, _) = app.submit("Nobody's report", Some("alpha")).await;

        let (status, view) = set_owner(&app, &app.member_a, &first, "me").await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["owner"]["email"], MEMBER_A, "{b}");
        let audit = view["audit"].to_string();
        assert!(
            audit.contains("\"owner\"") && audit.contains("taken by"),
            "{b}: {audit}"
        );
        assert_eq!(ids(&app, "owner=me").await, vec![first.clone()], "{b}");
        let unowned = ids(&app, "owner=none").await;
        assert!(
            unowned.contains(&second) && !unowned.contains(&first),
            "{b}"
        );
        let (_, list) = app
            .get_json("/api/v1/reports?owner=me", Some(&app.member_a))
            .await;
        assert_eq!(list["reports"][0]["owner"]["email"], MEMBER_A, "{b}");

        // Bob is on beta's team only: he can neither be given it nor see it.
        let (status, err) = set_owner(&app, &app.member_a, &first, "bob@beta.example.org").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(err.to_string().contains("not on the team"), "{b}: {err}");
        let (status, _) = set_owner(&app, &app.member_b, &first, "me").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{b}: another project's report"
        );
        let (status, err) = set_owner(&app, &app.member_a, &first, "nobody@nowhere.example").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let (status, _) = set_owner(&app, &app.member_a, &first, " ").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");

        // The organisation team handles every project.
        let (status, view) = set_owner(&app, &app.member_a, &first, ADMIN).await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["owner"]["email"], ADMIN, "{b}");
        assert_eq!(
            ids(&app, &format!("owner={ADMIN}")).await,
            vec![first.clone()]
        );
        assert!(ids(&app, "owner=me").await.is_empty(), "{b}");
        let (status, err) = set_owner(&app, &app.member_a, &first, ADMIN).await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {err}");

        let (status, view) = set_owner(&app, &app.admin, &first, "none").await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert!(view["owner"].is_null(), "{b}");
        assert!(ids(&app, "owner=none").await.contains(&first), "{b}");

        // The report page's form, and the dashboard's "Mine".
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url(&format!("/reports/{second}"))).await;
        let res = post_form(
            &alice,
            app.url(&format!("/reports/{second}/owner")),
            &[("csrf", csrf_of(&page).as_str()), ("owner", "me")],
        )
        .await;
        assert!(
            res.status().is_redirection() || res.status().is_success(),
            "{b}"
        );
        let mine = page_text(&alice, app.url("/dashboard?owner=me")).await;
        assert!(mine.contains(&second) && !mine.contains(&first), "{b}");
        assert!(
            mine.contains("id=\"count-mine\" href=\"/dashboard?owner=me\"><strong>1</strong>"),
            "{b}: the count at the top"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_and_orders_alike_in_the_api_and_the_dashboard() {
    for app in apps().await {
        let b = app.backend;
        let mut made = Vec::new();
        for i in 0..4 {
            made.push(app.submit(&format!("Filtered {i}"), Some("alpha")).await.0);
        }
        let (beta, _) = app.submit("Beta's own", Some("beta")).await;
        app.walk_to(&made[0], "cve_assigned", "CVE-2026-40001")
            .await;

        assert_eq!(
            ids(&app, "cve=assigned").await,
            vec![made[0].clone()],
            "{b}"
        );
        assert_eq!(ids(&app, "cve=none").await.len(), 3, "{b}");
        assert_eq!(ids(&app, "project=alpha").await.len(), 4, "{b}");
        assert!(
            ids(&app, "project=beta").await.is_empty(),
            "{b}: not alice's"
        );
        assert!(!ids(&app, "").await.contains(&beta), "{b}");

        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let q = format!("received_from={today}&received_to={today}");
        assert_eq!(ids(&app, &q).await.len(), 4, "{b}: received today (UTC)");
        let tomorrow = today.tomorrow().expect("date");
        assert!(
            ids(&app, &format!("received_from={tomorrow}"))
                .await
                .is_empty(),
            "{b}"
        );

        // Newest first; the latest changed first (a note changes made[1]).
        let received = ids(&app, "sort=received").await;
        assert_eq!(received.first(), Some(&made[3]), "{b}: {received:?}");
        assert_eq!(received.last(), Some(&made[0]), "{b}");
        let (status, _) = app
            .post_json(
                &format!("/api/v1/reports/{}/messages", made[1]),
                Some(&app.member_a),
                &json!({"kind": "note", "body": "Looking at it."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        assert_eq!(
            ids(&app, "sort=updated").await.first(),
            Some(&made[1]),
            "{b}"
        );

        // Each order pages by cursor through every row once.
        for sort in ["deadline", "received", "updated"] {
            let whole = ids(&app, &format!("sort={sort}")).await;
            let mut walked = Vec::new();
            let mut query = format!("sort={sort}&limit=3");
            loop {
                let (status, page) = app
                    .get_json(&format!("/api/v1/reports?{query}"), Some(&app.member_a))
                    .await;
                assert_eq!(status, StatusCode::OK, "{b}: {page}");
                for r in page["reports"].as_array().expect("reports") {
                    walked.push(r["id"].as_str().expect("id").to_string());
                }
                match page["next_cursor"].as_str() {
                    Some(c) => query = format!("sort={sort}&limit=3&cursor={c}"),
                    None => break,
                }
            }
            assert_eq!(walked, whole, "{b}: {sort}");
        }

        for (query, field) in [
            ("sort=size", "sort"),
            ("cve=yes", "cve"),
            ("received_from=03/12/2026", "received_from"),
            (
                "received_from=2026-12-02&received_to=2026-12-01",
                "received_to",
            ),
            ("project=nosuch", "project"),
            ("owner=nobody@nowhere.example", "owner"),
        ] {
            let (status, err) = app
                .get_json(&format!("/api/v1/reports?{query}"), Some(&app.member_a))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {query}: {err}");
            assert!(err.to_string().contains(field), "{b}: {query}: {err}");
        }

        // The dashboard takes the same filters and keeps them in its links.
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url("/dashboard?cve=assigned&sort=received")).await;
        assert!(
            page.contains(made[0].as_str()) && !page.contains(made[2].as_str()),
            "{b}"
        );
        assert!(page.contains("<option value=\"assigned\" selected>"), "{b}");
        assert!(page.contains("<option value=\"received\" selected>"), "{b}");
        let bad = alice
            .get(app.url("/dashboard?sort=size"))
            .send()
            .await
            .expect("get");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboards_next_link_keeps_its_filters() {
    // More reports than a page, from one address: no intake limit here.
    let unlimited = RateLimits {
        intake: None,
        login: None,
    };
    for (backend, store, db) in fresh_store().await {
        let app = spawn_app_with(backend, store, db, unlimited).await;
        let b = app.backend;
        for i in 0..52 {
            app.submit(&format!("Many {i}"), Some("alpha")).await;
        }
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url("/dashboard?sort=received&cve=none")).await;
        let next = page
            .split("id=\"next-page\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a next link")
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        assert!(
            next.contains("sort=received") && next.contains("cve=none"),
            "{b}: {next}"
        );
        let second = page_text(&alice, app.url(&next)).await;
        assert_eq!(second.matches("class=\"report-link\"").count(), 2, "{b}");
        assert!(second.contains("id=\"first-page\""), "{b}");
    }
}
