//! The `report_timeline` rows (see [`crate::timeline`]): written with every change of a
//! report in its transaction ([`SqlStore::record_timeline`], called by
//! `create_report_in` and `apply_in`), read by period and project for statistics, and
//! completed by the backfill for reports stored before migration 0015.
//!
//! The report keeps no time of its rejection or of its record's publication; the row
//! records the moment the change that first shows them is stored, and keeps it
//! (`COALESCE`). A row the migration left incomplete takes those times from the audit
//! log instead, whose lines say when each transition happened.

use async_trait::async_trait;
use embargo_domain::ids::ProjectId;
use embargo_domain::lifecycle::Change;
use embargo_domain::report::{Channel, Report};
use embargo_domain::stats::{Facts, Outcome};
use embargo_domain::triage::TriageClass;
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::timestamp;
use super::{SqlStore, Tx};
use crate::timeline::{MAX_TIMELINE_PROJECTS, OpenNow, Timeline, TimelineRows};
use crate::{Result, StoreError};

/// Writes a row, keeping the first decision and publication times already recorded,
/// and a deadline the report no longer carries.
const UPSERT: &str = "INSERT INTO report_timeline (report_id, project_id, channel, triage_class, \
    received_at, acknowledged_at, decided_at, outcome, announced_at, published_at, \
    acknowledge_due, decide_due, announce_due, cve_assigned, complete) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1) \
    ON CONFLICT (report_id) DO UPDATE SET project_id = excluded.project_id, \
    channel = excluded.channel, triage_class = excluded.triage_class, \
    received_at = excluded.received_at, acknowledged_at = excluded.acknowledged_at, \
    decided_at = COALESCE(report_timeline.decided_at, excluded.decided_at), \
    outcome = excluded.outcome, announced_at = excluded.announced_at, \
    published_at = COALESCE(report_timeline.published_at, excluded.published_at), \
    acknowledge_due = COALESCE(excluded.acknowledge_due, report_timeline.acknowledge_due), \
    decide_due = COALESCE(excluded.decide_due, report_timeline.decide_due), \
    announce_due = COALESCE(excluded.announce_due, report_timeline.announce_due), \
    cve_assigned = excluded.cve_assigned, complete = 1";

const COLUMNS: &str = "project_id, channel, triage_class, received_at, acknowledged_at, \
    decided_at, outcome, announced_at, published_at, acknowledge_due, decide_due, \
    announce_due, cve_assigned, complete";

impl SqlStore {
    /// The timeline of the report `change` stores, in the caller's transaction, after
    /// the change's audit line is written.
    pub(crate) async fn record_timeline(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report = &change.report;
        let complete: Option<i64> =
            sqlx::query("SELECT complete FROM report_timeline WHERE report_id = $1")
                .bind(report.id.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| row.try_get("complete"))
                .transpose()?;
        let facts = if complete == Some(0) {
            from_history(self, tx, report).await?
        } else {
            Facts::of(report, Some(change.audit.at))
        };
        upsert(tx, report.id.as_str(), &facts).await
    }
}

/// A report's facts with the times the report does not keep taken from its audit log.
async fn from_history(store: &SqlStore, tx: &mut Tx, report: &Report) -> Result<Facts> {
    let mut facts = Facts::of(report, None);
    if facts.outcome == Some(Outcome::Rejected) {
        facts.decided_at = first_audit(store, tx, report, "transition", " -> rejected").await?;
    }
    if report.record_state() == Some(embargo_domain::record::RecordState::Published) {
        facts.published_at =
            first_audit(store, tx, report, "record_state", " -> PUBLISHED").await?;
    }
    Ok(facts)
}

/// When the report's audit log first has a line of `action` whose detail ends with
/// `suffix`. The details are sealed (sql/audit.rs), so they are compared once opened.
async fn first_audit(
    store: &SqlStore,
    tx: &mut Tx,
    report: &Report,
    action: &str,
    suffix: &str,
) -> Result<Option<Timestamp>> {
    let lines = store.audit_lines(tx, report.id.as_str(), action).await?;
    Ok(lines
        .into_iter()
        .filter(|line| line.detail.ends_with(suffix))
        .map(|line| line.at)
        .min())
}

