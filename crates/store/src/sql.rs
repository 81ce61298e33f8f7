//! `SqlStore`: the store traits over sqlx's `Any` driver, for SQLite and PostgreSQL alike.
//!
//! The SQL is written once, portably: `$N` placeholders (sqlx-sqlite maps `$N` to
//! argument N), BIGINT/INTEGER, TEXT and BLOB/BYTEA columns only, times as
//! microseconds since the epoch, flags as 0/1. Each backend has its own migration set
//! with the same tables, so the schema can use what each does best (identity columns,
//! plpgsql triggers) while the queries stay shared.

use std::time::Duration;

use async_trait::async_trait;
use embargo_domain::cna::CnaRecord;
use embargo_domain::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use embargo_domain::lifecycle::{Advisory, Change};
use embargo_domain::record::{Announcement, RecordDraft};
use embargo_domain::report::{AuditEntry, Message, MessageKind, ProjectRef, Report};
use embargo_domain::state::ReportState;
use embargo_domain::token::TokenDigest;
use jiff::Timestamp;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::model::*;
use crate::seal::Sealer;
use crate::{Advisories, Cves, Organisations, Projects, Reports, Result, StoreError, Users};

/// How long a SQLite connection waits for another writer's lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// SQLite has one writer at a time anyway; a few connections let reads run beside it.
const SQLITE_POOL_SIZE: u32 = 4;
const POSTGRES_POOL_SIZE: u32 = 10;
/// Rows per multi-row INSERT when filling the CVE pool (3 parameters each stays far
/// below both backends' parameter limits).
const POOL_INSERT_CHUNK: usize = 500;

pub(crate) type Tx = Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The store over SQLite (`sqlite://PATH?mode=rwc`) or PostgreSQL (`postgres://...`).
/// Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) sealer: Sealer,
    backend: Backend,
    /// Words lifecycle mails from the site's templates as they are queued.
    renderer: Option<std::sync::Arc<dyn crate::mailbox::MailRenderer>>,
    /// The right-hand side of the Message-IDs of queued mail (the sender's domain).
    mail_domain: std::sync::Arc<str>,
}

