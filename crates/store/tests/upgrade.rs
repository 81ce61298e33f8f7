//! Data stored by an earlier version reads as today's model, on every backend: a
//! database left at the migrations before the one record model (0007), holding an
//! announced report whose sealed content has only the thin first record and its
//! advisory with only the thin `record` column, is opened by today's store (which runs
//! migration 0008) and reads whole.
//!
//! And the last release: a database at its migrations ([`RELEASE`]), holding what an
//! installation in use holds (a member, an audit line naming a disclosure date and a
//! CVE id, a queued mail, the CVE pool), upgrades through every later migration on
//! open and reads as before, its audit detail sealed in place.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use embargo_domain::ids::{CveId, ReportId};
use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, CreditKind, RecordState, Reference, Severity, VersionRange,
};
use embargo_domain::state::ReportState;
use embargo_store::test_support::{backends, fresh_database_url};
use embargo_store::{
    Advisories, Cves, Mailbox, Organisations, Reports, Sealer, SqlStore, Timeline, Users,
};
use sqlx::AnyPool;
use sqlx::migrate::Migrator;

/// The last migration before the one record model.
const BEFORE: i64 = 7;
const KEY: [u8; 32] = [7; 32];
const ID: &str = "EMB-ABCDEFGHJKMN";

/// The thin record as the earlier versions serialized it.
const THIN: &str = r#"{"title":"Apache Kafka: RCE in Connect","description":"An attacker can run code.","product":"Apache Kafka","affected":[{"introduced":"3.0.0","fixed":"3.7.1"},{"introduced":"4.0","fixed":null}],"severity":"important","cwe":"CWE-502","cwe_name":null,"mitigation":"Upgrade to 3.7.1.","credits":[{"name":"Ann","type":"finder"}],"references":["https://kafka.example.org/cve"]}"#;

/// An announced report as the earlier versions stored it, with `record` set to [`THIN`].
fn stored_report() -> String {
    format!(
        r#"{{"id":"{ID}","project":null,"state":"announced","title":"RCE in Connect",
        "description":"An attacker can run code.","affected_versions":"3.x",
        "reporter":{{"name":"Ann","email":"ann@example.org","credit":"Ann"}},"channel":"api",
        "received_at":"2026-11-19T10:00:00Z","acknowledged_at":"2026-11-19T11:00:00Z",
        "accepted_at":"2026-11-19T12:00:00Z","announced_at":"2026-11-22T10:00:00Z",
        "deadlines":{{"acknowledge_by":null,"discuss_by":null,"announce_by":"2026-12-19T12:00:00Z"}},
        "discussants":[],"disclosure_date":"2026-12-01","cve_summary":"RCE in Kafka Connect",
        "cve":"CVE-2026-10000","fix_ref":"abc123","release_ref":"3.7.1","record":{THIN},"version":9}}"#
    )
}

/// What [`THIN`] says, as the full record.
fn full() -> CnaRecord {
    CnaRecord {
        title: "Apache Kafka: RCE in Connect".into(),
        description: "An attacker can run code.".into(),
        products: vec![AffectedProduct {
            product: "Apache Kafka".into(),
            versions: vec![
                VersionRange::parse_line("3.0.0 before 3.7.1").unwrap(),
                VersionRange::parse_line("4.0 and later").unwrap(),
            ],
            ..AffectedProduct::default()
        }],
        severity: Some(Severity::Important),
        cwe: Some("CWE-502".into()),
        mitigation: Some("Upgrade to 3.7.1.".into()),
        credits: vec![Credit {
            name: "Ann".into(),
            kind: CreditKind::Finder,
        }],
        references: vec![Reference::parse_line("https://kafka.example.org/cve").unwrap()],
        ..CnaRecord::default()
    }
}

