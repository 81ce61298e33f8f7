//! The deadline pass: every open report whose next deadline is within a day gets a
//! reminder to its handling team, and one past its deadline an escalation to the
//! organisation team, each exactly once across passes, restarts and nodes, and each
//! recorded on the report's audit log. "Now" is the caller's: `serve` passes the clock,
//! tests the times they choose (docs/process.md#deadlines).

use embargo_domain::clocks::{REMIND_BEFORE, deadline, nudge, nudge_due};
use jiff::Timestamp;

use crate::App;
use crate::error::Result;

impl App {
    /// One pass at `now`; returns how many nudges were sent.
    pub async fn nudge_deadlines(&self, now: Timestamp) -> Result<usize> {
        let cfg = self.settings();
        let mut sent = 0;
        for report in self.store().due_reports(now + REMIND_BEFORE).await? {
            let Some((which, due)) = deadline(&report) else {
                continue;
            };
            let Some(kind) = nudge_due(due, now) else {
                continue;
            };
            let project = self.project_of(&report).await?;
            let contacts = cfg.contacts(project.as_ref(), None);
            let page = format!(
                "{}/reports/{}",
                cfg.base_url.trim_end_matches('/'),
                report.id
            );
            let (mail, audit) = nudge(&report, (which, due), kind, now, &contacts, &page);
            let key = (which.as_str(), kind.as_str(), due);
            if self
                .store()
                .record_nudge(&report, key, &mail, &audit)
                .await?
            {
                sent += 1;
            }
        }
        Ok(sent)
    }
}
