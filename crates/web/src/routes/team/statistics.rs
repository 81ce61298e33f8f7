//! `/statistics`: the team's figures (docs/statistics.md) — reports by month as SVG bar
//! charts (by channel and by triage class), tables of outcomes, times, deadline hit
//! rates and projects, the yearly summary — filtered by project and period in the URL;
//! and `/statistics.csv`, the same figures one row per project and month. Only what the
//! member handles (the application layer decides).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use embargo_app::statistics::Statistics;
use embargo_domain::stats::{Durations, HitRate, Summary, human_duration};
use embargo_domain::triage::TriageClass;

use super::charts::{Bar, stacked_bars};
use crate::error::AppError;
use crate::extract::Auth;
use crate::routes::api::statistics::StatisticsParams;
use crate::routes::html;
use crate::state::AppState;

const CHANNELS: [&str; 3] = ["web", "api", "email"];

/// A row of the times table.
struct TimeRow {
    step: &'static str,
    count: u64,
    median: String,
    p90: String,
}

/// A row of the deadlines table.
struct DeadlineRow {
    deadline: &'static str,
    due: u64,
    met: u64,
    rate: String,
}

/// A row of the projects table.
struct ProjectRow {
    slug: String,
    name: String,
    received: u64,
    accepted: u64,
    rejected: u64,
    closed: u64,
    open_now: u64,
    overdue_now: u64,
    acknowledge: String,
    acknowledge_rate: String,
}

/// A row of the month table.
struct MonthRow {
    month: String,
    received: u64,
    channels: Vec<u64>,
}

#[derive(Template)]
#[template(path = "team/statistics.html")]
struct StatisticsPage {
    csrf: String,
    org_team: bool,
    scope: String,
    project: String,
    year: String,
    months: String,
    from: String,
    until: String,
    total: Summary,
    open_now: u64,
    overdue_now: u64,
    by_channel_chart: String,
    by_class_chart: String,
    times: Vec<TimeRow>,
    deadlines: Vec<DeadlineRow>,
    projects: Vec<ProjectRow>,
    month_rows: Vec<MonthRow>,
    classes: Vec<(String, u64)>,
    year_sentences: Vec<String>,
    incomplete: u64,
    query: String,
}

fn median(d: &Durations) -> String {
    d.median_seconds.map_or_else(|| "–".into(), human_duration)
}

fn rate(r: &HitRate) -> String {
    r.percent
        .map_or_else(|| "–".into(), |p| format!("{p:.1} %"))
}

/// The label of a triage class name as the figures key it.
fn class_label(name: &str) -> String {
    TriageClass::parse(name).map_or_else(|_| "Unclassified".into(), |c| c.label().into())
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<StatisticsParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let stats = state.app.statistics(member, &params.query()?).await?;
    let bars = |series: &[&str], key: &dyn Fn(&Summary, &str) -> u64| -> Vec<Bar> {
        stats
            .total
            .months
            .iter()
            .map(|m| Bar {
                label: m.month.clone(),
                values: series.iter().map(|s| key(&m.figures, s)).collect(),
            })
            .collect()
    };
    let channel_bars = bars(&CHANNELS, &|f, s| f.by_channel.get(s).copied().unwrap_or(0));
    let class_keys: Vec<&str> = stats
        .total
        .total
        .by_class
        .keys()
        .map(String::as_str)
        .collect();
    let class_names: Vec<String> = class_keys.iter().map(|k| class_label(k)).collect();
    let class_series: Vec<&str> = class_names.iter().map(String::as_str).collect();
    let class_bars = bars(&class_keys, &|f, s| f.by_class.get(s).copied().unwrap_or(0));
    let t = &stats.total.total;
    let page = StatisticsPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        scope: scope_label(&stats),
        project: params.project.clone().unwrap_or_default(),
        year: params.year.clone().unwrap_or_default(),
        months: params.months.clone().unwrap_or_default(),
        from: stats.period.from.to_string(),
        until: stats
            .period
            .until
            .yesterday()
            .map_or_else(|_| String::new(), |d| d.to_string()),
        by_channel_chart: stacked_bars(
            "chart-channel",
            "Reports received by month and channel",
            &CHANNELS,
            &channel_bars,
        ),
        by_class_chart: stacked_bars(
            "chart-class",
            "Reports received by month and triage class",
            &class_series,
            &class_bars,
        ),
        times: time_rows(t),
        deadlines: deadline_rows(t),
        projects: project_rows(&stats),
        month_rows: month_rows(&stats),
        classes: t
            .by_class
            .iter()
            .map(|(k, v)| (class_label(k), *v))
            .collect(),
        year_sentences: stats
            .year
            .as_ref()
            .map(|y| y.sentences.clone())
            .unwrap_or_default(),
        incomplete: stats.incomplete,
        open_now: stats.open_now,
        overdue_now: stats.overdue_now,
        total: t.clone(),
        query: serde_urlencoded_query(&params),
    };
    html(&page)
}

