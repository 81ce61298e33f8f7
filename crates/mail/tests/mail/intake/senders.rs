//! The organisation team's sender rules at mail intake: a blocked sender's mail is held
//! (never a report, never answered), replies on their own report's thread included; a
//! throttled sender's new reports over the daily limit are held, their replies are
//! not; team members are never held; a lifted rule holds nothing.

use embargo_domain::ids::{ReportId, UserId};
use embargo_domain::senders::{SenderAction, SenderPattern};
use embargo_mail::Outcome;
use embargo_store::test_support::fresh_store;
use embargo_store::{
    HeldMail, HeldState, Mailbox, NewSenderRule, NewUser, Reports, SenderRules, SqlStore, Users,
};
use jiff::{SignedDuration, Timestamp};

use super::{ORG, mail, new_id, setup};

const MALLORY: &str = "mallory@example.com";
const ACTOR: &str = "user:olga@example.org";

async fn olga(store: &SqlStore) -> UserId {
    store
        .create_user(&NewUser {
            email: embargo_domain::ids::Email::parse("olga@members.example").unwrap(),
            name: "Olga".into(),
            org_team: true,
            password_hash: None,
        })
        .await
        .unwrap()
}

async fn rule(store: &SqlStore, by: UserId, pattern: &str, action: SenderAction) -> i64 {
    store
        .add_sender_rule(
            &NewSenderRule {
                pattern: &SenderPattern::parse(pattern).unwrap(),
                action,
                reason: "a reason",
            },
            by,
            ACTOR,
            Timestamp::now(),
        )
        .await
        .unwrap()
        .id
}

fn held(outcome: Outcome) -> i64 {
    match outcome {
        Outcome::HeldForReview(id) => id,
        other => panic!("expected held mail, got {other:?}"),
    }
}

async fn reason_of(store: &SqlStore, id: i64) -> String {
    store.held_mail(id).await.unwrap().unwrap().0.reason
}

/// Every address anything was queued to (claims the whole outbox for a second).
async fn everyone_written_to(store: &SqlStore) -> Vec<String> {
    let now = Timestamp::now();
    store
        .claim_outgoing("test", now, now + SignedDuration::from_secs(1), 10_000)
        .await
        .unwrap()
        .iter()
        .flat_map(|m| m.to.iter().chain(&m.cc).map(|e| e.as_str().to_lowercase()))
        .collect()
}

fn reply_on(report: &ReportId, from: &str) -> Vec<u8> {
    mail(
        from,
        ORG,
        &format!("Re: [{report}] more"),
        "",
        "One more detail.\r\n",
    )
}