async fn upsert(tx: &mut Tx, report_id: &str, f: &Facts) -> Result<()> {
    let micros = |t: Option<Timestamp>| t.map(|t| t.as_microsecond());
    sqlx::query(UPSERT)
        .bind(report_id)
        .bind(f.project.map(|p| p.0))
        .bind(f.channel.as_str())
        .bind(f.class.map(TriageClass::as_str))
        .bind(f.received_at.as_microsecond())
        .bind(micros(f.acknowledged_at))
        .bind(micros(f.decided_at))
        .bind(f.outcome.map(Outcome::as_str))
        .bind(micros(f.announced_at))
        .bind(micros(f.published_at))
        .bind(micros(f.acknowledge_due))
        .bind(micros(f.decide_due))
        .bind(micros(f.announce_due))
        .bind(i64::from(f.cve_assigned))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// `AND project_id IN ($first, ...)` for `projects`, numbering from `first`.
fn project_clause(projects: Option<&[ProjectId]>, first: usize) -> String {
    match projects {
        None => String::new(),
        Some(ids) => {
            let params: Vec<String> = (0..ids.len()).map(|i| format!("${}", first + i)).collect();
            format!(" AND project_id IN ({})", params.join(", "))
        }
    }
}

fn check_projects(projects: Option<&[ProjectId]>) -> Result<()> {
    if projects.is_some_and(|p| p.len() > MAX_TIMELINE_PROJECTS) {
        return Err(StoreError::Conflict(format!(
            "statistics cover at most {MAX_TIMELINE_PROJECTS} projects at once"
        )));
    }
    Ok(())
}

fn decode(row: &AnyRow) -> Result<(Facts, bool)> {
    let time = |column: &str| -> Result<Option<Timestamp>> {
        row.try_get::<Option<i64>, _>(column)?
            .map(timestamp)
            .transpose()
    };
    let channel: String = row.try_get("channel")?;
    let class: Option<String> = row.try_get("triage_class")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let facts = Facts {
        project: row.try_get::<Option<i64>, _>("project_id")?.map(ProjectId),
        channel: Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("stored channel {channel:?}")))?,
        class: class
            .as_deref()
            .map(TriageClass::parse)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("stored triage class: {e}")))?,
        received_at: timestamp(row.try_get("received_at")?)?,
        acknowledged_at: time("acknowledged_at")?,
        decided_at: time("decided_at")?,
        outcome: outcome
            .as_deref()
            .map(|o| {
                Outcome::parse(o)
                    .ok_or_else(|| StoreError::Corrupt(format!("stored outcome {o:?}")))
            })
            .transpose()?,
        announced_at: time("announced_at")?,
        published_at: time("published_at")?,
        acknowledge_due: time("acknowledge_due")?,
        decide_due: time("decide_due")?,
        announce_due: time("announce_due")?,
        cve_assigned: row.try_get::<i64, _>("cve_assigned")? != 0,
    };
    Ok((facts, row.try_get::<i64, _>("complete")? != 0))
}

#[async_trait]
impl Timeline for SqlStore {
    async fn timelines(
        &self,
        (from, until): (Timestamp, Timestamp),
        projects: Option<&[ProjectId]>,
        limit: u32,
    ) -> Result<TimelineRows> {
        check_projects(projects)?;
        if projects.is_some_and(<[ProjectId]>::is_empty) {
            return Ok(TimelineRows::default());
        }
        // One more than the limit tells a full period from a cut one.
        let sql = format!(
            "SELECT {COLUMNS} FROM report_timeline WHERE received_at >= $1 AND received_at < $2{} \
             ORDER BY received_at LIMIT {}",
            project_clause(projects, 3),
            u64::from(limit) + 1
        );
        let mut query = sqlx::query(&sql)
            .bind(from.as_microsecond())
            .bind(until.as_microsecond());
        for p in projects.unwrap_or_default() {
            query = query.bind(p.0);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let truncated = rows.len() > limit as usize;
        let mut out = TimelineRows {
            truncated,
            ..TimelineRows::default()
        };
        for row in rows.iter().take(limit as usize) {
            let (facts, complete) = decode(row)?;
            out.incomplete += u64::from(!complete);
            out.facts.push(facts);
        }
        Ok(out)
    }

    async fn open_now(
        &self,
        projects: Option<&[ProjectId]>,
        now: Timestamp,
    ) -> Result<Vec<OpenNow>> {
        check_projects(projects)?;
        if projects.is_some_and(<[ProjectId]>::is_empty) {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT project_id, COUNT(*) AS open, \
             SUM(CASE WHEN next_due < $1 THEN 1 ELSE 0 END) AS overdue \
             FROM reports WHERE closed = 0{} GROUP BY project_id",
            project_clause(projects, 2)
        );
        let mut query = sqlx::query(&sql).bind(now.as_microsecond());
        for p in projects.unwrap_or_default() {
            query = query.bind(p.0);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let count = |c: &str| -> Result<u64> {
                    Ok(u64::try_from(row.try_get::<Option<i64>, _>(c)?.unwrap_or(0)).unwrap_or(0))
                };
                Ok(OpenNow {
                    project: row.try_get::<Option<i64>, _>("project_id")?.map(ProjectId),
                    open: count("open")?,
                    overdue: count("overdue")?,
                })
            })
            .collect()
    }

    async fn backfill_timeline(&self, batch: u32) -> Result<u64> {
        let ids: Vec<String> = sqlx::query(&format!(
            "SELECT report_id FROM report_timeline WHERE complete = 0 LIMIT {}",
            batch.max(1)
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get("report_id"))
        .collect::<Result<_, _>>()?;
        let mut reports = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(report) = self.fetch_report("id", id).await? {
                reports.push(report);
            }
        }
        let mut done = 0;
        let mut tx = self.begin_write().await?;
        for report in &reports {
            let facts = from_history(self, &mut tx, report).await?;
            // Only a row still incomplete: a change stored meanwhile wrote a fresher one.
            let updated = sqlx::query(
                "UPDATE report_timeline SET acknowledged_at = $2, decided_at = $3, \
                 announced_at = $4, published_at = $5, acknowledge_due = $6, decide_due = $7, \
                 announce_due = $8, complete = 1 WHERE report_id = $1 AND complete = 0",
            )
            .bind(report.id.as_str())
            .bind(facts.acknowledged_at.map(|t| t.as_microsecond()))
            .bind(facts.decided_at.map(|t| t.as_microsecond()))
            .bind(facts.announced_at.map(|t| t.as_microsecond()))
            .bind(facts.published_at.map(|t| t.as_microsecond()))
            .bind(facts.acknowledge_due.map(|t| t.as_microsecond()))
            .bind(facts.decide_due.map(|t| t.as_microsecond()))
            .bind(facts.announce_due.map(|t| t.as_microsecond()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            done += updated;
        }
        tx.commit().await?;
        Ok(done)
    }
}
