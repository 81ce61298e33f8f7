//! The organisation's pool of CVE ids: filling it and reading what is free. Taking an
//! id from it happens with the change that assigns it (see `reports`).

use async_trait::async_trait;
use embargo_domain::ids::CveId;
use sqlx::Row;

use super::SqlStore;
use super::codec::cve_id;
use crate::model::PoolStats;
use crate::{Cves, Result, StoreError};

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
