//! The held list's filters (state, kind of reason, sender, dates) by page and API, and
//! bulk discard (the ticked mails, or all matching a filter), each discard audited.

use embargo_store::{HeldMail, HeldState};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;

use crate::held::{hold_one, org_audit, t0};
use crate::support::{ADMIN, apps, csrf_of, page_text, post_form};

/// The subjects the held page lists, in order.
fn subjects(page: &str) -> Vec<String> {
    page.split("<tr class=\"held-mail\"")
        .skip(1)
        .filter_map(|row| {
            let start = row.find("Held ")?;
            Some(row[start..].split('<').next()?.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_held_list_is_filtered_and_discarded_in_bulk_each_discard_audited() {
    for app in apps().await {
        let b = app.backend;
        let h1 = hold_one(
            &app,
            1,
            "bounce: null envelope sender",
            "MAILER-DAEMON@mx.example",
            0,
        )
        .await;
        let h2 = hold_one(
            &app,
            2,
            "auto_reply: Auto-Submitted: auto-replied",
            "ann@research.example",
            24,
        )
        .await;
        let h3 = hold_one(
            &app,
            3,
            "blocked_sender: sender rule #1",
            "eve@spam.example",
            48,
        )
        .await;
        let h4 = hold_one(
            &app,
            4,
            "throttled_sender: sender rule #2, over 3 reports a day",
            "bot@spam.example",
            72,
        )
        .await;
        let admin = app.login(ADMIN).await;

        // Each filter, kept in the URL.
        let page = page_text(&admin, app.url("/held")).await;
        assert_eq!(
            subjects(&page),
            ["Held 4", "Held 3", "Held 2", "Held 1"],
            "{b}"
        );
        assert!(page.contains("data-matching=\"4\""), "{b}");
        assert!(
            page.contains("senders-link") && page.contains("senders-nav"),
            "{b}"
        );
        for (query, expected) in [
            ("reason=bounce", vec!["Held 1"]),
            ("reason=auto_reply", vec!["Held 2"]),
            ("reason=blocked_sender", vec!["Held 3"]),
            ("reason=throttled_sender", vec!["Held 4"]),
            ("reason=unknown_sender", vec![]),
            ("sender=SPAM.example", vec!["Held 4", "Held 3"]),
            ("sender=%40research", vec!["Held 2"]),
            ("from=2026-06-02&to=2026-06-03", vec!["Held 3", "Held 2"]),
            (
                "from=2026-06-02&sender=spam&reason=blocked_sender",
                vec!["Held 3"],
            ),
        ] {
            let page = page_text(&admin, app.url(&format!("/held?{query}"))).await;
            assert_eq!(subjects(&page), expected, "{b}: {query}");
        }
        let page = page_text(
            &admin,
            app.url("/held?sender=spam.example&reason=blocked_sender"),
        )
        .await;
        assert!(
            page.contains("value=\"spam.example\""),
            "{b}: the form keeps the filter"
        );
        assert!(
            page.contains("<option value=\"blocked_sender\" selected>"),
            "{b}"
        );
        for (query, field) in [
            ("reason=spam", "reason"),
            ("from=yesterday", "from"),
            ("from=2026-06-03&to=2026-06-01", "to"),
            ("state=bogus", "state"),
        ] {
            let res = admin
                .get(app.url(&format!("/held?{query}")))
                .send()
                .await
                .expect("get");
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}: {query}");
            let text = res.text().await.expect("body");
            assert!(text.contains(&format!("{field}:")), "{b}: {query}: {text}");
        }

        // Discard the ticked ones: one audit entry each, as a single discard writes.
        let csrf = csrf_of(&page);
        let res = post_form(
            &admin,
            app.url("/held/discard"),
            &[
                ("csrf", csrf.as_str()),
                ("scope", "selected"),
                (&format!("discard.{h1}"), "on"),
                (&format!("discard.{h2}"), "on"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let location = res.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(location.contains("discarded=2"), "{b}: {location}");
        let page = page_text(&admin, app.url(&location)).await;
        assert!(page.contains("Discarded 2 held mails."), "{b}");
        assert_eq!(app.store.held_count().await.expect("count"), 2, "{b}");
        let actor = format!("user:{ADMIN}");
        assert_eq!(
            org_audit(&app).await,
            [h1, h2]
                .iter()
                .map(|id| (
                    actor.clone(),
                    "held_mail_discarded".to_string(),
                    format!("held mail #{id}")
                ))
                .collect::<Vec<_>>(),
            "{b}"
        );

        // "Discard all matching": only what the filter matched, only what the list showed
        // (a mail received after `as_of` stays).
        let h5 = hold_one(
            &app,
            5,
            "blocked_sender: sender rule #1",
            "eve@spam.example",
            100_000,
        )
        .await;
        let as_of = (t0() + SignedDuration::from_hours(99_999)).to_string();
        let res = post_form(
            &admin,
            app.url("/held/discard"),
            &[
                ("csrf", csrf.as_str()),
                ("scope", "matching"),
                ("state", "held"),
                ("reason", "blocked_sender"),
                ("sender", "spam"),
                ("as_of", as_of.as_str()),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let location = res.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            location.contains("reason=blocked_sender") && location.contains("discarded=1"),
            "{b}: back to the same filter: {location}"
        );
        let held: Vec<i64> = app
            .store
            .held_mails(HeldState::Held, 10)
            .await
            .expect("list")
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            held,
            vec![h5, h4],
            "{b}: h3 discarded; h5 came after the list"
        );
        let (h3_now, _) = app.store.held_mail(h3).await.expect("get").expect("kept");
        assert_eq!(h3_now.state, HeldState::Discarded, "{b}");
        assert_eq!(org_audit(&app).await.len(), 3, "{b}");

        // Bad input changes nothing.
        for fields in [
            vec![("scope", "everything")],
            vec![("scope", "selected")],
            vec![("scope", "matching"), ("state", "discarded")],
            vec![("scope", "matching"), ("as_of", "soon")],
            vec![("scope", "selected"), ("discard.abc", "on")],
        ] {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().copied());
            let res = post_form(&admin, app.url("/held/discard"), &form).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}: {fields:?}");
        }
        let gone = format!("discard.{}", 999_999);
        let res = post_form(
            &admin,
            app.url("/held/discard"),
            &[
                ("csrf", csrf.as_str()),
                ("scope", "selected"),
                (gone.as_str(), "on"),
                (&format!("discard.{h4}"), "on"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        let res = post_form(
            &admin,
            app.url("/held/discard"),
            &[("csrf", "x"), ("scope", "matching")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}: CSRF");
        assert_eq!(app.store.held_count().await.expect("count"), 2, "{b}");
        assert_eq!(org_audit(&app).await.len(), 3, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_held_api_lists_with_filters_and_discards_in_bulk() {
    for app in apps().await {
        let b = app.backend;
        let h1 = hold_one(
            &app,
            1,
            "bounce: null envelope sender",
            "MAILER-DAEMON@mx.example",
            0,
        )
        .await;
        let h2 = hold_one(
            &app,
            2,
            "auto_reply: Out of Office:",
            "ann@research.example",
            24,
        )
        .await;
        let h3 = hold_one(
            &app,
            3,
            "blocked_sender: sender rule #1",
            "eve@spam.example",
            48,
        )
        .await;
        let token = Some(app.admin.as_str());

        let (status, list) = app.get_json("/api/v1/held", token).await;
        assert_eq!(status, StatusCode::OK, "{b}: {list}");
        assert_eq!(list["matching"], 3, "{b}");
        assert_eq!(list["held"], 3, "{b}");
        assert_eq!(list["complete"], true, "{b}");
        let first = &list["mails"][0];
        assert_eq!(first["id"], h3, "{b}: newest first");
        assert_eq!(first["category"], "blocked_sender", "{b}");
        assert_eq!(first["from"], "eve@spam.example", "{b}");
        assert_eq!(first["state"], "held", "{b}");
        let (_, list) = app
            .get_json(
                "/api/v1/held?reason=auto_reply&from=2026-06-02&to=2026-06-02",
                token,
            )
            .await;
        assert_eq!(
            list["mails"].as_array().map(Vec::len),
            Some(1),
            "{b}: {list}"
        );
        assert_eq!(list["mails"][0]["id"], h2, "{b}");
        let (status, err) = app.get_json("/api/v1/held?reason=spam", token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(err["error"]["code"], "invalid_input", "{b}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("reason: \"spam\" is not one of bounce, auto_reply"),
            "{b}: {err}"
        );

        // Bad input changes nothing.
        for body in [
            json!({}),
            json!({"ids": [h1], "matching": {}}),
            json!({"ids": []}),
            json!({"ids": [h1], "as_of": "2026-06-01T00:00:00Z"}),
            json!({"matching": {"state": "discarded"}}),
            json!({"matching": {"reason": "spam"}}),
            json!({"ids": "all"}),
        ] {
            let (status, err) = app.post_json("/api/v1/held/discard", token, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {body}: {err}");
        }
        let (status, _) = app
            .post_json(
                "/api/v1/held/discard",
                token,
                &json!({"ids": [h1, 999_999]}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(app.store.held_count().await.expect("count"), 3, "{b}");

        let (status, done) = app
            .post_json("/api/v1/held/discard", token, &json!({"ids": [h1]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {done}");
        assert_eq!(done, json!({"discarded": 1, "remaining": 0}), "{b}");
        let (status, done) = app
            .post_json(
                "/api/v1/held/discard",
                token,
                &json!({"matching": {"sender": "@spam.example"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {done}");
        assert_eq!(done, json!({"discarded": 1, "remaining": 0}), "{b}");
        assert_eq!(app.store.held_count().await.expect("count"), 1, "{b}");
        assert_eq!(org_audit(&app).await.len(), 2, "{b}: one entry per discard");
        let (_, list) = app.get_json("/api/v1/held?state=discarded", token).await;
        assert_eq!(list["matching"], 2, "{b}");
    }
}