impl SqlStore {
    /// Connects, prepares every connection (SQLite: WAL, `synchronous=FULL`, foreign
    /// keys, busy timeout) and brings the schema up to date.
    pub async fn connect(url: &str, sealer: Sealer) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite:// or postgres://".into(),
            ));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => SQLITE_POOL_SIZE,
                Backend::Postgres => POSTGRES_POOL_SIZE,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        // busy_timeout first: switching to WAL needs a lock another
                        // connection may hold for a moment.
                        for pragma in [
                            format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"),
                            "PRAGMA journal_mode = WAL".to_string(),
                            // A committed report survives a power cut, not just a crash.
                            "PRAGMA synchronous = FULL".to_string(),
                            "PRAGMA foreign_keys = ON".to_string(),
                        ] {
                            sqlx::query(&pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(SqlStore {
            pool,
            sealer,
            backend,
            renderer: None,
            mail_domain: "embargo".into(),
        })
    }

    /// Lifecycle mails are worded by `renderer` as they are queued, in the transaction
    /// of the change that caused them.
    pub fn with_mail_renderer(
        mut self,
        renderer: std::sync::Arc<dyn crate::mailbox::MailRenderer>,
    ) -> Self {
        self.renderer = Some(renderer);
        self
    }

    /// Queued mail gets Message-IDs `<random@domain>`: receiving servers and spam
    /// filters expect the sender's own domain there.
    pub fn with_mail_domain(mut self, domain: &str) -> Self {
        let domain = domain.trim();
        if !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            self.mail_domain = domain.into();
        }
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The underlying pool, for tests and maintenance commands.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and then writes
    /// fails with SQLITE_BUSY at once when another writer got in between, whereas
    /// waiting for the lock up front lets the busy timeout do its work.
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// `create_report` inside the caller's transaction (the mail intake adds its own rows).
    pub(crate) async fn create_report_in(
        &self,
        tx: &mut Tx,
        change: &Change,
        status_token: &TokenDigest,
    ) -> Result<Report> {
        let mut report = change.report.clone();
        report.version = 1;
        let cols = self.report_columns(&report)?;
        sqlx::query(
            "INSERT INTO reports (id, project_id, state, closed, channel, title_sealed, content_sealed, \
             status_token_digest, received_at, next_due, due_key, cve_id, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(report.id.as_str())
        .bind(cols.project_id)
        .bind(cols.state)
        .bind(cols.closed)
        .bind(report.channel.as_str())
        .bind(cols.title)
        .bind(cols.content)
        .bind(status_token.as_str())
        .bind(report.received_at.as_microsecond())
        .bind(cols.next_due)
        .bind(cols.due_key)
        .bind(cols.cve)
        .bind(report.version)
        .bind(change.audit.at.as_microsecond())
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_conflict(e, || format!("report {} or its status link already exists", report.id)))?;
        self.insert_effects(tx, change).await?;
        Ok(report)
    }

    /// `apply` inside the caller's transaction.
    pub(crate) async fn apply_in(&self, tx: &mut Tx, change: &Change) -> Result<Report> {
        let expected = change.report.version;
        let mut report = change.report.clone();
        report.version = expected + 1;
        let cols = self.report_columns(&report)?;
        let updated = sqlx::query(
            "UPDATE reports SET project_id = $1, state = $2, closed = $3, title_sealed = $4, \
             content_sealed = $5, next_due = $6, due_key = $7, cve_id = $8, version = $9, updated_at = $10 \
             WHERE id = $11 AND version = $12",
        )
        .bind(cols.project_id)
        .bind(cols.state)
        .bind(cols.closed)
        .bind(cols.title)
        .bind(cols.content)
        .bind(cols.next_due)
        .bind(cols.due_key)
        .bind(cols.cve.clone())
        .bind(report.version)
        .bind(change.audit.at.as_microsecond())
        .bind(report.id.as_str())
        .bind(expected)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            unique_conflict(e, || {
                // Only cve_id is unique among the updated columns: another report holds it.
                format!("{} is not a free id of the pool", cols.cve.as_deref().unwrap_or("the CVE"))
            })
        })?
        .rows_affected();
        if updated == 0 {
            let exists = sqlx::query("SELECT 1 AS one FROM reports WHERE id = $1")
                .bind(report.id.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
            return Err(StoreError::Conflict(if exists {
                "the report changed since it was read; reload and try again".into()
            } else {
                format!("there is no report {}", report.id)
            }));
        }
        self.insert_effects(tx, change).await?;
        Ok(report)
    }

    fn report_columns(&self, report: &Report) -> Result<ReportColumns> {
        let id = report.id.as_str();
        let content = serde_json::to_vec(report)
            .map_err(|e| StoreError::Corrupt(format!("report {id} does not serialize: {e}")))?;
        let next_due = report.next_due().map(|t| t.as_microsecond());
        Ok(ReportColumns {
            project_id: report.project.as_ref().map(|p| p.id.0),
            state: report.state.as_str(),
            closed: i64::from(report.state.is_terminal()),
            title: self.sealer.seal_str(&title_aad(id), &report.title)?,
            content: self.sealer.seal(report_aad(id).as_bytes(), &content)?,
            next_due,
            due_key: next_due.unwrap_or(i64::MAX),
            cve: report.cve.as_ref().map(ToString::to_string),
        })
    }

    /// Everything of a change besides the report row: thread, outbox, audit, CVE claim,
    /// advisory. Runs inside the caller's transaction.
    async fn insert_effects(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report_id = change.report.id.as_str();
        let now = change.audit.at.as_microsecond();
        for m in &change.messages {
            sqlx::query(
                "INSERT INTO messages (report_id, kind, author_id, author_label, body_sealed, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(report_id)
            .bind(m.kind.as_str())
            .bind(m.author.map(|u| u.0))
            .bind(&m.author_label)
            .bind(self.sealer.seal_str(&message_aad(report_id), &m.body)?)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        for mail in &change.mails {
            let message_id = new_message_id(&self.mail_domain);
            let (subject, body) = match &self.renderer {
                Some(r) => r.render(&change.report, mail),
                None => (mail.subject.clone(), mail.body.clone()),
            };
            // Kept in clear (no address): whether the reporter got it, so that a member's
            // mail answering it may be relayed and an answer to anything else may not.
            let audience = if mail.reaches_reporter(&change.report) {
                "reporter"
            } else {
                "team"
            };
            sqlx::query(
                "INSERT INTO outbox (report_id, message_id, to_sealed, cc_sealed, subject_sealed, body_sealed, \
                 state, attempts, next_attempt_at, created_at, audience) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9)",
            )
            .bind(report_id)
            .bind(&message_id)
            .bind(self.sealer.seal_str(&outbox_to_aad(&message_id), &addresses_json(&mail.to)?)?)
            .bind(self.sealer.seal_str(&outbox_cc_aad(&message_id), &addresses_json(&mail.cc)?)?)
            .bind(self.sealer.seal_str(&outbox_subject_aad(&message_id), &subject)?)
            .bind(self.sealer.seal_str(&outbox_body_aad(&message_id), &body)?)
            .bind(now)
            .bind(now)
            .bind(audience)
            .execute(&mut **tx)
            .await?;
        }
        insert_audit(tx, report_id, &change.audit).await?;
        if let Some(cve) = &change.claim_cve {
            let claimed = sqlx::query(
                "UPDATE cve_pool SET state = 'assigned', report_id = $1, assigned_at = $2 \
                 WHERE cve_id = $3 AND state = 'free'",
            )
            .bind(report_id)
            .bind(now)
            .bind(cve.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                return Err(StoreError::Conflict(format!(
                    "{cve} is not a free id of the pool"
                )));
            }
        }
        if let Some(advisory) = &change.publish {
            insert_advisory(tx, advisory, change.report.cna_record.as_ref()).await?;
        }
        self.keep_record_version(tx, change).await?;
        Ok(())
    }

    fn decode_report(&self, row: &AnyRow) -> Result<Report> {
        let id: String = row.try_get("id")?;
        let content: Vec<u8> = row.try_get("content_sealed")?;
        let json = self.sealer.open(report_aad(&id).as_bytes(), &content)?;
        let mut report: Report = serde_json::from_slice(&json)
            .map_err(|e| StoreError::Corrupt(format!("report {id} does not parse: {e}")))?;
        if report.id.as_str() != id {
            return Err(StoreError::Corrupt(format!(
                "report row {id} holds another report"
            )));
        }
        // The columns are authoritative for what the store itself maintains: the
        // version, and the project's current slug and name.
        report.version = row.try_get("version")?;
        report.project = project_ref(row)?;
        Ok(report)
    }

    async fn fetch_report(&self, column: &str, value: &str) -> Result<Option<Report>> {
        let sql = format!(
            "SELECT r.id, r.content_sealed, r.version, r.project_id, p.slug, p.name, p.trusted \
             FROM reports r LEFT JOIN projects p ON p.id = r.project_id WHERE r.{column} = $1"
        );
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| self.decode_report(&r)).transpose()
    }

    async fn team(&self, project: ProjectId) -> Result<Vec<Email>> {
        let rows = sqlx::query(
            "SELECT u.email FROM project_members m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = $1 ORDER BY u.email",
        )
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| email(r.try_get("email")?)).collect()
    }

    async fn fetch_project(&self, column: &str, key: Key<'_>) -> Result<Option<Project>> {
        let sql = format!("{PROJECT_SELECT} WHERE {column} = $1");
        let query = key.bind_to(sqlx::query(&sql));
        let Some(row) = query.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut project = decode_project(&row)?;
        project.team = self.team(project.id).await?;
        Ok(Some(project))
    }

    async fn fetch_user(&self, row: Option<AnyRow>) -> Result<Option<User>> {
        let Some(row) = row else { return Ok(None) };
        let id = UserId(row.try_get("id")?);
        let projects = sqlx::query(
            "SELECT project_id FROM project_members WHERE user_id = $1 ORDER BY project_id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(ProjectId(r.try_get("project_id")?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(User {
            id,
            email: email(row.try_get("email")?)?,
            name: row.try_get("name")?,
            org_team: row.try_get::<i64, _>("org_team")? != 0,
            password_hash: row.try_get("password_hash")?,
            projects,
        }))
    }

    async fn fetch_advisories(
        &self,
        filter: &str,
        key: Option<Key<'_>>,
    ) -> Result<Vec<PublishedAdvisory>> {
        let sql = format!(
            "SELECT a.cve_id, a.report_id, a.project_id, a.title, a.announcement_subject, \
             a.announcement_body, a.record, a.cna_record, a.published_at, p.slug, p.name, p.trusted \
             FROM advisories a JOIN projects p ON p.id = a.project_id {filter} \
             ORDER BY a.published_at DESC, a.cve_id DESC"
        );
        let mut query = sqlx::query(&sql);
        if let Some(key) = key {
            query = key.bind_to(query);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(decode_advisory).collect()
    }
}

