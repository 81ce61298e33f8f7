//! Real reports that look automatic (relayed by a list, sent by a platform) become
//! reports; only the machine's answer is withheld. Bounces and auto-replies that
//! belong to no report are held for the organisation team, never dropped.

use embargo_domain::access::Member;
use embargo_domain::ids::Email;
use embargo_mail::{MailError, Outcome};
use embargo_store::test_support::fresh_store;
use embargo_store::{HeldMail, HeldState, Mailbox, NewUser, Reports, SqlStore, StoreError, Users};

use super::{ALICE, ANN, KAFKA, ORG, hex, mail, new_id, rand_bytes, setup};

const LIST_HEADERS: &str = "List-Id: <security.kafka.example.org>\r\nList-Post: <mailto:security@kafka.example.org>\r\nPrecedence: list\r\n";

/// A message with a fixed Message-ID and the given headers, as a list or a platform
/// would deliver it.
fn raw(message_id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "{headers}Subject: RCE in the connect API\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\n{body}"
    )
    .into_bytes()
}

fn fresh_id() -> String {
    format!("{}@mail.test", hex(rand_bytes()))
}

async fn recipients(store: &SqlStore, id: &embargo_domain::ids::ReportId) -> Vec<String> {
    store
        .outbox_for_report(id)
        .await
        .unwrap()
        .iter()
        .flat_map(|m| m.to.iter().chain(&m.cc).map(|e| e.as_str().to_string()))
        .collect()
}

async fn member(store: &SqlStore, email: &str, org_team: bool) -> Member {
    let email = Email::parse(email).unwrap();
    if store.user_by_email(&email).await.unwrap().is_none() {
        store
            .create_user(&NewUser {
                email: email.clone(),
                name: "Olga".into(),
                org_team,
                password_hash: None,
            })
            .await
            .unwrap();
    }
    let u = store.user_by_email(&email).await.unwrap().unwrap();
    Member {
        id: u.id,
        email: u.email,
        name: u.name,
        org_team: u.org_team,
        projects: u.projects,
    }
}

#[tokio::test]
async fn reports_relayed_by_lists_and_platforms_become_reports() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let cases = [
            (
                "a list that keeps From",
                format!("From: Ann <{ANN}>\r\nTo: {KAFKA}\r\n{LIST_HEADERS}"),
                Some(ANN),
                true,
            ),
            (
                "a list that rewrote From (DMARC), author in X-Original-From",
                format!(
                    "From: \"Ann via security\" <{KAFKA}>\r\nX-Original-From: Ann <{ANN}>\r\nTo: {KAFKA}\r\n{LIST_HEADERS}"
                ),
                Some(ANN),
                true,
            ),
            (
                "a list that rewrote From, author in Reply-To",
                format!(
                    "From: \"Ann via security\" <{KAFKA}>\r\nReply-To: <{ANN}>\r\nTo: {KAFKA}\r\n{LIST_HEADERS}"
                ),
                Some(ANN),
                true,
            ),
            (
                "a list that rewrote From and kept no author",
                format!("From: \"Ann via security\" <{KAFKA}>\r\nTo: {KAFKA}\r\n{LIST_HEADERS}"),
                None,
                false,
            ),
            (
                "a bug-bounty platform (Auto-Submitted: auto-generated)",
                format!(
                    "From: Bounty <no-reply@bounty.example>\r\nTo: {KAFKA}\r\nAuto-Submitted: auto-generated\r\n"
                ),
                Some("no-reply@bounty.example"),
                false,
            ),
            (
                "a ticket system (Precedence: bulk)",
                format!(
                    "From: Desk <desk@tickets.example>\r\nTo: {ORG}\r\nPrecedence: bulk\r\nX-Mailer: desk\r\n"
                ),
                Some("desk@tickets.example"),
                false,
            ),
        ];
        for (what, headers, reporter, receipt) in cases {
            let outcome = ingestor
                .ingest(
                    &raw(
                        &fresh_id(),
                        &headers,
                        "The connect API deserializes untrusted input.\r\n",
                    ),
                    None,
                )
                .await
                .unwrap();
            let id = match outcome {
                Outcome::NewReport(id) => id,
                other => panic!("{backend}: {what}: lost as {other:?}"),
            };
            let report = store.report(&id).await.unwrap().unwrap();
            assert!(
                report.triage.is_some(),
                "{backend}: {what}: triaged like any new report"
            );
            assert_eq!(
                report.reporter.email.as_ref().map(Email::as_str),
                reporter,
                "{backend}: {what}: the reporter is the author, never the list"
            );
            let to = recipients(&store, &id).await;
            assert!(
                to.iter().any(|t| t == KAFKA || t == ORG),
                "{backend}: {what}: the team is told: {to:?}"
            );
            let answered = reporter.is_some_and(|r| to.iter().any(|t| t == r));
            assert_eq!(answered, receipt, "{backend}: {what}: receipt {to:?}");
            if reporter.is_none() || !receipt {
                // Nothing automatic goes to the list or the machine.
                assert!(
                    to.iter().all(|t| t == KAFKA || t == ORG),
                    "{backend}: {what}: {to:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_list_copy_and_a_direct_copy_make_one_report_in_either_order() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        for list_first in [true, false] {
            let message_id = fresh_id();
            let direct = raw(
                &message_id,
                &format!("From: Ann <{ANN}>\r\nTo: {ORG}, {KAFKA}\r\n"),
                "the bug\r\n",
            );
            let listed = raw(
                &message_id,
                &format!("From: Ann <{ANN}>\r\nTo: {ORG}, {KAFKA}\r\n{LIST_HEADERS}"),
                "the bug\r\n",
            );
            let (first, second) = if list_first {
                (&listed, &direct)
            } else {
                (&direct, &listed)
            };
            let id = new_id(ingestor.ingest(first, None).await.unwrap());
            assert_eq!(
                ingestor.ingest(second, None).await.unwrap(),
                Outcome::Duplicate,
                "{backend}"
            );
            let report = store.report(&id).await.unwrap().unwrap();
            assert_eq!(report.reporter.email.as_ref().map(Email::as_str), Some(ANN));
        }
    }
}

