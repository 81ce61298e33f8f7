//! The clocks that start on an event, the CRA stages and the overdue board, on both
//! backends, with "now" in the test's hands (docs/clocks.md, docs/cra.md): a silent
//! reporter reminded once and then the team told, and nothing once the reporter
//! answers; the CVE record's 24 h reminder and 72 h escalation; a report flagged as
//! actively exploited, its three stages reminded, escalated, marked done and drafted;
//! each nudge once across two nodes and a restart; deadlines and reminder times in
//! each project's zone and calendar; the board grouped by project and scoped to the
//! member.

use embargo_domain::ids::{ProjectSlug, ReportId};
use embargo_domain::intake::NewReport;
use embargo_domain::lifecycle::receive;
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::report::{Channel, ProjectRef};
use embargo_domain::token::Token;
use embargo_store::{ProjectInput, Projects, Reports};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod cra;

use crate::statement_reminders::{node, other_node};
use crate::support::{MEMBER_A, TestApp, apps, email, record_json};

fn h(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

/// (first recipient, subject) of the report's queued mails.
async fn mails(app: &TestApp, id: &str) -> Vec<(String, String)> {
    app.store
        .outbox_for_report(&ReportId::parse(id).expect("id"))
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| (m.to[0].to_string(), m.subject))
        .collect()
}

async fn audit(app: &TestApp, id: &str) -> Vec<String> {
    app.store
        .audit_log(&ReportId::parse(id).expect("id"))
        .await
        .expect("audit")
        .into_iter()
        .map(|a| format!("{} {}", a.action, a.detail))
        .collect()
}

fn count(lines: &[String], prefix: &str) -> usize {
    lines.iter().filter(|l| l.starts_with(prefix)).count()
}

async fn reply(app: &TestApp, id: &str, kind: &str) -> Timestamp {
    let (status, v) = app
        .post_json(
            &format!("/api/v1/reports/{id}/messages"),
            Some(&app.member_a),
            &json!({"kind": kind, "body": "Which version did you test?"}),
        )
        .await;
    assert!(status.is_success(), "{}: {v}", app.backend);
    Timestamp::now()
}

