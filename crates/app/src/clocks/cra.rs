//! A report's clocks as its page shows them, and the CRA use cases: flagging a report
//! as actively exploited (with the time of awareness), marking a stage's report done,
//! and each stage's draft (docs/cra.md). Team-only: each checks that the caller is on
//! the report's team, whatever door it came through.

use embargo_domain::access::{Access, Actor, access};
use embargo_domain::clocks::cra::{Draft, Stage, check_awareness, draft};
use embargo_domain::clocks::timers::{Clock, FIXED, schedule};
use embargo_domain::report::{AuditEntry, Report};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::App;
use crate::error::{Error, Result};

/// One running clock of a report.
#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    /// `reporter_silent`, `cve_record`, `cra_early_warning`, …
    pub clock: &'static str,
    pub label: &'static str,
    pub since: Timestamp,
    pub due: Timestamp,
    /// When the team marked it done (CRA stages).
    pub done_at: Option<Timestamp>,
    /// Past due and not done.
    pub late: bool,
    /// The CRA stage it runs for (its draft and its "done" form).
    pub stage: Option<Stage>,
}

/// What a report's page and API show of its clocks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportClocks {
    /// Flagged as actively exploited: the time the team became aware of it.
    pub exploited_since: Option<Timestamp>,
    /// When the fix was recorded.
    pub fixed_at: Option<Timestamp>,
    pub clocks: Vec<ClockView>,
}

impl App {
    /// The clocks of a report the caller is on the team of, at `now`.
    pub async fn report_clocks(
        &self,
        actor: &Actor,
        report: &Report,
        now: Timestamp,
    ) -> Result<ReportClocks> {
        team_only(actor, report)?;
        let project = self.project_of(report).await?;
        let policy = self.settings().policy(project.as_ref());
        let mut out = ReportClocks::default();
        for row in self.store().report_clocks(&report.id).await? {
            if row.clock == FIXED {
                out.fixed_at = Some(row.since);
                continue;
            }
            let Some(clock) = Clock::parse(&row.clock) else {
                continue;
            };
            if clock == Clock::CraEarlyWarning {
                out.exploited_since = Some(row.since);
            }
            let due = schedule(clock, row.since, &policy).due;
            out.clocks.push(ClockView {
                clock: clock.as_str(),
                label: clock.label(),
                since: row.since,
                due,
                done_at: row.done_at,
                late: row.done_at.is_none() && due < now,
                stage: clock.stage(),
            });
        }
        out.clocks.sort_by_key(|c| c.due);
        Ok(out)
    }

    /// Flags `report` as actively exploited since `aware_at`: an RFC 3339 time, or a
    /// local date and time (`2026-12-01T09:30`, as a page's form sends it) in the
    /// project's time zone. Audited; refused if flagged before.
    pub async fn flag_exploited(
        &self,
        actor: &Actor,
        report: &Report,
        aware_at: &str,
        now: Timestamp,
    ) -> Result<Timestamp> {
        team_only(actor, report)?;
        let project = self.project_of(report).await?;
        let policy = self.settings().policy(project.as_ref());
        let aware = parse_time(aware_at, &policy.time_zone)?;
        check_awareness(aware, now)?;
        let audit = AuditEntry {
            at: now,
            actor: actor.audit_name(),
            action: "exploited".into(),
            detail: format!("actively exploited, aware since {aware}"),
        };
        if !self
            .store()
            .flag_exploited(&report.id, aware, &audit)
            .await?
        {
            return Err(Error::Conflict(
                "this report is already flagged as actively exploited".into(),
            ));
        }
        Ok(aware)
    }

    /// Marks a CRA stage's report as sent: its clock stops. Audited.
    pub async fn mark_cra_done(
        &self,
        actor: &Actor,
        report: &Report,
        stage: &str,
        now: Timestamp,
    ) -> Result<Stage> {
        team_only(actor, report)?;
        let stage = Stage::parse(stage)?;
        let audit = AuditEntry {
            at: now,
            actor: actor.audit_name(),
            action: "cra_done".into(),
            detail: stage.as_str().into(),
        };
        if !self
            .store()
            .mark_clock_done(&report.id, stage.clock().as_str(), &audit)
            .await?
        {
            return Err(Error::Conflict(format!(
                "the CRA {} is not running: the report is not flagged as actively exploited, \
                 its fix is not recorded yet (final report), or it is marked done already",
                stage.label().to_lowercase()
            )));
        }
        Ok(stage)
    }

    /// The draft of a CRA stage's report, filled from `report`; refused unless the
    /// report is flagged as actively exploited.
    pub async fn cra_draft(&self, actor: &Actor, report: &Report, stage: &str) -> Result<Draft> {
        team_only(actor, report)?;
        let stage = Stage::parse(stage)?;
        let rows = self.store().report_clocks(&report.id).await?;
        let since = |name: &str| rows.iter().find(|r| r.clock == name).map(|r| r.since);
        let aware = since(Clock::CraEarlyWarning.as_str()).ok_or_else(|| {
            Error::Conflict("this report is not flagged as actively exploited".into())
        })?;
        Ok(draft(report, stage, aware, since(FIXED)))
    }
}

fn team_only(actor: &Actor, report: &Report) -> Result<()> {
    match access(actor, report) {
        Access::Team => Ok(()),
        // Whoever cannot see the report as its team is told nothing about it.
        _ => Err(Error::NotFound),
    }
}

/// An RFC 3339 time, or a local one in `time_zone`.
fn parse_time(s: &str, time_zone: &str) -> Result<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        Error::invalid(
            "aware_at",
            format!(
                "{s:?} is not a time (e.g. 2026-12-01T09:30:00Z, or 2026-12-01T09:30 in the project's time zone)"
            ),
        )
    };
    let local: DateTime = s.parse().map_err(|_| bad())?;
    let tz = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    local.to_zoned(tz).map(|z| z.timestamp()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn awareness_is_read_in_the_projects_zone_unless_it_has_one() {
        let utc = parse_time("2026-12-01T09:30:00Z", "Europe/Amsterdam").unwrap();
        assert_eq!(utc.to_string(), "2026-12-01T09:30:00Z");
        let local = parse_time("2026-12-01T09:30", "Europe/Amsterdam").unwrap();
        assert_eq!(local.to_string(), "2026-12-01T08:30:00Z");
        assert!(parse_time("yesterday", "UTC").is_err());
    }
}