#[tokio::test]
async fn a_blocked_sender_is_held_and_never_answered() {
    for (backend, store, db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let by = olga(&store).await;

        // A report from Mallory before the block, to reply on later.
        let first = new_id(
            ingestor
                .ingest(&mail(MALLORY, ORG, "first", "", "text\r\n"), None)
                .await
                .unwrap(),
        );
        let block = rule(&store, by, MALLORY, SenderAction::Block).await;
        let domain = rule(&store, by, "@spam.example", SenderAction::Block).await;

        let id = held(
            ingestor
                .ingest(
                    &mail("Mallory@Example.com", ORG, "XSS!!!", "", "text\r\n"),
                    None,
                )
                .await
                .unwrap(),
        );
        assert_eq!(
            reason_of(&store, id).await,
            format!("blocked_sender: sender rule #{block}"),
            "{backend}"
        );
        // A domain rule covers its subdomains.
        let id = held(
            ingestor
                .ingest(
                    &mail("eve@mx.spam.example", ORG, "scan", "", "text\r\n"),
                    None,
                )
                .await
                .unwrap(),
        );
        assert_eq!(
            reason_of(&store, id).await,
            format!("blocked_sender: sender rule #{domain}")
        );
        // Their replies on their own report's thread are held too (else the subject
        // token would be a way around the block), and the report is left as it was.
        let before = store.messages(&first).await.unwrap().len();
        let id = held(
            ingestor
                .ingest(&reply_on(&first, MALLORY), None)
                .await
                .unwrap(),
        );
        assert!(reason_of(&store, id).await.starts_with("blocked_sender: "));
        assert_eq!(
            store.messages(&first).await.unwrap().len(),
            before,
            "{backend}"
        );
        // A bounce or an auto-reply keeps its own reason, whoever sent it.
        let bounce = mail(
            "MAILER-DAEMON@spam.example",
            ORG,
            "Undelivered",
            "Auto-Submitted: auto-replied\r\n",
            "x\r\n",
        );
        let id = held(ingestor.ingest(&bounce, None).await.unwrap());
        let reason = reason_of(&store, id).await;
        assert!(
            reason.starts_with("auto_reply: ") || reason.starts_with("bounce: "),
            "{backend}: {reason}"
        );
        // Team members are never held, even under a domain rule.
        rule(&store, by, "members.example", SenderAction::Block).await;
        new_id(
            ingestor
                .ingest(
                    &mail("olga@members.example", ORG, "own report", "", "text\r\n"),
                    None,
                )
                .await
                .unwrap(),
        );

        assert_eq!(store.held_count().await.unwrap(), 4, "{backend}");
        let written = everyone_written_to(&store).await;
        assert_eq!(
            written.iter().filter(|t| *t == MALLORY).count(),
            1,
            "{backend}: only the receipt of the report before the block: {written:?}"
        );
        assert!(
            !written.iter().any(|t| t.ends_with("spam.example")),
            "{backend}"
        );

        // A copy of the database (file and write-ahead log) names neither the blocked
        // address nor the blocked domain in clear: not in the rules, the held mail, the
        // report, the outbox or the audit log.
        if let Some(path) = db.sqlite_path() {
            let mut bytes = std::fs::read(&path).unwrap();
            if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for secret in ["mallory", "spam.example"] {
                assert!(!text.contains(secret), "{backend}: {secret:?} in clear");
            }
        }

        // Lifted: Mallory's mail is a report again, answered as any other.
        store
            .lift_sender_rule(block, "talked to them", by, ACTOR, Timestamp::now())
            .await
            .unwrap();
        let report = new_id(
            ingestor
                .ingest(&mail(MALLORY, ORG, "a real one", "", "text\r\n"), None)
                .await
                .unwrap(),
        );
        let outbox = store.outbox_for_report(&report).await.unwrap();
        assert!(
            outbox.iter().any(|m| m.to[0].as_str() == MALLORY),
            "{backend}: receipt"
        );
    }
}

#[tokio::test]
async fn a_throttled_sender_makes_n_reports_a_day_and_may_still_reply() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let by = olga(&store).await;
        let throttle = rule(
            &store,
            by,
            "scanner.example",
            SenderAction::Throttle { per_day: 2 },
        )
        .await;

        let mut reports = Vec::new();
        for n in 0..2 {
            reports.push(new_id(
                ingestor
                    .ingest(
                        &mail(
                            "bot@scanner.example",
                            ORG,
                            &format!("finding {n}"),
                            "",
                            "text\r\n",
                        ),
                        None,
                    )
                    .await
                    .unwrap(),
            ));
        }
        // Replies on a thread are not new reports: neither held nor counted.
        let outcome = ingestor
            .ingest(&reply_on(&reports[0], "bot@scanner.example"), None)
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Outcome::ReporterReply(reports[0].clone()),
            "{backend}"
        );
        // The third new report of the day, from another address of the domain: held.
        let id = held(
            ingestor
                .ingest(
                    &mail("other@scanner.example", ORG, "finding 3", "", "text\r\n"),
                    None,
                )
                .await
                .unwrap(),
        );
        assert_eq!(
            reason_of(&store, id).await,
            format!("throttled_sender: sender rule #{throttle}, over 2 reports a day"),
            "{backend}"
        );
        let written = everyone_written_to(&store).await;
        assert!(
            !written.iter().any(|t| t == "other@scanner.example"),
            "{backend}: held mail is not answered: {written:?}"
        );
        assert_eq!(
            written
                .iter()
                .filter(|t| *t == "bot@scanner.example")
                .count(),
            2,
            "{backend}: the two reports let through got their receipts: {written:?}"
        );

        // Held, not lost: the team's list has it.
        let listed = store.held_mails(HeldState::Held, 10).await.unwrap();
        assert_eq!(listed.len(), 1, "{backend}");
    }
}
