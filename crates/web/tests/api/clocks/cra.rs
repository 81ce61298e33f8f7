//! The CRA stages on both backends (docs/cra.md): a report flagged as actively
//! exploited, its three stages reminded, escalated and marked done, each nudge once
//! across two nodes and a restart, the final report counted from the fix, and each
//! stage's draft exported and refused to another project's member.

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{audit, count, h, mails};
use crate::statement_reminders::node;
use crate::support::{MEMBER_A, MEMBER_B, TestApp, apps, record_json};
use embargo_store::Cves;

/// From accepted to fixed, as the organisation admin.
async fn fix(app: &TestApp, id: &str, cve: &str) {
    let b = app.backend;
    app.store
        .add_to_pool(&[embargo_domain::ids::CveId::parse(cve).expect("cve")])
        .await
        .expect("pool");
    for body in [
        json!({"to": "cve_requested", "summary": "Leak in the request handler"}),
        json!({"to": "cve_assigned", "cve": cve}),
    ] {
        let (status, v) = app.transition(&app.admin, id, body).await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
    }
    let (status, v) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/reports/{id}/record"),
            Some(&app.admin),
            &record_json(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}: {v}");
    for body in [
        json!({"to": "reporter_review"}),
        json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/commit/abc123", "release_ref": "1.4.1"}),
    ] {
        let (status, v) = app.transition(&app.admin, id, body).await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
    }
}