/// The clear and sealed columns a report is stored as.
struct ReportColumns {
    project_id: Option<i64>,
    state: &'static str,
    closed: i64,
    title: Vec<u8>,
    content: Vec<u8>,
    next_due: Option<i64>,
    due_key: i64,
    cve: Option<String>,
}

/// The one parameter of a lookup query.
enum Key<'a> {
    Int(i64),
    Text(&'a str),
}

impl<'a> Key<'a> {
    fn bind_to<'q>(self, query: AnyQuery<'q>) -> AnyQuery<'q>
    where
        'a: 'q,
    {
        match self {
            Key::Int(v) => query.bind(v),
            Key::Text(v) => query.bind(v),
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

// Associated data: which row and column a sealed value belongs to.
fn report_aad(id: &str) -> String {
    format!("report:{id}")
}
fn title_aad(id: &str) -> String {
    format!("report-title:{id}")
}
fn message_aad(report_id: &str) -> String {
    format!("message:{report_id}")
}
pub(crate) fn outbox_subject_aad(message_id: &str) -> String {
    format!("outbox-subject:{message_id}")
}
pub(crate) fn outbox_to_aad(message_id: &str) -> String {
    format!("outbox-to:{message_id}")
}
pub(crate) fn outbox_cc_aad(message_id: &str) -> String {
    format!("outbox-cc:{message_id}")
}
pub(crate) fn outbox_body_aad(message_id: &str) -> String {
    format!("outbox-body:{message_id}")
}

/// A mail's Message-ID, fixed when it is queued so that a retried delivery is the same
/// mail to the recipient's server (and to threading).
fn new_message_id(domain: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    format!("<{}@{domain}>", hex::encode(bytes))
}

fn addresses_json(addresses: &[Email]) -> Result<String> {
    serde_json::to_string(addresses)
        .map_err(|e| StoreError::Corrupt(format!("addresses do not serialize: {e}")))
}

pub(crate) fn addresses(json: &str) -> Result<Vec<Email>> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("stored addresses do not parse: {e}")))
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| StoreError::Corrupt(format!("stored time {micros}: {e}")))
}

