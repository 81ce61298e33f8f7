//! Reminders of expiring statements: which statements in force expire by a date and
//! have not been reminded of for that expiry, and the reminder itself, recorded and
//! queued in one transaction so that it goes exactly once (see the migration
//! `0012_statement_reminders.sql`).

use embargo_domain::report::OutgoingMail;
use jiff::Timestamp;
use jiff::civil::Date;

use super::{COLUMNS, FROM, StatementRecord};
use crate::{Result, SqlStore};

/// Most statements one pass reminds of (the next pass takes the rest).
pub const MAX_REMINDERS_PER_PASS: i64 = 1_000;

impl SqlStore {
    /// Statements in force whose `until` is on or before `horizon` and that have not
    /// been reminded of for that `until`, soonest first.
    pub(crate) async fn expiring(&self, horizon: Date) -> Result<Vec<StatementRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE s.withdrawn_at IS NULL \
             AND s.until IS NOT NULL AND s.until <= $1 \
             AND NOT EXISTS (SELECT 1 FROM statement_reminders r \
                             WHERE r.statement_id = s.id AND r.until = s.until) \
             ORDER BY s.until, s.id LIMIT {MAX_REMINDERS_PER_PASS}"
        ))
        .bind(horizon.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.decode_statement(row)).collect()
    }

    /// Records the reminder of `statement`'s expiry `until` and queues `mail`, in one
    /// transaction; `false` (and nothing queued) if it was already recorded, by this
    /// node or another.
    pub(crate) async fn remind(
        &self,
        statement: i64,
        until: Date,
        mail: &OutgoingMail,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO statement_reminders (statement_id, until, reminded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (statement_id, until) DO NOTHING",
        )
        .bind(statement)
        .bind(until.to_string())
        .bind(now.as_microsecond())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let at = now.as_microsecond();
        self.insert_outbox(&mut tx, None, mail, (&mail.subject, &mail.body), "team", at)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
