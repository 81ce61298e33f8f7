//! Deadline nudges: the open reports whose next deadline falls by a time and has not
//! been escalated, and the nudge itself (a reminder or an escalation), recorded with
//! its mail and audit line in one transaction so that it goes exactly once.

use embargo_domain::report::{AuditEntry, OutgoingMail, Report};
use jiff::Timestamp;
use sqlx::Row;

use super::SqlStore;
use super::reports::insert_audit;
use crate::Result;

/// Most reports one pass looks at (the next pass takes the rest).
const MAX_PER_PASS: i64 = 500;

impl SqlStore {
    /// Open reports whose next deadline is at or before `by` and not yet escalated,
    /// soonest first (read from the dashboard's index).
    pub(crate) async fn due_for_nudges(&self, by: Timestamp) -> Result<Vec<Report>> {
        let rows = sqlx::query(&format!(
            "SELECT r.id FROM reports r WHERE r.closed = 0 AND r.due_key <= $1 \
             AND NOT EXISTS (SELECT 1 FROM report_nudges n WHERE n.report_id = r.id \
                             AND n.nudge = 'escalation' AND n.due_at = r.due_key) \
             ORDER BY r.due_key LIMIT {MAX_PER_PASS}"
        ))
        .bind(by.as_microsecond())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            if let Some(r) = self.fetch_report("id", &id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Records a nudge, queues its mail and writes its audit line, at once; `false`
    /// (nothing written) if this nudge was recorded before, here or by another node.
    pub(crate) async fn nudge(
        &self,
        report: &Report,
        (deadline, nudge, due): (&str, &str, Timestamp),
        mail: &OutgoingMail,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO report_nudges (report_id, deadline, nudge, due_at, sent_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (report_id, deadline, nudge, due_at) DO NOTHING",
        )
        .bind(report.id.as_str())
        .bind(deadline)
        .bind(nudge)
        .bind(due.as_microsecond())
        .bind(audit.at.as_microsecond())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let at = audit.at.as_microsecond();
        let rendered = (mail.subject.as_str(), mail.body.as_str());
        self.insert_outbox(
            &mut tx,
            Some(report.id.as_str()),
            mail,
            rendered,
            "team",
            at,
        )
        .await?;
        insert_audit(&mut tx, report.id.as_str(), audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