/// Acknowledged and discussed by two members: no handling deadline runs, so a pass
/// sends only the clocks under test.
async fn settle(app: &TestApp, id: &str) {
    let (status, v) = app
        .transition(
            &app.member_a,
            id,
            json!({"to": "acknowledged", "message": "Thanks, we are looking."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {v}", app.backend);
    for token in [&app.member_a, &app.admin] {
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                Some(token),
                &json!({"kind": "note", "body": "Looks real."}),
            )
            .await;
        assert!(status.is_success(), "{}: {v}", app.backend);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_reporter_is_reminded_once_then_the_team_is_told() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Silent reporter", Some("alpha")).await;
        settle(&app, &id).await;
        let asked = reply(&app, &id, "reply").await;
        let (one, two) = (node(&app), other_node(&app).await);
        assert_eq!(
            one.nudge_deadlines(asked + h(24 * 13)).await.expect("pass"),
            0,
            "{b}: too early"
        );
        // Fourteen days: the reporter's reminder, once across two nodes at once.
        let at = asked + h(24 * 14 + 1);
        let (x, y) = tokio::join!(one.nudge_deadlines(at), two.nudge_deadlines(at));
        assert_eq!(x.expect("pass") + y.expect("pass"), 1, "{b}");
        assert_eq!(
            node(&app).nudge_deadlines(at + h(1)).await.expect("pass"),
            0,
            "{b}: after a restart"
        );
        let sent = mails(&app, &id).await;
        let to_reporter = sent
            .iter()
            .find(|(_, s)| s.contains("Your answer to our message"))
            .expect("the reporter's reminder");
        assert_eq!(to_reporter.0, "rita@research.example.net", "{b}");
        assert!(
            !to_reporter.1.contains("Silent reporter"),
            "{b}: no title in the subject"
        );
        // Another fourteen days: the team.
        assert_eq!(
            one.nudge_deadlines(asked + h(24 * 28 + 1))
                .await
                .expect("pass"),
            1,
            "{b}"
        );
        assert_eq!(
            two.nudge_deadlines(asked + h(24 * 40)).await.expect("pass"),
            0,
            "{b}"
        );
        let sent = mails(&app, &id).await;
        let to_team = sent
            .iter()
            .find(|(_, s)| s.contains("No answer from the reporter"))
            .expect("the team's notice");
        assert_eq!(to_team.0, "security@alpha.example.org", "{b}");
        let log = audit(&app, &id).await;
        assert_eq!(count(&log, "reminder reporter_silent"), 1, "{b}: {log:?}");
        assert_eq!(count(&log, "escalation reporter_silent"), 1, "{b}: {log:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reporters_answer_stops_the_silence_clock() {
    for app in apps().await {
        let b = app.backend;
        let (id, status_url) = app.submit("Reporter answers", Some("alpha")).await;
        settle(&app, &id).await;
        let asked = reply(&app, &id, "reply").await;
        // An internal note is no question to the reporter; the reporter answers.
        reply(&app, &id, "note").await;
        let token = crate::support::token_of(&status_url);
        let (status, v) = app
            .post_json(
                &format!("/api/v1/status/{token}/messages"),
                None,
                &json!({"body": "Version 1.4."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {v}");
        assert_eq!(
            node(&app)
                .nudge_deadlines(asked + h(24 * 30))
                .await
                .expect("pass"),
            0,
            "{b}"
        );
        let (_, clocks) = app
            .get_json(&format!("/api/v1/reports/{id}/clocks"), Some(&app.member_a))
            .await;
        assert_eq!(clocks["clocks"], json!([]), "{b}: {clocks}");
        let log = audit(&app, &id).await;
        assert_eq!(count(&log, "reminder reporter_silent"), 0, "{b}: {log:?}");
    }
}

/// Walks a report to announced with a READY record; returns the announcement time.
async fn announce(app: &TestApp, id: &str, cve: &str) -> Timestamp {
    let b = app.backend;
    app.walk_to(id, "cve_assigned", cve).await;
    let (status, v) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/reports/{id}/record"),
            Some(&app.admin),
            &record_json(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}: {v}");
    for (token, to) in [(&app.member_a, "review"), (&app.admin, "ready")] {
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/record/transitions"),
                Some(token),
                &json!({"to": to}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {to}: {v}");
    }
    for body in [
        json!({"to": "reporter_review"}),
        json!({"to": "fixed", "fix_ref": "https://git.example.org/alpha/commit/abc123", "release_ref": "1.4.1"}),
        json!({"to": "announced", "confirm_early": true}),
    ] {
        let (status, v) = app.transition(&app.admin, id, body).await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
    }
    Timestamp::now()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cve_record_is_reminded_at_24_hours_and_escalated_at_72() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Record to publish", Some("alpha")).await;
        let announced = announce(&app, &id, "CVE-2026-20001").await;
        let one = node(&app);
        assert_eq!(
            one.nudge_deadlines(announced + h(23)).await.expect("pass"),
            0,
            "{b}"
        );
        assert_eq!(
            one.nudge_deadlines(announced + h(25)).await.expect("pass"),
            1,
            "{b}: the 24 h reminder"
        );
        assert_eq!(
            node(&app)
                .nudge_deadlines(announced + h(26))
                .await
                .expect("pass"),
            0,
            "{b}"
        );
        assert_eq!(
            one.nudge_deadlines(announced + h(73)).await.expect("pass"),
            1,
            "{b}: the 72 h escalation"
        );
        assert_eq!(
            one.nudge_deadlines(announced + h(200)).await.expect("pass"),
            0,
            "{b}"
        );
        let sent = mails(&app, &id).await;
        let reminder = sent
            .iter()
            .find(|(_, s)| s.contains("Reminder: cve_record"))
            .expect("reminder");
        assert_eq!(
            reminder.0, "security@example.org",
            "{b}: the organisation publishes records"
        );
        let overdue = sent
            .iter()
            .find(|(_, s)| s.contains("Overdue: cve_record"))
            .expect("escalation");
        assert_eq!(overdue.0, "security@example.org", "{b}");

        // A second report published in time: no nudge at all.
        let (id2, _) = app.submit("Record published in time", Some("alpha")).await;
        let announced = announce(&app, &id2, "CVE-2026-20002").await;
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id2}/record/transitions"),
                Some(&app.admin),
                &json!({"to": "published"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
        assert_eq!(
            one.nudge_deadlines(announced + h(100)).await.expect("pass"),
            0,
            "{b}"
        );
        assert_eq!(
            count(&audit(&app, &id2).await, "reminder cve_record"),
            0,
            "{b}"
        );
    }
}

/// A project with its own zone and holidays, for the calendar test.
async fn project(app: &TestApp, slug: &str, time_zone: &str, holidays: &[&str]) {
    let input = ProjectInput {
        slug: ProjectSlug::parse(slug).expect("slug"),
        name: format!("Example {slug}"),
        security_email: Some(email(&format!("security@{slug}.example.org"))),
        users_list: None,
        security_model_url: None,
        team: vec![email(MEMBER_A)],
        policy: PolicyOverrides {
            time_zone: Some(time_zone.into()),
            holidays: holidays.iter().map(|d| d.parse().expect("date")).collect(),
            ..Default::default()
        },
        trusted: false,
    };
    app.store.upsert_project(&input).await.expect("project");
}

/// A report to `slug` received at `at` (through the domain, so the time is the test's).
async fn received(app: &TestApp, slug: &str, at: Timestamp) -> String {
    let settings = node(app).settings().clone();
    let stored = app
        .store
        .project_by_slug(&ProjectSlug::parse(slug).expect("slug"))
        .await
        .expect("read")
        .expect("project");
    let policy: Policy = stored.policy.apply_to(&settings.default_policy);
    let contacts = settings.contacts(Some(&stored), None);
    let p = ProjectRef {
        id: stored.id,
        slug: stored.slug.clone(),
        name: stored.name.clone(),
        trusted: false,
    };
    let new = NewReport {
        project: Some(stored.slug.clone()),
        title: format!("Received in {slug}"),
        description: "Steps to reproduce: send it on a Friday evening.".into(),
        affected_versions: None,
        reporter_name: None,
        reporter_email: Some(email("rita@research.example.net")),
        credit: None,
    };
    let change = receive(
        new,
        ReportId::generate(),
        Some(p),
        Channel::Api,
        at,
        &policy,
        &contacts,
    )
    .expect("receive");
    let report = app
        .store
        .create_report(&change, &Token::generate().digest())
        .await
        .expect("create");
    report.id.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_and_reminders_follow_each_projects_zone_and_holidays() {
    for app in apps().await {
        let b = app.backend;
        // Friday 4 December 2026, 18:00 in Los Angeles: already Saturday 11:00 in Tokyo,
        // and Monday 7 December is a holiday of the Tokyo project.
        let at: Timestamp = "2026-12-05T02:00:00Z".parse().expect("time");
        project(&app, "gamma", "America/Los_Angeles", &[]).await;
        project(&app, "delta", "Asia/Tokyo", &["2026-12-07"]).await;
        let ids = [
            received(&app, "gamma", at).await,
            received(&app, "delta", at).await,
        ];
        let due = |v: &Value| {
            v["deadlines"]["acknowledge_by"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let (_, w) = app
            .get_json(&format!("/api/v1/reports/{}", ids[0]), Some(&app.member_a))
            .await;
        let (_, e) = app
            .get_json(&format!("/api/v1/reports/{}", ids[1]), Some(&app.member_a))
            .await;
        // Los Angeles: Friday counts; Mon, Tue, Wed -> Wednesday 18:00 PST.
        assert_eq!(due(&w), "2026-12-10T02:00:00Z", "{b}: {w}");
        // Tokyo: from Tuesday 00:00 (weekend, holiday); Wed, Thu, Fri -> Friday 00:00 JST.
        assert_eq!(due(&e), "2026-12-10T15:00:00Z", "{b}: {e}");

        let one = node(&app);
        let at: Timestamp = "2026-12-09T03:00:00Z".parse().expect("time");
        assert_eq!(
            one.nudge_deadlines(at).await.expect("pass"),
            1,
            "{b}: only the Los Angeles reminder"
        );
        let sent = mails(&app, &ids[0]).await;
        assert!(
            sent.iter()
                .any(|(_, s)| s.ends_with("Reminder: acknowledge by Wed 9 Dec 2026 18:00 PST")),
            "{b}: {sent:?}"
        );
        let at: Timestamp = "2026-12-09T15:30:00Z".parse().expect("time");
        assert_eq!(
            one.nudge_deadlines(at).await.expect("pass"),
            1,
            "{b}: then Tokyo's"
        );
        let sent = mails(&app, &ids[1]).await;
        assert!(
            sent.iter()
                .any(|(_, s)| s.ends_with("Reminder: acknowledge by Fri 11 Dec 2026 00:00 JST")),
            "{b}: {sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_overdue_board_groups_by_project_and_hides_other_projects() {
    for app in apps().await {
        let b = app.backend;
        // Received ten days ago: the acknowledge deadline passed days ago.
        let ago = Timestamp::now() - h(24 * 10);
        let late_a = received(&app, "alpha", ago).await;
        let late_b = received(&app, "beta", ago).await;
        let (status, org) = app.get_json("/api/v1/overdue", Some(&app.admin)).await;
        assert_eq!(status, StatusCode::OK, "{b}: {org}");
        let projects: Vec<&str> = org["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["project"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(projects, ["Example Alpha", "Example Beta"], "{b}: {org}");
        let item = &org["groups"][0]["items"][0];
        assert_eq!(item["report"], late_a.as_str(), "{b}");
        assert_eq!(item["deadline"], "acknowledge", "{b}");
        assert!(
            item["late"]
                .as_str()
                .unwrap_or_default()
                .ends_with("days late"),
            "{b}: {item}"
        );

        let (_, bob) = app.get_json("/api/v1/overdue", Some(&app.member_b)).await;
        let text = bob.to_string();
        assert!(
            text.contains(&late_b)
                && !text.contains(&late_a)
                && !text.contains("Received in alpha"),
            "{b}: {bob}"
        );
        let page = app
            .login(crate::support::MEMBER_B)
            .await
            .get(app.url("/overdue"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        assert!(page.contains(&late_b) && !page.contains(&late_a), "{b}");
        assert!(
            page.contains("id=\"overdue-nav\""),
            "{b}: linked from the nav"
        );
        let (status, _) = app.get_json("/api/v1/overdue", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
    }
}
