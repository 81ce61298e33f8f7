//! The reporter of a merged report is not left behind, on every backend: they get the
//! draft and the announcement at their own address under their own report's id, are
//! credited on the record written after the merge, and a merge across projects is
//! confirmed (page and API) and told to both teams (docs/process.md#merge-and-split).

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{
    ADMIN, TestApp, apps, csrf_of, page_text, post_form, queued_mails, record_json, token_of,
};

const OTTO: &str = "otto@other.example.net";
const OTTO_CREDIT: &str = "Otto Other of Other Labs";

/// A report of `project` by Otto, with his own credit wish: its id and status token.
async fn submit_otto(app: &TestApp, project: &str) -> (String, String) {
    let (status, body) = app
        .post_json(
            "/api/v1/reports",
            None,
            &json!({
                "project": project,
                "title": "Cross-user leak in the handler",
                "description": "The same leak, found independently.",
                "reporter_name": "Otto Other",
                "reporter_email": OTTO,
                "credit": OTTO_CREDIT,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.backend);
    (
        body["id"].as_str().expect("id").into(),
        token_of(body["status_url"].as_str().expect("status_url")).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merged_reporter_reviews_the_draft_hears_the_announcement_and_is_credited() {
    for app in apps().await {
        let b = app.backend;
        let (a, _) = app
            .submit("Session data leaks across users", Some("alpha"))
            .await;
        app.walk_to(&a, "cve_assigned", "CVE-2026-41101").await;
        let (otto, otto_token) = submit_otto(&app, "alpha").await;
        let (status, view) = app
            .post_json(
                &format!("/api/v1/reports/{otto}/merge"),
                Some(&app.admin),
                &json!({"into": a}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");

        // The record is written after the merge, without Otto: he is credited all the same.
        let (status, view) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/reports/{a}/record"),
                Some(&app.admin),
                &record_json(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        let credits = view["record"]["credits"].as_array().expect("credits");
        assert!(
            credits
                .iter()
                .any(|c| c["name"] == OTTO_CREDIT && c["type"] == "finder"),
            "{b}: {credits:?}"
        );

        let (status, view) = app
            .transition(&app.admin, &a, json!({"to": "reporter_review"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        // His mail is filed, rendered and threaded as his own report's.
        let subjects = |mails: Vec<(Vec<String>, Vec<String>, String)>| -> Vec<String> {
            mails
                .into_iter()
                .filter(|(to, _, _)| to == &vec![OTTO.to_string()])
                .map(|(_, _, subject)| subject)
                .collect()
        };
        let draft = format!("[{otto}] Draft announcement for your review");
        assert!(
            subjects(queued_mails(&app, &otto).await).contains(&draft),
            "{b}"
        );
        assert!(subjects(queued_mails(&app, &a).await).is_empty(), "{b}");
        // His status page shows the draft with his credit and without Rita's.
        let (_, page) = app.get(&format!("/status/{otto_token}"), None).await;
        assert!(page.contains("--- Draft announcement ---"), "{b}");
        assert!(page.contains(OTTO_CREDIT), "{b}");
        assert!(
            !page.contains("Rita Reporter"),
            "{b}: the other reporter's name"
        );
        assert!(!page.contains(&a), "{b}: the other report's id");

        for to in [
            json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/commit/abc123", "release_ref": "1.4.1"}),
            json!({"to": "announced", "confirm_early": true}),
        ] {
            let (status, view) = app.transition(&app.admin, &a, to).await;
            assert_eq!(status, StatusCode::OK, "{b}: {view}");
        }
        let to_otto = subjects(queued_mails(&app, &otto).await);
        assert!(
            to_otto.iter().any(|s| s.starts_with("CVE-2026-41101")),
            "{b}: {to_otto:?}"
        );
        let (_, page) = app.get(&format!("/status/{otto_token}"), None).await;
        assert!(page.contains("announced as CVE-2026-41101"), "{b}");
        // The published advisory credits him.
        let (status, advisory) = app.get("/advisories/CVE-2026-41101", None).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert!(advisory.contains(OTTO_CREDIT), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_across_projects_is_confirmed_and_told_to_both_teams() {
    for app in apps().await {
        let b = app.backend;
        let (a, _) = app
            .submit("Session data leaks across users", Some("alpha"))
            .await;
        let (otto, _) = submit_otto(&app, "beta").await;
        let merge = format!("/api/v1/reports/{otto}/merge");

        // Without the confirmation: refused, naming the field, nothing changed.
        let (status, body) = app
            .post_json(&merge, Some(&app.admin), &json!({"into": a}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{b}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("confirm_cross_project: "),
            "{b}: {message}"
        );
        assert!(
            message.contains("Example Alpha") && message.contains("Example Beta"),
            "{b}: {message}"
        );
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{otto}"), Some(&app.admin))
            .await;
        assert_eq!(view["state"], "received", "{b}: {view}");

        // The page's form: refused without the box ticked, merged with it.
        let admin = app.login(ADMIN).await;
        let page = page_text(&admin, app.url(&format!("/reports/{otto}"))).await;
        assert!(page.contains(r#"name="confirm_cross_project""#), "{b}");
        let csrf = csrf_of(&page);
        let url = app.url(&format!("/reports/{otto}/merge"));
        let res = post_form(
            &admin,
            url.clone(),
            &[("csrf", csrf.as_str()), ("into", a.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        assert!(
            res.text().await.expect("body").contains("across projects"),
            "{b}"
        );
        let res = post_form(
            &admin,
            url,
            &[
                ("csrf", csrf.as_str()),
                ("into", a.as_str()),
                ("confirm_cross_project", "true"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{otto}"), Some(&app.admin))
            .await;
        assert_eq!(view["state"], "merged", "{b}: {view}");

        // Both teams are told: alpha's list and beta's (the organisation address).
        let mails = queued_mails(&app, &a).await;
        let told: Vec<_> = mails
            .iter()
            .filter(|(_, _, subject)| subject.contains("merged in from another project"))
            .collect();
        assert_eq!(told.len(), 1, "{b}: {mails:?}");
        let (to, _, subject) = told[0];
        assert!(
            to.contains(&"security@alpha.example.org".to_string()),
            "{b}: {to:?}"
        );
        assert!(
            to.contains(&"security@example.org".to_string()),
            "{b}: {to:?}"
        );
        assert!(subject.contains(&format!("[{a}]")), "{b}: {subject}");
    }
}
