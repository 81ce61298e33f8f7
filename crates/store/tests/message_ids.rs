//! Message-IDs of mail taken in are not kept in clear (docs/confidentiality.md): a
//! copy of the database does not name a reporter's mail domain, while duplicate
//! detection, threading, a team reply's `In-Reply-To` and the original message all work
//! as before; rows stored the old way are converted when the store opens. Both backends.
#![allow(clippy::unwrap_used)]

use embargo_domain::ids::{Email, ReportId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Change, Contacts, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::Channel;
use embargo_domain::token::Token;
use embargo_store::test_support::{TestBackend, backends, fresh_database_url};
use embargo_store::{IncomingMail, MailEffect, Mailbox, Reports, Sealer, SqlStore, Taken};
use jiff::Timestamp;
use sqlx::Row;

const KEY: [u8; 32] = [9; 32];
const CANARY: &str = "mx.canary-reporter-domain.example";

fn new_report() -> Change {
    let new = Submission {
        title: "Mail-borne report".into(),
        description: "steps to reproduce".into(),
        reporter_email: Some("ann@example.net".into()),
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
    let at: Timestamp = "2026-11-19T10:00:00Z".parse().unwrap();
    receive(
        new,
        ReportId::generate(),
        None,
        Channel::Email,
        at,
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
        received_at: "2026-11-19T10:00:00Z".parse().unwrap(),
        attachments: &[],
        headers: None,
        released_from: None,
    }
}

/// Every byte of the database as a reader of a copy would see it (SQLite: the file
/// and its log; PostgreSQL: every row of `mail_in` as text).
async fn copy_shows(
    store: &SqlStore,
    backend: TestBackend,
    path: Option<std::path::PathBuf>,
) -> String {
    match (backend, path) {
        (TestBackend::Sqlite, Some(path)) => {
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => sqlx::query("SELECT m::text AS row FROM mail_in m")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("row"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[tokio::test]
async fn message_ids_are_not_kept_in_clear_and_still_thread() {
    for backend in backends() {
        let (url, db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let id = format!("c0ffee.1@{CANARY}");
        let raw = format!("Message-ID: <{id}>\r\nSubject: a flaw\r\n\r\nDetails.");
        let change = new_report();
        let digest = Token::generate().digest();
        let effect = MailEffect::NewReport {
            change: &change,
            status_token: &digest,
        };
        let taken = store
            .take_mail(&mail(&id, raw.as_bytes()), effect)
            .await
            .unwrap();
        let Taken::Stored(Some(report)) = taken else {
            panic!("{backend:?}: stored as a new report: {taken:?}");
        };
        assert!(
            !copy_shows(&store, backend, db.sqlite_path())
                .await
                .contains("canary-reporter"),
            "{backend:?}: the reporter's mail domain is in the database"
        );

        assert!(store.mail_seen(&id).await.unwrap(), "{backend:?}");
        let again = store
            .take_mail(&mail(&id, raw.as_bytes()), MailEffect::Nothing)
            .await
            .unwrap();
        assert_eq!(
            again,
            Taken::Duplicate,
            "{backend:?}: a repeat is still one"
        );
        assert_eq!(
            store
                .thread_of(std::slice::from_ref(&id))
                .await
                .unwrap()
                .as_ref(),
            Some(&report.id),
            "{backend:?}: a reply referencing it joins the report"
        );
        assert_eq!(
            store
                .reporter_last_message(&report.id)
                .await
                .unwrap()
                .as_deref(),
            Some(id.as_str()),
            "{backend:?}: a team reply threads on the reporter's id"
        );
        let row: i64 = sqlx::query("SELECT id FROM mail_in")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("id");
        assert_eq!(
            store
                .original_message(&report.id, row)
                .await
                .unwrap()
                .as_deref(),
            Some(raw.as_bytes()),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn rows_stored_in_clear_are_converted_when_the_store_opens() {
    for backend in backends() {
        let (url, db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let report = store
            .create_report(&new_report(), &Token::generate().digest())
            .await
            .unwrap();
        // As a release before migration 0021 stored it: the id in clear, the raw
        // message sealed under it.
        let id = format!("old.2@{CANARY}");
        let raw = b"Subject: an old message\r\n\r\nBody.";
        let sealed = Sealer::from_key(&KEY)
            .seal(format!("mail-raw:{id}").as_bytes(), raw)
            .unwrap();
        sqlx::query(
            "INSERT INTO mail_in (message_id, report_id, disposition, raw_sealed, raw_sha256, size, \
             received_at) VALUES ($1, $2, 'reporter_reply', $3, 'x', 1, 1)",
        )
        .bind(&id)
        .bind(report.id.as_str())
        .bind(sealed)
        .execute(store.pool())
        .await
        .unwrap();
        drop(store);

        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        assert!(
            !copy_shows(&store, backend, db.sqlite_path())
                .await
                .contains("old.2@"),
            "{backend:?}: converted at open"
        );
        assert!(store.mail_seen(&id).await.unwrap(), "{backend:?}");
        assert_eq!(
            store
                .reporter_last_message(&report.id)
                .await
                .unwrap()
                .as_deref(),
            Some(id.as_str()),
            "{backend:?}"
        );
        let row: i64 = sqlx::query("SELECT id FROM mail_in")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("id");
        assert_eq!(
            store
                .original_message(&report.id, row)
                .await
                .unwrap()
                .as_deref(),
            Some(&raw[..]),
            "{backend:?}: the raw message opens under its new key"
        );
    }
}

#[tokio::test]
async fn held_mail_keyed_in_clear_is_converted_when_the_store_opens() {
    use embargo_store::{HeldMail, HeldState};
    for backend in backends() {
        let (url, db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        // As a release before migration 0019 held it: keyed by the clear id.
        let id = format!("held.3@{CANARY}");
        let raw = b"Subject: Out of office\r\n\r\nAway.";
        let sealer = Sealer::from_key(&KEY);
        let summary = r#"{"from":"ann@example.net","subject":"Out of office"}"#;
        sqlx::query(
            "INSERT INTO mail_held (message_id, reason, summary_sealed, raw_sealed, size, received_at) \
             VALUES ($1, 'auto_reply', $2, $3, 1, 1)",
        )
        .bind(&id)
        .bind(
            sealer
                .seal_str(&format!("mail-held-summary:{id}"), summary)
                .unwrap(),
        )
        .bind(sealer.seal(format!("mail-held-raw:{id}").as_bytes(), raw).unwrap())
        .execute(store.pool())
        .await
        .unwrap();
        drop(store);

        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let column: String = sqlx::query("SELECT message_id FROM mail_held")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("message_id");
        assert!(!column.contains('@'), "{backend:?}: {column}");
        if backend == TestBackend::Sqlite {
            assert!(
                !copy_shows(&store, backend, db.sqlite_path())
                    .await
                    .contains("held.3@"),
                "{backend:?}: nothing left in the file"
            );
        }
        let listed = store.held_mails(HeldState::Held, 10).await.unwrap();
        assert_eq!(listed[0].message_id, id, "{backend:?}: shown as it was");
        let (_, opened) = store.held_mail(listed[0].id).await.unwrap().unwrap();
        assert_eq!(opened.as_slice(), &raw[..], "{backend:?}");
    }
}
