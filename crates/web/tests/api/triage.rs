//! Triage through the API and the pages, on both backends: every new report gets a
//! suggestion; the team confirms it (the answer goes out, the report is closed), bulk
//! confirms from the dashboard, dismisses, reopens; spam gets no receipt; a repeat
//! links to the first report; nobody else can decide or even see.

use embargo_domain::ids::ReportId;
use embargo_store::Reports;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, MEMBER_A, TestApp, apps, csrf_of, page_text, post_form};

/// Submits `title` and `description` to project alpha through the API; returns the id.
async fn submit(app: &TestApp, title: &str, description: &str, versions: Option<&str>) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/reports",
            None,
            &json!({
                "project": "alpha",
                "title": title,
                "description": description,
                "affected_versions": versions,
                "reporter_email": "someone@research.example.net",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.backend);
    body["id"].as_str().expect("id").to_string()
}

async fn view(app: &TestApp, id: &str) -> Value {
    let (status, body) = app
        .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {body}", app.backend);
    body
}

/// The mails queued for a report, as (first recipient, subject, body) — bodies as stored
/// are sealed, so the store's own outbox reader is asked.
async fn mails_to(app: &TestApp, id: &str, to: &str) -> usize {
    app.store
        .outbox_for_report(&ReportId::parse(id).expect("id"))
        .await
        .expect("outbox")
        .iter()
        .filter(|m| m.to.iter().any(|a| a.as_str() == to))
        .count()
}

const QUESTION: &str = "Hello, how can I configure the TLS keystore password for the \
    broker in version 3.6? The documentation is not clear to me and the broker does not \
    start. Thanks in advance for any help.";

const GENUINE: &str = "The file upload endpoint accepts a file name containing ../ \
    sequences and writes the uploaded archive outside the storage directory. Steps to \
    reproduce: 1. sign in as any user; 2. POST /api/upload with filename=../../etc/cron.d/x \
    and a cron line as the body; 3. the line runs as the service user within a minute. \
    Affected: 1.0 to 1.4. A proof of concept script is attached below.";

