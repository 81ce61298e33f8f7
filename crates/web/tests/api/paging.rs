//! Lists paged by cursor: the API's `next_cursor` and the dashboard's "Next" link walk
//! every report once, in order, on both backends; a cursor the list did not give is a
//! 400 naming it.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MEMBER_A, apps, page_text};

#[tokio::test(flavor = "multi_thread")]
async fn the_list_pages_by_cursor_through_every_report_once() {
    for app in apps().await {
        let b = app.backend;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                app.submit(&format!("Paged report {i}"), Some("alpha"))
                    .await
                    .0,
            );
        }
        let (_, whole) = app
            .get_json("/api/v1/reports?limit=500", Some(&app.member_a))
            .await;
        let order: Vec<String> = whole["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect();
        assert_eq!(order.len(), 5, "{b}");
        assert!(
            whole["next_cursor"].is_null(),
            "{b}: a short page is the last"
        );

        let mut walked = Vec::new();
        let mut path = "/api/v1/reports?limit=2".to_string();
        loop {
            let (status, page) = app.get_json(&path, Some(&app.member_a)).await;
            assert_eq!(status, StatusCode::OK, "{b}: {page}");
            walked.extend(
                page["reports"]
                    .as_array()
                    .expect("reports")
                    .iter()
                    .map(|r| r["id"].as_str().expect("id").to_string()),
            );
            match &page["next_cursor"] {
                Value::String(c) => path = format!("/api/v1/reports?limit=2&cursor={c}"),
                _ => break,
            }
            assert!(walked.len() <= 6, "{b}: the pages end");
        }
        assert_eq!(walked, order, "{b}");

        let (status, err) = app
            .get_json("/api/v1/reports?cursor=nonsense", Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(err.to_string().contains("cursor"), "{b}: {err}");

        // The dashboard's Next link carries the cursor; fifty rows a page, so one page
        // here, and a page after the last row is empty with a way back.
        let alice = app.login(MEMBER_A).await;
        let first = page_text(&alice, app.url("/dashboard")).await;
        assert!(!first.contains("id=\"next-page\""), "{b}");
        let last = order.last().expect("a row");
        let (_, tail) = app
            .get_json("/api/v1/reports?limit=4", Some(&app.member_a))
            .await;
        let cursor = tail["next_cursor"]
            .as_str()
            .expect("a full page has a cursor");
        let after = page_text(&alice, app.url(&format!("/dashboard?cursor={cursor}"))).await;
        assert!(
            after.contains(last.as_str()),
            "{b}: the fifth row on the page after four"
        );
        assert!(!after.contains(order[0].as_str()), "{b}");
        assert!(after.contains("id=\"first-page\""), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_overdue_filter_is_taken_by_the_api_and_the_dashboard() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Not late yet", Some("alpha")).await;
        let (status, list) = app
            .get_json("/api/v1/reports?overdue=true", Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {list}");
        assert!(
            !list.to_string().contains(&id),
            "{b}: due in three working days"
        );
        let (_, all) = app
            .get_json("/api/v1/reports?overdue=false", Some(&app.member_a))
            .await;
        assert!(all.to_string().contains(&id), "{b}");
        let (status, _) = app
            .get_json("/api/v1/reports?overdue=maybe", Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        let alice = app.login(MEMBER_A).await;
        // The dashboard says which deadline is next and how far it is.
        let dashboard = page_text(&alice, app.url("/dashboard")).await;
        assert!(dashboard.contains("Acknowledge: "), "{b}");
        assert!(
            dashboard.contains(" days)") || dashboard.contains(" hours)"),
            "{b}"
        );
        let page = page_text(&alice, app.url("/dashboard?overdue=1")).await;
        assert!(
            page.contains("id=\"overdue-filter\" name=\"overdue\" value=\"1\" checked"),
            "{b}"
        );
        assert!(!page.contains(&id), "{b}");
    }
}
