//! The organisation team's held mail: listed, released into a report or discarded by
//! form (CSRF-checked); invisible to everyone else, as are the sender rules. Filters
//! and bulk discard are in `held_bulk`.

use embargo_store::{HeldMail, HeldState, NewHeldMail, SenderRules};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, MEMBER_A, TestApp, apps, csrf_of, page_text, post_form};

fn bounce(n: u32) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@mx.example\r\nTo: security@example.org\r\nSubject: Undelivered {n}\r\n\
         Message-ID: <bounce-{n}@mx.example>\r\n\r\nThe report of a researcher was bounced.\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organisation_team_releases_and_discards_held_mail() {
    for app in apps().await {
        let b = app.backend;
        let mut ids = Vec::new();
        for n in 1..=2 {
            let raw = bounce(n);
            let subject = format!("Undelivered {n}");
            let message_id = format!("bounce-{n}@mx.example");
            let id = app
                .store
                .hold_mail(&NewHeldMail {
                    message_id: &message_id,
                    raw: &raw,
                    reason: "bounce: mailer-daemon sender",
                    from: Some("MAILER-DAEMON@mx.example"),
                    subject: &subject,
                    received_at: Timestamp::now(),
                })
                .await
                .expect("hold")
                .expect("new");
            ids.push(id);
        }

        // A project member neither sees the page nor its link.
        let alice = app.login(MEMBER_A).await;
        let res = alice.get(app.url("/held")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        assert!(
            !page_text(&alice, app.url("/dashboard"))
                .await
                .contains("held-link")
        );
        let alice_csrf = csrf_of(&page_text(&alice, app.url("/dashboard")).await);
        let res = post_form(
            &alice,
            app.url(&format!("/held/{}/discard", ids[0])),
            &[("csrf", alice_csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");

        let admin = app.login(ADMIN).await;
        assert!(
            page_text(&admin, app.url("/dashboard"))
                .await
                .contains("held-link")
        );
        let page = page_text(&admin, app.url("/held")).await;
        assert!(
            page.contains("Undelivered 1") && page.contains("Undelivered 2"),
            "{b}"
        );
        assert!(page.contains("bounce: mailer-daemon sender"), "{b}");
        let csrf = csrf_of(&page);

        // Without the CSRF token nothing changes.
        let res = post_form(
            &admin,
            app.url(&format!("/held/{}/release", ids[0])),
            &[("csrf", "x")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}");
        assert_eq!(app.store.held_count().await.expect("store"), 2, "{b}");

        let res = post_form(
            &admin,
            app.url(&format!("/held/{}/release", ids[0])),
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let location = res.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(location.starts_with("/reports/EMB-"), "{b}: {location}");
        let report = page_text(&admin, app.url(&location)).await;
        assert!(
            report.contains("Undelivered 1"),
            "{b}: the report is the held mail"
        );

        let res = post_form(
            &admin,
            app.url(&format!("/held/{}/discard", ids[1])),
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        assert_eq!(app.store.held_count().await.expect("store"), 0, "{b}");
        let discarded = app
            .store
            .held_mails(HeldState::Discarded, 10)
            .await
            .expect("store");
        assert_eq!(discarded.len(), 1, "{b}");
        let page = page_text(&admin, app.url("/held?state=released")).await;
        assert!(
            page.contains(&location[9..]),
            "{b}: the release names its report"
        );

        // Twice, or an id that does not exist: refused, nothing changes.
        let res = post_form(
            &admin,
            app.url(&format!("/held/{}/discard", ids[1])),
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{b}");
        let res = post_form(
            &admin,
            app.url("/held/999999/release"),
            &[("csrf", csrf.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        let res = admin
            .get(app.url("/held?state=bogus"))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
    }
}

/// Holds a mail as intake would, `hours` after `t0`.
pub async fn hold_one(app: &TestApp, n: u32, reason: &str, from: &str, hours: i64) -> i64 {
    let raw = format!("From: {from}\r\nSubject: Held {n}\r\nMessage-ID: <h{n}@x>\r\n\r\nbody\r\n");
    app.store
        .hold_mail(&NewHeldMail {
            message_id: &format!("h{n}@x"),
            raw: raw.as_bytes(),
            reason,
            from: Some(from),
            subject: &format!("Held {n}"),
            received_at: t0() + SignedDuration::from_hours(hours),
        })
        .await
        .expect("hold")
        .expect("new")
}

pub fn t0() -> Timestamp {
    "2026-06-01T10:00:00Z".parse().expect("time")
}

/// Organisation-level audit entries (no report), oldest first: (actor, action, detail).
pub async fn org_audit(app: &TestApp) -> Vec<(String, String, String)> {
    let mut entries = app.store.organisation_audit(500).await.expect("audit");
    entries.reverse();
    entries
        .into_iter()
        .map(|e| (e.actor, e.action, e.detail))
        .collect()
}

/// Everyone but the organisation team: every held-mail and sender-rule page and
/// endpoint answers 404, bad input included, and no link shows them.
#[tokio::test(flavor = "multi_thread")]
async fn nobody_else_learns_that_held_mail_or_sender_rules_exist() {
    for app in apps().await {
        let b = app.backend;
        let id = hold_one(
            &app,
            1,
            "bounce: null envelope sender",
            "MAILER-DAEMON@mx.example",
            0,
        )
        .await;
        let alice = app.login(MEMBER_A).await;
        let dashboard = page_text(&alice, app.url("/dashboard")).await;
        assert!(
            !dashboard.contains("senders-nav") && !dashboard.contains("/senders"),
            "{b}"
        );
        let csrf = csrf_of(&dashboard);
        for path in [
            "/held",
            "/held?state=bogus",
            "/held?reason=bounce",
            "/senders",
            "/senders?show=bogus",
            &format!("/senders?held={id}"),
        ] {
            let res = alice.get(app.url(path)).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}: GET {path}");
        }
        for (path, form) in [
            ("/held/discard", vec![("scope", "matching")]),
            ("/held/discard", vec![("scope", "bogus")]),
            (
                "/senders",
                vec![
                    ("pattern", "x@y.example"),
                    ("action", "block"),
                    ("reason", "r"),
                ],
            ),
            ("/senders", vec![("per_day", "many")]),
            ("/senders/1/lift", vec![("reason", "r")]),
            ("/senders/abc/lift", vec![]),
        ] {
            let mut fields = vec![("csrf", csrf.as_str())];
            fields.extend(form.iter().copied());
            let res = post_form(&alice, app.url(path), &fields).await;
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "{b}: POST {path} {form:?}"
            );
        }
        for token in [&app.member_a, &app.member_b] {
            for (method, path, body) in [
                (Method::GET, "/api/v1/held", json!({})),
                (Method::GET, "/api/v1/held?reason=bogus", json!({})),
                (Method::POST, "/api/v1/held/discard", json!({"ids": [id]})),
                (
                    Method::POST,
                    "/api/v1/held/discard",
                    json!({"nonsense": true}),
                ),
                (Method::GET, "/api/v1/senders", json!({})),
                (Method::GET, "/api/v1/senders?lifted=maybe", json!({})),
                (
                    Method::POST,
                    "/api/v1/senders",
                    json!({"pattern": "x@y.example", "action": "block", "reason": "r"}),
                ),
                (Method::POST, "/api/v1/senders", json!({})),
                (
                    Method::POST,
                    "/api/v1/senders/1/lift",
                    json!({"reason": "r"}),
                ),
                (Method::POST, "/api/v1/senders/1/lift", json!({})),
            ] {
                let (status, err) = app
                    .send_json(method.clone(), path, Some(token), &body)
                    .await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{b}: {method} {path} {body}");
                assert_eq!(err["error"]["code"], "not_found", "{b}");
            }
        }
        let (status, _) = app.get_json("/api/v1/held", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
        assert_eq!(
            app.store.held_count().await.expect("count"),
            1,
            "{b}: nothing changed"
        );
        let (_, rules) = app.get_json("/api/v1/senders", Some(&app.admin)).await;
        assert_eq!(rules["rules"], json!([]), "{b}");
    }
}
