//! `GET /api/v1/statistics`: the statistics page's figures as JSON (docs/statistics.md),
//! for the projects the caller handles; a project the caller is not on is refused.
//! The query is shared with the page and its CSV (`routes::team::statistics`).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use embargo_app::statistics::{ProjectStats, Statistics, StatsQuery};
use embargo_domain::stats::{Figures, Period, YearInReview};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{BadRequest, Forbidden, Unauthenticated};
use crate::error::AppError;
use crate::extract::Auth;
use crate::state::AppState;

/// Which figures: one project or all the caller handles; a year or the last months.
#[derive(Debug, Default, Clone, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// A project's slug; every project the caller handles when absent.
    #[serde(default)]
    pub project: Option<String>,
    /// A calendar year (UTC), for the yearly report; not with `months`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub year: Option<String>,
    /// How many months back, the current one included (1 to 60; default 12).
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub months: Option<String>,
}

impl StatisticsParams {
    /// The application's query; numbers that are not numbers are refused by name.
    pub fn query(&self) -> Result<StatsQuery, AppError> {
        fn number<T: std::str::FromStr>(
            field: &str,
            v: Option<&str>,
        ) -> Result<Option<T>, AppError> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s.parse().map(Some).map_err(|_| AppError::Invalid {
                    field: field.into(),
                    message: format!("{s:?} is not a whole number"),
                }),
            }
        }
        Ok(StatsQuery {
            project: self.project.clone().filter(|p| !p.trim().is_empty()),
            year: number("year", self.year.as_deref())?,
            months: number("months", self.months.as_deref())?,
        })
    }
}

/// One project's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ProjectStatistics)]
pub struct ProjectStatsJson {
    /// The project's slug; `null` for reports not routed to a project yet
    /// (organisation team only).
    pub project: Option<String>,
    pub name: Option<String>,
    pub figures: Figures,
    /// Open now (whenever received).
    pub open_now: u64,
    /// Open now and past their next deadline.
    pub overdue_now: u64,
}

impl From<&ProjectStats> for ProjectStatsJson {
    fn from(p: &ProjectStats) -> Self {
        Self {
            project: p.project.as_ref().map(|n| n.slug.to_string()),
            name: p.project.as_ref().map(|n| n.name.clone()),
            figures: p.figures.clone(),
            open_now: p.open_now,
            overdue_now: p.overdue_now,
        }
    }
}

/// The figures of a period's reports (those received in it).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Statistics)]
pub struct StatisticsJson {
    pub period: Period,
    /// The project asked for.
    pub project: Option<String>,
    /// True when `total` is the whole organisation's (organisation team, no project).
    pub organisation: bool,
    pub total: Figures,
    pub open_now: u64,
    pub overdue_now: u64,
    /// Per project, by slug; reports not routed yet last.
    pub projects: Vec<ProjectStatsJson>,
    /// With `year`: the yearly report.
    pub year: Option<YearInReview>,
    /// Reports counted whose times are still being filled in (stored before the
    /// statistics existed); their time figures are missing until then.
    pub incomplete: u64,
    pub as_of: Timestamp,
}

impl From<&Statistics> for StatisticsJson {
    fn from(s: &Statistics) -> Self {
        Self {
            period: s.period,
            project: s.project.as_ref().map(|p| p.slug.to_string()),
            organisation: s.organisation,
            total: s.total.clone(),
            open_now: s.open_now,
            overdue_now: s.overdue_now,
            projects: s.projects.iter().map(ProjectStatsJson::from).collect(),
            year: s.year.clone(),
            incomplete: s.incomplete,
            as_of: s.as_of,
        }
    }
}

/// Statistics of the reports the caller handles: by month, channel, triage class and
/// outcome; median and 90th-percentile times from receipt; deadline hit rates; open
/// and overdue now; with `year`, the yearly report. Team members only.
#[utoipa::path(
    get,
    path = "/statistics",
    operation_id = "statistics",
    params(StatisticsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures.", body = StatisticsJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<StatisticsParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let stats = state.app.statistics(member, &params.query()?).await?;
    Ok(Json(StatisticsJson::from(&stats)).into_response())
}