fn email(s: String) -> Result<Email> {
    Email::parse(&s).map_err(|e| StoreError::Corrupt(format!("stored address: {e}")))
}

fn optional_email(s: Option<String>) -> Result<Option<Email>> {
    s.map(email).transpose()
}

fn cve_id(s: &str) -> Result<CveId> {
    CveId::parse(s).map_err(|e| StoreError::Corrupt(format!("stored CVE id: {e}")))
}

pub(crate) fn report_id(s: &str) -> Result<ReportId> {
    ReportId::parse(s).map_err(|e| StoreError::Corrupt(format!("stored report id: {e}")))
}

fn slug(s: &str) -> Result<ProjectSlug> {
    ProjectSlug::parse(s).map_err(|e| StoreError::Corrupt(format!("stored project slug: {e}")))
}

/// The project of a row joined as `project_id, slug, name, trusted`.
fn project_ref(row: &AnyRow) -> Result<Option<ProjectRef>> {
    let Some(id) = row.try_get::<Option<i64>, _>("project_id")? else {
        return Ok(None);
    };
    Ok(Some(ProjectRef {
        id: ProjectId(id),
        slug: slug(&row.try_get::<String, _>("slug")?)?,
        name: row.try_get("name")?,
        trusted: row.try_get::<i64, _>("trusted")? != 0,
    }))
}

/// A unique-constraint violation means the caller collided with existing data: say so
/// as a `Conflict`; anything else stays a database error.
pub(crate) fn unique_conflict(e: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(message()),
        _ => StoreError::Database(e),
    }
}

