//! Messages taken in before their Message-IDs were sealed (migration 0021): each row's
//! clear id becomes its keyed digest, the id is sealed beside it, and the raw message
//! and headers, sealed under the clear id, are sealed again under the digest. Runs when
//! the store opens, in bounded batches, and is a no-op once done; a row is converted
//! only while it still has no sealed id, so nodes starting together cannot convert one
//! twice.

use sqlx::Row;

use super::{headers_aad, is_generated, message_id_aad, raw_aad};
use crate::Result;
use crate::sql::SqlStore;

/// Rows converted per transaction.
const BATCH: i64 = 100;

impl SqlStore {
    /// Converts every row still holding a clear Message-ID; returns how many.
    pub(crate) async fn seal_old_message_ids(&self) -> Result<u64> {
        let mut converted = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, message_id, raw_sealed, summary_sealed FROM mail_in \
                 WHERE message_id_sealed IS NULL ORDER BY id LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let clear: String = row.try_get("message_id")?;
                let key = self.message_key(&clear);
                let raw = self.sealer.open(
                    raw_aad(&clear).as_bytes(),
                    &row.try_get::<Vec<u8>, _>("raw_sealed")?,
                )?;
                let summary = row
                    .try_get::<Option<Vec<u8>>, _>("summary_sealed")?
                    .map(|sealed| {
                        let json = self.sealer.open_string(&headers_aad(&clear), &sealed)?;
                        self.sealer.seal_str(&headers_aad(&key), &json)
                    })
                    .transpose()?;
                converted += sqlx::query(
                    "UPDATE mail_in SET message_id = $1, message_id_sealed = $2, generated = $3, \
                     raw_sealed = $4, summary_sealed = $5 WHERE id = $6 AND message_id_sealed IS NULL",
                )
                .bind(&key)
                .bind(self.sealer.seal_str(&message_id_aad(&key), &clear)?)
                .bind(i64::from(is_generated(&clear)))
                .bind(self.sealer.seal(raw_aad(&key).as_bytes(), &raw)?)
                .bind(summary)
                .bind(id)
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
