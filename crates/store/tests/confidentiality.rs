//! What a copy of the database, a log or an error reveals (docs/confidentiality.md),
//! on every backend: the data key's check (a node with another key refuses to start),
//! a row sealed with another key flagged in lists instead of failing them, report
//! audit details and held mails' Message-IDs sealed, and database passwords hidden.
#![allow(clippy::unwrap_used)]

use embargo_domain::ids::ReportId;
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Change, Contacts, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::Channel;
use embargo_domain::token::Token;
use embargo_store::seal::UNREADABLE_TITLE;
use embargo_store::test_support::{backends, fresh_database_url};
use embargo_store::{
    HeldMail, HeldState, NewHeldMail, ReportFilter, Reports, Sealer, SqlStore, StoreError,
    redact_url,
};
use jiff::Timestamp;
use sqlx::Row;

const KEY: [u8; 32] = [3; 32];
const OTHER: [u8; 32] = [4; 32];

fn t0() -> Timestamp {
    "2026-11-19T10:00:00Z".parse().unwrap()
}

/// A new report's change, its audit line saying `detail`.
fn received(title: &str, detail: &str) -> Change {
    let new = Submission {
        title: title.into(),
        description: format!("{title}: steps to reproduce"),
        reporter_email: Some("ann@example.net".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let contacts = Contacts {
        org_name: "Example Foundation".into(),
        org_security: embargo_domain::ids::Email::parse("security@example.org").unwrap(),
        team: embargo_domain::ids::Email::parse("security@example.org").unwrap(),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    };
    let mut change = receive(
        new,
        ReportId::generate(),
        None,
        Channel::Web,
        t0(),
        &Policy::default(),
        &contacts,
    )
    .unwrap();
    change.audit.detail = detail.into();
    change
}

async fn submit(store: &SqlStore, title: &str, detail: &str) -> ReportId {
    store
        .create_report(&received(title, detail), &Token::generate().digest())
        .await
        .unwrap()
        .id
}

fn everything() -> ReportFilter {
    ReportFilter {
        include_closed: true,
        ..ReportFilter::default()
    }
}

#[tokio::test]
async fn a_node_with_another_data_key_refuses_to_start() {
    for backend in backends() {
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let first = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let id = submit(&first, "first node's report", "received").await;

        // The same key opens it again, as a second node or after a restart.
        let second = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        assert!(second.report(&id).await.unwrap().is_some());

        let err = SqlStore::connect(&url, Sealer::from_key(&OTHER))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Config(_)), "{backend:?}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains("created with another data key")
                && text.contains("same EMBARGO_DATA_KEY"),
            "{backend:?}: {text}"
        );

        // The check value is no copy of the key.
        let stored: String = sqlx::query("SELECT check_value FROM key_check")
            .fetch_one(first.pool())
            .await
            .unwrap()
            .get("check_value");
        assert_eq!(stored, Sealer::from_key(&KEY).key_check());
        assert!(!stored.contains(&hex(&KEY)[..16]), "{stored}");
        // Nothing was written by the refused node.
        assert_eq!(first.list_reports(&everything()).await.unwrap().len(), 1);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_database_made_before_the_check_gets_the_key_that_opens_it() {
    for backend in backends() {
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        submit(&store, "made before the check", "received").await;
        // As a database of the release before: no check value.
        sqlx::query("DELETE FROM key_check")
            .execute(store.pool())
            .await
            .unwrap();

        // A wrong key is not recorded: the existing reports say which key is right.
        let err = SqlStore::connect(&url, Sealer::from_key(&OTHER))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("another data key"), "{err}");
        let count = |s: &SqlStore| {
            let pool = s.pool().clone();
            async move {
                sqlx::query("SELECT COUNT(*) AS n FROM key_check")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .get::<i64, _>("n")
            }
        };
        assert_eq!(count(&store).await, 0, "{backend:?}");

        // The right key writes it on its first open.
        let reopened = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        assert_eq!(count(&reopened).await, 1, "{backend:?}");
        assert!(
            SqlStore::connect(&url, Sealer::from_key(&OTHER))
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn a_row_sealed_with_another_key_is_flagged_and_the_list_stays_up() {
    for backend in backends() {
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let good = submit(&store, "Readable title", "received").await;
        let bad = submit(&store, "Will be resealed", "received").await;
        // What a node with another key wrote, before the check existed.
        let foreign = Sealer::from_key(&OTHER)
            .seal_str(&format!("report-title:{bad}"), "Sealed elsewhere")
            .unwrap();
        sqlx::query("UPDATE reports SET title_sealed = $1 WHERE id = $2")
            .bind(foreign)
            .bind(bad.as_str())
            .execute(store.pool())
            .await
            .unwrap();

        let rows = store.list_reports(&everything()).await.unwrap();
        assert_eq!(rows.len(), 2, "{backend:?}: the list is not down");
        let title = |id: &ReportId| {
            rows.iter()
                .find(|r| &r.id == id)
                .map(|r| r.title.clone())
                .unwrap()
        };
        assert_eq!(title(&good), "Readable title");
        assert_eq!(title(&bad), UNREADABLE_TITLE);
        assert_eq!(store.count_reports(&everything()).await.unwrap(), 2);
        // The good report still opens whole.
        assert!(store.report(&good).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn report_audit_details_are_sealed_and_read_back() {
    let canary = "CVE-2026-10001 disclosure 2026-12-15 project CANARY-kafka";
    for backend in backends() {
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let id = submit(&store, "audited", canary).await;

        let stored = sqlx::query("SELECT detail, detail_sealed FROM audit WHERE report_id = $1")
            .bind(id.as_str())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(stored.get::<String, _>("detail"), "", "{backend:?}");
        let sealed: Vec<u8> = stored.get("detail_sealed");
        assert!(!contains(&sealed, b"CANARY") && !contains(&sealed, b"CVE-2026"));
        let log = store.audit_log(&id).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].detail, canary, "{backend:?}");

        // A line written in clear by an earlier release is sealed on the next open…
        sqlx::query(
            "INSERT INTO audit (report_id, at, actor, action, detail) \
             VALUES ($1, $2, 'alice', 'transition', 'accepted -> CANARY-old')",
        )
        .bind(id.as_str())
        .bind(t0().as_microsecond() + 1)
        .execute(store.pool())
        .await
        .unwrap();
        // (and so is a thread message's author label naming a held mail's sender)
        let sealed_body = Sealer::from_key(&KEY)
            .seal_str(&format!("message:{id}"), "Away until Monday.")
            .unwrap();
        sqlx::query(
            "INSERT INTO messages (report_id, kind, author_label, body_sealed, created_at) \
             VALUES ($1, 'note', 'Held mail from ann@canary-sender.example', $2, $3)",
        )
        .bind(id.as_str())
        .bind(sealed_body)
        .bind(t0().as_microsecond())
        .execute(store.pool())
        .await
        .unwrap();
        let reopened = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let clear_labels: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM messages WHERE author_label <> ''")
                .fetch_one(reopened.pool())
                .await
                .unwrap()
                .get("n");
        assert_eq!(
            clear_labels, 0,
            "{backend:?}: no author label left in clear"
        );
        let thread = reopened.messages(&id).await.unwrap();
        assert!(!thread[0].author_label.is_empty(), "{backend:?}");
        assert_eq!(
            thread[1].author_label,
            "Held mail from ann@canary-sender.example"
        );
        let clear: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit WHERE detail <> ''")
            .fetch_one(reopened.pool())
            .await
            .unwrap()
            .get("n");
        assert_eq!(clear, 0, "{backend:?}: no detail left in clear");
        let log = reopened.audit_log(&id).await.unwrap();
        assert_eq!(log[1].detail, "accepted -> CANARY-old");
        assert_eq!(
            (log[1].actor.as_str(), log[1].action.as_str()),
            ("alice", "transition")
        );

        // …and the log is still append-only: nothing else may change a line.
        for sql in [
            "UPDATE audit SET actor = 'someone else'",
            "UPDATE audit SET detail_sealed = NULL",
            "DELETE FROM audit",
        ] {
            let err = sqlx::query(sql)
                .execute(reopened.pool())
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("append-only"), "{backend:?} {sql}: {err}");
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn held_mail_keeps_no_message_id_or_sender_in_clear() {
    for backend in backends() {
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let mail = NewHeldMail {
            message_id: "f00d@mx.canary-sender.example",
            raw: b"From: ann@canary-sender.example\r\nSubject: out of office\r\n\r\nAway.",
            reason: "auto_reply: Auto-Submitted",
            from: Some("ann@canary-sender.example"),
            subject: "out of office",
            received_at: t0(),
        };
        let id = store.hold_mail(&mail).await.unwrap().unwrap();
        assert_eq!(
            store.hold_mail(&mail).await.unwrap(),
            None,
            "{backend:?}: the same message is held once"
        );

        let row = sqlx::query("SELECT message_id, reason FROM mail_held WHERE id = $1")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        let column: String = row.get("message_id");
        assert!(!column.contains("canary"), "{backend:?}: {column}");

        let listed = store.held_mails(HeldState::Held, 10).await.unwrap();
        assert_eq!(listed[0].message_id, mail.message_id);
        assert_eq!(listed[0].from.as_deref(), mail.from);
        let (info, raw) = store.held_mail(id).await.unwrap().unwrap();
        assert_eq!(
            (info.message_id.as_str(), raw.as_slice()),
            (mail.message_id, mail.raw)
        );

        // A held mail sealed with another key is listed as unreadable, not a failure.
        let foreign = Sealer::from_key(&OTHER)
            .seal_str(&format!("mail-held-summary:{column}"), "{}")
            .unwrap();
        sqlx::query("UPDATE mail_held SET summary_sealed = $1 WHERE id = $2")
            .bind(foreign)
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
        let listed = store.held_mails(HeldState::Held, 10).await.unwrap();
        assert_eq!(listed[0].subject, UNREADABLE_TITLE, "{backend:?}");
        assert_eq!(listed[0].from, None);
    }
}

#[tokio::test]
async fn database_passwords_never_reach_an_error() {
    for url in [
        "postgres://emb:hunter2-canary@127.0.0.1:5432/embargo?sslmode=no-such-mode",
        "postgres://127.0.0.1:5432/embargo?user=emb&password=hunter2-canary&sslmode=no-such-mode",
    ] {
        let err = SqlStore::connect(url, Sealer::random()).await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!redact_url(url).contains("hunter2"), "{}", redact_url(url));
        assert!(redact_url(url).contains("***"));
    }
}