pub(crate) async fn insert_audit(tx: &mut Tx, report_id: &str, entry: &AuditEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (report_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(report_id)
    .bind(entry.at.as_microsecond())
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_advisory(tx: &mut Tx, a: &Advisory, full: Option<&CnaRecord>) -> Result<()> {
    let record = serde_json::to_string(&a.record)
        .map_err(|e| StoreError::Corrupt(format!("record does not serialize: {e}")))?;
    let full = full
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("record does not serialize: {e}")))?;
    sqlx::query(
        "INSERT INTO advisories (cve_id, report_id, project_id, title, announcement_subject, \
         announcement_body, record, published_at, cna_record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.cve.to_string())
    .bind(a.report.as_str())
    .bind(a.project.0)
    .bind(&a.title)
    .bind(&a.announcement.subject)
    .bind(&a.announcement.body)
    .bind(record)
    .bind(a.published_at.as_microsecond())
    .bind(full)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        unique_conflict(e, || {
            format!("{} or its report is already published", a.cve)
        })
    })?;
    Ok(())
}

fn decode_advisory(row: &AnyRow) -> Result<PublishedAdvisory> {
    let record: String = row.try_get("record")?;
    let record: RecordDraft = serde_json::from_str(&record)
        .map_err(|e| StoreError::Corrupt(format!("stored record does not parse: {e}")))?;
    let project = project_ref(row)?
        .ok_or_else(|| StoreError::Corrupt("advisory without a project".into()))?;
    let full = match row.try_get::<Option<String>, _>("cna_record")? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("stored record does not parse: {e}")))?,
        None => CnaRecord::from(record.clone()),
    };
    Ok(PublishedAdvisory {
        record: full,
        advisory: Advisory {
            cve: cve_id(&row.try_get::<String, _>("cve_id")?)?,
            report: report_id(&row.try_get::<String, _>("report_id")?)?,
            project: project.id,
            title: row.try_get("title")?,
            announcement: Announcement {
                subject: row.try_get("announcement_subject")?,
                body: row.try_get("announcement_body")?,
            },
            record,
            published_at: timestamp(row.try_get("published_at")?)?,
        },
        project,
    })
}

const PROJECT_SELECT: &str = "SELECT id, slug, name, security_email, users_list, security_model_url, policy, trusted FROM projects";

/// A project row without its team.
fn decode_project(row: &AnyRow) -> Result<Project> {
    let policy: String = row.try_get("policy")?;
    Ok(Project {
        id: ProjectId(row.try_get("id")?),
        slug: slug(&row.try_get::<String, _>("slug")?)?,
        name: row.try_get("name")?,
        security_email: optional_email(row.try_get("security_email")?)?,
        users_list: optional_email(row.try_get("users_list")?)?,
        security_model_url: row.try_get("security_model_url")?,
        policy: serde_json::from_str(&policy).map_err(|e| {
            StoreError::Corrupt(format!("stored project policy does not parse: {e}"))
        })?,
        team: Vec::new(),
        trusted: row.try_get::<i64, _>("trusted")? != 0,
    })
}

#[async_trait]
impl Organisations for SqlStore {
    async fn organisation(&self) -> Result<Option<Organisation>> {
        let row = sqlx::query("SELECT name, security_email FROM organisation WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Organisation {
                name: r.try_get("name")?,
                security_email: email(r.try_get("security_email")?)?,
            })
        })
        .transpose()
    }

    async fn init_organisation(&self, org: &Organisation) -> Result<()> {
        sqlx::query("INSERT INTO organisation (id, name, security_email, created_at) VALUES (1, $1, $2, $3)")
            .bind(&org.name)
            .bind(org.security_email.as_str())
            .bind(Timestamp::now().as_microsecond())
            .execute(&self.pool)
            .await
            .map_err(|e| unique_conflict(e, || "the organisation is already set up".into()))?;
        Ok(())
    }
}

