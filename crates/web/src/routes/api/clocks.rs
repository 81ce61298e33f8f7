//! `/api/v1` clocks (docs/clocks.md, docs/cra.md): a report's running clocks, the CRA
//! flag, a stage marked done and a stage's draft, and the overdue board. Team-only:
//! each report route goes through `TeamReport` (404 for a report the caller may not
//! see).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_app::clocks::cra::ReportClocks;
use embargo_app::clocks::overdue::OverdueBoard;
use embargo_domain::clocks::cra::Draft;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{
    BadRequest, Conflict, NotFound, PayloadTooLarge, ReportPath, Unauthenticated,
    UnsupportedMediaType,
};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth, TeamReport};
use crate::state::AppState;

/// One running clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockJson {
    /// `reporter_silent`, `cve_record`, `cra_early_warning`, `cra_notification` or
    /// `cra_final_report`.
    clock: &'static str,
    label: &'static str,
    /// When it started (RFC 3339, UTC).
    since: String,
    due: String,
    done_at: Option<String>,
    /// Past due and not done.
    late: bool,
    /// The CRA stage (`early_warning`, `notification`, `final_report`), if one.
    stage: Option<&'static str>,
}

/// A report's clocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClocksJson {
    /// Flagged as actively exploited: since when the team knows.
    exploited_since: Option<String>,
    /// When the fix was recorded.
    fixed_at: Option<String>,
    clocks: Vec<ClockJson>,
}

impl From<ReportClocks> for ClocksJson {
    fn from(c: ReportClocks) -> Self {
        Self {
            exploited_since: c.exploited_since.map(|t| t.to_string()),
            fixed_at: c.fixed_at.map(|t| t.to_string()),
            clocks: c
                .clocks
                .into_iter()
                .map(|v| ClockJson {
                    clock: v.clock,
                    label: v.label,
                    since: v.since.to_string(),
                    due: v.due.to_string(),
                    done_at: v.done_at.map(|t| t.to_string()),
                    late: v.late,
                    stage: v.stage.map(|s| s.as_str()),
                })
                .collect(),
        }
    }
}

/// The time the team became aware of the active exploitation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExploitedBody {
    /// RFC 3339 (`2026-12-01T09:30:00Z`), or a local time (`2026-12-01T09:30`) in the
    /// project's time zone. Not in the future, not more than a year ago.
    aware_at: String,
}

/// A CRA stage in a path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(dead_code, reason = "describes the path; the handler reads it")]
pub struct StagePath {
    /// Report id, e.g. `EMB-7F3KQ2M9ZC4D`.
    id: String,
    /// `early_warning`, `notification` or `final_report`.
    stage: String,
}

/// One field of a draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftField {
    name: String,
    value: String,
}

/// A CRA stage's draft, filled from the report: an embargoed draft for the team.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftJson {
    report: String,
    stage: &'static str,
    /// Always "EMBARGOED DRAFT - team only, do not forward".
    marking: &'static str,
    fields: Vec<DraftField>,
}

impl From<Draft> for DraftJson {
    fn from(d: Draft) -> Self {
        Self {
            report: d.report,
            stage: d.stage.as_str(),
            marking: d.marking,
            fields: d
                .fields
                .into_iter()
                .map(|(name, value)| DraftField { name, value })
                .collect(),
        }
    }
}

/// One late deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateJson {
    report: String,
    title: String,
    /// `acknowledge`, `discuss`, `announce`, `cve_record` or a CRA stage's clock.
    deadline: &'static str,
    label: &'static str,
    due: String,
    late_seconds: i64,
    late: String,
}

/// The late deadlines of one project (`slug` null: unrouted reports).
#[derive(Debug, Serialize, ToSchema)]
pub struct LateGroupJson {
    project: String,
    slug: Option<String>,
    items: Vec<LateJson>,
}

/// What is late, by project.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueJson {
    groups: Vec<LateGroupJson>,
    /// More was late than listed (the oldest are listed).
    truncated: bool,
}

