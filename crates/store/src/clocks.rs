//! The clocks that start on an event (docs/clocks.md): their rows, written in the
//! transaction of the change that starts or stops them, the pass's reads and its
//! exactly-once nudges, the CRA flag and the stages marked done, and the late clocks
//! of the overdue board. What each row means is `embargo_domain::clocks::timers`'.

use async_trait::async_trait;
use embargo_domain::ids::{ProjectId, ReportId};
use embargo_domain::report::{AuditEntry, OutgoingMail, ProjectRef, Report};
use jiff::Timestamp;

use crate::Result;

/// One running clock of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    pub report: ReportId,
    /// `embargo_domain::clocks::timers::Clock`'s name, or `fixed`.
    pub clock: String,
    pub since: Timestamp,
    /// A CRA stage the team marked done.
    pub done_at: Option<Timestamp>,
    /// Its last nudge went (or it is done): the pass no longer looks at it.
    pub quiet: bool,
}

/// A clock not done, with what the overdue board shows of its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateClock {
    pub row: ClockRow,
    pub project: Option<ProjectRef>,
    pub title: String,
}

/// Most clocks one pass or one board reads.
pub const MAX_CLOCKS_READ: u32 = 500;

#[async_trait]
pub trait Clocks: Send + Sync {
    /// Clocks still to nudge that started at or before `started_by`, oldest first, at
    /// most [`MAX_CLOCKS_READ`] (the next pass takes the rest).
    async fn pending_clocks(&self, started_by: Timestamp) -> Result<Vec<ClockRow>>;
    /// Every clock row of one report.
    async fn report_clocks(&self, report: &ReportId) -> Result<Vec<ClockRow>>;
    /// Records a clock's nudge `(clock, nudge, since)` with its mail (none when it
    /// has nobody to go to) and audit line in one transaction; `last` makes the clock
    /// quiet. `false` and nothing written when recorded before, here or by another node.
    async fn record_clock_nudge(
        &self,
        report: &Report,
        key: (&str, &str, Timestamp),
        mail: Option<&OutgoingMail>,
        audit: &AuditEntry,
        last: bool,
    ) -> Result<bool>;
    /// Starts the CRA stage clocks of an actively exploited report (awareness at
    /// `aware_at`; the final report's once the fix is known) with the audit line;
    /// `false` and nothing written if it was flagged before.
    async fn flag_exploited(
        &self,
        report: &ReportId,
        aware_at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Marks a running clock done (a CRA stage sent) with the audit line; `false`
    /// when it is not running or already done.
    async fn mark_clock_done(
        &self,
        report: &ReportId,
        clock: &str,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// The team clocks (CVE record, CRA stages) not done that started at or before
    /// `started_by`, in `projects` (every project and unrouted reports when `None`),
    /// oldest first, at most `limit` (and [`MAX_CLOCKS_READ`]); only their titles are
    /// opened.
    async fn late_clocks(
        &self,
        started_by: Timestamp,
        projects: Option<&[ProjectId]>,
        limit: u32,
    ) -> Result<Vec<LateClock>>;
}
