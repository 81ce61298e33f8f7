//! Merge and split over the API and the report page, on every backend: several reports
//! of one vulnerability become one (the merged reporter learns nothing of the other
//! report), one report of two vulnerabilities becomes two; and routing mails the
//! project's team (docs/process.md#step-2-route-it-to-a-team).

use embargo_domain::ids::ReportId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, MEMBER_A, TestApp, apps, csrf_of, date_in, record_json, token_of};
use crate::support::{page_text, post_form, queued_mails};

/// A report of alpha by another reporter, with their own credit wish.
async fn submit_other(app: &TestApp, title: &str) -> (String, String) {
    let (status, body) = app
        .post_json(
            "/api/v1/reports",
            None,
            &json!({
                "project": "alpha",
                "title": title,
                "description": "The same leak, found independently.",
                "reporter_name": "Otto Other",
                "reporter_email": "otto@other.example.net",
                "credit": "Otto Other of Other Labs",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.backend);
    (
        body["id"].as_str().expect("id").into(),
        body["status_url"].as_str().expect("status_url").into(),
    )
}

fn texts(view: &Value) -> String {
    view.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_mails_the_projects_team_copied_to_the_organisation() {
    for app in apps().await {
        let b = app.backend;
        for (project, team) in [
            ("alpha", "security@alpha.example.org"),
            // Beta has no security list: the organisation address, not copied twice.
            ("beta", "security@example.org"),
        ] {
            let (id, _) = app.submit("Where does this go", None).await;
            let before = queued_mails(&app, &id).await.len();
            let (status, view) = app
                .post_json(
                    &format!("/api/v1/reports/{id}/route"),
                    Some(&app.admin),
                    &json!({"project": project}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{b}: {view}");
            let mails = queued_mails(&app, &id).await;
            assert_eq!(mails.len(), before + 1, "{b}: {mails:?}");
            let (to, cc, subject) = mails.last().expect("the routing mail");
            assert_eq!(to, &vec![team.to_string()], "{b}");
            if team == "security@example.org" {
                assert!(cc.is_empty(), "{b}: {cc:?}");
            } else {
                assert_eq!(cc, &vec!["security@example.org".to_string()], "{b}");
            }
            assert!(subject.contains(&format!("[{id}]")), "{b}: {subject}");
            assert!(subject.contains("New report"), "{b}: {subject}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn several_reports_of_one_vulnerability_are_merged() {
    for app in apps().await {
        let b = app.backend;
        let (a, _) = app
            .submit("Session data leaks across users", Some("alpha"))
            .await;
        app.walk_to(&a, "cve_assigned", "CVE-2026-41001").await;
        let (status, view) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/reports/{a}/record"),
                Some(&app.admin),
                &record_json(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let (src, src_url) = submit_other(&app, "Cross-user leak in the handler").await;
        let merge = |id: &str| format!("/api/v1/reports/{id}/merge");

        // The project's own team may not merge (the organisation team allocates CVEs);
        // a report nobody can see is 404; a malformed body is 400.
        let (status, body) = app
            .post_json(&merge(&src), Some(&app.member_a), &json!({"into": a}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {body}");
        let (status, _) = app
            .post_json(&merge(&src), Some(&app.member_b), &json!({"into": a}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = app
            .post_json(
                &merge(&src),
                Some(&app.admin),
                &json!({"into": ReportId::generate().to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = app
            .post_json(&merge(&src), Some(&app.admin), &json!({"into": src}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");

        // The page offers the form to the organisation team only.
        let admin = app.login(ADMIN).await;
        let page = page_text(&admin, app.url(&format!("/reports/{src}"))).await;
        assert!(page.contains(r#"id="merge-form""#), "{b}");
        // A refused merge from the page shows the page again with the domain's reason.
        let res = post_form(
            &admin,
            app.url(&format!("/reports/{src}/merge")),
            &[("csrf", csrf_of(&page).as_str()), ("into", src.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{b}");
        let refused = res.text().await.expect("body");
        assert!(refused.contains("cannot be merged into itself"), "{b}");
        let member = app.login(MEMBER_A).await;
        let page = page_text(&member, app.url(&format!("/reports/{src}"))).await;
        assert!(!page.contains(r#"id="merge-form""#), "{b}");

        let (status, view) = app
            .post_json(&merge(&src), Some(&app.admin), &json!({"into": a}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["state"], "merged", "{b}: {view}");
        assert_eq!(view["merged_into"], a.as_str(), "{b}: {view}");
        assert!(
            view["audit"]
                .as_array()
                .expect("audit")
                .iter()
                .any(|e| e["action"] == "merge"),
            "{b}: {view}"
        );

        // A: the internal note naming B, B's reporter credited on the record.
        let (_, av) = app
            .get_json(&format!("/api/v1/reports/{a}"), Some(&app.admin))
            .await;
        let credits = av["record"]["credits"].as_array().expect("credits");
        assert!(
            credits
                .iter()
                .any(|c| c["name"] == "Otto Other of Other Labs"),
            "{b}: {credits:?}"
        );
        assert!(
            av["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .any(|m| m["kind"] == "note" && m["body"].as_str().unwrap_or("").contains(&src)),
            "{b}: {av}"
        );
        assert!(
            av["audit"].as_array().expect("audit").iter().any(
                |e| e["action"] == "merge" && e["detail"].as_str().unwrap_or("").contains(&src)
            ),
            "{b}"
        );

        // B's reporter: told and mailed that it was merged, never A's id or title.
        let token = token_of(&src_url);
        let (status, sv) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(sv["state"], "merged", "{b}: {sv}");
        assert!(texts(&sv).contains("Otto Other of Other Labs"), "{b}: {sv}");
        let (status, html) = app.get(&format!("/status/{token}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        for page in [texts(&sv), html] {
            assert!(!page.contains(&a), "{b}: A's id on B's status page");
            assert!(
                !page.contains("Session data leaks across users"),
                "{b}: A's title on B's status page"
            );
            assert!(!page.contains("CVE-2026-41001"), "{b}: A's CVE on B's page");
        }
        let mails = queued_mails(&app, &src).await;
        let (to, _, subject) = mails.last().expect("the merge mail");
        assert_eq!(to, &vec!["otto@other.example.net".to_string()], "{b}");
        assert!(subject.contains("Handled together"), "{b}: {subject}");
        assert!(!subject.contains(&a), "{b}: {subject}");

        // Merged is closed: nothing more, and it lists under its own state.
        let (status, body) = app
            .post_json(&merge(&src), Some(&app.admin), &json!({"into": a}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {body}");
        let (status, body) = app
            .post_json(&merge(&a), Some(&app.admin), &json!({"into": src}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {body}");
        let (_, list) = app
            .get_json("/api/v1/reports?state=merged", Some(&app.admin))
            .await;
        let ids: Vec<&str> = list["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(ids, vec![src.as_str()], "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_report_of_two_vulnerabilities_is_split() {
    for app in apps().await {
        let b = app.backend;
        let (a, url) = app.submit("Two bugs in one report", Some("alpha")).await;
        let split = format!("/api/v1/reports/{a}/split");
        // Not before it is accepted; never by another project's team.
        let (status, body) = app.post_json(&split, Some(&app.member_a), &json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {body}");
        assert!(body.to_string().contains("accepted"), "{b}: {body}");
        for to in [
            json!({"to": "acknowledged"}),
            json!({"to": "accepted", "disclosure_date": date_in(40), "confirm_late": true}),
        ] {
            let (status, view) = app.transition(&app.member_a, &a, to).await;
            assert_eq!(status, StatusCode::OK, "{b}: {view}");
        }
        let (status, _) = app.post_json(&split, Some(&app.member_b), &json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");

        // The handling team sees the form and splits.
        let member = app.login(MEMBER_A).await;
        let page = page_text(&member, app.url(&format!("/reports/{a}"))).await;
        assert!(page.contains(r#"id="split-form""#), "{b}");
        let (status, body) = app.post_json(&split, Some(&app.member_a), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {body}");
        assert_eq!(body["split_from"], a.as_str(), "{b}: {body}");
        assert_eq!(body["state"], "accepted", "{b}: {body}");
        let a2 = body["id"].as_str().expect("id").to_string();
        assert_ne!(a2, a);

        let (status, v2) = app
            .get_json(&format!("/api/v1/reports/{a2}"), Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v2}");
        assert_eq!(v2["split_from"], a.as_str(), "{b}");
        assert_eq!(v2["disclosure_date"], date_in(40), "{b}");
        assert_eq!(v2["title"], "Two bugs in one report", "{b}");
        assert_eq!(v2["project"]["slug"], "alpha", "{b}");
        let (_, v1) = app
            .get_json(&format!("/api/v1/reports/{a}"), Some(&app.member_a))
            .await;
        assert_eq!(v1["state"], "accepted", "{b}");
        assert!(
            v1["audit"]
                .as_array()
                .expect("audit")
                .iter()
                .any(|e| e["action"] == "split" && e["detail"].as_str().unwrap_or("").contains(&a2)),
            "{b}: {v1}"
        );

        // The reporter follows A's link and is told there.
        let (_, sv) = app
            .get_json(&format!("/api/v1/status/{}", token_of(&url)), None)
            .await;
        assert!(texts(&sv).contains("second issue"), "{b}: {sv}");

        // The second report goes its own way to its own CVE.
        let (status, view) = app
            .transition(
                &app.member_a,
                &a2,
                json!({"to": "cve_requested", "summary": "The second leak"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");

        // The page form works too, and lands on the new report.
        let csrf = csrf_of(&page);
        let res = post_form(
            &member,
            app.url(&format!("/reports/{a}/split")),
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let location = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(location.starts_with("/reports/EMB-"), "{b}: {location}");
        assert_ne!(location, format!("/reports/{a}"), "{b}");
        assert_ne!(location, format!("/reports/{a2}"), "{b}");
    }
}
