//! Dependency statements (VEX, docs/vex.md): a project's statements, each with every
//! earlier version kept, and the organisation-level audit entry of each change.
//!
//! A statement's content (the statement, who wrote this version, what an import kept
//! beside it) is sealed per version in `statement_versions`, bound to its statement and
//! version; the `statements` row holds in clear only what queries need (project, public
//! flag, expiry, times, the current version, withdrawal). Statements are withdrawn,
//! never deleted, and their history is append-only. An import is one transaction: all
//! of a file's statements are stored, or none. What a Dependency-Check suppression file
//! says besides statements (rules by CPE, hash, file path) is kept sealed per project
//! and file, as the formats write it, so that an export gives it back.

use async_trait::async_trait;
use embargo_domain::ids::ProjectId;
use embargo_domain::vex::{Statement, StoredStatement};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

mod import;
mod reminders;

use crate::sql::Tx;
use crate::sql::codec::timestamp;
use crate::{Result, SqlStore, StoreError};

/// Most statements in force per project (adding or importing beyond is refused).
pub const MAX_STATEMENTS_PER_PROJECT: usize = 100_000;

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StatementChange {
    Added,
    Edited,
    /// Added or replaced by an import.
    Imported,
    /// The statement as it was withdrawn, and who withdrew it.
    Withdrawn,
}

impl StatementChange {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A statement as stored: its current version, and whether it was withdrawn.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementRecord {
    pub project: ProjectId,
    /// The current version (for a withdrawn statement: as it was withdrawn, and who did).
    pub stored: StoredStatement,
    pub created_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
}

/// One version of a statement's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementVersion {
    pub version: i64,
    pub change: StatementChange,
    pub statement: Statement,
    pub author: String,
    pub at: Timestamp,
}

/// Who makes a change, to which project, and when: the statement's author and the
/// audit log's actor (`user:alice@example.org`).
#[derive(Debug, Clone, Copy)]
pub struct StatementAuthor<'a> {
    pub project: ProjectId,
    /// The project's slug, for the audit entry.
    pub slug: &'a str,
    /// Who wrote it, as the statement's history shows (an address, or the command line).
    pub author: &'a str,
    pub actor: &'a str,
    pub at: Timestamp,
}

/// What a Dependency-Check suppression file says besides statements, as a suppression
/// document of its own (the formats write and read it), stored per project and file.
#[derive(Debug, Clone, Copy)]
pub struct ImportedRules<'a> {
    /// Published with the public statements.
    pub public: bool,
    /// `None`: the file has none (those stored from a file of the same name go).
    pub document: Option<&'a [u8]>,
}

/// Rules kept from suppression files ([`ImportedRules`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRules {
    /// The file's name.
    pub source: String,
    pub public: bool,
    pub document: Vec<u8>,
}

/// What an import did, by statement id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub added: Vec<i64>,
    pub updated: Vec<i64>,
    pub unchanged: Vec<i64>,
}

