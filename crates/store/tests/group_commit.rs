//! Group commit of intake (docs/durability.md#group-commit-sqlite): intakes that arrive
//! together share a transaction on SQLite, each answered with its own result once the
//! transaction is committed; one that fails or a mail taken before is rolled back
//! alone. On PostgreSQL each intake commits by itself, with the same answers.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use embargo_domain::ids::{Email, ReportId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Change, Contacts, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::Channel;
use embargo_domain::token::Token;
use embargo_store::test_support::{fresh_store, second_node};
use embargo_store::{
    IncomingMail, MailEffect, Mailbox, ReportFilter, Reports, SqlStore, StoreError, Taken,
};
use jiff::Timestamp;

const CONCURRENT: usize = 48;

fn received(i: usize) -> Change {
    let new = Submission {
        title: format!("Report {i} of a burst"),
        description: format!("steps to reproduce number {i}"),
        reporter_email: Some(format!("r{i}@example.net")),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let contacts = Contacts {
        org_name: "Example Foundation".into(),
        org_security: Email::parse("security@example.org").unwrap(),
        team: Email::parse("security@example.org").unwrap(),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    };
    receive(
        new,
        ReportId::generate(),
        None,
        Channel::Api,
        Timestamp::now(),
        &Policy::default(),
        &contacts,
    )
    .unwrap()
}

fn mail<'a>(id: &'a str, raw: &'a [u8]) -> IncomingMail<'a> {
    IncomingMail {
        message_id: id,
        raw,
        disposition: "new_report",
        received_at: Timestamp::now(),
        attachments: &[],
        headers: None,
        released_from: None,
    }
}

async fn stored(store: &SqlStore) -> usize {
    store
        .list_reports(&ReportFilter {
            limit: 1_000,
            ..ReportFilter::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_intakes_is_stored_whole_and_shares_commits_on_sqlite() {
    for (backend, store, db) in fresh_store().await {
        let store = Arc::new(store);
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let change = received(i);
                    let report = store
                        .create_report(&change, &Token::generate().digest())
                        .await
                        .unwrap();
                    assert_eq!(report.id, change.report.id);
                    report.id
                })
            })
            .collect();
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        // Answered means committed: another node (a pool of its own) reads each one.
        let other = second_node(&store, &db).await;
        for id in &ids {
            assert!(
                other.report(id).await.unwrap().is_some(),
                "{backend}: {id:?} answered but not readable"
            );
        }
        assert_eq!(stored(&other).await, CONCURRENT, "{backend}");
        match (backend, store.intake_commits()) {
            ("sqlite", Some(c)) => {
                assert_eq!(c.jobs, CONCURRENT as u64, "{backend}: every intake counted");
                assert!(
                    c.commits < c.jobs,
                    "{backend}: {} intakes in {} commits: none shared",
                    c.jobs,
                    c.commits
                );
            }
            ("postgres", None) => {}
            (b, c) => panic!("{b}: unexpected group commit figures {c:?}"),
        }
        other.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_intake_is_rolled_back_alone_and_the_others_are_kept() {
    for (backend, store, _db) in fresh_store().await {
        let store = Arc::new(store);
        // The same report twice (a reused id) among fresh ones, and the same mail twice:
        // exactly one of each pair is kept, whatever batch they share.
        let twice = received(0);
        let raw = b"From: r@example.net\r\nSubject: x\r\n\r\nbody\r\n".to_vec();
        let mut tasks = Vec::new();
        for i in 0..CONCURRENT {
            let (store, twice, raw) = (store.clone(), twice.clone(), raw.clone());
            tasks.push(tokio::spawn(async move {
                match i % 4 {
                    0 if i < 8 => {
                        let token = Token::generate().digest();
                        let r = store.create_report(&twice, &token).await;
                        (i, "twice", r.map(|_| ()).err())
                    }
                    1 if i < 8 => {
                        let change = received(i);
                        let token = Token::generate().digest();
                        let effect = MailEffect::NewReport {
                            change: &change,
                            status_token: &token,
                        };
                        let taken = store
                            .take_mail(&mail("same@example.net", &raw), effect)
                            .await
                            .unwrap();
                        let dup = (taken == Taken::Duplicate).then(|| StoreError::Stale);
                        (i, "mail", dup)
                    }
                    _ => {
                        let change = received(i);
                        let token = Token::generate().digest();
                        let r = store.create_report(&change, &token).await;
                        (i, "fresh", r.map(|_| ()).err())
                    }
                }
            }));
        }
        let (mut twice_kept, mut mail_kept, mut fresh) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                (_, "twice", None) => twice_kept += 1,
                (i, "twice", Some(e)) => assert!(
                    matches!(e, StoreError::Duplicate(_)),
                    "{backend}: the second copy {i} failed with {e} instead of a duplicate"
                ),
                (_, "mail", None) => mail_kept += 1,
                (_, "mail", Some(_)) => {}
                (i, _, err) => {
                    assert!(err.is_none(), "{backend}: fresh intake {i} failed: {err:?}");
                    fresh += 1;
                }
            }
        }
        assert_eq!(twice_kept, 1, "{backend}: the reused report id kept once");
        assert_eq!(mail_kept, 1, "{backend}: the same Message-ID taken once");
        assert!(
            store.mail_seen("same@example.net").await.unwrap(),
            "{backend}"
        );
        // One report of the reused id, one of the mail, and every fresh one.
        assert_eq!(stored(&store).await, 1 + 1 + fresh, "{backend}");
    }
}