impl From<OverdueBoard> for OverdueJson {
    fn from(b: OverdueBoard) -> Self {
        Self {
            truncated: b.truncated,
            groups: b
                .groups
                .into_iter()
                .map(|g| LateGroupJson {
                    project: g.project,
                    slug: g.slug,
                    items: g
                        .items
                        .into_iter()
                        .map(|i| LateJson {
                            report: i.report,
                            title: i.title,
                            deadline: i.deadline,
                            label: i.label,
                            due: i.due.to_string(),
                            late_seconds: i.late_seconds,
                            late: i.late,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A report's running clocks.
///
/// The clocks that started on an event: the reporter's answer awaited, the CVE record
/// to publish after the announcement, the three CRA stages.
#[utoipa::path(
    get,
    path = "/reports/{id}/clocks",
    operation_id = "reportClocks",
    params(ReportPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report's clocks.", body = ClocksJson),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
) -> Result<Response, AppError> {
    let clocks = state
        .app
        .report_clocks(&auth.actor, &report, Timestamp::now())
        .await?;
    Ok(Json(ClocksJson::from(clocks)).into_response())
}

/// Flag the report as actively exploited.
///
/// Starts the EU Cyber Resilience Act's clocks: early warning within 24 hours of
/// awareness, notification within 72 hours, final report within 14 days of the fix.
/// Audited. A report is flagged once (409 after).
#[utoipa::path(
    post,
    path = "/reports/{id}/exploited",
    operation_id = "flagExploited",
    params(ReportPath),
    request_body = ExploitedBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Flagged: the report's clocks.", body = ClocksJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn exploited(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Result<ApiJson<ExploitedBody>, AppError>,
) -> Result<Response, AppError> {
    let ApiJson(b) = body?;
    let now = Timestamp::now();
    state
        .app
        .flag_exploited(&auth.actor, &report, &b.aware_at, now)
        .await?;
    let clocks = state.app.report_clocks(&auth.actor, &report, now).await?;
    Ok((StatusCode::CREATED, Json(ClocksJson::from(clocks))).into_response())
}

/// Mark a CRA stage's report as sent.
///
/// Its clock stops: no more reminders or escalations. Audited. 409 when the stage is
/// not running (not flagged; the final report before the fix is recorded) or is done.
#[utoipa::path(
    post,
    path = "/reports/{id}/cra/{stage}/done",
    operation_id = "markCraStageDone",
    params(StagePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Marked done: the report's clocks.", body = ClocksJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn done(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Path((_, stage)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let now = Timestamp::now();
    state
        .app
        .mark_cra_done(&auth.actor, &report, &stage, now)
        .await?;
    let clocks = state.app.report_clocks(&auth.actor, &report, now).await?;
    Ok(Json(ClocksJson::from(clocks)).into_response())
}

/// A CRA stage's draft.
///
/// Filled from the report (product, affected versions, CVE, nature of the
/// vulnerability, mitigation, …), with the fields the team must complete marked so.
/// An embargoed draft for the team, never sent anywhere by Embargo. 409 unless the
/// report is flagged as actively exploited.
#[utoipa::path(
    get,
    path = "/reports/{id}/cra/{stage}",
    operation_id = "craDraft",
    params(StagePath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft.", body = DraftJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn draft(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Path((_, stage)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let d = state.app.cra_draft(&auth.actor, &report, &stage).await?;
    Ok(Json(DraftJson::from(d)).into_response())
}

/// What is late, by project.
///
/// The handling deadlines past due (acknowledge, discuss, announce), CVE records not
/// published 72 hours after the announcement and CRA stages past due, grouped by
/// project, the latest first. The organisation team sees every project and the
/// unrouted reports; a project member their projects only.
#[utoipa::path(
    get,
    path = "/overdue",
    operation_id = "overdue",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The board.", body = OverdueJson),
        (status = 401, response = Unauthenticated),
    )
)]
pub async fn overdue(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let member = auth.member()?;
    let board = state.app.overdue(member, Timestamp::now()).await?;
    Ok(Json(OverdueJson::from(board)).into_response())
}