/// The project's statements.
#[async_trait]
pub trait Statements: Send + Sync {
    /// Adds a statement (version 1) and its audit entry; `Conflict` at
    /// [`MAX_STATEMENTS_PER_PROJECT`].
    async fn add_statement(
        &self,
        by: &StatementAuthor<'_>,
        statement: &Statement,
    ) -> Result<StatementRecord>;
    /// Replaces statement `id` of the project if it is still at `version` (else
    /// `Stale`), keeping the earlier version; `NotFound` for no such statement of the
    /// project, `Conflict` for a withdrawn one.
    async fn update_statement(
        &self,
        by: &StatementAuthor<'_>,
        id: i64,
        version: i64,
        statement: &Statement,
    ) -> Result<StatementRecord>;
    /// Withdraws statement `id` (at `version` when given, else `Stale`): it leaves
    /// every list and export, and its history is kept. `NotFound`, or `Conflict` when
    /// it was withdrawn already.
    async fn withdraw_statement(
        &self,
        by: &StatementAuthor<'_>,
        id: i64,
        version: Option<i64>,
    ) -> Result<StatementRecord>;
    /// The project's statements in force (all, or only the public ones), oldest first.
    async fn statements(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Vec<StatementRecord>>;
    /// One statement of the project (withdrawn ones too) and its history, oldest first.
    async fn statement(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Option<(StatementRecord, Vec<StatementVersion>)>>;
    /// Stores a file's statements in one transaction: each replaces the statement in
    /// force on the same subject ([`subject_key`], paired in order when several share
    /// one) as a new version when it differs, or is added; statements the file does not
    /// name stay. A suppression file's other `rules` replace those stored from a file of
    /// the same name (`source`). One audit entry for the file. `Conflict` past
    /// [`MAX_STATEMENTS_PER_PROJECT`]; nothing is stored then.
    async fn replace_from_import(
        &self,
        by: &StatementAuthor<'_>,
        statements: &[Statement],
        rules: Option<ImportedRules<'_>>,
        source: &str,
    ) -> Result<ImportOutcome>;
    /// The rules kept from suppression files (all, or those imported as public), by
    /// file name.
    async fn statement_rules(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Vec<StoredRules>>;
    /// When the project's statements last changed (the public ones only, for a public
    /// document: a private change must not show in its date); `None` if never.
    async fn statements_changed_at(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Option<Timestamp>>;
    /// Statements in force (of every project) expiring on or before `horizon` whose
    /// expiry has not been reminded of, soonest first, at most a thousand a pass.
    async fn expiring_statements(&self, horizon: jiff::civil::Date)
    -> Result<Vec<StatementRecord>>;
    /// Records the reminder of a statement's expiry `until` and queues `mail`, at once;
    /// `false` and nothing queued when it was recorded before (here or by another node).
    async fn remind_statement(
        &self,
        statement: i64,
        until: jiff::civil::Date,
        mail: &embargo_domain::report::OutgoingMail,
        now: Timestamp,
    ) -> Result<bool>;
}

/// What makes two statements about the same thing: the vulnerability (case aside),
/// the component (its package URL when it has one, else its name) and the project
/// versions spoken for.
pub fn subject_key(s: &Statement) -> (String, String, String) {
    let component = s.component.purl.as_deref().unwrap_or(&s.component.name);
    (
        s.vulnerability.trim().to_ascii_uppercase(),
        component.trim().to_ascii_lowercase(),
        s.product_versions
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_string(),
    )
}

/// What is sealed per version.
#[derive(Serialize, Deserialize)]
struct Sealed {
    statement: Statement,
    author: String,
}

fn content_aad(id: i64, version: i64) -> String {
    format!("statement:{id}:{version}")
}

fn rules_aad(project: ProjectId, source: &str) -> String {
    format!("statement-rules:{}:{source}", project.0)
}

const COLUMNS: &str = "s.id, s.project_id, s.created_at, s.updated_at, s.version, \
     s.withdrawn_at, v.content_sealed";
const FROM: &str = "statements s JOIN statement_versions v \
     ON v.statement_id = s.id AND v.version = s.version";

fn usize_of(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl SqlStore {
    fn open_version(&self, id: i64, version: i64, sealed: &[u8]) -> Result<Sealed> {
        let json = self
            .sealer
            .open(content_aad(id, version).as_bytes(), sealed)?;
        serde_json::from_slice(&json)
            .map_err(|e| StoreError::Corrupt(format!("statement #{id} version {version}: {e}")))
    }

    fn decode_statement(&self, row: &AnyRow) -> Result<StatementRecord> {
        let id: i64 = row.try_get("id")?;
        let version: i64 = row.try_get("version")?;
        let sealed =
            self.open_version(id, version, &row.try_get::<Vec<u8>, _>("content_sealed")?)?;
        Ok(StatementRecord {
            project: ProjectId(row.try_get("project_id")?),
            stored: StoredStatement {
                id,
                statement: sealed.statement,
                author: sealed.author,
                updated_at: timestamp(row.try_get("updated_at")?)?,
                version,
            },
            created_at: timestamp(row.try_get("created_at")?)?,
            withdrawn_at: row
                .try_get::<Option<i64>, _>("withdrawn_at")?
                .map(timestamp)
                .transpose()?,
        })
    }

    async fn statement_in(
        &self,
        tx: &mut Tx,
        project: ProjectId,
        id: i64,
    ) -> Result<StatementRecord> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1 AND s.project_id = $2"
        ))
        .bind(id)
        .bind(project.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("statement #{id}")))?;
        self.decode_statement(&row)
    }

    async fn in_force_count(&self, tx: &mut Tx, project: ProjectId) -> Result<usize> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM statements WHERE project_id = $1 AND withdrawn_at IS NULL",
        )
        .bind(project.0)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
        Ok(usize_of(n))
    }

    /// Appends version `version` of statement `id`.
    async fn insert_version(
        &self,
        tx: &mut Tx,
        (id, version): (i64, i64),
        change: StatementChange,
        statement: &Statement,
        by: &StatementAuthor<'_>,
    ) -> Result<()> {
        let json = serde_json::to_vec(&Sealed {
            statement: statement.clone(),
            author: by.author.to_string(),
        })
        .map_err(|e| StoreError::Corrupt(format!("statement does not serialize: {e}")))?;
        sqlx::query(
            "INSERT INTO statement_versions (statement_id, version, change, at, content_sealed) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(change.as_str())
        .bind(by.at.as_microsecond())
        .bind(
            self.sealer
                .seal(content_aad(id, version).as_bytes(), &json)?,
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A new statement row and its first version; returns its id.
    async fn insert_statement(
        &self,
        tx: &mut Tx,
        by: &StatementAuthor<'_>,
        change: StatementChange,
        statement: &Statement,
    ) -> Result<i64> {
        let at = by.at.as_microsecond();
        let id: i64 = sqlx::query(
            "INSERT INTO statements (project_id, public, until, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $4, 1) RETURNING id",
        )
        .bind(by.project.0)
        .bind(i64::from(statement.public))
        .bind(statement.until.map(|d| d.to_string()))
        .bind(at)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        self.insert_version(tx, (id, 1), change, statement, by)
            .await?;
        Ok(id)
    }

    /// Moves statement `id` from `from` to `from + 1` with `statement` as its content
    /// (withdrawing it for [`StatementChange::Withdrawn`]); `Stale` if it moved meanwhile.
    async fn bump_statement(
        &self,
        tx: &mut Tx,
        by: &StatementAuthor<'_>,
        id: i64,
        from: i64,
        change: StatementChange,
        statement: &Statement,
    ) -> Result<()> {
        let at = by.at.as_microsecond();
        let withdrawn = (change == StatementChange::Withdrawn).then_some(at);
        let n = sqlx::query(
            "UPDATE statements SET public = $1, until = $2, updated_at = $3, version = $4, \
             withdrawn_at = $5 WHERE id = $6 AND version = $7 AND withdrawn_at IS NULL",
        )
        .bind(i64::from(statement.public))
        .bind(statement.until.map(|d| d.to_string()))
        .bind(at)
        .bind(from + 1)
        .bind(withdrawn)
        .bind(id)
        .bind(from)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Stale);
        }
        self.insert_version(tx, (id, from + 1), change, statement, by)
            .await
    }

    async fn audit_statements(
        &self,
        tx: &mut Tx,
        by: &StatementAuthor<'_>,
        action: &str,
        detail: String,
    ) -> Result<()> {
        // Organisation-level, as sender rules: numbers and counts only, never a
        // statement's content (a private one may name an embargoed vulnerability).
        sqlx::query(
            "INSERT INTO audit (report_id, at, actor, action, detail) VALUES (NULL, $1, $2, $3, $4)",
        )
        .bind(by.at.as_microsecond())
        .bind(by.actor)
        .bind(action)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The statement after a change, read in the change's transaction.
    async fn finish(&self, mut tx: Tx, project: ProjectId, id: i64) -> Result<StatementRecord> {
        let record = self.statement_in(&mut tx, project, id).await?;
        tx.commit().await?;
        Ok(record)
    }
}

fn too_many(slug: &str, n: usize) -> StoreError {
    StoreError::Conflict(format!(
        "{slug} would have {n} statements in force; a project has at most \
         {MAX_STATEMENTS_PER_PROJECT}"
    ))
}

#[async_trait]
impl Statements for SqlStore {
    async fn add_statement(
        &self,
        by: &StatementAuthor<'_>,
        statement: &Statement,
    ) -> Result<StatementRecord> {
        let mut tx = self.begin_write().await?;
        let n = self.in_force_count(&mut tx, by.project).await?;
        if n >= MAX_STATEMENTS_PER_PROJECT {
            return Err(too_many(by.slug, n + 1));
        }
        let id = self
            .insert_statement(&mut tx, by, StatementChange::Added, statement)
            .await?;
        let detail = format!("statement #{id} of {}: added", by.slug);
        self.audit_statements(&mut tx, by, "statement_added", detail)
            .await?;
        self.finish(tx, by.project, id).await
    }

    async fn update_statement(
        &self,
        by: &StatementAuthor<'_>,
        id: i64,
        version: i64,
        statement: &Statement,
    ) -> Result<StatementRecord> {
        let mut tx = self.begin_write().await?;
        let current = self.statement_in(&mut tx, by.project, id).await?;
        if current.withdrawn_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "statement #{id} was withdrawn; add a new one instead"
            )));
        }
        if current.stored.version != version {
            return Err(StoreError::Stale);
        }
        self.bump_statement(&mut tx, by, id, version, StatementChange::Edited, statement)
            .await?;
        let detail = format!("statement #{id} of {}: version {}", by.slug, version + 1);
        self.audit_statements(&mut tx, by, "statement_edited", detail)
            .await?;
        self.finish(tx, by.project, id).await
    }

    async fn withdraw_statement(
        &self,
        by: &StatementAuthor<'_>,
        id: i64,
        version: Option<i64>,
    ) -> Result<StatementRecord> {
        let mut tx = self.begin_write().await?;
        let current = self.statement_in(&mut tx, by.project, id).await?;
        if current.withdrawn_at.is_some() {
            return Err(StoreError::Conflict(format!(
                "statement #{id} was withdrawn already"
            )));
        }
        let from = current.stored.version;
        if version.is_some_and(|v| v != from) {
            return Err(StoreError::Stale);
        }
        self.bump_statement(
            &mut tx,
            by,
            id,
            from,
            StatementChange::Withdrawn,
            &current.stored.statement,
        )
        .await?;
        let detail = format!("statement #{id} of {}: withdrawn", by.slug);
        self.audit_statements(&mut tx, by, "statement_withdrawn", detail)
            .await?;
        self.finish(tx, by.project, id).await
    }

    async fn statements(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Vec<StatementRecord>> {
        let public = if public_only { " AND s.public = 1" } else { "" };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE s.project_id = $1 AND s.withdrawn_at IS NULL\
             {public} ORDER BY s.id"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = self.decode_statement(row)?;
            // The clear flag chose the row; the sealed statement must agree.
            if !public_only || record.stored.statement.public {
                out.push(record);
            }
        }
        Ok(out)
    }

    async fn statement(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Option<(StatementRecord, Vec<StatementVersion>)>> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1 AND s.project_id = $2"
        ))
        .bind(id)
        .bind(project.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let record = self.decode_statement(&row)?;
        let rows = sqlx::query(
            "SELECT version, change, at, content_sealed FROM statement_versions \
             WHERE statement_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut history = Vec::with_capacity(rows.len());
        for row in &rows {
            let version: i64 = row.try_get("version")?;
            let sealed =
                self.open_version(id, version, &row.try_get::<Vec<u8>, _>("content_sealed")?)?;
            let change: String = row.try_get("change")?;
            history.push(StatementVersion {
                version,
                change: change
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("statement change {change:?}")))?,
                statement: sealed.statement,
                author: sealed.author,
                at: timestamp(row.try_get("at")?)?,
            });
        }
        Ok(Some((record, history)))
    }

    async fn replace_from_import(
        &self,
        by: &StatementAuthor<'_>,
        statements: &[Statement],
        rules: Option<ImportedRules<'_>>,
        source: &str,
    ) -> Result<ImportOutcome> {
        self.import_file(by, statements, rules, source).await
    }

    async fn statement_rules(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Vec<StoredRules>> {
        self.rules_of(project, public_only).await
    }

    async fn statements_changed_at(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Option<Timestamp>> {
        self.changed_at(project, public_only).await
    }

    async fn expiring_statements(
        &self,
        horizon: jiff::civil::Date,
    ) -> Result<Vec<StatementRecord>> {
        self.expiring(horizon).await
    }

    async fn remind_statement(
        &self,
        statement: i64,
        until: jiff::civil::Date,
        mail: &embargo_domain::report::OutgoingMail,
        now: Timestamp,
    ) -> Result<bool> {
        self.remind(statement, until, mail, now).await
    }
}
