//! Nudges: the open reports whose next deadline falls by a time and has not been
//! escalated, the clocks that start on an event (`report_clocks`, kept in step with
//! every change by [`SqlStore::sync_clocks`]), and each nudge (a reminder or an
//! escalation) recorded with its mail and audit line in one transaction so that it
//! goes exactly once.

use async_trait::async_trait;
use embargo_domain::clocks::timers::{Clock, ClockWrite, FIXED, on_change};
use embargo_domain::ids::{ProjectId, ReportId};
use embargo_domain::lifecycle::Change;
use embargo_domain::report::{AuditEntry, OutgoingMail, Report};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{project_ref, report_id, timestamp, title_aad};
use super::{SqlStore, Tx};
use crate::Result;
use crate::clocks::{ClockRow, Clocks, LateClock, MAX_CLOCKS_READ};

/// Most reports one pass looks at (the next pass takes the rest).
const MAX_PER_PASS: i64 = 500;

const CLOCK_COLUMNS: &str = "c.report_id, c.clock, c.since, c.done_at, c.quiet";

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
        self.queue_nudge(&mut tx, report, mail, audit).await?;
        self.insert_audit(&mut tx, report.id.as_str(), audit)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A nudge's mail in the outbox, worded by the site's templates like every
    /// lifecycle mail; its audience kept in clear as `queue_mails` keeps it.
    async fn queue_nudge(
        &self,
        tx: &mut Tx,
        report: &Report,
        mail: &OutgoingMail,
        audit: &AuditEntry,
    ) -> Result<()> {
        let (subject, body) = match &self.renderer {
            Some(r) => r.render(report, mail),
            None => (mail.subject.clone(), mail.body.clone()),
        };
        let audience = if mail.reaches_reporter(report) {
            "reporter"
        } else {
            "team"
        };
        let at = audit.at.as_microsecond();
        let id = Some(report.id.as_str());
        self.insert_outbox(tx, id, mail, (&subject, &body), audience, at)
            .await
    }

    /// Brings a report's clock rows in step with a change, in the change's
    /// transaction (called for every stored change), so no clock is missed.
    pub(crate) async fn sync_clocks(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let id = change.report.id.as_str();
        let writes = on_change(
            &change.report,
            &change.messages,
            &change.audit.action,
            change.audit.at,
        );
        for write in writes {
            match write {
                ClockWrite::Start(clock, since) => {
                    // The fix is an anchor only: never itself a clock to nudge.
                    let quiet = i64::from(clock == FIXED);
                    start_clock(tx, id, clock, since, quiet).await?;
                }
                ClockWrite::Stop(clock) => {
                    sqlx::query("DELETE FROM report_clocks WHERE report_id = $1 AND clock = $2")
                        .bind(id)
                        .bind(clock)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
        start_final_report(tx, id).await
    }

    fn decode_clock(row: &AnyRow) -> Result<ClockRow> {
        Ok(ClockRow {
            report: report_id(&row.try_get::<String, _>("report_id")?)?,
            clock: row.try_get("clock")?,
            since: timestamp(row.try_get("since")?)?,
            done_at: row
                .try_get::<Option<i64>, _>("done_at")?
                .map(timestamp)
                .transpose()?,
            quiet: row.try_get::<i64, _>("quiet")? != 0,
        })
    }
}

async fn start_clock(
    tx: &mut Tx,
    id: &str,
    clock: &str,
    since: Timestamp,
    quiet: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO report_clocks (report_id, clock, since, quiet) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (report_id, clock) DO NOTHING",
    )
    .bind(id)
    .bind(clock)
    .bind(since.as_microsecond())
    .bind(quiet)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The CRA final report's clock starts once a report is both flagged and fixed,
/// from the time of the fix, whichever came first.
async fn start_final_report(tx: &mut Tx, id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO report_clocks (report_id, clock, since, quiet) \
         SELECT f.report_id, 'cra_final_report', f.since, 0 FROM report_clocks f \
         WHERE f.report_id = $1 AND f.clock = 'fixed' AND EXISTS \
         (SELECT 1 FROM report_clocks e WHERE e.report_id = $2 AND e.clock = 'cra_early_warning') \
         ON CONFLICT (report_id, clock) DO NOTHING",
    )
    .bind(id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl Clocks for SqlStore {
    async fn pending_clocks(&self, started_by: Timestamp) -> Result<Vec<ClockRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM report_clocks c WHERE c.quiet = 0 AND c.since <= $1 \
             ORDER BY c.since LIMIT {MAX_CLOCKS_READ}"
        ))
        .bind(started_by.as_microsecond())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::decode_clock).collect()
    }

    async fn report_clocks(&self, report: &ReportId) -> Result<Vec<ClockRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS} FROM report_clocks c WHERE c.report_id = $1 ORDER BY c.clock"
        ))
        .bind(report.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::decode_clock).collect()
    }

    async fn record_clock_nudge(
        &self,
        report: &Report,
        (clock, nudge, since): (&str, &str, Timestamp),
        mail: Option<&OutgoingMail>,
        audit: &AuditEntry,
        last: bool,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let id = report.id.as_str();
        let inserted = sqlx::query(
            "INSERT INTO clock_nudges (report_id, clock, nudge, since, sent_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (report_id, clock, nudge, since) DO NOTHING",
        )
        .bind(id)
        .bind(clock)
        .bind(nudge)
        .bind(since.as_microsecond())
        .bind(audit.at.as_microsecond())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(mail) = mail {
            self.queue_nudge(&mut tx, report, mail, audit).await?;
        }
        self.insert_audit(&mut tx, id, audit).await?;
        if last {
            sqlx::query(
                "UPDATE report_clocks SET quiet = 1 WHERE report_id = $1 AND clock = $2 AND since = $3",
            )
            .bind(id)
            .bind(clock)
            .bind(since.as_microsecond())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn flag_exploited(
        &self,
        report: &ReportId,
        aware_at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let id = report.as_str();
        let early = Clock::CraEarlyWarning.as_str();
        if start_clock(&mut tx, id, early, aware_at, 0).await? == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        start_clock(&mut tx, id, Clock::CraNotification.as_str(), aware_at, 0).await?;
        start_final_report(&mut tx, id).await?;
        self.insert_audit(&mut tx, id, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn mark_clock_done(
        &self,
        report: &ReportId,
        clock: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE report_clocks SET done_at = $1, quiet = 1 \
             WHERE report_id = $2 AND clock = $3 AND done_at IS NULL",
        )
        .bind(audit.at.as_microsecond())
        .bind(report.as_str())
        .bind(clock)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_audit(&mut tx, report.as_str(), audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn late_clocks(
        &self,
        started_by: Timestamp,
        projects: Option<&[ProjectId]>,
        limit: u32,
    ) -> Result<Vec<LateClock>> {
        let limit = limit.min(MAX_CLOCKS_READ);
        // Ids are numbers, written into the query; the member's projects are few.
        let scope = match projects {
            None => String::new(),
            Some([]) => return Ok(Vec::new()),
            Some(ids) => format!(
                " AND r.project_id IN ({})",
                ids.iter()
                    .map(|p| p.0.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let rows = sqlx::query(&format!(
            "SELECT {CLOCK_COLUMNS}, r.title_sealed, r.project_id, p.slug, p.name, p.trusted \
             FROM report_clocks c JOIN reports r ON r.id = c.report_id \
             LEFT JOIN projects p ON p.id = r.project_id \
             WHERE c.done_at IS NULL AND c.since <= $1 \
             AND c.clock IN ('cve_record', 'cra_early_warning', 'cra_notification', 'cra_final_report'){scope} \
             ORDER BY c.since LIMIT {limit}"
        ))
        .bind(started_by.as_microsecond())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let clock = Self::decode_clock(row)?;
                let title: Vec<u8> = row.try_get("title_sealed")?;
                Ok(LateClock {
                    title: self
                        .sealer
                        .open_string(&title_aad(clock.report.as_str()), &title)?,
                    project: project_ref(row)?,
                    row: clock,
                })
            })
            .collect()
    }
}
