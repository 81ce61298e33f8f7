//! Each role against each report endpoint: invisible reports are 404, never 403.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::page_text;
use crate::support::{TestApp, apps, token_of};

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
            for (m, path, body) in [
                (Method::GET, format!("/api/v1/reports/{ra}"), Value::Null),
                (Method::GET, "/api/v1/reports".to_string(), Value::Null),
                (
                    Method::POST,
                    format!("/api/v1/reports/{ra}/transitions"),
                    ack.clone(),
                ),
                (
                    Method::POST,
                    format!("/api/v1/reports/{ra}/messages"),
                    note.clone(),
                ),
                (
                    Method::PUT,
                    format!("/api/v1/reports/{ra}/record"),
                    record.clone(),
                ),
                (
                    Method::POST,
                    format!("/api/v1/reports/{ru}/route"),
                    route.clone(),
                ),
            ] {
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
