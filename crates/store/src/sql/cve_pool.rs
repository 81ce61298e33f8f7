//! The organisation's pool of CVE ids: filling it and reading what is free. Taking an
//! id from it happens with the change that assigns it (see `reports`).
//!
//! And a report's CVE id at rest (migration 0020, docs/confidentiality.md): the
//! `reports.cve_id` column holds a keyed digest of the id ([`SqlStore::cve_mark`]),
//! which keeps an id to one report and answers "has a CVE" without naming the id; the
//! id itself is sealed beside it for the lists. The pool records *that* an id is
//! assigned, never to which report or when.

use async_trait::async_trait;
use embargo_domain::ids::CveId;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::SqlStore;
use super::codec::cve_id;
use crate::model::PoolStats;
use crate::{Cves, Result, StoreError};

/// The purpose of the keyed digest that stands for a report's CVE id.
const CVE_MARK: &str = "report-cve";

/// Reports whose clear CVE id is converted per transaction when the store opens.
const CONVERT_BATCH: i64 = 500;

/// The sealed CVE id of report `id` opens only on that report's row.
fn cve_aad(id: &str) -> String {
    format!("report-cve:{id}")
}

impl SqlStore {
    /// What `reports.cve_id` holds for `cve`: a keyed digest (32 hex digits), the same
    /// for the same id, so the unique index still refuses one id to two reports, and
    /// meaningless without the data key.
    pub(crate) fn cve_mark(&self, cve: &CveId) -> String {
        self.sealer.digest(CVE_MARK, cve.to_string().as_bytes())
    }

    /// `cve`, sealed for report `id`'s `cve_sealed`.
    pub(crate) fn seal_cve(&self, id: &str, cve: &CveId) -> Result<Vec<u8>> {
        self.sealer.seal_str(&cve_aad(id), &cve.to_string())
    }

    /// The CVE id of a list row selected with `cve_id` and `cve_sealed`: the sealed
    /// one, or the clear one of a row not converted yet. One that does not open (a
    /// node with another data key sealed it) is shown as none, like its title is
    /// flagged, rather than taking the whole list down.
    pub(crate) fn listed_cve(&self, id: &str, row: &AnyRow) -> Result<Option<CveId>> {
        if let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>("cve_sealed")? {
            return match self.sealer.open_string(&cve_aad(id), &sealed) {
                Ok(clear) => cve_id(&clear).map(Some),
                Err(StoreError::Corrupt(_)) => Ok(None),
                Err(e) => Err(e),
            };
        }
        match row.try_get::<Option<String>, _>("cve_id")? {
            Some(clear) if clear.starts_with("CVE-") => cve_id(&clear).map(Some),
            _ => Ok(None),
        }
    }

    /// Converts in place the reports stored with their CVE id in clear (before
    /// migration 0020): the digest in `cve_id`, the id sealed in `cve_sealed`; in
    /// batches, resumable; how many. Several nodes may run it at once: a row is
    /// converted only while it still holds the clear id.
    pub(crate) async fn seal_old_cve_ids(&self) -> Result<u64> {
        let mut converted = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, cve_id FROM reports WHERE cve_id LIKE 'CVE-%' ORDER BY id LIMIT $1",
            )
            .bind(CONVERT_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let (id, clear): (String, String) = (row.try_get("id")?, row.try_get("cve_id")?);
                let cve = cve_id(&clear)?;
                converted += sqlx::query(
                    "UPDATE reports SET cve_id = $1, cve_sealed = $2 WHERE id = $3 AND cve_id = $4",
                )
                .bind(self.cve_mark(&cve))
                .bind(self.seal_cve(&id, &cve)?)
                .bind(&id)
                .bind(&clear)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < CONVERT_BATCH {
                return Ok(converted);
            }
        }
    }
}

/// Rows per multi-row INSERT when filling the CVE pool (3 parameters each stays far
/// below both backends' parameter limits).
const POOL_INSERT_CHUNK: usize = 500;

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
                // The number column is a BIGINT; a CVE id may have up to 19 digits.
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
