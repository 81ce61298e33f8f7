//! The reminder pass: every statement in force that expires within the reminder window
//! (or has expired) and has not been reminded of gets one mail to its project's team,
//! exactly once across passes, restarts and nodes (the store records and queues it in
//! one transaction). `serve` runs a pass at start and every hour; "now" is the caller's,
//! so tests run passes at the times they choose.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use embargo_domain::ids::ProjectId;
use embargo_domain::vex::expiry::{ReminderTo, horizon, reminder};
use embargo_store::Project;
use jiff::Timestamp;

use crate::App;
use crate::error::Result;

impl App {
    /// One reminder pass at `now`; returns how many reminders were queued.
    pub async fn remind_expiring_statements(&self, now: Timestamp) -> Result<usize> {
        let cfg = self.settings();
        let today = cfg.default_policy.calendar()?.local_date(now);
        let due = self.store().expiring_statements(horizon(today)).await?;
        let mut projects: HashMap<ProjectId, Option<Project>> = HashMap::new();
        let mut queued = 0;
        for record in due {
            let Some(until) = record.stored.statement.until else {
                continue;
            };
            let project = match projects.entry(record.project) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(self.store().project_by_id(record.project).await?),
            };
            let Some(project) = project.as_ref() else {
                continue;
            };
            let id = record.stored.id;
            let page = format!(
                "{}/projects/{}/statements/{id}",
                cfg.base_url.trim_end_matches('/'),
                project.slug
            );
            let team = cfg.contacts(Some(project), None).team;
            let to = ReminderTo {
                project_name: &project.name,
                page: &page,
                team: &team,
            };
            let mail = reminder(id, &record.stored.statement, until, today, &to);
            if self.store().remind_statement(id, until, &mail, now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }
}
