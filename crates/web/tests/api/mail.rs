//! Mail on the report page: received messages, attachments for the team only (always
//! downloaded, never rendered), and each outgoing mail's delivery state.

use embargo_domain::ids::{Email, ReportId};
use embargo_domain::lifecycle::Contacts;
use embargo_domain::mail::{HoldReason, hold};
use embargo_store::{IncomingMail, MailEffect, Mailbox, NewAttachment, Reports};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;

use crate::support::page_text;
use crate::support::{ADMIN, MEMBER_A, MEMBER_B, apps, client};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n<script>alert(1)</script>";

fn hex_stub(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // A stand-in digest is enough: the page shows what the store holds.
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_download_for_the_team_only_and_delivery_shows() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Mail with a screenshot", Some("alpha")).await;
        let report_id = ReportId::parse(&id).expect("id");
        let report = app
            .store
            .report(&report_id)
            .await
            .expect("load")
            .expect("report");
        let contacts = Contacts {
            org_name: "Example".into(),
            org_security: Email::parse("security@example.org").expect("email"),
            team: Email::parse("security@alpha.example.org").expect("email"),
            users_list: None,
            status_url: None,
            base_url: None,
            owner: None,
        };
        let change = hold(
            &report,
            "eve@elsewhere.example",
            "see the screenshot",
            HoldReason::UnknownSender,
            Timestamp::now(),
            &contacts,
        )
        .expect("hold");
        let raw = b"From: Eve <eve@elsewhere.example>\r\nTo: security@alpha.example.org\r\n\
Subject: =?utf-8?q?Screenshot_=E2=9C=93?=\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\
Message-ID: <held-1@elsewhere.example>\r\n\r\nsee the screenshot\r\n";
        let attachments = [
            NewAttachment {
                name: "poc \"x\".png".into(),
                content_type: "image/png".into(),
                size: PNG.len() as u64,
                sha256: hex_stub(b"poc"),
                content: Some(PNG.to_vec()),
            },
            NewAttachment {
                name: "huge.mp4".into(),
                content_type: "video/mp4".into(),
                size: 99_000_000,
                sha256: hex_stub(b"huge"),
                content: None,
            },
        ];
        app.store
            .take_mail(
                &IncomingMail {
                    message_id: "held-1@elsewhere.example",
                    raw,
                    disposition: "held",
                    received_at: Timestamp::now(),
                    attachments: &attachments,
                    headers: None,
                    released_from: None,
                },
                MailEffect::Apply(&change),
            )
            .await
            .expect("take mail");
        let listed = app.store.attachments(&report_id).await.expect("list");
        assert_eq!(listed.len(), 2, "{b}");
        let stored = listed.iter().find(|a| a.stored).expect("stored one").id;
        let skipped = listed.iter().find(|a| !a.stored).expect("skipped one").id;

        // Delivery states: one mail failing, one sent, the rest queued.
        let now = Timestamp::now();
        let claimed = app
            .store
            .claim_outgoing("test", now, now + SignedDuration::from_mins(5), 10)
            .await
            .expect("claim");
        assert!(claimed.len() >= 2, "{b}: receipt mails queued");
        app.store
            .mark_failed(
                claimed[0].id,
                "test",
                "relay said 451 try later",
                Some(now + SignedDuration::from_hours(1)),
            )
            .await
            .expect("fail");
        app.store
            .mark_sent(claimed[1].id, "test", now)
            .await
            .expect("sent");

        let team = app.login(ADMIN).await;
        let page = page_text(&team, app.url(&format!("/reports/{id}"))).await;
        for needle in [
            r#"<table id="incoming-mail">"#,
            "Eve &#60;eve@elsewhere.example&#62;",
            "Screenshot ✓",
            "held for the team",
            "2026-11-21T10:00:00",
            &format!(
                r#"href="/reports/{id}/attachments/{stored}" download>poc &#34;x&#34;.png</a>"#
            ),
            "huge.mp4 (above the size limit; not kept)",
            &hex_stub(b"poc"),
            r#"<td class="delivery-failing">failing</td>"#,
            "relay said 451 try later",
            r#"<td class="delivery-sent">sent</td>"#,
        ] {
            assert!(page.contains(needle), "{b}: {needle} in\n{page}");
        }

        let path = format!("/reports/{id}/attachments/{stored}");
        for who in [ADMIN, MEMBER_A] {
            let res = app
                .login(who)
                .await
                .get(app.url(&path))
                .send()
                .await
                .expect("download");
            assert_eq!(res.status(), StatusCode::OK, "{b}: {who}");
            let h = res.headers();
            assert_eq!(h["content-type"], "application/octet-stream", "{b}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{b}");
            assert_eq!(
                h["content-disposition"], "attachment; filename=\"poc _x_.png\"",
                "{b}"
            );
            assert_eq!(res.bytes().await.expect("bytes").as_ref(), PNG, "{b}");
        }
        // Another project's member, a stranger, a skipped or unknown attachment: 404.
        let beta = app.login(MEMBER_B).await;
        for (c, p) in [
            (&beta, path.clone()),
            (&team, format!("/reports/{id}/attachments/{skipped}")),
            (&team, format!("/reports/{id}/attachments/999999")),
            (&team, format!("/reports/{id}/attachments/x")),
        ] {
            let res = c.get(app.url(&p)).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}: {p}");
        }
        let anon = client()
            .get(app.url(&path))
            .send()
            .await
            .expect("anonymous");
        assert_ne!(anon.status(), StatusCode::OK, "{b}: anonymous");
        let body = anon.text().await.unwrap_or_default();
        assert!(!body.contains("<script>alert"), "{b}");
    }
}