#[async_trait]
impl Users for SqlStore {
    async fn create_user(&self, user: &NewUser) -> Result<UserId> {
        let row = sqlx::query(
            "INSERT INTO users (email, name, org_team, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.email.as_str())
        .bind(&user.name)
        .bind(i64::from(user.org_team))
        .bind(user.password_hash.as_deref())
        .bind(Timestamp::now().as_microsecond())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            unique_conflict(e, || {
                format!("a user with the address {} already exists", user.email)
            })
        })?;
        Ok(UserId(row.try_get("id")?))
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, email, name, org_team, password_hash FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        self.fetch_user(row).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let row =
            sqlx::query("SELECT id, email, name, org_team, password_hash FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        self.fetch_user(row).await
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> Result<()> {
        let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::Conflict(format!("there is no user {}", id.0)));
        }
        Ok(())
    }

    async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn insert_credential(&self, c: &NewCredential) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (digest, user_id, kind, csrf, expires_at, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.digest.as_str())
        .bind(c.user.0)
        .bind(c.kind.as_str())
        .bind(c.csrf.as_deref())
        .bind(c.expires_at.map(|t| t.as_microsecond()))
        .bind(c.label.as_deref())
        .bind(Timestamp::now().as_microsecond())
        .execute(&self.pool)
        .await
        .map_err(|e| unique_conflict(e, || "this credential already exists".into()))?;
        Ok(())
    }

    async fn credential(
        &self,
        digest: &TokenDigest,
        kind: CredentialKind,
        now: Timestamp,
    ) -> Result<Option<Credential>> {
        let row = sqlx::query(
            "SELECT user_id, csrf, expires_at FROM credentials \
             WHERE digest = $1 AND kind = $2 AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(digest.as_str())
        .bind(kind.as_str())
        .bind(now.as_microsecond())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Credential {
                user: UserId(r.try_get("user_id")?),
                csrf: r.try_get("csrf")?,
                expires_at: r
                    .try_get::<Option<i64>, _>("expires_at")?
                    .map(timestamp)
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn delete_credential(&self, digest: &TokenDigest) -> Result<()> {
        sqlx::query("DELETE FROM credentials WHERE digest = $1")
            .bind(digest.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Projects for SqlStore {
    async fn upsert_project(&self, input: &ProjectInput) -> Result<UpsertOutcome> {
        let policy = serde_json::to_string(&input.policy)
            .map_err(|e| StoreError::Corrupt(format!("policy does not serialize: {e}")))?;
        let now = Timestamp::now().as_microsecond();
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(&format!("{PROJECT_SELECT} WHERE slug = $1"))
            .bind(input.slug.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| decode_project(&r))
            .transpose()?;
        let created = existing.is_none();
        let mut changed = false;
        let id = match existing {
            None => {
                let row = sqlx::query(
                    "INSERT INTO projects (slug, name, security_email, users_list, security_model_url, policy, \
                     created_at, updated_at, trusted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(input.slug.as_str())
                .bind(&input.name)
                .bind(input.security_email.as_ref().map(Email::as_str))
                .bind(input.users_list.as_ref().map(Email::as_str))
                .bind(input.security_model_url.as_deref())
                .bind(&policy)
                .bind(now)
                .bind(now)
                .bind(i64::from(input.trusted))
                .fetch_one(&mut *tx)
                .await?;
                ProjectId(row.try_get("id")?)
            }
            Some(p) => {
                let same = p.name == input.name
                    && p.security_email == input.security_email
                    && p.users_list == input.users_list
                    && p.security_model_url == input.security_model_url
                    && p.policy == input.policy
                    && p.trusted == input.trusted;
                if !same {
                    changed = true;
                    sqlx::query(
                        "UPDATE projects SET name = $1, security_email = $2, users_list = $3, \
                         security_model_url = $4, policy = $5, updated_at = $6, trusted = $8 WHERE id = $7",
                    )
                    .bind(&input.name)
                    .bind(input.security_email.as_ref().map(Email::as_str))
                    .bind(input.users_list.as_ref().map(Email::as_str))
                    .bind(input.security_model_url.as_deref())
                    .bind(&policy)
                    .bind(now)
                    .bind(p.id.0)
                    .bind(i64::from(input.trusted))
                    .execute(&mut *tx)
                    .await?;
                }
                p.id
            }
        };

        // The team: exactly the given addresses, creating password-less users as needed.
        let mut wanted = Vec::with_capacity(input.team.len());
        for address in &input.team {
            sqlx::query(
                "INSERT INTO users (email, name, org_team, password_hash, created_at) \
                 VALUES ($1, $1, 0, NULL, $2) ON CONFLICT (email) DO NOTHING",
            )
            .bind(address.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query("SELECT id FROM users WHERE email = $1")
                .bind(address.as_str())
                .fetch_one(&mut *tx)
                .await?;
            wanted.push(row.try_get::<i64, _>("id")?);
        }
        wanted.sort_unstable();
        wanted.dedup();
        let current: Vec<i64> =
            sqlx::query("SELECT user_id FROM project_members WHERE project_id = $1")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("user_id"))
                .collect::<Result<_, _>>()?;
        for user in current.iter().filter(|u| !wanted.contains(u)) {
            changed = true;
            sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
                .bind(id.0)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        for user in wanted.iter().filter(|u| !current.contains(u)) {
            changed = true;
            sqlx::query("INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)")
                .bind(id.0)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(if created {
            UpsertOutcome::Created(id)
        } else if changed {
            UpsertOutcome::Updated(id)
        } else {
            UpsertOutcome::Unchanged(id)
        })
    }

    async fn project_by_slug(&self, slug: &ProjectSlug) -> Result<Option<Project>> {
        self.fetch_project("slug", Key::Text(slug.as_str())).await
    }

    async fn project_by_id(&self, id: ProjectId) -> Result<Option<Project>> {
        self.fetch_project("id", Key::Int(id.0)).await
    }

    async fn list_projects(&self) -> Result<Vec<Project>> {
        let mut projects: Vec<Project> = sqlx::query(&format!("{PROJECT_SELECT} ORDER BY slug"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(decode_project)
            .collect::<Result<_>>()?;
        // One query for every team, not one per project.
        let members = sqlx::query(
            "SELECT m.project_id, u.email FROM project_members m JOIN users u ON u.id = m.user_id \
             ORDER BY m.project_id, u.email",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &members {
            let project_id: i64 = row.try_get("project_id")?;
            if let Some(p) = projects.iter_mut().find(|p| p.id.0 == project_id) {
                p.team.push(email(row.try_get("email")?)?);
            }
        }
        Ok(projects)
    }
}

#[async_trait]
impl Reports for SqlStore {
    async fn create_report(&self, change: &Change, status_token: &TokenDigest) -> Result<Report> {
        let mut tx = self.begin_write().await?;
        let report = self.create_report_in(&mut tx, change, status_token).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn report(&self, id: &ReportId) -> Result<Option<Report>> {
        self.fetch_report("id", id.as_str()).await
    }

    async fn report_by_status_token(&self, digest: &TokenDigest) -> Result<Option<Report>> {
        self.fetch_report("status_token_digest", digest.as_str())
            .await
    }

    async fn apply(&self, change: &Change) -> Result<Report> {
        let mut tx = self.begin_write().await?;
        let report = self.apply_in(&mut tx, change).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn apply_both(&self, first: &Change, second: &Change) -> Result<(Report, Report)> {
        if first.report.id == second.report.id {
            return Err(StoreError::Conflict(
                "both changes are of the same report".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        // An error returns before the commit: the transaction rolls back on drop.
        let a = self.apply_in(&mut tx, first).await?;
        let b = self.apply_in(&mut tx, second).await?;
        tx.commit().await?;
        Ok((a, b))
    }

    async fn apply_and_create(
        &self,
        original: &Change,
        created: &Change,
        status_token: &TokenDigest,
    ) -> Result<(Report, Report)> {
        let mut tx = self.begin_write().await?;
        let a = self.apply_in(&mut tx, original).await?;
        let b = self
            .create_report_in(&mut tx, created, status_token)
            .await?;
        tx.commit().await?;
        Ok((a, b))
    }

    /// `limit: 0` means no limit.
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        let mut sql = String::from(
            "SELECT r.id, r.project_id, p.slug, p.name, p.trusted, r.state, r.title_sealed, r.received_at, r.next_due, r.cve_id \
             FROM reports r LEFT JOIN projects p ON p.id = r.project_id WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if !filter.include_closed {
            sql.push_str(" AND r.closed = 0");
        }
        if filter.state.is_some() {
            sql.push_str(&format!(" AND r.state = {}", next()));
        }
        if let Some(projects) = &filter.projects {
            if projects.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = projects.iter().map(|_| next()).collect();
            sql.push_str(&format!(" AND r.project_id IN ({})", marks.join(", ")));
        }
        // Soonest deadline first, none last (due_key), then newest; the id only makes
        // the order total so that pages never overlap.
        sql.push_str(&format!(
            " ORDER BY r.due_key, r.received_at DESC, r.id LIMIT {} OFFSET {}",
            next(),
            next()
        ));
        let mut query = sqlx::query(&sql);
        if let Some(state) = filter.state {
            query = query.bind(state.as_str());
        }
        for p in filter.projects.iter().flatten() {
            query = query.bind(p.0);
        }
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::from(filter.limit)
        };
        query = query.bind(limit).bind(i64::from(filter.offset));
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let title: Vec<u8> = row.try_get("title_sealed")?;
                let state: String = row.try_get("state")?;
                Ok(ReportSummary {
                    title: self.sealer.open_string(&title_aad(&id), &title)?,
                    id: report_id(&id)?,
                    project: project_ref(row)?,
                    state: ReportState::parse(&state)
                        .map_err(|e| StoreError::Corrupt(format!("stored state: {e}")))?,
                    received_at: timestamp(row.try_get("received_at")?)?,
                    next_due: row
                        .try_get::<Option<i64>, _>("next_due")?
                        .map(timestamp)
                        .transpose()?,
                    cve: row
                        .try_get::<Option<String>, _>("cve_id")?
                        .as_deref()
                        .map(cve_id)
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn messages(&self, id: &ReportId) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, kind, author_id, author_label, body_sealed, created_at FROM messages \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let aad = message_aad(id.as_str());
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let body: Vec<u8> = row.try_get("body_sealed")?;
                Ok(Message {
                    id: row.try_get("id")?,
                    kind: MessageKind::parse(&kind).ok_or_else(|| {
                        StoreError::Corrupt(format!("stored message kind {kind:?}"))
                    })?,
                    author: row.try_get::<Option<i64>, _>("author_id")?.map(UserId),
                    author_label: row.try_get("author_label")?,
                    body: self.sealer.open_string(&aad, &body)?,
                    created_at: timestamp(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn audit_log(&self, id: &ReportId) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: timestamp(row.try_get("at")?)?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn outbox_for_report(&self, id: &ReportId) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT id, message_id, to_sealed, cc_sealed, subject_sealed, state, attempts, last_error, created_at \
             FROM outbox WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let message_id: String = row.try_get("message_id")?;
                let subject: Vec<u8> = row.try_get("subject_sealed")?;
                Ok(OutboxEntry {
                    id: row.try_get("id")?,
                    to: addresses(&self.sealer.open_string(
                        &outbox_to_aad(&message_id),
                        &row.try_get::<Vec<u8>, _>("to_sealed")?,
                    )?)?,
                    cc: addresses(&self.sealer.open_string(
                        &outbox_cc_aad(&message_id),
                        &row.try_get::<Vec<u8>, _>("cc_sealed")?,
                    )?)?,
                    subject: self
                        .sealer
                        .open_string(&outbox_subject_aad(&message_id), &subject)?,
                    state: row.try_get("state")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    created_at: timestamp(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Cves for SqlStore {
    async fn add_to_pool(&self, ids: &[CveId]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for chunk in ids.chunks(POOL_INSERT_CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, 'free')", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO cve_pool (cve_id, year, number, state) VALUES {} ON CONFLICT (cve_id) DO NOTHING",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                let number = i64::try_from(id.number())
                    .map_err(|_| StoreError::Conflict(format!("{id} has too large a number")))?;
                query = query
                    .bind(id.to_string())
                    .bind(i64::from(id.year()))
                    .bind(number);
            }
            added += query.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn next_free_cve(&self) -> Result<Option<CveId>> {
        let row = sqlx::query(
            "SELECT cve_id FROM cve_pool WHERE state = 'free' ORDER BY year, number LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| cve_id(&r.try_get::<String, _>("cve_id")?))
            .transpose()
    }

    async fn pool_stats(&self) -> Result<PoolStats> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM cve_pool GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut stats = PoolStats {
            free: 0,
            assigned: 0,
        };
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<String, _>("state")?.as_str() {
                "free" => stats.free = n,
                "assigned" => stats.assigned = n,
                other => return Err(StoreError::Corrupt(format!("stored pool state {other:?}"))),
            }
        }
        Ok(stats)
    }
}

#[async_trait]
impl Advisories for SqlStore {
    async fn advisories(&self, project: Option<ProjectId>) -> Result<Vec<PublishedAdvisory>> {
        match project {
            None => self.fetch_advisories("", None).await,
            Some(p) => {
                self.fetch_advisories("WHERE a.project_id = $1", Some(Key::Int(p.0)))
                    .await
            }
        }
    }

    async fn advisory(&self, cve: &CveId) -> Result<Option<PublishedAdvisory>> {
        let cve = cve.to_string();
        Ok(self
            .fetch_advisories("WHERE a.cve_id = $1", Some(Key::Text(&cve)))
            .await?
            .pop())
    }
}
