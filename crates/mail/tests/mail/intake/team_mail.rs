//! A team member's mail on a thread reaches the reporter only when it answers a mail
//! the reporter got. Pressing Reply on any team-only notice keeps the answer internal,
//! and the member is told so.

use embargo_domain::access::{Actor, Member};
use embargo_domain::lifecycle::{Command, Contacts, decide};
use embargo_domain::policy::Policy;
use embargo_domain::report::MessageKind;
use embargo_mail::Outcome;
use embargo_store::test_support::fresh_store;
use embargo_store::{Mailbox, QueuedMail, Reports, SqlStore, Users};
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::{ALICE, ANN, KAFKA, ORG, mail, new_id, setup};

async fn alice(store: &SqlStore) -> Member {
    let u = store
        .user_by_email(&embargo_domain::ids::Email::parse(ALICE).unwrap())
        .await
        .unwrap()
        .expect("alice is on kafka's team");
    Member {
        id: u.id,
        email: u.email,
        name: u.name,
        org_team: u.org_team,
        projects: u.projects,
    }
}

fn contacts() -> Contacts {
    Contacts {
        org_name: "Example".into(),
        org_security: embargo_domain::ids::Email::parse(ORG).unwrap(),
        team: embargo_domain::ids::Email::parse(KAFKA).unwrap(),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    }
}

/// Every mail queued so far (claimed once, so the list is complete and stable).
async fn all_queued(store: &SqlStore) -> Vec<QueuedMail> {
    let now = Timestamp::now();
    store
        .claim_outgoing("test", now, now + SignedDuration::from_secs(3600), 1000)
        .await
        .unwrap()
}

/// An Outlook reply: the member's text above the underscores and the quoted header block.
fn outlook_reply(own: &str, quoted: &QueuedMail) -> String {
    format!(
        "{own}\r\n\r\n________________________________\r\nFrom: Example security <{ORG}>\r\n\
         Sent: Thursday, December 3, 2026 10:00 AM\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n",
        to = quoted.to[0],
        subject = quoted.subject,
        body = quoted.body.replace('\n', "\r\n"),
    )
}

#[tokio::test]
async fn a_members_reply_to_a_team_only_mail_stays_internal() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let id = new_id(
            ingestor
                .ingest(
                    &mail(ANN, KAFKA, "Deserialization RCE", "", "the bug"),
                    None,
                )
                .await
                .unwrap(),
        );
        // Walk the report so that every kind of mail is queued: to the reporter
        // (receipt, acknowledged, accepted) and to the team only (new report, reply
        // from the reporter, mail held, CVE request).
        let reply = mail(ANN, ORG, &format!("Re: [{id}]"), "", "More detail.\r\n");
        ingestor.ingest(&reply, None).await.unwrap();
        let stranger = mail(
            "eve@elsewhere.example",
            ORG,
            &format!("Re: [{id}]"),
            "",
            "x",
        );
        ingestor.ingest(&stranger, None).await.unwrap();
        let member = alice(&store).await;
        let actor = Actor::Member(member.clone());
        let now = Timestamp::now();
        for command in [
            Command::Acknowledge { message: None },
            Command::Accept {
                disclosure_date: now.to_zoned(jiff::tz::TimeZone::UTC).date() + 20.days(),
                message: None,
                confirm_late: false,
            },
            Command::RequestCve {
                summary: "SECRET-SUMMARY deserialization in the connect API".into(),
            },
        ] {
            let report = store.report(&id).await.unwrap().unwrap();
            let change = decide(
                &report,
                command,
                &actor,
                Timestamp::now(),
                &Policy::default(),
                &contacts(),
            )
            .unwrap();
            store.apply(&change).await.unwrap();
        }
        let queued = all_queued(&store).await;
        let to_reporter = |m: &QueuedMail| m.to.iter().chain(&m.cc).any(|e| e.as_str() == ANN);
        assert!(
            queued.iter().filter(|m| to_reporter(m)).count() >= 3,
            "{backend}"
        );
        let team_only: Vec<&str> = queued
            .iter()
            .filter(|m| !to_reporter(m))
            .map(|m| m.subject.as_str())
            .collect();
        for kind in [
            "New report",
            "Reply from the reporter",
            "Mail held",
            "CVE request",
        ] {
            assert!(
                team_only.iter().any(|s| s.contains(kind)),
                "{backend}: a team-only {kind:?} mail is among {team_only:?}"
            );
        }

        for (n, parent) in queued.iter().enumerate() {
            let own = format!("Answer number {n}: team only, looks like a dup of EMB-0123456789AB");
            let before = store.outbox_for_report(&id).await.unwrap();
            let answer = mail(
                ALICE,
                ORG,
                &format!("RE: {}", parent.subject),
                &format!(
                    "In-Reply-To: {mid}\r\nReferences: {mid}\r\n",
                    mid = parent.message_id
                ),
                &outlook_reply(&own, parent),
            );
            let outcome = ingestor.ingest(&answer, None).await.unwrap();
            let after = store.outbox_for_report(&id).await.unwrap();
            let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
            let thread = store.messages(&id).await.unwrap();
            let posted = thread
                .iter()
                .rev()
                .find(|m| m.body.starts_with(&format!("Answer number {n}:")))
                .expect("the member's text is on the thread");
            assert_eq!(posted.body, own, "{backend}: the quote is removed");
            if to_reporter(parent) {
                assert_eq!(
                    outcome,
                    Outcome::TeamReply(id.clone()),
                    "{backend}: {}",
                    parent.subject
                );
                assert_eq!(posted.kind, MessageKind::Team);
                assert_eq!(new.len(), 1, "{backend}");
                assert_eq!(new[0].to[0].as_str(), ANN);
            } else {
                assert_eq!(
                    outcome,
                    Outcome::TeamNote(id.clone()),
                    "{backend}: answering {:?} must stay internal",
                    parent.subject
                );
                assert_eq!(posted.kind, MessageKind::Note, "{backend}");
                assert!(
                    new.iter()
                        .all(|m| !m.to.iter().chain(&m.cc).any(|e| e.as_str() == ANN)),
                    "{backend}: nothing reaches the reporter after {:?}",
                    parent.subject
                );
                assert_eq!(new.len(), 1, "{backend}: the member is told");
                assert_eq!(new[0].to[0].as_str(), ALICE);
                assert!(
                    new[0].subject.contains("internal note"),
                    "{}",
                    new[0].subject
                );
            }
        }

        // What the reporter can read never holds the team's words or the CVE summary.
        let visible: Vec<_> = store
            .messages(&id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.kind.visible_to_reporter())
            .collect();
        for m in &visible {
            assert!(!m.body.contains("SECRET-SUMMARY"), "{backend}: {}", m.body);
            assert!(!m.body.contains("EMB-0123456789AB") || m.kind == MessageKind::Team);
        }

        // Threaded by the subject token alone (a fresh mail, or a client that drops
        // In-Reply-To): when in doubt, internal.
        let fresh = mail(
            ALICE,
            ORG,
            &format!("[{id}] thoughts"),
            "",
            "Internal thoughts.\r\n",
        );
        assert_eq!(
            ingestor.ingest(&fresh, None).await.unwrap(),
            Outcome::TeamNote(id.clone()),
            "{backend}"
        );
    }
}
