//! Statistics ("Numbers", docs/statistics.md): from the timeline facts of reports — when
//! each was received, acknowledged, decided, announced and its record published, and
//! the deadlines it had — the figures a team looks at: reports by month, channel and
//! triage class, outcomes, median and 90th-percentile times, deadline hit rates, and
//! the yearly summary.
//!
//! The facts are process metadata the store keeps in clear beside each report (never
//! its content), so that figures over many reports need not open a sealed one. Which
//! reports count is the caller's business (the period, the member's projects); this
//! module only computes.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

use crate::DomainError;
use crate::ids::ProjectId;
use crate::record::RecordState;
use crate::report::{Channel, Report};
use crate::state::ReportState;
use crate::triage::{TriageClass, TriageStatus};

/// The longest period figures are asked for, in months.
pub const MAX_MONTHS: i32 = 60;
/// The period shown when none is asked for: the last twelve months.
pub const DEFAULT_MONTHS: i32 = 12;
/// The earliest year a yearly report can be asked for.
pub const FIRST_YEAR: i16 = 2000;
/// The name of reports without a triage class (stored before triage existed).
pub const UNCLASSIFIED: &str = "unclassified";

/// How a report ended, as far as the figures go; `None` while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    /// Accepted as a vulnerability (whatever step it has reached since).
    Accepted,
    /// Rejected with a reason.
    Rejected,
    /// Closed as noise (a confirmed triage class): a non-issue.
    Closed,
    /// Merged into another report of the same vulnerability.
    Merged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    /// Where a report in `state` stands.
    pub fn of(state: ReportState) -> Option<Self> {
        match state {
            s if s.is_accepted() => Some(Self::Accepted),
            ReportState::Rejected => Some(Self::Rejected),
            ReportState::Closed => Some(Self::Closed),
            ReportState::Merged => Some(Self::Merged),
            _ => None,
        }
    }
}

/// One report's timeline: what the figures are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub project: Option<ProjectId>,
    pub channel: Channel,
    /// The triage class it counts under (`None`: unclassified).
    pub class: Option<TriageClass>,
    pub received_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    /// When it was first accepted or rejected.
    pub decided_at: Option<Timestamp>,
    pub outcome: Option<Outcome>,
    pub announced_at: Option<Timestamp>,
    /// When its CVE record was first published.
    pub published_at: Option<Timestamp>,
    pub acknowledge_due: Option<Timestamp>,
    /// The decision's deadline: the end of the discussion window (docs/statistics.md).
    pub decide_due: Option<Timestamp>,
    pub announce_due: Option<Timestamp>,
    pub cve_assigned: bool,
}

impl Facts {
    /// What `report` says of its timeline. `at` is the moment of the change being
    /// stored: the report keeps no time of a rejection or of its record's publication,
    /// so whoever stores the change first seeing them records `at` (and keeps the
    /// earlier value if there is one).
    pub fn of(report: &Report, at: Option<Timestamp>) -> Facts {
        let outcome = Outcome::of(report.state);
        let decided_at = match outcome {
            Some(Outcome::Accepted) => report.accepted_at.or(at),
            Some(Outcome::Rejected) => at,
            _ => None,
        };
        let class = report.triage.as_ref().map(|t| match t.status {
            // Dismissed: the team said it is a report after all.
            TriageStatus::Dismissed => TriageClass::Report,
            _ => t.class,
        });
        Facts {
            project: report.project.as_ref().map(|p| p.id),
            channel: report.channel,
            class,
            received_at: report.received_at,
            acknowledged_at: report.acknowledged_at,
            decided_at,
            outcome,
            announced_at: report.announced_at,
            published_at: (report.record_state() == Some(RecordState::Published))
                .then_some(at)
                .flatten(),
            acknowledge_due: report.deadlines.acknowledge_by,
            decide_due: report.deadlines.discuss_by,
            announce_due: report.deadlines.announce_by,
            cve_assigned: report.cve.is_some(),
        }
    }

    fn open(&self) -> bool {
        self.outcome.is_none()
    }
}