async fn clocks(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, v) = app
        .get_json(&format!("/api/v1/reports/{id}/clocks"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {v}", app.backend);
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exploited_report_runs_the_three_cra_stages() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Exploited in the wild", Some("alpha")).await;
        app.walk_to(&id, "accepted", "").await;
        let aware = Timestamp::from_second(Timestamp::now().as_second() - 7200).expect("time");
        let path = format!("/api/v1/reports/{id}/exploited");
        // Refused: a time in the future, nonsense, another project's member.
        for bad in [
            json!({"aware_at": (Timestamp::now() + h(5)).to_string()}),
            json!({"aware_at": "last week"}),
        ] {
            let (status, v) = app.post_json(&path, Some(&app.member_a), &bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {v}");
            assert!(v.to_string().contains("aware_at"), "{b}: {v}");
        }
        let body = json!({"aware_at": aware.to_string()});
        let (status, _) = app.post_json(&path, Some(&app.member_b), &body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(
            clocks(&app, &app.member_a, &id).await["clocks"],
            json!([]),
            "{b}: nothing changed"
        );

        let (status, v) = app.post_json(&path, Some(&app.member_a), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {v}");
        assert_eq!(v["exploited_since"], aware.to_string(), "{b}");
        let running: Vec<&str> = v["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .map(|c| c["clock"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            running,
            ["cra_early_warning", "cra_notification"],
            "{b}: no final report before the fix"
        );
        let (status, _) = app.post_json(&path, Some(&app.member_a), &body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: flagged once");
        assert!(
            count(&audit(&app, &id).await, "exploited actively exploited") == 1,
            "{b}"
        );

        // Early warning: reminded 12 h after awareness, escalated at 24 h, once each.
        let (one, two) = (node(&app), node(&app));
        assert_eq!(
            one.nudge_deadlines(aware + h(13)).await.expect("pass"),
            1,
            "{b}: early warning reminder"
        );
        let (x, y) = tokio::join!(
            one.nudge_deadlines(aware + h(25)),
            two.nudge_deadlines(aware + h(25))
        );
        assert_eq!(
            x.expect("pass") + y.expect("pass"),
            1,
            "{b}: early warning escalation once"
        );
        // The team sends the notification: marked done, its clock stops.
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/cra/notification/done"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
        assert_eq!(
            node(&app)
                .nudge_deadlines(aware + h(80))
                .await
                .expect("pass"),
            0,
            "{b}: nothing for a done stage"
        );
        let log = audit(&app, &id).await;
        assert_eq!(count(&log, "reminder cra_early_warning"), 1, "{b}: {log:?}");
        assert_eq!(
            count(&log, "escalation cra_early_warning"),
            1,
            "{b}: {log:?}"
        );
        assert_eq!(
            count(&log, "escalation cra_notification"),
            0,
            "{b}: {log:?}"
        );
        assert_eq!(count(&log, "cra_done notification"), 1, "{b}: {log:?}");
        let sent = mails(&app, &id).await;
        assert!(
            sent.iter()
                .any(|(to, s)| to == "security@example.org"
                    && s.contains("Overdue: cra_early_warning")),
            "{b}: {sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_final_report_counts_from_the_fix_and_every_stage_has_a_draft() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Exploited and fixed", Some("alpha")).await;
        app.walk_to(&id, "accepted", "").await;
        let aware = Timestamp::from_second(Timestamp::now().as_second() - 7200).expect("time");
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/exploited"),
                Some(&app.member_a),
                &json!({"aware_at": aware.to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {v}");
        // The first two stages sent in time: only the final report's clock is left.
        for stage in ["early_warning", "notification"] {
            let (status, v) = app
                .post_json(
                    &format!("/api/v1/reports/{id}/cra/{stage}/done"),
                    Some(&app.member_a),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{b}: {v}");
        }
        let one = node(&app);
        // The final report: not before the fix; 14 days after it.
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/cra/final_report/done"),
                Some(&app.member_a),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {v}");
        fix(&app, &id, "CVE-2026-20003").await;
        let fixed = Timestamp::now();
        let c = clocks(&app, &app.member_a, &id).await;
        let last = c["clocks"]
            .as_array()
            .expect("clocks")
            .iter()
            .find(|c| c["clock"] == "cra_final_report")
            .expect("final report clock");
        let due: Timestamp = last["due"].as_str().expect("due").parse().expect("time");
        assert!(
            due.duration_since(fixed + h(24 * 14)).abs() < SignedDuration::from_mins(5),
            "{b}: {c}"
        );
        assert_eq!(
            one.nudge_deadlines(due - h(24 * 3) + h(1))
                .await
                .expect("pass"),
            1,
            "{b}: final report reminder"
        );
        assert_eq!(
            one.nudge_deadlines(due + h(1)).await.expect("pass"),
            1,
            "{b}: final report escalation"
        );

        // Drafts: JSON and text, marked embargoed, refused to another project's member.
        let (status, d) = app
            .get_json(
                &format!("/api/v1/reports/{id}/cra/notification"),
                Some(&app.member_a),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {d}");
        assert_eq!(
            d["marking"], "EMBARGOED DRAFT - team only, do not forward",
            "{b}"
        );
        let field = |name: &str| {
            d["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .find(|f| f["name"] == name)
                .map(|f| f["value"].clone())
        };
        assert_eq!(field("CVE"), Some(json!("CVE-2026-20003")), "{b}: {d}");
        assert_eq!(field("Product"), Some(json!("Example Alpha")), "{b}: {d}");
        let (status, _) = app
            .get_json(
                &format!("/api/v1/reports/{id}/cra/notification"),
                Some(&app.member_b),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
        let (status, _) = app
            .get_json(
                &format!("/api/v1/reports/{id}/cra/later"),
                Some(&app.member_a),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        let alice = app.login(MEMBER_A).await;
        let text = alice
            .get(app.url(&format!("/reports/{id}/cra/final_report.txt")))
            .send()
            .await
            .expect("get");
        assert_eq!(text.status(), StatusCode::OK, "{b}");
        let text = text.text().await.expect("text");
        assert!(
            text.starts_with("EMBARGOED DRAFT")
                && text.contains("Fixed by https://git.example.org/alpha/commit/abc123"),
            "{b}: {text}"
        );
        let bob = app.login(MEMBER_B).await;
        let refused = bob
            .get(app.url(&format!("/reports/{id}/cra/final_report.txt")))
            .send()
            .await
            .expect("get");
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{b}");
        // The page shows the clocks.
        let page = alice
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("text");
        assert!(
            page.contains("id=\"clocks-section\"")
                && page.contains("data-clock=\"cra_final_report\""),
            "{b}"
        );
    }
}
