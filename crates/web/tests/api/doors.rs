//! The bounded doors of the HTTP front end (docs/operations.md#http): sign-ins beyond
//! the bound on password hashing are told "busy" (503 with `Retry-After`) instead of
//! queueing; a locked database is a 503 with `Retry-After`, never a 500; sign-in is
//! limited per account as well as per address, with the client address taken from
//! `X-Forwarded-For` only behind a trusted proxy; HSTS on https sites and `base-uri`
//! in the CSP; error messages written for people.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use embargo_app::hashing::HashingLimit;
use embargo_app::{App, Ports, Settings};
use embargo_domain::policy::Policy;
use embargo_formats::cve5::Cna;
use embargo_store::test_support::fresh_store;
use embargo_store::{Organisation, Users};
use embargo_web::limit::{Rate, RateLimits, TrustedProxies};
use embargo_web::{AppState, WebConfig, router};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, MEMBER_A, MEMBER_B, PASSWORD, TestApp, apps, client, email};

/// A second server over `app`'s store with its own settings: another base URL, bound
/// on hashing and web configuration. Served with the peer address, as `serve` does.
async fn serve_with(
    app: &TestApp,
    base_url: Option<&str>,
    hashing: HashingLimit,
    config: WebConfig,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let local = format!("http://{}", listener.local_addr().expect("addr"));
    let settings = Settings {
        base_url: base_url.map_or_else(|| local.clone(), str::to_string),
        organisation: Organisation {
            name: "Example Software Foundation".into(),
            security_email: email("security@example.org"),
        },
        default_policy: Policy::default(),
        cna: Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "example".into(),
            vendor: "Example Software Foundation".into(),
        },
        record_schema: None,
    };
    let state = AppState {
        app: App::new(app.store.clone(), settings, Ports::default()).with_hashing_limit(hashing),
        config,
    };
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, service).await.expect("serve");
    });
    local
}