/// The months figures cover: from the first day of `from`'s month up to (not
/// including) the first day of `until`'s, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// The first day (a month's first).
    pub from: Date,
    /// The day after the last (a month's first).
    pub until: Date,
    /// Set when the period is one calendar year (the yearly report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i16>,
}

impl Period {
    /// The calendar year `year`.
    pub fn year(year: i16, today: Date) -> Result<Period, DomainError> {
        if year < FIRST_YEAR || year > today.year() {
            return Err(DomainError::invalid(
                "year",
                format!(
                    "{year} is not a year with figures (from {FIRST_YEAR} to {})",
                    today.year()
                ),
            ));
        }
        let from =
            Date::new(year, 1, 1).map_err(|e| DomainError::invalid("year", e.to_string()))?;
        Ok(Period {
            from,
            until: from.saturating_add(1.year()),
            year: Some(year),
        })
    }

    /// The last `months` calendar months, the current one (that of `today`) included.
    pub fn last_months(months: i32, today: Date) -> Result<Period, DomainError> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(DomainError::invalid(
                "months",
                format!("must be from 1 to {MAX_MONTHS}, not {months}"),
            ));
        }
        let until = today.first_of_month().saturating_add(1.month());
        Ok(Period {
            from: until.saturating_sub(months.months()),
            until,
            year: None,
        })
    }

    /// The period's bounds as instants (UTC midnights), `until` excluded.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        let at = |d: Date| {
            d.to_zoned(TimeZone::UTC)
                .map_or(Timestamp::MIN, |z| z.timestamp())
        };
        (at(self.from), at(self.until))
    }

    /// Each month of the period, as `YYYY-MM`, oldest first.
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut m = self.from.first_of_month();
        while m < self.until && out.len() < 12 * MAX_MONTHS as usize {
            out.push(month_of_date(m));
            m = m.saturating_add(1.month());
        }
        out
    }
}

fn month_of_date(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The month (`YYYY-MM`, UTC) an instant falls in.
pub fn month_of(t: Timestamp) -> String {
    month_of_date(t.to_zoned(TimeZone::UTC).date())
}

/// The `p`th percentile of `sorted` (ascending) by the nearest-rank method: the
/// smallest value such that at least `p` per cent of the values are at or below it,
/// i.e. the value of rank ⌈p/100 × n⌉. Always one of the values (no interpolation);
/// the median of an even count is the lower of the middle two. `None` when empty.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let p = u64::from(p.clamp(1, 100));
    let rank = (p * n).div_ceil(100).max(1);
    usize::try_from(rank - 1)
        .ok()
        .and_then(|i| sorted.get(i))
        .copied()
}

/// How long a step took, over the reports that took it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    /// How many reports took the step.
    pub count: u64,
    /// Seconds from receipt, median (nearest rank).
    pub median_seconds: Option<i64>,
    /// Seconds from receipt, 90th percentile (nearest rank).
    pub p90_seconds: Option<i64>,
}

impl Durations {
    fn of(mut seconds: Vec<i64>) -> Durations {
        seconds.sort_unstable();
        Durations {
            count: seconds.len() as u64,
            median_seconds: percentile(&seconds, 50),
            p90_seconds: percentile(&seconds, 90),
        }
    }
}

/// How often a deadline was met.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HitRate {
    /// Reports whose step was due: taken, or still open past the deadline.
    pub due: u64,
    /// Of those, taken by the deadline.
    pub met: u64,
    /// `met / due` as a percentage (one decimal); `None` when nothing was due.
    pub percent: Option<f64>,
}

impl HitRate {
    fn add(&mut self, met: bool) {
        self.due += 1;
        self.met += u64::from(met);
    }
    fn finish(mut self) -> Self {
        self.percent =
            (self.due > 0).then(|| (self.met as f64 * 1000.0 / self.due as f64).round() / 10.0);
        self
    }
}

/// The time figures: from receipt to each step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Times {
    pub acknowledge: Durations,
    /// To the first acceptance or rejection.
    pub decide: Durations,
    pub announce: Durations,
    /// To the CVE record's publication.
    pub publish: Durations,
}

/// Deadline hit rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HitRates {
    pub acknowledge: HitRate,
    pub decide: HitRate,
    pub announce: HitRate,
}