#[tokio::test(flavor = "multi_thread")]
async fn a_usage_question_is_suggested_confirmed_answered_closed_and_reopened() {
    for app in apps().await {
        let b = app.backend;
        let id = submit(&app, "TLS keystore configuration question", QUESTION, None).await;
        let v = view(&app, &id).await;
        assert_eq!(v["triage"]["class"], "users_list_question", "{b}: {v}");
        assert_eq!(v["triage"]["status"], "suggested", "{b}");
        assert!(v["triage"]["duplicate_of"].is_null(), "{b}");
        assert!(
            !v["triage"]["reasons"]
                .as_array()
                .expect("reasons")
                .is_empty(),
            "{b}"
        );
        // A suggestion waits for the team: the report is open and its sender got a receipt.
        assert_eq!(v["state"], "received", "{b}");
        assert_eq!(
            mails_to(&app, &id, "someone@research.example.net").await,
            1,
            "{b}"
        );
        // The list shows the class without opening the report.
        let (_, list) = app.get_json("/api/v1/reports", Some(&app.member_a)).await;
        let row = list["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .find(|r| r["id"] == id.as_str())
            .expect("listed")
            .clone();
        assert_eq!(
            row["triage"],
            json!({"class": "users_list_question", "status": "suggested"}),
            "{b}"
        );

        let (status, after) = app
            .post_json(
                &format!("/api/v1/reports/{id}/triage"),
                Some(&app.member_a),
                &json!({"decision": "confirm"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {after}");
        assert_eq!(after["state"], "closed", "{b}");
        assert_eq!(after["triage"]["status"], "confirmed", "{b}");
        // The answer names the project's users list, on the status page and by mail.
        let answer = after["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["kind"] == "team")
            .expect("the answer in the thread");
        assert!(
            answer["body"]
                .as_str()
                .unwrap_or_default()
                .contains("users@alpha.example.org"),
            "{b}: {answer}"
        );
        assert_eq!(
            mails_to(&app, &id, "someone@research.example.net").await,
            2,
            "{b}"
        );
        assert!(
            after["audit"]
                .as_array()
                .expect("audit")
                .iter()
                .any(|a| a["action"] == "triage"
                    && a["detail"] == "confirmed users_list_question; received -> closed"),
            "{b}: {}",
            after["audit"]
        );
        // A closed report can be reopened.
        let (status, reopened) = app
            .post_json(
                &format!("/api/v1/reports/{id}/triage"),
                Some(&app.member_a),
                &json!({"decision": "reopen"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {reopened}");
        assert_eq!(reopened["state"], "received", "{b}");
        assert_eq!(reopened["triage"]["status"], "dismissed", "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_genuine_report_is_a_report_and_a_repeat_links_to_the_first() {
    for app in apps().await {
        let b = app.backend;
        let first = submit(
            &app,
            "Path traversal in file upload",
            GENUINE,
            Some("1.0 to 1.4"),
        )
        .await;
        let v = view(&app, &first).await;
        assert_eq!(v["triage"]["class"], "report", "{b}: {}", v["triage"]);
        // The same report again, with a greeting: a duplicate of the first, whose
        // sender still gets a receipt (a suggestion, not a decision).
        let again = submit(
            &app,
            "Path traversal in the upload endpoint",
            &format!("Hi team,\n{GENUINE}\nBest regards"),
            Some("1.0 to 1.4"),
        )
        .await;
        let v = view(&app, &again).await;
        assert_eq!(v["triage"]["class"], "duplicate", "{b}: {}", v["triage"]);
        assert_eq!(v["triage"]["duplicate_of"], first.as_str(), "{b}");
        assert!(
            v["triage"]["reasons"][0]
                .as_str()
                .unwrap_or_default()
                .starts_with(&format!("near-identical to {first}")),
            "{b}: {}",
            v["triage"]
        );
        // In another project it is not a duplicate: projects do not see each other.
        let (_, other) = app
            .post_json(
                "/api/v1/reports",
                None,
                &json!({"project": "beta", "title": "Path traversal", "description": GENUINE, "affected_versions": "1.0"}),
            )
            .await;
        let other_id = other["id"].as_str().expect("id");
        let (_, v) = app
            .get_json(&format!("/api/v1/reports/{other_id}"), Some(&app.member_b))
            .await;
        assert_eq!(v["triage"]["class"], "report", "{b}: {}", v["triage"]);
        // Nothing to dismiss on a report suggestion; confirming `report` is refused.
        let (status, body) = app
            .post_json(
                &format!("/api/v1/reports/{first}/triage"),
                Some(&app.member_a),
                &json!({"decision": "confirm", "class": "report"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}");
        assert!(
            body.to_string().contains("dismiss the suggestion instead"),
            "{b}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn spam_gets_no_receipt_and_bad_decisions_change_nothing() {
    for app in apps().await {
        let b = app.backend;
        let id = submit(
            &app,
            "Cheap replica watches and casino bonus",
            "Buy cheap replica watches online! Best casino bonus, 100% free spins, click here \
             http://casino.example.biz now, limited offer, viagra discount.",
            None,
        )
        .await;
        let v = view(&app, &id).await;
        assert_eq!(v["triage"]["class"], "spam", "{b}: {}", v["triage"]);
        assert_eq!(
            mails_to(&app, &id, "someone@research.example.net").await,
            0,
            "{b}"
        );
        // The team still hears of it, and it is kept.
        assert_eq!(
            mails_to(&app, &id, "security@alpha.example.org").await,
            1,
            "{b}"
        );

        for (body, needle) in [
            (json!({"decision": "maybe"}), "not a triage decision"),
            (
                json!({"decision": "confirm", "class": "noise"}),
                "not a triage class",
            ),
            (
                json!({"decision": "dismiss", "class": "spam"}),
                "only a confirmation names a class",
            ),
        ] {
            let (status, answer) = app
                .post_json(
                    &format!("/api/v1/reports/{id}/triage"),
                    Some(&app.member_a),
                    &body,
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {answer}");
            assert!(answer.to_string().contains(needle), "{b}: {answer}");
        }
        let v = view(&app, &id).await;
        assert_eq!(
            (v["state"].as_str(), v["version"].as_i64()),
            (Some("received"), Some(1)),
            "{b}"
        );
        // Another project's member, and anyone without a token, learn nothing.
        let (status, _) = app
            .post_json(
                &format!("/api/v1/reports/{id}/triage"),
                Some(&app.member_b),
                &json!({"decision": "confirm"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = app
            .post_json(
                &format!("/api/v1/reports/{id}/triage"),
                None,
                &json!({"decision": "confirm"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_confirms_many_at_once_and_the_api_says_what_it_refused() {
    for app in apps().await {
        let b = app.backend;
        let q1 = submit(&app, "TLS keystore configuration question", QUESTION, None).await;
        let q2 = submit(
            &app,
            "Question about the license of the client jar",
            "Hello, can we use the client library in our commercial closed source product \
             under the Apache License 2.0? Do we need to include the NOTICE file?",
            None,
        )
        .await;
        let genuine = submit(
            &app,
            "Path traversal in file upload",
            GENUINE,
            Some("1.0 to 1.4"),
        )
        .await;

        let alice = app.login(MEMBER_A).await;
        // The filter keeps its value in the URL and shows one class only.
        let licences = page_text(&alice, app.url("/dashboard?triage=license_question")).await;
        assert!(
            licences.contains(&q2) && !licences.contains(&q1) && !licences.contains(&genuine),
            "{b}"
        );
        let (_, only) = app
            .get_json(
                "/api/v1/reports?triage=users_list_question",
                Some(&app.member_a),
            )
            .await;
        let ids: Vec<&str> = only["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(ids, vec![q1.as_str()], "{b}");
        let (status, err) = app
            .get_json("/api/v1/reports?triage=noise", Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(err.to_string().contains("not a triage class"), "{b}: {err}");
        let dashboard = page_text(&alice, app.url("/dashboard")).await;
        assert!(dashboard.contains(&format!("name=\"confirm.{q1}\"")), "{b}");
        assert!(dashboard.contains(&format!("name=\"confirm.{q2}\"")), "{b}");
        assert!(
            !dashboard.contains(&format!("name=\"confirm.{genuine}\"")),
            "{b}"
        );
        let csrf = csrf_of(&dashboard);
        // Without the session's CSRF token nothing is confirmed.
        let res = post_form(
            &alice,
            app.url("/dashboard/triage"),
            &[("csrf", "x"), (&format!("confirm.{q1}"), "on")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}");
        let res = post_form(
            &alice,
            app.url("/dashboard/triage"),
            &[
                ("csrf", csrf.as_str()),
                (&format!("confirm.{q1}"), "on"),
                (&format!("confirm.{q2}"), "on"),
                (&format!("confirm.{genuine}"), "on"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let page = res.text().await.expect("body");
        assert!(page.contains("2 closed as suggested"), "{b}: {page}");
        assert!(
            page.contains(&format!(
                "{genuine}</a>: it has no noise suggestion to confirm"
            )),
            "{b}: {page}"
        );
        for id in [&q1, &q2] {
            assert_eq!(view(&app, id).await["state"], "closed", "{b}");
        }
        assert_eq!(view(&app, &genuine).await["state"], "received", "{b}");

        // The API: another project's report is "no such report", as one that does not exist.
        let q3 = submit(&app, "TLS keystore configuration question", QUESTION, None).await;
        let (status, done) = app
            .post_json(
                "/api/v1/triage/confirm",
                Some(&app.member_b),
                &json!({"reports": [q3, "EMB-000000000000"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {done}");
        assert_eq!(done["confirmed"], json!([]), "{b}");
        assert_eq!(
            done["refused"][0],
            json!({"id": q3, "error": "no such report"}),
            "{b}"
        );
        assert_eq!(done["refused"][1]["error"], "no such report", "{b}");
        let (status, done) = app
            .post_json(
                "/api/v1/triage/confirm",
                Some(&app.admin),
                &json!({"reports": [q3]}),
            )
            .await;
        assert_eq!(
            (status, done["confirmed"].clone()),
            (StatusCode::OK, json!([q3])),
            "{b}"
        );
        let (status, err) = app
            .post_json(
                "/api/v1/triage/confirm",
                Some(&app.admin),
                &json!({"reports": []}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let too_many: Vec<String> = (0..201).map(|_| q3.clone()).collect();
        let (status, err) = app
            .post_json(
                "/api/v1/triage/confirm",
                Some(&app.admin),
                &json!({"reports": too_many}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(err.to_string().contains("at most 200"), "{b}: {err}");

        // The report page shows the suggestion, its reasons and the forms.
        let admin = app.login(ADMIN).await;
        let page = page_text(&admin, app.url(&format!("/reports/{q1}"))).await;
        assert!(page.contains("id=\"triage-reopen\""), "{b}");
        assert!(page.contains("data-class=\"users_list_question\""), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_senders_report_through_the_api_is_kept_unanswered_and_suggested_as_spam() {
    for app in apps().await {
        let b = app.backend;
        let (status, rule) = app
            .post_json(
                "/api/v1/senders",
                Some(&app.admin),
                &json!({"pattern": "@research.example.net", "action": "block", "reason": "generated reports, 40 a day"}),
            )
            .await;
        assert!(status.is_success(), "{b}: {rule}");
        let id = submit(
            &app,
            "Path traversal in file upload",
            GENUINE,
            Some("1.0 to 1.4"),
        )
        .await;
        let v = view(&app, &id).await;
        assert_eq!(v["state"], "received", "{b}: kept as a report");
        assert_eq!(v["triage"]["class"], "spam", "{b}: {}", v["triage"]);
        assert_eq!(
            v["triage"]["reasons"][0], "the sender is blocked: generated reports, 40 a day",
            "{b}"
        );
        assert_eq!(
            mails_to(&app, &id, "someone@research.example.net").await,
            0,
            "{b}: never answered by itself"
        );
        assert_eq!(
            mails_to(&app, &id, "security@alpha.example.org").await,
            1,
            "{b}: the team is told"
        );
        assert!(
            v["audit"][0]["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("no automatic answer (a sender rule applies)"),
            "{b}: {}",
            v["audit"][0]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pasted_scanner_output_is_answered_with_the_projects_published_statements() {
    for app in apps().await {
        let b = app.backend;
        // What the project has said: one public answer, one private (never told).
        crate::statements::add(
            &app,
            &app.member_a,
            &crate::statements::statement("CVE-2022-42003", "jackson-databind", true),
        )
        .await;
        crate::statements::add(
            &app,
            &app.member_a,
            &crate::statements::statement("CVE-2022-1471", "snakeyaml", false),
        )
        .await;
        let id = submit(
            &app,
            "Dependency-Check found vulnerabilities",
            "Hello, our Dependency-Check run on your release fails the build:\n\n\
             jackson-databind-2.13.4.jar: CVE-2022-42003\n\
             snakeyaml-1.33.jar: CVE-2022-1471\n\
             netty-handler-4.1.94.Final.jar: CVE-2023-44487\n\n\
             Please fix these vulnerabilities.",
            None,
        )
        .await;
        let v = view(&app, &id).await;
        assert_eq!(
            v["triage"]["class"], "scanner_output",
            "{b}: {}",
            v["triage"]
        );
        // The report page shows the answer the confirmation will carry.
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url(&format!("/reports/{id}"))).await;
        assert!(page.contains("id=\"triage-scan-answer\""), "{b}");
        assert!(
            page.contains("jackson-databind never calls the vulnerable code of CVE-2022-42003."),
            "{b}"
        );

        let (status, after) = app
            .post_json(
                &format!("/api/v1/reports/{id}/triage"),
                Some(&app.member_a),
                &json!({"decision": "confirm"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {after}");
        let answer = after["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["kind"] == "team")
            .and_then(|m| m["body"].as_str())
            .expect("the answer")
            .to_string();
        assert!(answer.contains("lists 3 findings"), "{b}: {answer}");
        assert!(
            answer.contains("jackson-databind never calls the vulnerable code of CVE-2022-42003."),
            "{b}: {answer}"
        );
        // The private statement is not told: snakeyaml needs analysis like netty.
        assert!(!answer.contains("snakeyaml never calls"), "{b}: {answer}");
        assert!(
            answer.contains("1 is already answered") && answer.contains("2 need analysis"),
            "{b}: {answer}"
        );
    }
}
