//! A report's audit log, sealed: its lines name disclosure dates, CVE ids and
//! projects, which a copy of the database must not show (docs/confidentiality.md). A
//! line keeps in clear what says *that* something happened (report, time, actor,
//! action) and seals *what* (`detail`), bound to those columns so that a sealed detail
//! copied to another line does not open there.
//!
//! Lines written before sealing existed are sealed in place when the store opens the
//! database ([`SqlStore::seal_old_audit`]): the one update the append-only triggers
//! allow (migration 0019). Thread messages' author labels, which may name a sender,
//! are sealed in place the same way ([`SqlStore::seal_old_labels`]).

use embargo_domain::report::AuditEntry;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{audit_aad, message_author_aad, timestamp};
use super::{SqlStore, Tx};
use crate::Result;

/// Lines sealed per transaction when old ones are sealed in place.
const SEAL_BATCH: i64 = 500;

impl SqlStore {
    /// Appends `entry` to the audit log of `report_id`, its detail sealed.
    pub(crate) async fn insert_audit(
        &self,
        tx: &mut Tx,
        report_id: &str,
        entry: &AuditEntry,
    ) -> Result<()> {
        let at = entry.at.as_microsecond();
        let sealed = self
            .sealer
            .seal_str(&audit_aad(report_id, &entry.action, at), &entry.detail)?;
        sqlx::query(
            "INSERT INTO audit (report_id, at, actor, action, detail, detail_sealed) \
             VALUES ($1, $2, $3, $4, '', $5)",
        )
        .bind(report_id)
        .bind(at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(sealed)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A line of a report's log selected with `report_id, at, actor, action, detail,
    /// detail_sealed`: the sealed detail opened, or the clear one of a line not sealed
    /// yet.
    pub(crate) fn decode_audit(&self, row: &AnyRow) -> Result<AuditEntry> {
        let at: i64 = row.try_get("at")?;
        let action: String = row.try_get("action")?;
        let detail = match row.try_get::<Option<Vec<u8>>, _>("detail_sealed")? {
            Some(sealed) => {
                let report: String = row.try_get("report_id")?;
                self.sealer
                    .open_string(&audit_aad(&report, &action, at), &sealed)?
            }
            None => row.try_get("detail")?,
        };
        Ok(AuditEntry {
            at: timestamp(at)?,
            actor: row.try_get("actor")?,
            action,
            detail,
        })
    }

    /// The lines of `report_id`'s log with `action`, oldest first.
    pub(crate) async fn audit_lines(
        &self,
        tx: &mut Tx,
        report_id: &str,
        action: &str,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT report_id, at, actor, action, detail, detail_sealed FROM audit \
             WHERE report_id = $1 AND action = $2 ORDER BY id",
        )
        .bind(report_id)
        .bind(action)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(|row| self.decode_audit(row)).collect()
    }

    /// Seals in place the report lines written before audit details were sealed, in
    /// batches; how many it sealed. Several nodes may run it at once: a line is sealed
    /// only while it is still clear, so each is sealed once.
    pub(crate) async fn seal_old_audit(&self) -> Result<u64> {
        let mut sealed = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, report_id, at, action, detail FROM audit \
                 WHERE detail_sealed IS NULL AND report_id IS NOT NULL ORDER BY id LIMIT $1",
            )
            .bind(SEAL_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let (report, at, action): (String, i64, String) = (
                    row.try_get("report_id")?,
                    row.try_get("at")?,
                    row.try_get("action")?,
                );
                let detail: String = row.try_get("detail")?;
                let value = self
                    .sealer
                    .seal_str(&audit_aad(&report, &action, at), &detail)?;
                sealed += sqlx::query(
                    "UPDATE audit SET detail = '', detail_sealed = $1 \
                     WHERE id = $2 AND detail_sealed IS NULL",
                )
                .bind(value)
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                return Ok(sealed);
            }
        }
    }

    /// Seals in place the author labels of thread messages stored before labels were
    /// sealed, in batches; how many. As [`SqlStore::seal_old_audit`], safe to run on
    /// several nodes at once.
    pub(crate) async fn seal_old_labels(&self) -> Result<u64> {
        let mut sealed = 0u64;
        loop {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(
                "SELECT id, report_id, author_label FROM messages \
                 WHERE author_label_sealed IS NULL ORDER BY id LIMIT $1",
            )
            .bind(SEAL_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let report: String = row.try_get("report_id")?;
                let label: String = row.try_get("author_label")?;
                let value = self.sealer.seal_str(&message_author_aad(&report), &label)?;
                sealed += sqlx::query(
                    "UPDATE messages SET author_label = '', author_label_sealed = $1 \
                     WHERE id = $2 AND author_label_sealed IS NULL",
                )
                .bind(value)
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                return Ok(sealed);
            }
        }
    }
}
