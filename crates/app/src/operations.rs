//! What an operator's monitoring reads (`/metrics`, docs/operations.md#running-it): the
//! installation's queues and clocks as counts, and how long the database took to give
//! them. Counts only: no report, reporter, project name or CVE id leaves here.

use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::App;
use crate::error::Result;
use crate::outbox::OutboxStats;
use embargo_store::IntakeCommits;

/// The figures of one scrape, read from the database (the same on every node).
#[derive(Debug, Clone)]
pub struct OperationalFigures {
    /// The outbox by delivery state.
    pub outbox: OutboxStats,
    /// Reports not closed, of every project and the unrouted.
    pub open_reports: u64,
    /// Of those, past their next deadline (a deadline breach not yet resolved).
    pub overdue_reports: u64,
    /// How long the database took to answer these questions.
    pub database_latency: Duration,
    /// This node's group commits of intake and the intakes they held (SQLite only).
    pub intake_commits: Option<IntakeCommits>,
}

impl App {
    /// The operational figures as of `now`, for the organisation's monitoring (not a
    /// member's view: counts without names, served only to the metrics credential).
    pub async fn operational_figures(&self, now: Timestamp) -> Result<OperationalFigures> {
        let started = Instant::now();
        let outbox = self.store().outbox_stats().await?;
        let open = self.store().open_now(None, now).await?;
        let database_latency = started.elapsed();
        Ok(OperationalFigures {
            outbox,
            open_reports: open.iter().map(|o| o.open).sum(),
            overdue_reports: open.iter().map(|o| o.overdue).sum(),
            database_latency,
            intake_commits: self.store().intake_commits(),
        })
    }
}
