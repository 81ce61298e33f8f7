//! The organisation team's held mail: listed, released into a report or discarded by
//! form (CSRF-checked); invisible to everyone else.

use embargo_store::{HeldMail, HeldState, NewHeldMail};
use jiff::Timestamp;
use reqwest::StatusCode;

use crate::support::{ADMIN, MEMBER_A, apps, csrf_of, page_text, post_form};

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
