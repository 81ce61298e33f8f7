//! Importing a file's statements in one transaction, and what a Dependency-Check
//! suppression file says besides statements (its other rules, kept per file name).

use std::collections::HashMap;

use embargo_domain::ids::ProjectId;
use embargo_domain::vex::Statement;
use jiff::Timestamp;
use sqlx::Row;

use super::{
    COLUMNS, FROM, ImportOutcome, ImportedRules, MAX_STATEMENTS_PER_PROJECT, StatementAuthor,
    StatementChange, StatementRecord, StoredRules, rules_aad, subject_key, too_many,
};
use crate::sql::Tx;
use crate::sql::codec::timestamp;
use crate::{Result, SqlStore};

impl SqlStore {
    pub(super) async fn import_file(
        &self,
        by: &StatementAuthor<'_>,
        statements: &[Statement],
        rules: Option<ImportedRules<'_>>,
        source: &str,
    ) -> Result<ImportOutcome> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE s.project_id = $1 AND s.withdrawn_at IS NULL \
             ORDER BY s.id"
        ))
        .bind(by.project.0)
        .fetch_all(&mut *tx)
        .await?;
        let in_force = self.in_force_count(&mut tx, by.project).await?;
        // The statements in force by subject, oldest last: the n-th imported statement
        // on a subject replaces the n-th in force (popped from the end).
        let mut by_subject: HashMap<(String, String, String), Vec<StatementRecord>> =
            HashMap::new();
        for row in rows.iter().rev() {
            let record = self.decode_statement(row)?;
            by_subject
                .entry(subject_key(&record.stored.statement))
                .or_default()
                .push(record);
        }
        let mut outcome = ImportOutcome::default();
        for statement in statements {
            let existing = by_subject
                .get_mut(&subject_key(statement))
                .and_then(Vec::pop);
            match existing {
                None => {
                    let id = self
                        .insert_statement(&mut tx, by, StatementChange::Imported, statement)
                        .await?;
                    outcome.added.push(id);
                }
                Some(current) if current.stored.statement == *statement => {
                    outcome.unchanged.push(current.stored.id);
                }
                Some(current) => {
                    let id = current.stored.id;
                    let from = current.stored.version;
                    self.bump_statement(
                        &mut tx,
                        by,
                        id,
                        from,
                        StatementChange::Imported,
                        statement,
                    )
                    .await?;
                    outcome.updated.push(id);
                }
            }
        }
        let total = in_force + outcome.added.len();
        if total > MAX_STATEMENTS_PER_PROJECT {
            return Err(too_many(by.slug, total));
        }
        let source = import_source(source);
        if let Some(rules) = rules {
            self.replace_rules(&mut tx, by, &source, rules).await?;
        }
        let detail = format!(
            "statements of {} imported from {source}: {} added, {} updated, {} unchanged",
            by.slug,
            outcome.added.len(),
            outcome.updated.len(),
            outcome.unchanged.len()
        );
        self.audit_statements(&mut tx, by, "statements_imported", detail)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    pub(super) async fn rules_of(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Vec<StoredRules>> {
        let public = if public_only { " AND public = 1" } else { "" };
        let rows = sqlx::query(&format!(
            "SELECT source, public, content_sealed FROM statement_rules \
             WHERE project_id = $1{public} ORDER BY source"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let source: String = row.try_get("source")?;
                let document = self.sealer.open(
                    rules_aad(project, &source).as_bytes(),
                    &row.try_get::<Vec<u8>, _>("content_sealed")?,
                )?;
                Ok(StoredRules {
                    public: row.try_get::<i64, _>("public")? != 0,
                    source,
                    document,
                })
            })
            .collect()
    }

    pub(super) async fn changed_at(
        &self,
        project: ProjectId,
        public_only: bool,
    ) -> Result<Option<Timestamp>> {
        // A withdrawn statement keeps its public flag: withdrawing a public one changes
        // the public document, and dates it.
        let public = if public_only { " AND public = 1" } else { "" };
        let statements: Option<i64> = sqlx::query(&format!(
            "SELECT MAX(updated_at) AS at FROM statements WHERE project_id = $1{public}"
        ))
        .bind(project.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("at")?;
        let rules: Option<i64> = sqlx::query(&format!(
            "SELECT MAX(updated_at) AS at FROM statement_rules WHERE project_id = $1{public}"
        ))
        .bind(project.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("at")?;
        statements.max(rules).map(timestamp).transpose()
    }
}

impl SqlStore {
    /// The rules stored from the file named `source` become `rules`.
    async fn replace_rules(
        &self,
        tx: &mut Tx,
        by: &StatementAuthor<'_>,
        source: &str,
        rules: ImportedRules<'_>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM statement_rules WHERE project_id = $1 AND source = $2")
            .bind(by.project.0)
            .bind(source)
            .execute(&mut **tx)
            .await?;
        if let Some(document) = rules.document {
            sqlx::query(
                "INSERT INTO statement_rules (project_id, source, public, updated_at, \
                 content_sealed) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(by.project.0)
            .bind(source)
            .bind(i64::from(rules.public))
            .bind(by.at.as_microsecond())
            .bind(
                self.sealer
                    .seal(rules_aad(by.project, source).as_bytes(), document)?,
            )
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The file name as the audit log shows it: one line, at most 100 characters.
fn import_source(source: &str) -> String {
    let line: String = source
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(100)
        .collect();
    if line.trim().is_empty() {
        "an upload".into()
    } else {
        line.trim().to_string()
    }
}