/// A database at migration [`BEFORE`], holding the report and its advisory as stored then.
async fn earlier_database(url: &str, backend: &str) {
    let pool = AnyPool::connect(url).await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut migrator = Migrator::new(dir.as_path()).await.unwrap();
    let earlier: Vec<_> = migrator
        .iter()
        .filter(|m| m.version <= BEFORE)
        .cloned()
        .collect();
    migrator.migrations = earlier.into();
    migrator.run(&pool).await.unwrap();

    let sealer = Sealer::from_key(&KEY);
    let project: i64 = sqlx::query_scalar(
        "INSERT INTO projects (slug, name, created_at, updated_at) VALUES ('kafka', 'Apache Kafka', 0, 0) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let content = sealer
        .seal(
            format!("report:{ID}").as_bytes(),
            stored_report().as_bytes(),
        )
        .unwrap();
    let title = sealer
        .seal_str(&format!("report-title:{ID}"), "RCE in Connect")
        .unwrap();
    sqlx::query(
        "INSERT INTO reports (id, project_id, state, closed, channel, title_sealed, content_sealed, \
         status_token_digest, received_at, next_due, due_key, cve_id, version, updated_at) \
         VALUES ($1, $2, 'announced', 1, 'api', $3, $4, 'digest', 0, NULL, $5, 'CVE-2026-10000', 9, 0)",
    )
    .bind(ID)
    .bind(project)
    .bind(title)
    .bind(content)
    .bind(i64::MAX)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO advisories (cve_id, report_id, project_id, title, announcement_subject, \
         announcement_body, record, published_at) \
         VALUES ('CVE-2026-10000', $1, $2, 'Apache Kafka: RCE in Connect', \
         'CVE-2026-10000: Apache Kafka: RCE in Connect', 'the body', $3, 1795341600000000)",
    )
    .bind(ID)
    .bind(project)
    .bind(THIN)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_report_and_advisory_stored_with_the_thin_record_read_whole() {
    for backend in backends() {
        let Some((url, _db)) = fresh_database_url(backend).await else {
            continue;
        };
        let name = backend.name();
        earlier_database(&url, name).await;
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap_or_else(|e| panic!("{name}: the upgrade fails: {e}"));

        let report = store
            .report(&ReportId::parse(ID).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.state, ReportState::Announced, "{name}");
        assert_eq!(report.cna_record, Some(full()), "{name}");
        assert_eq!(report.record_state(), Some(RecordState::Draft), "{name}");
        assert_eq!(report.project.as_ref().unwrap().slug.as_str(), "kafka");

        let cve = CveId::parse("CVE-2026-10000").unwrap();
        let published = store.advisory(&cve).await.unwrap().unwrap();
        assert_eq!(published.advisory.record, full(), "{name}");
        assert_eq!(
            published.advisory.announcement.subject,
            "CVE-2026-10000: Apache Kafka: RCE in Connect"
        );
        assert_eq!(store.advisories(None).await.unwrap(), vec![published]);
        store.close().await;
    }
}

/// The last migration of the last landed release.
const RELEASE: i64 = 13;

/// Runs the migrations up to `last` that are not applied yet.
async fn migrate_to(pool: &AnyPool, backend: &str, last: i64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut migrator = Migrator::new(dir.as_path()).await.unwrap();
    let upto: Vec<_> = migrator
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect();
    migrator.migrations = upto.into();
    migrator.run(pool).await.unwrap();
}

/// A database at [`RELEASE`] as an installation in use left it.
async fn release_database(url: &str, backend: &str) {
    earlier_database(url, backend).await;
    let pool = AnyPool::connect(url).await.unwrap();
    migrate_to(&pool, backend, RELEASE).await;
    sqlx::query(
        "INSERT INTO organisation (id, name, security_email, created_at) \
         VALUES (1, 'Example', 'security@example.org', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO users (email, name, org_team, password_hash, created_at) \
         VALUES ('admin@example.org', 'Admin', 1, NULL, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // The release wrote audit details in clear.
    sqlx::query(
        "INSERT INTO audit (report_id, at, actor, action, detail) \
         VALUES ($1, 1795341600000000, 'user:admin@example.org', 'transition', \
         'accepted; disclosure 2026-12-01; CVE-2026-10000')",
    )
    .bind(ID)
    .execute(&pool)
    .await
    .unwrap();
    let sealer = Sealer::from_key(&KEY);
    let sealed = |what: &str| sealer.seal(b"outbox:upgrade", what.as_bytes()).unwrap();
    sqlx::query(
        "INSERT INTO outbox (report_id, message_id, to_sealed, cc_sealed, subject_sealed, \
         body_sealed, state, attempts, next_attempt_at, created_at) \
         VALUES ($1, '<m1@example.org>', $2, $3, $4, $5, 'queued', 0, 0, 0)",
    )
    .bind(ID)
    .bind(sealed("[]"))
    .bind(sealed("[]"))
    .bind(sealed("subject"))
    .bind(sealed("body"))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO cve_pool (cve_id, year, number, state, report_id, assigned_at) VALUES \
         ('CVE-2026-10000', 2026, 10000, 'assigned', $1, 0), \
         ('CVE-2026-10001', 2026, 10001, 'free', NULL, NULL)",
    )
    .bind(ID)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_database_of_the_last_release_upgrades_through_every_later_migration() {
    for backend in backends() {
        let Some((url, _db)) = fresh_database_url(backend).await else {
            continue;
        };
        let name = backend.name();
        release_database(&url, name).await;
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap_or_else(|e| panic!("{name}: the upgrade from 00{RELEASE} fails: {e}"));

        let id = ReportId::parse(ID).unwrap();
        let report = store.report(&id).await.unwrap().unwrap();
        assert_eq!(report.state, ReportState::Announced, "{name}");
        assert_eq!(store.organisation().await.unwrap().unwrap().name, "Example");
        assert_eq!(store.count_users().await.unwrap(), 1, "{name}");
        let pool = store.pool_stats().await.unwrap();
        assert_eq!((pool.free, pool.assigned), (1, 1), "{name}");
        assert_eq!(store.outbox_stats().await.unwrap().queued, 1, "{name}");
        let audit = store.audit_log(&id).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|a| a.detail == "accepted; disclosure 2026-12-01; CVE-2026-10000"),
            "{name}: {audit:?}"
        );
        // The later features work on the old rows: the timeline and the search index
        // are filled in from them.
        store.backfill_timeline(100).await.unwrap();
        let open = store.open_now(None, jiff::Timestamp::now()).await.unwrap();
        assert!(open.iter().all(|o| o.open == 0), "{name}: {open:?}");
        store.close().await;

        // Every migration is applied, and the clear detail is gone from the disk.
        let raw = AnyPool::connect(&url).await.unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&raw)
            .await
            .unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(name);
        let latest = Migrator::new(dir.as_path())
            .await
            .unwrap()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap();
        assert_eq!(applied, latest, "{name}");
        let clear: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE detail LIKE '%CVE-2026%'")
                .fetch_one(&raw)
                .await
                .unwrap();
        assert_eq!(clear, 0, "{name}: an audit detail stayed in clear");
        raw.close().await;
    }
}
