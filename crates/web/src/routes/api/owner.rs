//! `/api/v1` owners: take a report, assign it to a team member, or release it
//! (docs/process.md#owners).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use embargo_app::OwnerRequest;

use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ReportPath, Unauthenticated,
    UnsupportedMediaType,
};
use super::reports::full_view;
use crate::error::AppError;
use crate::extract::{ApiJson, TeamReport};
use crate::state::AppState;
use crate::views::TeamViewJson;

/// Set the report's owner.
///
/// `me` takes the report, a member's address assigns it (only a member of the team
/// handling the report, or of the organisation team), `none` releases it. The owner
/// gets the deadline reminders first; recorded on the report's audit log.
#[utoipa::path(
    post,
    path = "/reports/{id}/owner",
    operation_id = "setOwner",
    params(ReportPath),
    request_body = OwnerRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report with its new owner.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn set(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Result<ApiJson<OwnerRequest>, AppError>,
) -> Result<Response, AppError> {
    let ApiJson(req) = body?;
    let report = state.app.set_owner(&auth.actor, &report, &req).await?;
    Ok(full_view(&state, &report).await?.into_response())
}
