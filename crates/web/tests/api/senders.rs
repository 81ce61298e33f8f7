//! The organisation team's sender rules, by page (CSRF-checked forms) and by the API:
//! block or throttle an address or domain with a reason, lift it with a reason, each
//! audited; bad input refused with a message naming the field, changing nothing.
//! (What a rule does to mail is tested at intake, in the mail crate.)

use embargo_store::{HeldMail, NewHeldMail};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::held::org_audit;
use crate::support::{ADMIN, apps, csrf_of, page_text, post_form};

fn rule_ids(list: &Value) -> Vec<i64> {
    list["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_team_blocks_throttles_and_lifts_senders_by_page() {
    for app in apps().await {
        let b = app.backend;
        let raw = b"From: Mallory <Mallory@Example.com>\r\nSubject: URGENT\r\n\r\nx\r\n";
        let held = app
            .store
            .hold_mail(&NewHeldMail {
                message_id: "m1@example.com",
                raw,
                reason: "bounce: test",
                from: Some("Mallory@Example.com"),
                subject: "URGENT",
                received_at: Timestamp::now(),
            })
            .await
            .expect("hold")
            .expect("new");
        let admin = app.login(ADMIN).await;
        assert!(
            page_text(&admin, app.url("/dashboard"))
                .await
                .contains("id=\"senders-nav\" href=\"/senders\""),
            "{b}: the team navigation links the page"
        );

        // "Block sender…" on a held row fills the form with its sender.
        let page = page_text(&admin, app.url("/held")).await;
        assert!(
            page.contains(&format!("href=\"/senders?held={held}\"")),
            "{b}"
        );
        let page = page_text(&admin, app.url(&format!("/senders?held={held}"))).await;
        assert!(page.contains("value=\"Mallory@Example.com\""), "{b}");
        assert!(page.contains("@example.com"), "{b}: the domain is offered");
        assert!(
            page.contains("senders-nav") && page.contains("id=\"held-link\""),
            "{b}"
        );
        let csrf = csrf_of(&page);

        let res = post_form(
            &admin,
            app.url("/senders"),
            &[
                ("csrf", csrf.as_str()),
                ("pattern", "Mallory@Example.com"),
                ("action", "block"),
                ("per_day", ""),
                ("reason", "Fake reports, three times"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = post_form(
            &admin,
            app.url("/senders"),
            &[
                ("csrf", csrf.as_str()),
                ("pattern", "scanner.example"),
                ("action", "throttle"),
                ("per_day", "5"),
                ("reason", "Automated scanner output"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let page = page_text(&admin, app.url("/senders")).await;
        assert!(page.contains("<code>mallory@example.com</code>"), "{b}");
        assert!(page.contains("<code>@scanner.example</code>"), "{b}");
        assert!(page.contains("throttle: 5 a day"), "{b}");
        assert!(page.contains("Fake reports, three times"), "{b}");
        assert!(page.contains("sender_rule_added"), "{b}: the audit log");

        // Bad input: refused with the field named, nothing added.
        for (fields, field) in [
            (
                vec![("pattern", ""), ("action", "block"), ("reason", "r")],
                "pattern",
            ),
            (
                vec![("pattern", "example"), ("action", "block"), ("reason", "r")],
                "pattern",
            ),
            (
                vec![
                    ("pattern", "a@b.example"),
                    ("action", "ban"),
                    ("reason", "r"),
                ],
                "action",
            ),
            (
                vec![
                    ("pattern", "a@b.example"),
                    ("action", "throttle"),
                    ("per_day", "0"),
                    ("reason", "r"),
                ],
                "per_day",
            ),
            (
                vec![
                    ("pattern", "a@b.example"),
                    ("action", "throttle"),
                    ("per_day", "lots"),
                    ("reason", "r"),
                ],
                "per_day",
            ),
            (
                vec![
                    ("pattern", "a@b.example"),
                    ("action", "block"),
                    ("reason", "  "),
                ],
                "reason",
            ),
            (
                vec![
                    ("pattern", "@example.org"),
                    ("action", "block"),
                    ("reason", "r"),
                ],
                "pattern",
            ),
            (
                vec![
                    ("pattern", "security@alpha.example.org"),
                    ("action", "block"),
                    ("reason", "r"),
                ],
                "pattern",
            ),
        ] {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().copied());
            let res = post_form(&admin, app.url("/senders"), &form).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}: {fields:?}");
            let text = res.text().await.expect("body");
            assert!(
                text.contains(&format!("{field}:")),
                "{b}: {fields:?}: {text}"
            );
        }
        let res = post_form(
            &admin,
            app.url("/senders"),
            &[
                ("csrf", csrf.as_str()),
                ("pattern", "MALLORY@example.com"),
                ("action", "throttle"),
                ("reason", "again"),
            ],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::CONFLICT,
            "{b}: one rule in force per sender"
        );
        let (_, list) = app.get_json("/api/v1/senders", Some(&app.admin)).await;
        let ids = rule_ids(&list);
        assert_eq!(ids.len(), 2, "{b}: {list}");

        // Lifting needs a reason; the lifted rule keeps who and why.
        let lift = format!("/senders/{}/lift", ids[0]);
        let res = post_form(
            &admin,
            app.url(&lift),
            &[("csrf", csrf.as_str()), ("reason", "")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let res = post_form(&admin, app.url(&lift), &[("csrf", "x"), ("reason", "ok")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{b}: CSRF");
        let res = post_form(
            &admin,
            app.url(&lift),
            &[("csrf", csrf.as_str()), ("reason", "They apologised")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}");
        let res = post_form(
            &admin,
            app.url(&lift),
            &[("csrf", csrf.as_str()), ("reason", "again")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{b}");
        let res = post_form(
            &admin,
            app.url("/senders/424242/lift"),
            &[("csrf", csrf.as_str()), ("reason", "r")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        let page = page_text(&admin, app.url("/senders?show=lifted")).await;
        assert!(
            page.contains("They apologised") && page.contains("mallory@example.com"),
            "{b}"
        );
        let page = page_text(&admin, app.url("/senders")).await;
        assert!(
            !page.contains("<code>mallory@example.com</code>"),
            "{b}: no longer in force"
        );

        let actor = format!("user:{ADMIN}");
        assert_eq!(
            org_audit(&app).await,
            vec![
                (
                    actor.clone(),
                    "sender_rule_added".into(),
                    format!("sender rule #{}: block, address", ids[0])
                ),
                (
                    actor.clone(),
                    "sender_rule_added".into(),
                    format!("sender rule #{}: throttle to 5 a day, domain", ids[1])
                ),
                (
                    actor.clone(),
                    "sender_rule_lifted".into(),
                    format!("sender rule #{}", ids[0])
                ),
            ],
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sender_rules_api_adds_lists_and_lifts() {
    for app in apps().await {
        let b = app.backend;
        let token = Some(app.admin.as_str());
        let (status, rule) = app
            .post_json(
                "/api/v1/senders",
                token,
                &json!({"pattern": "@Spam.Example", "action": "throttle", "reason": "scanner flood"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {rule}");
        assert_eq!(rule["pattern"], "@spam.example", "{b}");
        assert_eq!(rule["scope"], "domain", "{b}");
        assert_eq!(rule["action"], "throttle", "{b}");
        assert_eq!(rule["per_day"], 3, "{b}: the default");
        assert_eq!(rule["created_by"], ADMIN, "{b}");
        assert_eq!(rule["lifted_at"], Value::Null, "{b}");
        let id = rule["id"].as_i64().expect("id");

        for (body, status, field) in [
            (
                json!({"pattern": "x@y.example", "action": "block"}),
                StatusCode::BAD_REQUEST,
                "reason",
            ),
            (
                json!({"pattern": "x@y.example", "action": "block", "per_day": 2, "reason": "r"}),
                StatusCode::BAD_REQUEST,
                "per_day",
            ),
            (
                json!({"pattern": "x@y.example", "action": "throttle", "per_day": 1001, "reason": "r"}),
                StatusCode::BAD_REQUEST,
                "per_day",
            ),
            (
                json!({"pattern": "x@y.example", "action": "throttle", "per_day": -1, "reason": "r"}),
                StatusCode::BAD_REQUEST,
                "",
            ),
            (
                json!({"pattern": "x".repeat(300), "action": "block", "reason": "r"}),
                StatusCode::BAD_REQUEST,
                "pattern",
            ),
            (
                json!({"pattern": "x@y.example", "action": "block", "reason": "r".repeat(301)}),
                StatusCode::BAD_REQUEST,
                "reason",
            ),
            (
                json!({"pattern": "spam.example", "action": "block", "reason": "r"}),
                StatusCode::CONFLICT,
                "",
            ),
        ] {
            let (got, err) = app.post_json("/api/v1/senders", token, &body).await;
            assert_eq!(got, status, "{b}: {body}: {err}");
            let message = err["error"]["message"].as_str().unwrap_or("");
            assert!(message.starts_with(field), "{b}: {body}: {err}");
        }
        let (_, list) = app.get_json("/api/v1/senders", token).await;
        assert_eq!(rule_ids(&list), vec![id], "{b}: nothing else added");

        let (status, err) = app
            .post_json(&format!("/api/v1/senders/{id}/lift"), token, &json!({}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let (status, lifted) = app
            .post_json(
                &format!("/api/v1/senders/{id}/lift"),
                token,
                &json!({"reason": "over"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {lifted}");
        assert_eq!(lifted["lift_reason"], "over", "{b}");
        assert_eq!(lifted["lifted_by"], ADMIN, "{b}");
        let (status, _) = app
            .post_json(
                &format!("/api/v1/senders/{id}/lift"),
                token,
                &json!({"reason": "over"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        for (path, status) in [
            ("/api/v1/senders/999999/lift", StatusCode::NOT_FOUND),
            ("/api/v1/senders/abc/lift", StatusCode::BAD_REQUEST),
        ] {
            let (got, err) = app.post_json(path, token, &json!({"reason": "r"})).await;
            assert_eq!(got, status, "{b}: {path}: {err}");
        }
        let (_, list) = app.get_json("/api/v1/senders", token).await;
        assert_eq!(rule_ids(&list), Vec::<i64>::new(), "{b}");
        let (_, list) = app.get_json("/api/v1/senders?lifted=true", token).await;
        assert_eq!(rule_ids(&list), vec![id], "{b}");
        let (status, _) = app.get_json("/api/v1/senders?lifted=maybe", token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
    }
}
