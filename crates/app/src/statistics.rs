//! Statistics (docs/statistics.md): the figures of the reports a member handles over a
//! period — by month, channel, triage class and outcome, the times from receipt to each
//! step, deadline hit rates, what is open and overdue now — and the yearly summary.
//!
//! Team-only, and within the one visibility rule: counts of unannounced reports are
//! as secret as the reports. A member gets the projects they handle and nothing else
//! (asking for another project by name is refused); the organisation team gets every
//! project, the unrouted reports and the organisation's total.

use std::collections::BTreeMap;

use embargo_domain::access::Member;
use embargo_domain::ids::{ProjectId, ProjectSlug};
use embargo_domain::stats::{
    DEFAULT_MONTHS, Figures, Period, YearInReview, by_project, figures, year_in_review,
};
use embargo_store::{MAX_TIMELINE_ROWS, OpenNow};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::App;
use crate::error::{Error, Result};

/// Timelines completed per backfill step; each step is one short transaction.
const BACKFILL_BATCH: u32 = 500;

/// Which figures are asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsQuery {
    /// One project by slug; every project the member handles when `None`.
    pub project: Option<String>,
    /// A calendar year (the yearly report); else the last `months` months.
    pub year: Option<i16>,
    /// How many months back, the current one included (default 12).
    pub months: Option<i32>,
}

/// A project as the figures name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName {
    pub slug: ProjectSlug,
    pub name: String,
}

/// One project's figures (`project` `None`: reports not routed to any project yet).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectStats {
    pub project: Option<ProjectName>,
    pub figures: Figures,
    pub open_now: u64,
    pub overdue_now: u64,
}

/// Everything the statistics page, its CSV and the API show.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    pub period: Period,
    /// The project asked for, if one was.
    pub project: Option<ProjectName>,
    /// Whether `total` is the whole organisation's (organisation team, no project).
    pub organisation: bool,
    /// Every report counted below, together.
    pub total: Figures,
    pub open_now: u64,
    pub overdue_now: u64,
    /// Per project, by slug (the unrouted last).
    pub projects: Vec<ProjectStats>,
    /// With a year: the yearly summary.
    pub year: Option<YearInReview>,
    /// Reports counted whose times are still being filled in from before the
    /// statistics existed (their time figures are missing until then).
    pub incomplete: u64,
    pub as_of: Timestamp,
}

