//! Clocks that act, on both backends, with "now" in the test's hands: a reminder to
//! the project's team a day before a report's deadline, an escalation to the
//! organisation team once it has passed, each sent once (a later pass, a restart, two
//! nodes at once, each with its own pool) and recorded on the report; a pass that starts after a deadline has
//! passed escalates without a late reminder.

use embargo_domain::ids::ReportId;
use embargo_store::Reports;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::statement_reminders::{node, other_node};
use crate::support::{MEMBER_A, TestApp, apps};

async fn view(app: &TestApp, id: &str) -> Value {
    let (status, v) = app
        .get_json(&format!("/api/v1/reports/{id}"), Some(&app.member_a))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
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

fn actions(view: &Value) -> Vec<String> {
    view["audit"]
        .as_array()
        .expect("audit")
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["action"].as_str().unwrap_or_default(),
                a["detail"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_remind_once_then_escalate_once() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Deadline clock", Some("alpha")).await;
        let due: Timestamp = view(&app, &id).await["deadlines"]["acknowledge_by"]
            .as_str()
            .expect("acknowledge_by")
            .parse()
            .expect("time");
        let h = SignedDuration::from_hours;
        // Two nodes: each its own connection pool on the one database.
        let (one, two) = (node(&app), other_node(&app).await);

        assert_eq!(
            one.nudge_deadlines(due - h(48)).await.expect("pass"),
            0,
            "{b}: too early"
        );
        assert_eq!(
            one.nudge_deadlines(due - h(12)).await.expect("pass"),
            1,
            "{b}: the reminder"
        );
        assert_eq!(
            two.nudge_deadlines(due - h(1)).await.expect("pass"),
            0,
            "{b}: not twice"
        );
        let sent = mails(&app, &id).await;
        let reminder = sent
            .iter()
            .find(|(_, s)| s.contains("Reminder"))
            .expect("a reminder");
        assert_eq!(reminder.0, "security@alpha.example.org", "{b}");
        assert!(
            reminder
                .1
                .starts_with(&format!("[{id}] Reminder: acknowledge by ")),
            "{b}: {}",
            reminder.1
        );

        // Past the deadline, two nodes at once: one escalation to the organisation.
        let (x, y) = tokio::join!(
            one.nudge_deadlines(due + h(1)),
            two.nudge_deadlines(due + h(1))
        );
        assert_eq!(x.expect("pass") + y.expect("pass"), 1, "{b}");
        assert_eq!(
            node(&app).nudge_deadlines(due + h(30)).await.expect("pass"),
            0,
            "{b}: after a restart"
        );
        let sent = mails(&app, &id).await;
        let escalation = sent
            .iter()
            .find(|(_, s)| s.contains("Overdue"))
            .expect("an escalation");
        assert_eq!(escalation.0, "security@example.org", "{b}");
        let audit = actions(&view(&app, &id).await);
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.starts_with("reminder acknowledge due"))
                .count(),
            1,
            "{b}: {audit:?}"
        );
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.starts_with("escalation acknowledge due"))
                .count(),
            1,
            "{b}: {audit:?}"
        );

        // Acknowledged: the discussion's clock runs. A pass that starts two days later,
        // after that deadline too, escalates it without a late reminder.
        let (status, _) = app
            .transition(&app.member_a, &id, json!({"to": "acknowledged"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let later = Timestamp::now() + h(48);
        assert_eq!(one.nudge_deadlines(later).await.expect("pass"), 1, "{b}");
        let audit = actions(&view(&app, &id).await);
        assert!(
            audit
                .iter()
                .any(|a| a.starts_with("escalation discuss due")),
            "{b}: {audit:?}"
        );
        assert!(
            !audit.iter().any(|a| a.starts_with("reminder discuss")),
            "{b}: {audit:?}"
        );
        // Closed reports have no clock.
        let (status, _) = app
            .transition(
                &app.member_a,
                &id,
                json!({"to": "rejected", "reason": "Not a vulnerability: documented behaviour."}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(
            one.nudge_deadlines(later + h(24 * 60)).await.expect("pass"),
            0,
            "{b}"
        );
    }
}

/// A report's owner gets its reminder first, the team copied; the escalation copies
/// the owner too.
#[tokio::test(flavor = "multi_thread")]
async fn the_owner_is_reminded_first() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("Owned clock", Some("alpha")).await;
        let (status, v) = app
            .post_json(
                &format!("/api/v1/reports/{id}/owner"),
                Some(&app.member_a),
                &json!({"owner": "me"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {v}");
        let due: Timestamp = view(&app, &id).await["deadlines"]["acknowledge_by"]
            .as_str()
            .expect("acknowledge_by")
            .parse()
            .expect("time");
        let h = SignedDuration::from_hours;
        let pass = node(&app);
        assert_eq!(
            pass.nudge_deadlines(due - h(12)).await.expect("pass"),
            1,
            "{b}"
        );
        assert_eq!(
            pass.nudge_deadlines(due + h(1)).await.expect("pass"),
            1,
            "{b}"
        );
        let outbox = app
            .store
            .outbox_for_report(&ReportId::parse(&id).expect("id"))
            .await
            .expect("outbox");
        let reminder = outbox
            .iter()
            .find(|m| m.subject.contains("Reminder"))
            .expect("a reminder");
        assert_eq!(reminder.to[0].to_string(), MEMBER_A, "{b}: the owner first");
        assert!(
            reminder
                .cc
                .iter()
                .any(|c| c.to_string() == "security@alpha.example.org"),
            "{b}: the team copied"
        );
        let escalation = outbox
            .iter()
            .find(|m| m.subject.contains("Overdue"))
            .expect("an escalation");
        assert_eq!(escalation.to[0].to_string(), "security@example.org", "{b}");
        assert!(
            escalation.cc.iter().any(|c| c.to_string() == MEMBER_A),
            "{b}: the owner copied"
        );
    }
}
