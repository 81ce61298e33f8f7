//! Intake and sign-in are rate limited per address: a flood gets 429 with a
//! `Retry-After`, a clear message, and stores nothing.

use std::time::Duration;

use embargo_store::test_support::fresh_store;
use embargo_web::limit::{Rate, RateLimits};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::post_form;
use crate::support::spawn_app_with;

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_reports_is_refused_after_the_burst() {
    let tight = RateLimits {
        intake: Some(Rate {
            burst: 2,
            every: Duration::from_secs(3600),
        }),
        login: Some(Rate {
            burst: 1,
            every: Duration::from_secs(3600),
        }),
    };
    for (backend, store, db) in fresh_store().await {
        let app = spawn_app_with(backend, store, db, tight).await;
        let body = json!({"project": "alpha", "title": "flood", "description": "d"});
        for _ in 0..2 {
            let (status, _) = app.post_json("/api/v1/reports", None, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{backend}");
        }
        let r = app
            .http
            .post(app.url("/api/v1/reports"))
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{backend}");
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!(
            (3000..=3600).contains(&retry),
            "{backend}: Retry-After {retry}"
        );
        let err: serde_json::Value = r.json().await.expect("json");
        assert_eq!(err["error"]["code"], "rate_limited");
        assert!(
            err["error"]["message"]
                .as_str()
                .expect("message")
                .contains("try again")
        );

        // The form door shares the bucket; the page says so in HTML.
        let r = post_form(
            &app.http,
            app.url("/report"),
            &[("title", "flood"), ("description", "d")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.text().await.expect("text").contains("try again"));

        let (_, list) = app.get_json("/api/v1/reports", Some(&app.admin)).await;
        assert_eq!(
            list["reports"].as_array().expect("list").len(),
            2,
            "{backend}: nothing more stored"
        );

        // Team work is not limited; sign-in is, separately.
        let (status, _) = app.get_json("/api/v1/reports", Some(&app.admin)).await;
        assert_eq!(status, StatusCode::OK);
        let login = |pw: &'static str| {
            app.http
                .post(app.url("/login"))
                .form(&[("email", "nobody@example.org"), ("password", pw)])
                .send()
        };
        assert_eq!(
            login("wrong-password-1").await.expect("login").status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login("wrong-password-2").await.expect("login").status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
