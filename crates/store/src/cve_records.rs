//! CVE records from outside Embargo (`embargo cve import`): whole CVE JSON 5 records,
//! kept as imported (ADP containers untouched), one version per change.

use async_trait::async_trait;
use embargo_domain::ids::CveId;
use jiff::Timestamp;
use serde_json::Value;
use sqlx::Row;

use crate::sql::codec::{timestamp, unique_conflict};
use crate::{Result, SqlStore, StoreError};

/// One imported version of a CVE record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCveRecord {
    /// e.g. "CVE-2024-28752".
    pub cve_id: String,
    /// 1 for the first import, then 2, 3... when the content changed.
    pub version: i64,
    /// `cveMetadata.state`: PUBLISHED or REJECTED.
    pub state: String,
    /// The whole record as imported.
    pub record: Value,
    /// Where it came from (the file name).
    pub source: String,
    /// When it was imported.
    pub imported_at: Timestamp,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CveImportOutcome {
    /// The id was new; version 1 stored.
    Added,
    /// The content changed; a new version stored, the previous kept.
    Updated {
        /// The new version number.
        version: i64,
    },
    /// Same content as the current version; nothing stored.
    Unchanged,
}

/// Imported CVE records and their history.
#[async_trait]
pub trait CveRecords: Send + Sync {
    /// Stores `record` as the current version for `cve` unless it equals the current
    /// one (JSON value equality). `state` is its `cveMetadata.state`.
    async fn import_cve_record(
        &self,
        cve: &CveId,
        state: &str,
        record: &Value,
        source: &str,
        at: Timestamp,
    ) -> Result<CveImportOutcome>;
    /// The current (latest) version of an imported record.
    async fn cve_record(&self, cve: &CveId) -> Result<Option<StoredCveRecord>>;
    /// Every imported version, oldest first.
    async fn cve_record_versions(&self, cve: &CveId) -> Result<Vec<StoredCveRecord>>;
}

fn decode(row: &sqlx::any::AnyRow) -> Result<StoredCveRecord> {
    let text: String = row.try_get("record")?;
    Ok(StoredCveRecord {
        cve_id: row.try_get("cve_id")?,
        version: row.try_get("version")?,
        state: row.try_get("state")?,
        record: serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("stored CVE record does not parse: {e}")))?,
        source: row.try_get("source")?,
        imported_at: timestamp(row.try_get("imported_at")?)?,
    })
}

const COLUMNS: &str = "cve_id, version, state, record, source, imported_at";

#[async_trait]
impl CveRecords for SqlStore {
    async fn import_cve_record(
        &self,
        cve: &CveId,
        state: &str,
        record: &Value,
        source: &str,
        at: Timestamp,
    ) -> Result<CveImportOutcome> {
        let id = cve.to_string();
        let mut tx = self.begin_write().await?;
        let last = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM cve_records WHERE cve_id = $1 ORDER BY version DESC LIMIT 1"
        ))
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
        let last = last.as_ref().map(decode).transpose()?;
        if last.as_ref().is_some_and(|l| &l.record == record) {
            return Ok(CveImportOutcome::Unchanged);
        }
        let version = last.map_or(1, |l| l.version + 1);
        let text = serde_json::to_string(record)
            .map_err(|e| StoreError::Corrupt(format!("record does not serialize: {e}")))?;
        sqlx::query(&format!(
            "INSERT INTO cve_records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(&id)
        .bind(version)
        .bind(state)
        .bind(text)
        .bind(source)
        .bind(at.as_microsecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            // Another import of the same record got in between the read and the write.
            unique_conflict(e, || {
                format!("version {version} of {id} (imported at the same time)")
            })
        })?;
        tx.commit().await?;
        Ok(if version == 1 {
            CveImportOutcome::Added
        } else {
            CveImportOutcome::Updated { version }
        })
    }

    async fn cve_record(&self, cve: &CveId) -> Result<Option<StoredCveRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM cve_records WHERE cve_id = $1 ORDER BY version DESC LIMIT 1"
        ))
        .bind(cve.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
    }

    async fn cve_record_versions(&self, cve: &CveId) -> Result<Vec<StoredCveRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM cve_records WHERE cve_id = $1 ORDER BY version"
        ))
        .bind(cve.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(decode)
        .collect()
    }
}