/// The times table: each step's count, median and 90th percentile.
fn time_rows(t: &Summary) -> Vec<TimeRow> {
    [
        ("Acknowledge", &t.times.acknowledge),
        ("Accept or reject", &t.times.decide),
        ("Announce", &t.times.announce),
        ("Publish the CVE record", &t.times.publish),
    ]
    .into_iter()
    .map(|(step, d)| TimeRow {
        step,
        count: d.count,
        median: median(d),
        p90: d.p90_seconds.map_or_else(|| "–".into(), human_duration),
    })
    .collect()
}

/// The deadlines table.
fn deadline_rows(t: &Summary) -> Vec<DeadlineRow> {
    [
        ("Acknowledge", &t.deadlines.acknowledge),
        (
            "Accept or reject (by the end of the discussion)",
            &t.deadlines.decide,
        ),
        ("Announce", &t.deadlines.announce),
    ]
    .into_iter()
    .map(|(deadline, r)| DeadlineRow {
        deadline,
        due: r.due,
        met: r.met,
        rate: rate(r),
    })
    .collect()
}

/// The month table under the charts.
fn month_rows(stats: &Statistics) -> Vec<MonthRow> {
    stats
        .total
        .months
        .iter()
        .map(|m| MonthRow {
            month: m.month.clone(),
            received: m.figures.received,
            channels: CHANNELS
                .iter()
                .map(|c| m.figures.by_channel.get(*c).copied().unwrap_or(0))
                .collect(),
        })
        .collect()
}

fn scope_label(stats: &Statistics) -> String {
    match (&stats.project, stats.organisation) {
        (Some(p), _) => format!("{} ({})", p.name, p.slug),
        (None, true) => "All projects of the organisation".into(),
        (None, false) => "The projects you handle".into(),
    }
}

fn project_rows(stats: &Statistics) -> Vec<ProjectRow> {
    stats
        .projects
        .iter()
        .map(|p| {
            let t = &p.figures.total;
            ProjectRow {
                slug: p
                    .project
                    .as_ref()
                    .map_or_else(String::new, |n| n.slug.to_string()),
                name: p
                    .project
                    .as_ref()
                    .map_or_else(|| "Not routed yet".into(), |n| n.name.clone()),
                received: t.received,
                accepted: t.accepted,
                rejected: t.rejected,
                closed: t.closed,
                open_now: p.open_now,
                overdue_now: p.overdue_now,
                acknowledge: median(&t.times.acknowledge),
                acknowledge_rate: rate(&t.deadlines.acknowledge),
            }
        })
        .collect()
}

/// The page's filters as a query string, for the CSV and API links.
fn serde_urlencoded_query(params: &StatisticsParams) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("project", &params.project),
        ("year", &params.year),
        ("months", &params.months),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={}", percent_encode(v)));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/statistics.csv`: one row per project and month, a total row per project, and
/// (organisation team, no project) the organisation's rows.
pub async fn csv(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<StatisticsParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let stats = state.app.statistics(member, &params.query()?).await?;
    let body = super::statistics_csv::render(&stats);
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"embargo-statistics.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
