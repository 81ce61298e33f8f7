//! A report's attachments and mails a page at a time, by keyset (`id` after the last
//! one shown, on the `(report_id, id)` indexes of migration 0002), with their totals:
//! the report page stays bounded however many a report has.

use embargo_domain::ids::ReportId;
use sqlx::Row;

use super::{ATTACHMENT_SELECT, AttachmentInfo, IncomingSummary, MailHeaders, headers_aad};
use crate::sql::codec::timestamp;
use crate::{Result, SqlStore, StoreError};

impl SqlStore {
    /// A report's attachments with an id above `after`, at most `limit`, oldest first.
    pub(super) async fn attachment_rows(
        &self,
        report: &ReportId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AttachmentInfo>> {
        let rows = sqlx::query(&format!(
            "{ATTACHMENT_SELECT} FROM mail_attachments WHERE report_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        ))
        .bind(report.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| self.decode_attachment(report.as_str(), r))
            .collect()
    }

    /// A report's messages taken in with an id above `after`, at most `limit`.
    pub(super) async fn incoming_rows(
        &self,
        report: &ReportId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IncomingSummary>> {
        let rows = sqlx::query(
            "SELECT id, message_id, disposition, size, received_at, summary_sealed FROM mail_in \
             WHERE report_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(report.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let message_id: String = r.try_get("message_id")?;
                let headers = r
                    .try_get::<Option<Vec<u8>>, _>("summary_sealed")?
                    .map(|sealed| {
                        let json = self
                            .sealer
                            .open_string(&headers_aad(&message_id), &sealed)?;
                        serde_json::from_str::<MailHeaders>(&json)
                            .map_err(|e| StoreError::Corrupt(format!("mail headers: {e}")))
                    })
                    .transpose()?;
                Ok(IncomingSummary {
                    id: r.try_get("id")?,
                    disposition: r.try_get("disposition")?,
                    size: r.try_get("size")?,
                    received_at: timestamp(r.try_get("received_at")?)?,
                    headers,
                })
            })
            .collect()
    }

    /// How many rows of `table` (`mail_in` or `mail_attachments`) a report has; read
    /// from the `(report_id, id)` index.
    pub(super) async fn count_of(&self, table: &'static str, report: &ReportId) -> Result<i64> {
        let row = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE report_id = $1"
        ))
        .bind(report.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}