impl App {
    /// The figures `member` may see, as `query` asks.
    pub async fn statistics(&self, member: &Member, query: &StatsQuery) -> Result<Statistics> {
        let now = Timestamp::now();
        let today = now.to_zoned(TimeZone::UTC).date();
        let period = match (query.year, query.months) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "months",
                    "give either a year or a number of months, not both",
                ));
            }
            (Some(year), None) => Period::year(year, today)?,
            (None, months) => Period::last_months(months.unwrap_or(DEFAULT_MONTHS), today)?,
        };
        let all = self.store().list_projects().await?;
        let names: BTreeMap<ProjectId, ProjectName> = all
            .iter()
            .map(|p| {
                let name = ProjectName {
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                };
                (p.id, name)
            })
            .collect();
        let (scope, asked) = self.stats_scope(member, query, &all).await?;
        let rows = self
            .store()
            .timelines(period.bounds(), scope.as_deref(), MAX_TIMELINE_ROWS)
            .await?;
        if rows.truncated {
            return Err(Error::invalid(
                "period",
                format!(
                    "more than {MAX_TIMELINE_ROWS} reports in this period: ask for fewer \
                     months or one project"
                ),
            ));
        }
        let open = self.store().open_now(scope.as_deref(), now).await?;
        // Defence in depth: whatever the store returned, only what the member handles.
        let facts: Vec<_> = rows
            .facts
            .into_iter()
            .filter(|f| member.handles_project(f.project))
            .collect();
        let open: Vec<OpenNow> = open
            .into_iter()
            .filter(|o| member.handles_project(o.project))
            .collect();
        let projects = project_stats(&facts, &open, &period, now, &names, member, &scope);
        let total = figures(&facts, &period, now);
        let year = period.year.map(|y| {
            let with_reports = projects
                .iter()
                .filter(|p| p.project.is_some() && p.figures.total.received > 0)
                .count();
            year_in_review(y, &total.total, with_reports as u64)
        });
        Ok(Statistics {
            period,
            organisation: member.org_team && asked.is_none(),
            project: asked,
            open_now: open.iter().map(|o| o.open).sum(),
            overdue_now: open.iter().map(|o| o.overdue).sum(),
            total,
            projects,
            year,
            incomplete: rows.incomplete,
            as_of: now,
        })
    }

    /// Which projects the figures cover (`None`: all, unrouted reports included) and
    /// the project asked for. Asking for a project the member is not on is refused.
    async fn stats_scope(
        &self,
        member: &Member,
        query: &StatsQuery,
        all: &[embargo_store::Project],
    ) -> Result<(Option<Vec<ProjectId>>, Option<ProjectName>)> {
        let slug = query
            .project
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let Some(slug) = slug else {
            let scope = (!member.org_team).then(|| member.projects.clone());
            return Ok((scope, None));
        };
        let slug = ProjectSlug::parse(slug)?;
        let project = all
            .iter()
            .find(|p| p.slug == slug)
            .ok_or_else(|| Error::invalid("project", format!("there is no project \"{slug}\"")))?;
        if !member.handles_project(Some(project.id)) {
            return Err(Error::Forbidden(format!(
                "the figures of {slug} are for its security team and the organisation team"
            )));
        }
        let name = ProjectName {
            slug: project.slug.clone(),
            name: project.name.clone(),
        };
        Ok((Some(vec![project.id]), Some(name)))
    }

    /// Completes the timelines of reports stored before statistics existed, a batch at
    /// a time, until none is left (run once by `serve` at start; any node may, and a
    /// restart carries on where the last run stopped).
    pub async fn complete_statistics(self) {
        let mut total = 0;
        loop {
            match self.store().backfill_timeline(BACKFILL_BATCH).await {
                Ok(0) => return,
                Ok(n) => {
                    total += n;
                    tracing::info!(completed = total, "report timelines filled in");
                    // Leave room to the requests being served meanwhile.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "filling in report timelines stopped; the next start carries on");
                    return;
                }
            }
        }
    }
}

/// Each project's figures: every project of a member's scope, and any other with
/// reports in the period or open now.
fn project_stats(
    facts: &[embargo_domain::stats::Facts],
    open: &[OpenNow],
    period: &Period,
    now: Timestamp,
    names: &BTreeMap<ProjectId, ProjectName>,
    member: &Member,
    scope: &Option<Vec<ProjectId>>,
) -> Vec<ProjectStats> {
    let mut groups = by_project(facts, period, now);
    for o in open {
        groups
            .entry(o.project)
            .or_insert_with(|| figures(&[], period, now));
    }
    if let Some(ids) = scope {
        for id in ids.iter().filter(|id| member.handles_project(Some(**id))) {
            groups
                .entry(Some(*id))
                .or_insert_with(|| figures(&[], period, now));
        }
    }
    let mut out: Vec<ProjectStats> = groups
        .into_iter()
        .filter(|(p, _)| p.is_none() || p.is_some_and(|id| names.contains_key(&id)))
        .map(|(p, figures)| {
            let o = open.iter().find(|o| o.project == p);
            ProjectStats {
                project: p.and_then(|id| names.get(&id).cloned()),
                figures,
                open_now: o.map_or(0, |o| o.open),
                overdue_now: o.map_or(0, |o| o.overdue),
            }
        })
        .collect();
    out.sort_by(|a, b| match (&a.project, &b.project) {
        (Some(a), Some(b)) => a.slug.as_str().cmp(b.slug.as_str()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    out
}
