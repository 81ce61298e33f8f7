//! The overdue board (docs/clocks.md#the-overdue-board): what is late now, grouped by
//! project. The organisation team sees every project and the unrouted reports; a
//! project member sees their projects' only (the one visibility rule). Read from the
//! indexes (the reports' next deadline, the clocks' start time), at most a few hundred
//! rows, and only the titles of the rows shown are opened.

use embargo_domain::access::Member;
use embargo_domain::clocks::Deadline;
use embargo_domain::clocks::overdue::{Late, ProjectGroup, board};
use embargo_domain::clocks::timers::{Clock, schedule};
use embargo_store::ReportFilter;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::App;
use crate::error::Result;

/// Most late deadlines and most late clocks the board reads (each).
pub const MAX_ON_BOARD: u32 = 200;

/// The soonest a team clock can be late after it starts (the CRA early warning, 24 h).
const SOONEST_LATE: SignedDuration = SignedDuration::from_hours(24);

/// The board.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueBoard {
    pub groups: Vec<ProjectGroup>,
    /// More was late than the board shows (the oldest are shown).
    pub truncated: bool,
}

impl App {
    /// What is late at `now` among the reports `member` handles.
    pub async fn overdue(&self, member: &Member, now: Timestamp) -> Result<OverdueBoard> {
        let projects = (!member.org_team).then(|| member.projects.clone());
        let filter = ReportFilter {
            projects: projects.clone(),
            due_before: Some(now),
            limit: MAX_ON_BOARD,
            ..Default::default()
        };
        let mut rows = self.store().list_reports(&filter).await?;
        // Defence in depth, as every list: only what the member handles.
        rows.retain(|r| member.handles_project(r.project.as_ref().map(|p| p.id)));
        let mut truncated = rows.len() >= MAX_ON_BOARD as usize;
        let mut items: Vec<Late> = rows
            .into_iter()
            .filter_map(|r| {
                let deadline = Deadline::of_state(r.state);
                Some(Late {
                    project: r.project.map(|p| (p.slug.to_string(), p.name)),
                    report: r.id.to_string(),
                    title: r.title,
                    deadline: deadline.as_str(),
                    label: deadline.label(),
                    due: r.next_due?,
                })
            })
            .collect();
        let clocks = self
            .store()
            .late_clocks(now - SOONEST_LATE, projects.as_deref(), MAX_ON_BOARD)
            .await?;
        truncated |= clocks.len() >= MAX_ON_BOARD as usize;
        // Team clocks' times are the same under every policy (CVE record, CRA).
        let policy = &self.settings().default_policy;
        for late in clocks {
            if !member.handles_project(late.project.as_ref().map(|p| p.id)) {
                continue;
            }
            let Some(clock) = Clock::parse(&late.row.clock) else {
                continue;
            };
            items.push(Late {
                project: late.project.map(|p| (p.slug.to_string(), p.name)),
                report: late.row.report.to_string(),
                title: late.title,
                deadline: clock.as_str(),
                label: clock.label(),
                due: schedule(clock, late.row.since, policy).due,
            });
        }
        Ok(OverdueBoard {
            groups: board(items, now),
            truncated,
        })
    }
}