#[tokio::test]
async fn a_held_copy_never_swallows_the_real_one() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let message_id = fresh_id();
        // A forwarder that marks what it forwards as an auto-reply: held...
        let marked = raw(
            &message_id,
            &format!("From: Ann <{ANN}>\r\nTo: {ORG}\r\nX-Autoreply: yes\r\n"),
            "the bug\r\n",
        );
        assert!(
            matches!(
                ingestor.ingest(&marked, None).await.unwrap(),
                Outcome::HeldForReview(_)
            ),
            "{backend}"
        );
        // ...and the real copy with the same Message-ID still becomes a report.
        let real = raw(
            &message_id,
            &format!("From: Ann <{ANN}>\r\nTo: {ORG}\r\n"),
            "the bug\r\n",
        );
        let id = new_id(ingestor.ingest(&real, None).await.unwrap());
        // Its headers were read once at intake and kept for the report page.
        let taken = store.incoming_for_report(&id).await.unwrap();
        let headers = taken[0].headers.clone().expect("kept at intake");
        assert_eq!(headers.from, format!("Ann <{ANN}>"), "{backend}");
        assert_eq!(headers.subject, "RCE in the connect API");
        assert!(
            headers.date.starts_with("2026-06-01T10:00:00"),
            "{}",
            headers.date
        );
    }
}

#[tokio::test]
async fn held_mail_is_listed_released_and_discarded() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let olga = member(&store, "olga@example.org", true).await;
        let alice = member(&store, ALICE, false).await;
        let bounce = mail(
            "MAILER-DAEMON@mx.example",
            ORG,
            "Undelivered Mail Returned to Sender",
            "",
            "I'm sorry to have to inform you that your message could not be delivered.\r\n",
        );
        let Outcome::HeldForReview(held) = ingestor.ingest(&bounce, None).await.unwrap() else {
            panic!("{backend}: a bounce with no thread is held");
        };
        assert_eq!(
            ingestor.ingest(&bounce, None).await.unwrap(),
            Outcome::Duplicate,
            "{backend}: delivered twice, held once"
        );
        let ooo = mail(
            "bob@elsewhere.example",
            ORG,
            "Automatic reply: holidays",
            "Auto-Submitted: auto-replied\r\n",
            "I am away until Monday.\r\n",
        );
        let Outcome::HeldForReview(away) = ingestor.ingest(&ooo, None).await.unwrap() else {
            panic!("{backend}: an auto-reply with no thread is held");
        };

        let listed = store.held_mails(HeldState::Held, 100).await.unwrap();
        assert_eq!(listed.len(), 2, "{backend}");
        assert_eq!(store.held_count().await.unwrap(), 2);
        let b = listed.iter().find(|m| m.id == held).unwrap();
        assert_eq!(b.from.as_deref(), Some("MAILER-DAEMON@mx.example"));
        assert_eq!(b.subject, "Undelivered Mail Returned to Sender");
        assert!(b.reason.starts_with("bounce: "), "{}", b.reason);
        let a = listed.iter().find(|m| m.id == away).unwrap();
        assert!(a.reason.starts_with("auto_reply: "), "{}", a.reason);

        // Only the organisation team releases.
        assert!(
            matches!(
                ingestor.release(held, &alice).await,
                Err(MailError::App(embargo_app::Error::NotFound))
            ),
            "{backend}"
        );
        let id = ingestor.release(held, &olga).await.unwrap();
        let report = store.report(&id).await.unwrap().unwrap();
        assert_eq!(report.title, "Undelivered Mail Returned to Sender");
        let to = recipients(&store, &id).await;
        assert!(
            to.iter().all(|t| !t.contains("MAILER-DAEMON")),
            "{backend}: a released bounce is never answered: {to:?}"
        );
        assert!(to.iter().any(|t| t == ORG), "{backend}: the team is told");
        let released = store.held_mails(HeldState::Released, 100).await.unwrap();
        assert_eq!(released.len(), 1);
        assert_eq!(released[0].report.as_ref(), Some(&id));
        assert!(
            matches!(
                ingestor.release(held, &olga).await,
                Err(MailError::App(embargo_app::Error::Conflict(_)))
            ),
            "{backend}: released once"
        );

        store
            .discard_held(
                away,
                olga.id,
                "user:olga@example.org",
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        assert_eq!(store.held_count().await.unwrap(), 0, "{backend}");
        assert_eq!(
            store.held_mails(HeldState::Discarded, 100).await.unwrap()[0].id,
            away
        );
        assert!(matches!(
            store
                .discard_held(
                    away,
                    olga.id,
                    "user:olga@example.org",
                    jiff::Timestamp::now()
                )
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store
                .discard_held(
                    999_999,
                    olga.id,
                    "user:olga@example.org",
                    jiff::Timestamp::now()
                )
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            ingestor.release(away, &olga).await,
            Err(MailError::App(embargo_app::Error::Conflict(_)))
        ));
    }
}
