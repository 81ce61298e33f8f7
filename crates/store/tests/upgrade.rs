//! Data stored by an earlier version reads as today's model, on every backend: a
//! database left at the migrations before the one record model (0007), holding an
//! announced report whose sealed content has only the thin first record and its
//! advisory with only the thin `record` column, is opened by today's store (which runs
//! migration 0008) and reads whole.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use embargo_domain::ids::{CveId, ReportId};
use embargo_domain::record::{
    CnaRecord, Credit, CreditKind, RecordState, Reference, Severity, VersionRange,
};
use embargo_domain::state::ReportState;
use embargo_store::test_support::{backends, fresh_database_url};
use embargo_store::{Advisories, Reports, Sealer, SqlStore};
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
        product: "Apache Kafka".into(),
        affected: vec![
            VersionRange::parse_line("3.0.0 before 3.7.1").unwrap(),
            VersionRange::parse_line("4.0 and later").unwrap(),
        ],
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