/// Every figure of a set of reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    pub received: u64,
    /// Reports by channel (`web`, `api`, `email`), every channel listed.
    pub by_channel: BTreeMap<String, u64>,
    /// Reports by triage class, every class and `unclassified` listed.
    pub by_class: BTreeMap<String, u64>,
    pub accepted: u64,
    pub rejected: u64,
    /// Closed as noise: non-issues.
    pub closed: u64,
    pub merged: u64,
    /// Still open.
    pub open: u64,
    pub cves_assigned: u64,
    pub times: Times,
    pub deadlines: HitRates,
}

/// A month's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigures {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub figures: Summary,
}

/// Seconds from `from` to `to`, never negative (clocks of several nodes may disagree
/// by a little).
fn seconds(from: Timestamp, to: Timestamp) -> i64 {
    to.duration_since(from).as_secs().max(0)
}

/// Every figure of `facts`; `now` decides which open reports have missed a deadline.
pub fn summarize<'a>(facts: impl IntoIterator<Item = &'a Facts>, now: Timestamp) -> Summary {
    let mut s = Summary {
        by_channel: [Channel::Web, Channel::Api, Channel::Email]
            .map(|c| (c.as_str().to_string(), 0))
            .into(),
        by_class: TriageClass::ALL
            .iter()
            .map(|c| c.as_str())
            .chain([UNCLASSIFIED])
            .map(|c| (c.to_string(), 0))
            .collect(),
        ..Summary::default()
    };
    let (mut ack, mut decide, mut announce, mut publish) = (vec![], vec![], vec![], vec![]);
    for f in facts {
        s.received += 1;
        *s.by_channel.entry(f.channel.as_str().into()).or_default() += 1;
        let class = f.class.map_or(UNCLASSIFIED, TriageClass::as_str);
        *s.by_class.entry(class.into()).or_default() += 1;
        match f.outcome {
            Some(Outcome::Accepted) => s.accepted += 1,
            Some(Outcome::Rejected) => s.rejected += 1,
            Some(Outcome::Closed) => s.closed += 1,
            Some(Outcome::Merged) => s.merged += 1,
            None => s.open += 1,
        }
        s.cves_assigned += u64::from(f.cve_assigned);
        let from = f.received_at;
        ack.extend(f.acknowledged_at.map(|t| seconds(from, t)));
        decide.extend(f.decided_at.map(|t| seconds(from, t)));
        announce.extend(f.announced_at.map(|t| seconds(from, t)));
        publish.extend(f.published_at.map(|t| seconds(from, t)));
        let open = f.open();
        hit(
            &mut s.deadlines.acknowledge,
            f.acknowledge_due,
            f.acknowledged_at,
            open,
            now,
        );
        hit(
            &mut s.deadlines.decide,
            f.decide_due,
            f.decided_at,
            open,
            now,
        );
        // An accepted report stays "open" for announcement until announced.
        let unannounced = open || f.outcome == Some(Outcome::Accepted);
        hit(
            &mut s.deadlines.announce,
            f.announce_due,
            f.announced_at,
            unannounced,
            now,
        );
    }
    s.times = Times {
        acknowledge: Durations::of(ack),
        decide: Durations::of(decide),
        announce: Durations::of(announce),
        publish: Durations::of(publish),
    };
    s.deadlines = HitRates {
        acknowledge: std::mem::take(&mut s.deadlines.acknowledge).finish(),
        decide: std::mem::take(&mut s.deadlines.decide).finish(),
        announce: std::mem::take(&mut s.deadlines.announce).finish(),
    };
    s
}

/// Counts one deadline: met if the step was taken by it; missed if taken later, or not
/// taken while the report is still waiting for it and the deadline has passed. A
/// report that ended without the step (closed, merged) or whose deadline is still
/// ahead does not count.
fn hit(
    rate: &mut HitRate,
    due: Option<Timestamp>,
    done: Option<Timestamp>,
    waiting: bool,
    now: Timestamp,
) {
    let Some(due) = due else { return };
    match done {
        Some(t) => rate.add(t <= due),
        None if waiting && due < now => rate.add(false),
        None => {}
    }
}

