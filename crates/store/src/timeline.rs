//! Report timelines (docs/statistics.md): each report's process metadata kept in clear
//! beside it — when it arrived, was acknowledged, decided, announced and its record
//! published, its deadlines, channel, triage class, outcome — so that statistics over
//! any number of reports read an index and never open a sealed report.
//!
//! The rows are written with every change of a report, in its transaction
//! (`sql::timeline`). Reports stored before the timeline existed got a row from the
//! clear columns only (migration 0015, `complete = 0`); [`Timeline::backfill_timeline`]
//! completes them in bounded batches from the sealed reports.

use async_trait::async_trait;
use embargo_domain::ids::ProjectId;
use embargo_domain::stats::Facts;
use jiff::Timestamp;

use crate::Result;

/// Most timeline rows one statistics query reads; a period with more is refused (ask
/// for a shorter one or one project).
pub const MAX_TIMELINE_ROWS: u32 = 250_000;

/// Most projects a statistics query names (a member on more sees them one at a time).
pub const MAX_TIMELINE_PROJECTS: usize = 500;

/// The timelines of a period's reports.
#[derive(Debug, Clone, Default)]
pub struct TimelineRows {
    pub facts: Vec<Facts>,
    /// More rows matched than the limit allowed: `facts` is not all of them.
    pub truncated: bool,
    /// Of `facts`, how many are still waiting for the backfill (their times and
    /// deadlines unknown yet).
    pub incomplete: u64,
}

/// Reports open now, per project (`None`: not routed yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenNow {
    pub project: Option<ProjectId>,
    pub open: u64,
    /// Of those, past their next deadline.
    pub overdue: u64,
}

#[async_trait]
pub trait Timeline: Send + Sync {
    /// The timelines of reports received in `[from, until)`, of `projects` (every
    /// report, unrouted ones included, when `None`), at most `limit` rows.
    async fn timelines(
        &self,
        (from, until): (Timestamp, Timestamp),
        projects: Option<&[ProjectId]>,
        limit: u32,
    ) -> Result<TimelineRows>;

    /// Reports open now and how many of them are past their next deadline at `now`,
    /// per project, of `projects` (all when `None`).
    async fn open_now(
        &self,
        projects: Option<&[ProjectId]>,
        now: Timestamp,
    ) -> Result<Vec<OpenNow>>;

    /// Completes up to `batch` timelines left incomplete by the migration, from the
    /// sealed reports and the audit log; returns how many it completed (0: done).
    /// Safe to run on several nodes and beside ordinary writes.
    async fn backfill_timeline(&self, batch: u32) -> Result<u64>;
}
