//! Mail held before its Message-ID was sealed (migration 0019) kept the id, which
//! names the sender's mail server, in clear. At open each such row gets the keyed
//! digest as its key, the id moves into the sealed summary, and the summary and raw
//! message are sealed again under the new key. A digest never holds `@`; a clear
//! Message-ID (Embargo's own stand-in included) always does. A message held again
//! since the upgrade already has the digest: the old row then keys by digest and row
//! id, so both stay, neither in clear.

use sqlx::Row;

use super::{Summary, message_key, raw_aad, summary_aad};
use crate::sql::SqlStore;
use crate::{Result, StoreError};

/// Rows converted per transaction.
const BATCH: i64 = 100;

impl SqlStore {
    /// Converts every held mail still keyed by its clear Message-ID; returns how many.
    pub(crate) async fn seal_old_held_ids(&self) -> Result<u64> {
        let mut converted = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, message_id, summary_sealed, raw_sealed FROM mail_held \
                 WHERE message_id LIKE '%@%' ORDER BY id LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let clear: String = row.try_get("message_id")?;
                let mut key = message_key(&self.sealer, &clear);
                let taken = sqlx::query("SELECT 1 AS one FROM mail_held WHERE message_id = $1")
                    .bind(&key)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if taken {
                    key = format!("{key}-{id}");
                }
                let json = self.sealer.open_string(
                    &summary_aad(&clear),
                    &row.try_get::<Vec<u8>, _>("summary_sealed")?,
                )?;
                let mut summary: Summary = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?;
                summary.message_id = Some(clear.clone());
                let json = serde_json::to_string(&summary)
                    .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?;
                let raw = self.sealer.open(
                    raw_aad(&clear).as_bytes(),
                    &row.try_get::<Vec<u8>, _>("raw_sealed")?,
                )?;
                converted += sqlx::query(
                    "UPDATE mail_held SET message_id = $1, summary_sealed = $2, raw_sealed = $3 \
                     WHERE id = $4 AND message_id = $5",
                )
                .bind(&key)
                .bind(self.sealer.seal_str(&summary_aad(&key), &json)?)
                .bind(self.sealer.seal(raw_aad(&key).as_bytes(), &raw)?)
                .bind(id)
                .bind(&clear)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < BATCH {
                return Ok(converted);
            }
        }
    }
}