/// The figures of a period: in all, and month by month (every month of the period,
/// empty ones included).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub total: Summary,
    pub months: Vec<MonthFigures>,
}

/// The figures of `facts` (reports received in `period`) over `period`.
pub fn figures(facts: &[Facts], period: &Period, now: Timestamp) -> Figures {
    let mut by_month: BTreeMap<String, Vec<&Facts>> = period
        .months()
        .into_iter()
        .map(|m| (m, Vec::new()))
        .collect();
    for f in facts {
        // Facts outside the period (a caller's mistake) are counted nowhere.
        if let Some(list) = by_month.get_mut(&month_of(f.received_at)) {
            list.push(f);
        }
    }
    let months: Vec<MonthFigures> = by_month
        .into_iter()
        .map(|(month, list)| MonthFigures {
            month,
            figures: summarize(list, now),
        })
        .collect();
    let (from, until) = period.bounds();
    Figures {
        total: summarize(
            facts
                .iter()
                .filter(|f| f.received_at >= from && f.received_at < until),
            now,
        ),
        months,
    }
}

/// `facts` grouped by project (`None`: not routed to any), each group's figures.
pub fn by_project(
    facts: &[Facts],
    period: &Period,
    now: Timestamp,
) -> BTreeMap<Option<ProjectId>, Figures> {
    let mut groups: BTreeMap<Option<ProjectId>, Vec<Facts>> = BTreeMap::new();
    for f in facts {
        groups.entry(f.project).or_default().push(f.clone());
    }
    groups
        .into_iter()
        .map(|(p, list)| (p, figures(&list, period, now)))
        .collect()
}

/// The yearly report, as the ASF publishes one: what came in, what it turned out to
/// be, how fast the teams were.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearInReview {
    pub year: i16,
    pub received: u64,
    /// Projects with at least one report that year.
    pub projects: u64,
    /// Accepted as vulnerabilities.
    pub vulnerabilities: u64,
    pub rejected: u64,
    /// Closed as noise.
    pub non_issues: u64,
    pub duplicates: u64,
    pub still_open: u64,
    pub cves_assigned: u64,
    /// The summary in sentences, for the page and the CSV.
    pub sentences: Vec<String>,
}

/// The yearly report of `year` from its total figures and how many projects had reports.
pub fn year_in_review(year: i16, total: &Summary, projects: u64) -> YearInReview {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut sentences = vec![format!(
        "In {year} the security teams received {} about {}.",
        plural(total.received, "report", "reports"),
        plural(projects, "project", "projects")
    )];
    if total.received > 0 {
        sentences.push(format!(
            "Of these, {} ({} assigned), {} rejected, {} closed as non-issues, {} \
             merged as duplicates; {} still open.",
            plural(
                total.accepted,
                "was accepted as a vulnerability",
                "were accepted as vulnerabilities"
            ),
            plural(total.cves_assigned, "CVE", "CVEs"),
            total.rejected,
            total.closed,
            total.merged,
            total.open
        ));
    }
    let t = &total.times;
    let medians: Vec<String> = [
        ("acknowledge", &t.acknowledge),
        ("decide", &t.decide),
        ("announce", &t.announce),
        ("publish the CVE record", &t.publish),
    ]
    .into_iter()
    .filter_map(|(what, d)| {
        d.median_seconds
            .map(|s| format!("to {what} {}", human_duration(s)))
    })
    .collect();
    if !medians.is_empty() {
        sentences.push(format!("Median time from receipt {}.", medians.join(", ")));
    }
    YearInReview {
        year,
        received: total.received,
        projects,
        vulnerabilities: total.accepted,
        rejected: total.rejected,
        non_issues: total.closed,
        duplicates: total.merged,
        still_open: total.open,
        cves_assigned: total.cves_assigned,
        sentences,
    }
}

/// A duration for people: minutes under two hours, hours under two days, else days
/// (one decimal).
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0) as f64;
    if s < 2.0 * 3600.0 {
        format!("{} min", (s / 60.0).round())
    } else if s < 2.0 * 86400.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86400.0)
    }
}

#[cfg(test)]
mod tests;
