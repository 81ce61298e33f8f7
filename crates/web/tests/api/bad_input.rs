//! Bad input gets a clear error naming the problem, and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, apps, date_in};
use crate::support::{page_text, post_form};

async fn count(app: &TestApp) -> usize {
    let (_, list) = app.get_json("/api/v1/reports", Some(&app.admin)).await;
    list["reports"].as_array().expect("reports").len()
}

fn submission(title: &str, description: &str) -> Value {
    json!({"project": "alpha", "title": title, "description": description})
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_clearly_and_stores_nothing() {
    for app in apps().await {
        let b = app.backend;
        let before = count(&app).await;

        let (status, err) = app
            .post_json("/api/v1/reports", None, &submission("  ", "details"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(err["error"]["code"], "invalid_input");
        assert!(
            err["error"]["message"]
                .as_str()
                .expect("message")
                .starts_with("title:"),
            "{b}: {err}"
        );

        let big = "x".repeat(300 * 1024);
        let (status, err) = app
            .post_json("/api/v1/reports", None, &submission("Too big", &big))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        assert!(
            err["error"]["message"]
                .as_str()
                .expect("message")
                .contains("description"),
            "{b}: {err}"
        );
        let huge = "x".repeat(600 * 1024);
        let (status, err) = app
            .post_json("/api/v1/reports", None, &submission("Far too big", &huge))
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{b}: {err}");
        assert_eq!(err["error"]["code"], "payload_too_large");

        let res = app
            .http
            .post(app.url("/api/v1/reports"))
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let err: Value = res.json().await.expect("json error");
        assert_eq!(err["error"]["code"], "bad_request", "{b}: {err}");
        let res = app
            .http
            .post(app.url("/api/v1/reports"))
            .body("title=x")
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
        let err: Value = res.json().await.expect("json error");
        assert_eq!(err["error"]["code"], "unsupported_media_type", "{b}");

        let (status, err) = app
            .post_json(
                "/api/v1/reports",
                None,
                &json!({"project": "nope", "title": "t", "description": "d"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            err["error"]["message"]
                .as_str()
                .expect("message")
                .starts_with("project:"),
            "{b}: {err}"
        );

        // The HTML form: the same refusal, shown on the form with what was typed.
        let res = app
            .http
            .post(app.url("/report"))
            .form(&[
                ("project", "alpha"),
                ("title", ""),
                ("description", "kept text"),
            ])
            .send()
            .await
            .expect("form");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        let page = res.text().await.expect("body");
        assert!(
            page.contains(r#"<p class="error">title: must not be empty</p>"#),
            "{b}: {page}"
        );
        assert!(page.contains("kept text"), "{b}");
        let res = post_form(
            &app.http,
            app.url("/report"),
            &[("title", "Too big"), ("description", big.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{b}");
        assert!(
            res.text().await.expect("body").contains("description: is"),
            "{b}"
        );

        let res = post_form(
            &app.http,
            app.url("/report"),
            &[("title", "Far too big"), ("description", huge.as_str())],
        )
        .await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{b}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .expect("ct")
                .starts_with("text/html"),
            "{b}"
        );

        assert_eq!(count(&app).await, before, "{b}: nothing was stored");

        // Transitions with bad fields.
        let (id, _) = app
            .submit(
                "<script>alert('x')</script><img src=x onerror=alert(2)>",
                Some("alpha"),
            )
            .await;
        let cases = [
            (json!({"to": "done"}), StatusCode::BAD_REQUEST, "state:"),
            (
                json!({"to": "rejected"}),
                StatusCode::BAD_REQUEST,
                "reason:",
            ),
            (
                json!({"to": "rejected", "reason": "   "}),
                StatusCode::BAD_REQUEST,
                "reason:",
            ),
            (
                json!({"to": "accepted", "disclosure_date": "2026-13-45"}),
                StatusCode::BAD_REQUEST,
                "disclosure_date:",
            ),
            (
                json!({"to": "accepted", "disclosure_date": "next week"}),
                StatusCode::BAD_REQUEST,
                "disclosure_date:",
            ),
            (
                json!({"to": "accepted", "disclosure_date": date_in(10)}),
                StatusCode::CONFLICT,
                "only an acknowledged report",
            ),
            (json!({"to": "received"}), StatusCode::CONFLICT, ""),
            (json!({"message": "no target"}), StatusCode::BAD_REQUEST, ""),
        ];
        for (body, expected, prefix) in cases {
            let (status, err) = app.transition(&app.member_a, &id, body.clone()).await;
            assert_eq!(status, expected, "{b}: {body}: {err}");
            assert!(
                err["error"]["message"]
                    .as_str()
                    .expect("message")
                    .starts_with(prefix),
                "{b}: {body}: {err}"
            );
        }
        let (status, _) = app
            .transition(&app.member_a, &id, json!({"to": "acknowledged"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let (status, err) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "accepted", "disclosure_date": "2000-01-01"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{b}: a date in the past: {err}"
        );
        let (status, err) = app
            .get_json("/api/v1/reports?state=bogus", Some(&app.admin))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let (status, err) = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                Some(&app.member_a),
                &json!({"kind": "shout", "body": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let (_, view) = app
            .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
            .await;
        assert_eq!(
            view["state"], "acknowledged",
            "{b}: refused steps changed nothing"
        );

        // Hostile HTML is shown as text on the team's page and the reporter's.
        let alice = app.login(crate::support::MEMBER_A).await;
        let page = page_text(&alice, app.url(&format!("/reports/{id}"))).await;
        assert!(
            !page.contains("<script>alert") && !page.contains("<img src=x"),
            "{b}: unescaped HTML"
        );
        let escaped = |s: &str| s.contains("&#60;script&#62;") || s.contains("&lt;script&gt;");
        assert!(escaped(&page), "{b}: escaped title shown: {page}");
        let dashboard = page_text(&alice, app.url("/dashboard")).await;
        assert!(
            !dashboard.contains("<script>alert") && escaped(&dashboard),
            "{b}"
        );
    }
}
