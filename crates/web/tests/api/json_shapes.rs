//! The JSON shape of the team's `GET /api/v1/reports/{id}` and of the reporter's
//! `GET /api/v1/status/{token}`, as insta snapshots (`snapshots/`): one report with fixed
//! content, walked to the reporter's review with a record, a reporter's reply, a team
//! reply and an internal note. The report id, the status token and the server's address
//! are replaced wherever they appear, and times and dates (which follow the clock) are
//! redacted where they are set, so a snapshot changes only when a field or a wording
//! does; every backend must give the same one. Accept an intended change with
//! `cargo insta review` (or `INSTA_UPDATE=always`) and commit the `.snap` files; under
//! `CI=true` a difference fails.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{apps, token_of};

const CVE: &str = "CVE-2026-20077";

/// `[time]` for a time that is set; a `null` stays, as it is part of the shape.
fn time() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value, _| {
        if value.is_nil() {
            value
        } else {
            "[time]".into()
        }
    })
}

/// `value` with each `(from, to)` of `swaps` replaced in every string it holds.
fn replaced(value: Value, swaps: &[(&str, &str)]) -> Value {
    match value {
        Value::String(s) => {
            Value::String(swaps.iter().fold(s, |s, (from, to)| s.replace(from, to)))
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|v| replaced(v, swaps)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, replaced(v, swaps)))
                .collect(),
        ),
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_and_its_status_page_keep_their_json_shape() {
    for app in apps().await {
        let b = app.backend;
        let (id, status_url) = app
            .submit(
                "Session data leaks through the request handler",
                Some("alpha"),
            )
            .await;
        let token = token_of(&status_url).to_string();
        let (status, answer) = app
            .post_json(
                &format!("/api/v1/status/{token}/messages"),
                None,
                &json!({"body": "A second request with a stale cookie shows the same leak."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: reporter reply: {answer}");
        for (kind, body) in [
            ("reply", "Thank you, we can reproduce it."),
            ("note", "Internal: the cache key misses the session id."),
        ] {
            let (status, answer) = app
                .post_json(
                    &format!("/api/v1/reports/{id}/messages"),
                    Some(&app.member_a),
                    &json!({"kind": kind, "body": body}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}: {kind}: {answer}");
        }
        app.walk_to(&id, "reporter_review", CVE).await;

        let (status, team) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.admin))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {team}");
        let (status, reporter) = app.get_json(&format!("/api/v1/status/{token}"), None).await;
        assert_eq!(status, StatusCode::OK, "{b}: {reporter}");

        // `walk_to` accepts with this disclosure date, which mails and messages quote.
        let disclosure = crate::support::date_in(30);
        let swaps = [
            (id.as_str(), "[report id]"),
            (disclosure.as_str(), "[disclosure date]"),
            (token.as_str(), "[status token]"),
            (app.base.as_str(), "[base url]"),
        ];
        insta::assert_json_snapshot!("team_report", replaced(team, &swaps), {
            ".received_at" => time(),
            ".next_due" => time(),
            ".deadlines.acknowledge_by" => time(),
            ".deadlines.discuss_by" => time(),
            ".deadlines.announce_by" => time(),
            ".disclosure_date" => "[disclosure date]",
            ".messages[].created_at" => time(),
            ".audit[].at" => time(),
        });
        insta::assert_json_snapshot!("reporter_status", replaced(reporter, &swaps), {
            ".messages[].created_at" => time(),
        });
    }
}
