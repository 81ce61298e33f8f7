//! The clock pass (docs/clocks.md): every open report whose next deadline is within a
//! day gets a reminder to its handling team, and one past its deadline an escalation
//! to the organisation team; every clock that starts on an event (a silent reporter,
//! a CVE record to publish, a CRA stage) gets its reminder and escalation when they
//! fall. Each nudge goes exactly once across passes, restarts and nodes, and is
//! recorded on the report's audit log. "Now" is the caller's: `serve` passes the
//! clock, tests the times they choose.
//!
//! Submodules: [`cra`] (flagging a report as actively exploited, marking stages done,
//! the drafts) and [`overdue`] (the board of what is late).

pub mod cra;
pub mod overdue;

use embargo_domain::clocks::timers::{
    Clock, reporter_reminder, reporter_silent_team, schedule, still_applies, team_clock_nudge,
};
use embargo_domain::clocks::{Nudge, Place, REMIND_BEFORE, deadline, nudge, nudge_at, nudge_due};
use embargo_domain::report::Report;
use embargo_store::ClockRow;
use jiff::{SignedDuration, Timestamp};

use crate::App;
use crate::error::Result;

/// The soonest any event clock nudges after it starts (the CRA early warning's
/// reminder, 12 hours after awareness): younger clocks are not read at all.
const SOONEST_NUDGE: SignedDuration = SignedDuration::from_hours(12);

impl App {
    /// One pass at `now`; returns how many nudges were sent.
    pub async fn nudge_deadlines(&self, now: Timestamp) -> Result<usize> {
        Ok(self.nudge_handling_deadlines(now).await? + self.nudge_event_clocks(now).await?)
    }

    /// The handling deadlines (acknowledge, discuss, announce), read from the
    /// dashboard's index.
    async fn nudge_handling_deadlines(&self, now: Timestamp) -> Result<usize> {
        let mut sent = 0;
        for report in self.store().due_reports(now + REMIND_BEFORE).await? {
            let Some((which, due)) = deadline(&report) else {
                continue;
            };
            let Some(kind) = nudge_due(due, now) else {
                continue;
            };
            let (page, contacts, policy) = self.nudge_context(&report).await?;
            let place = Place {
                contacts: &contacts,
                page: &page,
                time_zone: &policy.time_zone,
            };
            let Some((mail, audit)) = nudge(&report, (which, due), kind, now, place) else {
                continue;
            };
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

    /// The clocks that started on an event, read from their own index.
    async fn nudge_event_clocks(&self, now: Timestamp) -> Result<usize> {
        let mut sent = 0;
        for row in self.store().pending_clocks(now - SOONEST_NUDGE).await? {
            let Some(clock) = Clock::parse(&row.clock) else {
                continue;
            };
            let Some(report) = self.store().report(&row.report).await? else {
                continue;
            };
            if still_applies(clock, &report) && self.nudge_clock(&report, clock, &row, now).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// The nudge due now for one clock of `report`, sent if it was not before.
    async fn nudge_clock(
        &self,
        report: &Report,
        clock: Clock,
        row: &ClockRow,
        now: Timestamp,
    ) -> Result<bool> {
        let (page, contacts, policy) = self.nudge_context(report).await?;
        let s = schedule(clock, row.since, &policy);
        let Some(kind) = nudge_at(s.remind_at, s.escalate_at, now) else {
            return Ok(false);
        };
        let place = Place {
            contacts: &contacts,
            page: &page,
            time_zone: &policy.time_zone,
        };
        let days = policy.reporter_silent_days;
        let built = match (clock, kind) {
            (Clock::ReporterSilent, Nudge::Reminder) => {
                reporter_reminder(report, row.since, days, now, &policy.time_zone)
            }
            (Clock::ReporterSilent, Nudge::Escalation) => {
                reporter_silent_team(report, row.since, days, now, place)
            }
            _ => team_clock_nudge(report, clock, s.due, kind, now, place),
        };
        // Nobody to write to (a reporter without an address): the team hears at the
        // escalation instead.
        let Some((mail, audit)) = built else {
            return Ok(false);
        };
        let key = (clock.as_str(), kind.as_str(), row.since);
        let last = kind == Nudge::Escalation;
        Ok(self
            .store()
            .record_clock_nudge(report, key, Some(&mail), &audit, last)
            .await?)
    }

    /// What every nudge of `report` needs: its page for the team, the addresses (the
    /// recipients are chosen from them by `embargo_domain::clocks::recipients`) and
    /// the project's policy (time zone, days).
    async fn nudge_context(
        &self,
        report: &Report,
    ) -> Result<(
        String,
        embargo_domain::lifecycle::Contacts,
        embargo_domain::policy::Policy,
    )> {
        let cfg = self.settings();
        let project = self.project_of(report).await?;
        let page = format!(
            "{}/reports/{}",
            cfg.base_url.trim_end_matches('/'),
            report.id
        );
        let mut contacts = cfg.contacts(project.as_ref(), None);
        // The owner gets the reminders first (docs/process.md#owners).
        if let Some(owner) = report.owner {
            contacts.owner = self.member(owner).await?.map(|m| m.email);
        }
        Ok((page, contacts, cfg.policy(project.as_ref())))
    }
}