/// `PASSWORD` hashed with a far higher cost than Embargo's own: checking it keeps the
/// one hashing slot busy for a few seconds, as a flood of sign-ins would.
fn slow_hash() -> String {
    let params = Params::new(19 * 1024, 60, 1, None).expect("params");
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

async fn sign_in(base: &str, who: &str, pw: &str, forwarded: Option<&str>) -> reqwest::Response {
    let mut req = client()
        .post(format!("{base}/login"))
        .form(&[("email", who), ("password", pw)]);
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("sign in")
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ins_beyond_the_hashing_bound_are_told_busy_not_queued() {
    let phc = tokio::task::spawn_blocking(slow_hash).await.expect("hash");
    for app in apps().await {
        let b = app.backend;
        let admin = app
            .store
            .user_by_email(&email(ADMIN))
            .await
            .expect("user")
            .expect("admin");
        app.store.set_password(admin.id, &phc).await.expect("set");
        let one = HashingLimit {
            concurrent: 1,
            waiting: 0,
        };
        let config = WebConfig {
            rate_limits: RateLimits::unlimited(),
            ..WebConfig::default()
        };
        let base = serve_with(&app, None, one, config).await;

        let slow = tokio::spawn({
            let base = base.clone();
            async move {
                let status = sign_in(&base, ADMIN, PASSWORD, None).await.status();
                (status, Instant::now())
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let busy = sign_in(&base, MEMBER_A, PASSWORD, None).await;
        let refused_at = Instant::now();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE, "{b}");
        assert_eq!(busy.headers()["retry-after"], "5", "{b}");
        let page = busy.text().await.expect("page");
        assert!(page.contains("id=\"login-form\""), "{b}: the form again");
        assert!(page.contains("busy; try again"), "{b}: {page}");
        assert!(page.contains(MEMBER_A), "{b}: the address is kept");

        let (status, slow_done) = slow.await.expect("join");
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{b}: the slow sign-in itself succeeds"
        );
        assert!(
            slow_done > refused_at,
            "{b}: the refusal came at once, while the slow check was still running"
        );
        // With the slot free again, sign-ins are checked as before.
        let after = sign_in(&base, MEMBER_A, PASSWORD, None).await;
        assert_eq!(after.status(), StatusCode::SEE_OTHER, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_database_is_busy_503_with_retry_after_and_nothing_stored() {
    // SQLite's one writer: another connection holds the write lock past the busy
    // timeout. (PostgreSQL waits for row locks instead of refusing; its refusals, such
    // as serialization failures and too many connections, are classified in the store.)
    for (backend, store, db) in fresh_store().await {
        if backend != "sqlite" {
            continue;
        }
        let app = crate::support::spawn_app(backend, store, db).await;
        let mut holder = app.store.pool().acquire().await.expect("connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .expect("lock");

        let body = json!({"project": "alpha", "title": "while locked", "description": "d"});
        let api = app.http.post(app.url("/api/v1/reports")).json(&body).send();
        let form = client()
            .post(app.url("/report"))
            .form(&[("title", "while locked"), ("description", "d")])
            .send();
        let (api, form) = tokio::join!(api, form);
        let (api, form) = (api.expect("api"), form.expect("form"));
        assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(api.headers()["retry-after"], "5");
        let err: serde_json::Value = api.json().await.expect("json");
        assert_eq!(err["error"]["code"], "unavailable");
        assert_eq!(
            err["error"]["message"],
            "the service is busy; try again in a few seconds"
        );
        assert_eq!(form.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(form.headers()["retry-after"], "5");
        let page = form.text().await.expect("page");
        assert!(page.contains("busy; try again"), "{page}");
        assert!(!page.contains("locked"), "no database detail: {page}");

        sqlx::query("ROLLBACK")
            .execute(&mut *holder)
            .await
            .expect("unlock");
        drop(holder);
        let (_, list) = app.get_json("/api/v1/reports", Some(&app.admin)).await;
        assert_eq!(list["reports"].as_array().expect("list").len(), 0);
        let (status, _) = app.post_json("/api/v1/reports", None, &body).await;
        assert_eq!(status, StatusCode::CREATED, "taken once the lock is gone");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_limited_per_account_and_per_address_behind_a_trusted_proxy() {
    for app in apps().await {
        let b = app.backend;
        let config = WebConfig {
            rate_limits: RateLimits {
                intake: None,
                login: Some(Rate {
                    burst: 3,
                    every: Duration::from_secs(3600),
                }),
            },
            trusted_proxies: TrustedProxies::parse(&["127.0.0.1"]).expect("proxies"),
        };
        let base = serve_with(&app, None, HashingLimit::default(), config).await;
        // One account guessed from many addresses: its own bucket runs out.
        for i in 1..=3 {
            let from = format!("198.51.100.{i}");
            let r = sign_in(&base, MEMBER_A, "wrong password!!", Some(&from)).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b}: try {i}");
        }
        let r = sign_in(
            &base,
            "Alice@Alpha.example.org",
            PASSWORD,
            Some("198.51.100.4"),
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{b}: a fourth address, the same account (however it is written)"
        );
        assert!(r.headers().contains_key("retry-after"));
        let r = sign_in(&base, MEMBER_B, PASSWORD, Some("198.51.100.4")).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{b}: other accounts sign in"
        );

        // One address trying many accounts: its own bucket runs out.
        for who in [ADMIN, MEMBER_B, "nobody@example.org"] {
            let r = sign_in(&base, who, "wrong password!!", Some("203.0.113.7")).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b}: {who}");
        }
        let r = sign_in(&base, "other@example.org", "x", Some("203.0.113.7")).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{b}");
        // The proxy's own clients behind another address are not held up by it.
        let r = sign_in(&base, "third@example.org", "x", Some("203.0.113.8")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn https_sites_send_hsts_and_every_page_forbids_base() {
    let app = apps().await.into_iter().next().expect("an app");
    let r = app.http.get(app.url("/")).send().await.expect("home");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(csp.contains("base-uri 'none'"), "{csp}");
    assert!(
        !r.headers().contains_key("strict-transport-security"),
        "not on an http site"
    );
    let base = serve_with(
        &app,
        Some("https://security.example.org"),
        HashingLimit::default(),
        WebConfig::default(),
    )
    .await;
    for path in ["/", "/login", "/no-such-page", "/api/v1/reports"] {
        let r = client()
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .contains("base-uri 'none'")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn error_messages_name_values_as_people_wrote_them() {
    for app in apps().await {
        let b = app.backend;
        let (status, err) = app
            .post_json(
                "/api/v1/reports",
                None,
                &json!({"project": "nosuch", "title": "t", "description": "d"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert_eq!(
            err["error"]["message"],
            "project: there is no project \"nosuch\"; leave it empty if you do not know",
            "{b}"
        );
        let (status, err) = app
            .get_json("/api/v1/statistics?project=nosuch", Some(&app.admin))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        let message = err["error"]["message"].as_str().expect("message");
        assert!(
            message.contains("\"nosuch\"") && !message.contains("ProjectSlug"),
            "{b}: {message}"
        );
        let (id, _) = app.submit("unrouted", None).await;
        let (status, err) = app
            .post_json(
                &format!("/api/v1/reports/{id}/route"),
                Some(&app.admin),
                &json!({"project": "nosuch"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {err}");
        let message = err["error"]["message"].as_str().expect("message");
        assert!(
            !message.contains("ProjectSlug(") && message.contains("\"nosuch\""),
            "{b}: {message}"
        );
    }
}
