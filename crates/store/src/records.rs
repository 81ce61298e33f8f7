//! CVE records in the store: every saved version of a report's record (with the
//! state it was in), written in the same transaction as the change that made it.

use async_trait::async_trait;
use embargo_domain::ids::ReportId;
use embargo_domain::lifecycle::Change;
use embargo_domain::record::{CnaRecord, RecordState};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::sql::Tx;
use crate::sql::codec::timestamp;
use crate::{Result, SqlStore, StoreError};

/// One saved version of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordVersion {
    /// 1 for the first save, then 2, 3...
    pub version: i64,
    pub state: RecordState,
    /// The audit name of who made it ("user:alice@example.org").
    pub actor: String,
    pub record: CnaRecord,
    pub created_at: Timestamp,
}

/// The history of records.
#[async_trait]
pub trait Records: Send + Sync {
    /// Every version of the report's record, oldest first.
    async fn record_versions(&self, report: &ReportId) -> Result<Vec<RecordVersion>>;
}

fn aad(report_id: &str) -> String {
    format!("record_version:{report_id}")
}

impl SqlStore {
    /// Keeps a new version when the change leaves the record (its content or its state)
    /// different from the last version kept. Runs inside the change's transaction.
    pub(crate) async fn keep_record_version(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report = &change.report;
        let (Some(record), Some(state)) = (report.cve_record(), report.record_state()) else {
            return Ok(());
        };
        let id = report.id.as_str();
        let last = sqlx::query(
            "SELECT version, state, record_sealed FROM record_versions WHERE report_id = $1 \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        let json = serde_json::to_string(&record)
            .map_err(|e| StoreError::Corrupt(format!("record does not serialize: {e}")))?;
        let mut next = 1;
        if let Some(row) = last {
            let version: i64 = row.try_get("version")?;
            let last_state: String = row.try_get("state")?;
            let sealed: Vec<u8> = row.try_get("record_sealed")?;
            let last_json = self.sealer.open_string(&aad(id), &sealed)?;
            // Compared as records, not as text: a version kept in an earlier shape (one
            // product at the top level) is the same record in today's.
            let same = serde_json::from_str::<CnaRecord>(&last_json).is_ok_and(|r| r == record);
            if last_state == state.as_str() && same {
                return Ok(());
            }
            next = version + 1;
        }
        sqlx::query(
            "INSERT INTO record_versions (report_id, version, state, actor, record_sealed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(next)
        .bind(state.as_str())
        .bind(&change.audit.actor)
        .bind(self.sealer.seal_str(&aad(id), &json)?)
        .bind(change.audit.at.as_microsecond())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Records for SqlStore {
    async fn record_versions(&self, report: &ReportId) -> Result<Vec<RecordVersion>> {
        let id = report.as_str();
        let rows = sqlx::query(
            "SELECT version, state, actor, record_sealed, created_at FROM record_versions \
             WHERE report_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let sealed: Vec<u8> = row.try_get("record_sealed")?;
                let json = self.sealer.open_string(&aad(id), &sealed)?;
                let state: String = row.try_get("state")?;
                Ok(RecordVersion {
                    version: row.try_get("version")?,
                    state: RecordState::parse(&state)
                        .map_err(|e| StoreError::Corrupt(format!("record version state: {e}")))?,
                    actor: row.try_get("actor")?,
                    record: serde_json::from_str(&json).map_err(|e| {
                        StoreError::Corrupt(format!("stored record version does not parse: {e}"))
                    })?,
                    created_at: timestamp(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }
}
