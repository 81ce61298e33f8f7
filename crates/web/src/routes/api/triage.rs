//! `/api/v1` triage: a decision on one report's suggestion, and the bulk confirmation
//! of many (docs/triage.md).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use embargo_app::{BulkConfirm, TriageRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ReportPath, Unauthenticated,
    UnsupportedMediaType,
};
use super::reports::full_view;
use crate::error::AppError;
use crate::extract::{ApiJson, Auth, TeamReport};
use crate::state::AppState;
use crate::views::TeamViewJson;

type Body<T> = Result<ApiJson<T>, AppError>;

/// Decide on the report's triage suggestion.
///
/// `confirm` closes the report as noise of its suggested class (or of `class`): state
/// `closed`, the class's answer sent to the reporter (none for `spam`). `dismiss` keeps
/// it a report. `reopen` opens a report closed as noise again. An accepted report is
/// never closed as noise (409).
#[utoipa::path(
    post,
    path = "/reports/{id}/triage",
    operation_id = "decideTriage",
    params(ReportPath),
    request_body = TriageRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report after the decision.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<TriageRequest>,
) -> Result<Response, AppError> {
    let ApiJson(req) = body?;
    let report = state.app.decide_triage(&auth.actor, &report, &req).await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// The reports whose suggestions to confirm.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkBody {
    /// Report ids, at most 200.
    reports: Vec<String>,
}

/// Confirm the triage suggestions of several reports at once.
///
/// Each report is closed as its suggested noise class and answered, or listed under
/// `refused` with the reason (a report without a noise suggestion, one already
/// accepted, one the caller may not see: "no such report"). One refusal never stops
/// the others.
#[utoipa::path(
    post,
    path = "/triage/confirm",
    operation_id = "confirmTriage",
    request_body = BulkBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was confirmed and what was refused.", body = BulkConfirm),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn confirm_many(
    State(state): State<AppState>,
    auth: Auth,
    body: Body<BulkBody>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let ApiJson(b) = body?;
    let done = state.app.confirm_triage_many(member, &b.reports).await?;
    Ok(Json(done).into_response())
}
