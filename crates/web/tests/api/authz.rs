//! Each role against each report endpoint: invisible reports are 404, never 403; and
//! a browser session never authenticates the JSON API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, page_text};
use crate::support::{TestApp, apps, record_json, token_of};

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> StatusCode {
    app.send_json(method, path, token, body).await.0
}

fn ids(list: &Value) -> Vec<String> {
    list["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_against_each_report_endpoint() {
    for app in apps().await {
        let b = app.backend;
        let (ra, link_a) = app.submit("Alpha private problem", Some("alpha")).await;
        let (rb, _) = app.submit("Beta private problem", Some("beta")).await;
        let (ru, _) = app.submit("Nobody knows which project", None).await;
        let (_rx, link_x) = app.submit("Another reporter report", Some("alpha")).await;
        let token_x = token_of(&link_x).to_string();
        let ack = json!({"to": "acknowledged"});
        let note = json!({"kind": "note", "body": "internal-note-7731"});
        let record = crate::support::record_json();
        let route = json!({"project": "beta"});

        // Anonymous and a reporter presenting their status token as a bearer: 401 on every team endpoint.
        for token in [None, Some(token_x.as_str()), Some("not-a-token")] {
            for (m, path, body, _) in member_routes(&ra, &ru, &rb) {
                let (status, err) = app.send_json(m.clone(), &path, token, &body).await;
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{b}: {m} {path} as {token:?}"
                );
                assert_eq!(err["error"]["code"], "unauthenticated", "{b}");
            }
        }

        // The member of beta: alpha's and the unrouted report do not exist for them.
        let nobody = "EMB-0000000000AA";
        let (status, missing) = app
            .get_json(&format!("/api/v1/reports/{nobody}"), Some(&app.member_b))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        for r in [&ra, &ru] {
            let (status, body) = app
                .get_json(&format!("/api/v1/reports/{r}"), Some(&app.member_b))
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
            assert_eq!(
                body, missing,
                "{b}: the same answer as for an id that does not exist"
            );
            assert_eq!(
                call(
                    &app,
                    Method::POST,
                    &format!("/api/v1/reports/{r}/transitions"),
                    Some(&app.member_b),
                    &ack
                )
                .await,
                StatusCode::NOT_FOUND,
                "{b}"
            );
            assert_eq!(
                call(
                    &app,
                    Method::POST,
                    &format!("/api/v1/reports/{r}/messages"),
                    Some(&app.member_b),
                    &note
                )
                .await,
                StatusCode::NOT_FOUND,
                "{b}"
            );
            assert_eq!(
                call(
                    &app,
                    Method::PUT,
                    &format!("/api/v1/reports/{r}/record"),
                    Some(&app.member_b),
                    &record
                )
                .await,
                StatusCode::NOT_FOUND,
                "{b}"
            );
            assert_eq!(
                call(
                    &app,
                    Method::POST,
                    &format!("/api/v1/reports/{r}/route"),
                    Some(&app.member_b),
                    &route
                )
                .await,
                StatusCode::NOT_FOUND,
                "{b}"
            );
        }
        let (_, list_b) = app.get_json("/api/v1/reports", Some(&app.member_b)).await;
        assert_eq!(
            ids(&list_b),
            vec![rb.clone()],
            "{b}: beta's member lists only beta's report"
        );
        let (_, filtered) = app
            .get_json("/api/v1/reports?project=alpha", Some(&app.member_b))
            .await;
        assert!(
            ids(&filtered).is_empty(),
            "{b}: filtering on another project shows nothing"
        );

        // The member of alpha: sees and acts on alpha's reports, not beta's nor unrouted ones.
        let (status, view) = app
            .get_json(&format!("/api/v1/reports/{ra}"), Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(view["title"], "Alpha private problem");
        assert_eq!(view["reporter"]["email"], "rita@research.example.net");
        assert_eq!(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/reports/{rb}"),
                Some(&app.member_a),
                &Value::Null
            )
            .await,
            StatusCode::NOT_FOUND,
            "{b}"
        );
        let mut list_a = ids(&app.get_json("/api/v1/reports", Some(&app.member_a)).await.1);
        list_a.sort();
        assert_eq!(list_a.len(), 2, "{b}: alpha's two reports");
        assert!(
            list_a.contains(&ra) && !list_a.contains(&rb) && !list_a.contains(&ru),
            "{b}"
        );
        assert_eq!(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/reports/{ra}/transitions"),
                Some(&app.member_a),
                &ack
            )
            .await,
            StatusCode::OK,
            "{b}"
        );
        assert_eq!(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/reports/{ra}/messages"),
                Some(&app.member_a),
                &note
            )
            .await,
            StatusCode::CREATED,
            "{b}"
        );
        // Visible but not allowed: the lifecycle refuses a record before acceptance (409),
        // and routing is the organisation team's (403), where 404 would be a lie.
        assert_eq!(
            call(
                &app,
                Method::PUT,
                &format!("/api/v1/reports/{ra}/record"),
                Some(&app.member_a),
                &record
            )
            .await,
            StatusCode::CONFLICT,
            "{b}"
        );
        assert_eq!(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/reports/{ra}/route"),
                Some(&app.member_a),
                &route
            )
            .await,
            StatusCode::FORBIDDEN,
            "{b}"
        );
        assert_eq!(
            call(
                &app,
                Method::POST,
                &format!("/api/v1/reports/{ru}/route"),
                Some(&app.member_a),
                &route
            )
            .await,
            StatusCode::NOT_FOUND,
            "{b}"
        );

        // The organisation team: everything, including routing the unrouted report.
        let all = ids(&app.get_json("/api/v1/reports", Some(&app.admin)).await.1);
        assert_eq!(all.len(), 4, "{b}: {all:?}");
        let (_, unrouted) = app
            .get_json(&format!("/api/v1/reports/{ru}"), Some(&app.admin))
            .await;
        assert!(unrouted["project"].is_null(), "{b}");
        let (status, view) = app
            .post_json(
                &format!("/api/v1/reports/{ru}/route"),
                Some(&app.admin),
                &route,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {view}");
        assert_eq!(view["project"]["slug"], "beta");
        let (_, list_b) = app.get_json("/api/v1/reports", Some(&app.member_b)).await;
        assert!(
            ids(&list_b).contains(&ru),
            "{b}: routed to beta, beta's member now sees it"
        );
        assert_eq!(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/reports/{ru}"),
                Some(&app.member_b),
                &Value::Null
            )
            .await,
            StatusCode::OK,
            "{b}"
        );

        // Reporters: their link shows their own report and nothing else.
        let (status, own) = app
            .get_json(&format!("/api/v1/status/{token_x}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(own["title"], "Another reporter report");
        let (_, page_x) = app.get(&format!("/status/{token_x}"), None).await;
        assert!(
            !page_x.contains("Alpha private problem") && !page_x.contains("internal-note-7731"),
            "{b}"
        );
        let (_, view_a) = app
            .get_json(&format!("/api/v1/status/{}", token_of(&link_a)), None)
            .await;
        assert!(
            !view_a.to_string().contains("internal-note-7731"),
            "{b}: internal notes never reach the reporter"
        );
        for bad in [
            format!("/api/v1/status/{ra}"),
            format!("/api/v1/status/{}", "0".repeat(64)),
            format!("/status/{}", "0".repeat(64)),
        ] {
            assert_eq!(
                app.get(&bad, None).await.0,
                StatusCode::NOT_FOUND,
                "{b}: {bad}"
            );
        }
        let (status, _) = app
            .post_json(
                &format!("/api/v1/status/{}/messages", "0".repeat(64)),
                None,
                &json!({"body": "hi"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");

        // The HTML report page follows the same rule.
        let bob = app.login(crate::support::MEMBER_B).await;
        let res = bob
            .get(app.url(&format!("/reports/{ra}")))
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{b}");
        assert!(
            !res.text()
                .await
                .expect("body")
                .contains("Alpha private problem"),
            "{b}"
        );
        let res = crate::support::client()
            .get(app.url(&format!("/reports/{ra}")))
            .send()
            .await
            .expect("page");
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{b}: anonymous is sent to sign in"
        );
        assert_eq!(res.headers()["location"], "/login");
        let alice = app.login(crate::support::MEMBER_A).await;
        let page = page_text(&alice, app.url("/dashboard")).await;
        assert!(
            page.contains(&format!(
                r#"<a class="report-link" href="/reports/{ra}">Alpha private problem</a>"#
            )),
            "{b}: {page}"
        );
        assert!(
            !page.contains(&rb) && !page.contains("Beta private problem"),
            "{b}"
        );
    }
}

/// `method path` with `body`, sent by `client` (with whatever cookies it holds) and,
/// given `token`, an `Authorization: Bearer` header.
async fn send_as(
    app: &TestApp,
    client: &reqwest::Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut req = client.request(method, app.url(path)).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Every `/api/v1` route that needs a team member (see router.rs), with a body and the
/// status the organisation admin's bearer token gets when they are sent in this order:
/// `ra` is an alpha report with a CVE assigned, `ru` an unrouted one, `rs` one of alpha
/// to merge into `ra`. Other callers get their refusal before any body is looked at.
fn member_routes(ra: &str, ru: &str, rs: &str) -> Vec<(Method, String, Value, StatusCode)> {
    vec![
        (
            Method::GET,
            "/api/v1/reports".into(),
            Value::Null,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{ra}"),
            Value::Null,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{ra}/messages"),
            json!({"kind": "note", "body": "note-by-cookie-5521"}),
            StatusCode::CREATED,
        ),
        (
            Method::PUT,
            format!("/api/v1/reports/{ra}/record"),
            record_json(),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{ra}/transitions"),
            json!({"to": "reporter_review"}),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{ra}/record/transitions"),
            json!({"to": "review"}),
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("/api/v1/reports/{ra}/record/versions"),
            Value::Null,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{ru}/route"),
            json!({"project": "beta"}),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{rs}/merge"),
            json!({"into": ra}),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/v1/reports/{ra}/split"),
            json!({}),
            StatusCode::CREATED,
        ),
    ]
}

/// A signed-in browser session is no credential for `/api/v1`: the API has no CSRF
/// tokens, so a session that authenticated it could be ridden from any page the
/// member visits. Only the bearer token counts there, and the cookie changes nothing
/// on the public API routes either.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_cookie_never_authenticates_the_api() {
    for app in apps().await {
        let b = app.backend;
        let (ra, link_a) = app.submit("Cookie-ridden report", Some("alpha")).await;
        app.walk_to(&ra, "cve_assigned", "CVE-2026-47001").await;
        let (ru, _) = app.submit("Cookie-ridden unrouted report", None).await;
        let (rs, _) = app.submit("Cookie-ridden duplicate", Some("alpha")).await;
        let id = |r: &str| format!("/api/v1/reports/{r}");
        let (_, before) = app.get_json(&id(&ra), Some(&app.admin)).await;

        // The organisation admin, signed in: the session works where sessions belong.
        let admin = app.login(ADMIN).await;
        let res = admin.get(app.url(&format!("/reports/{ra}"))).send().await;
        assert_eq!(
            res.expect("page").status(),
            StatusCode::OK,
            "{b}: the session is valid"
        );

        // The same session, with no Authorization header: 401 in JSON on every member
        // route, reads and writes alike.
        let routes = member_routes(&ra, &ru, &rs);
        for (m, path, body, _) in &routes {
            let (status, err) = send_as(&app, &admin, m.clone(), path, None, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{b}: {m} {path} with a session cookie: {err}"
            );
            assert_eq!(err["error"]["code"], "unauthenticated", "{b}: {m} {path}");
            assert!(err["error"]["message"].is_string(), "{b}: {err}");
        }
        // ... and none of those writes happened.
        let (_, after) = app.get_json(&id(&ra), Some(&app.admin)).await;
        assert_eq!(after, before, "{b}: the report is untouched");
        let (_, unrouted) = app.get_json(&id(&ru), Some(&app.admin)).await;
        assert!(unrouted["project"].is_null(), "{b}: {unrouted}");
        let (_, source) = app.get_json(&id(&rs), Some(&app.admin)).await;
        assert_eq!(source["state"], "received", "{b}: {source}");
        let (_, all) = app.get_json("/api/v1/reports", Some(&app.admin)).await;
        assert_eq!(ids(&all).len(), 3, "{b}: nothing split off: {all}");

        // The same routes with the bearer token work, cookie or no cookie.
        for (m, path, body, expected) in &routes {
            let (status, view) =
                send_as(&app, &admin, m.clone(), path, Some(&app.admin), body).await;
            assert_eq!(status, *expected, "{b}: {m} {path} with a token: {view}");
        }
        let (_, merged) = app.get_json(&id(&rs), Some(&app.admin)).await;
        assert_eq!(merged["state"], "merged", "{b}: {merged}");

        // The public API routes answer the cookie exactly as they answer nobody.
        let anonymous = crate::support::client();
        let token_a = token_of(&link_a);
        for path in [
            format!("/api/v1/status/{token_a}"),
            "/api/v1/advisories".to_string(),
            "/api/v1/openapi.json".to_string(),
            format!("/api/v1/status/{}", "0".repeat(64)),
        ] {
            let without = send_as(&app, &anonymous, Method::GET, &path, None, &Value::Null).await;
            let with = send_as(&app, &admin, Method::GET, &path, None, &Value::Null).await;
            assert_eq!(with, without, "{b}: GET {path}");
        }
        let reply = json!({"body": "a reply from the reporter"});
        let path = format!("/api/v1/status/{token_a}/messages");
        let (s1, v1) = send_as(&app, &anonymous, Method::POST, &path, None, &reply).await;
        let (s2, v2) = send_as(&app, &admin, Method::POST, &path, None, &reply).await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED), "{b}");
        let messages = |v: &Value| v["messages"].as_array().map_or(0, Vec::len);
        assert_eq!(messages(&v2), messages(&v1) + 1, "{b}: {v2}");
        assert_eq!(v1["state"], v2["state"], "{b}");
        let submission = json!({
            "project": "beta",
            "title": "Submitted with and without a cookie",
            "description": "Steps to reproduce: none needed.",
            "reporter_name": "Rita Reporter",
            "reporter_email": "rita@research.example.net",
        });
        for client in [&anonymous, &admin] {
            let (status, created) = send_as(
                &app,
                client,
                Method::POST,
                "/api/v1/reports",
                None,
                &submission,
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{b}: {created}");
            assert_eq!(created["state"], "received", "{b}");
        }
        let bad = json!({"title": ""});
        let without = send_as(
            &app,
            &anonymous,
            Method::POST,
            "/api/v1/reports",
            None,
            &bad,
        )
        .await;
        let with = send_as(&app, &admin, Method::POST, "/api/v1/reports", None, &bad).await;
        assert_eq!(with, without, "{b}: a refused submission");
        assert_eq!(with.0, StatusCode::BAD_REQUEST, "{b}: {}", with.1);
    }
}
