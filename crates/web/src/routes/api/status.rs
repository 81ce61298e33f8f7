//! `/api/v1/status/{token}`: the reporter's view and replies, by status token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_domain::lifecycle::Command;
use serde::Deserialize;

use utoipa::ToSchema;

use super::openapi::{
    BadRequest, NotFound, PayloadTooLarge, StatusPath, TooManyRequests, UnsupportedMediaType,
};
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::views::ReporterViewJson;

/// The reporter's view of their report.
#[utoipa::path(
    get,
    path = "/status/{token}",
    operation_id = "getStatus",
    params(StatusPath),
    responses(
        (status = 200, description = "The report as its reporter may see it.", body = ReporterViewJson),
        (status = 404, response = NotFound),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (report, _) = state.app.by_status_token(&token).await?;
    let messages = state.app.messages(&report).await?;
    Ok(Json(ReporterViewJson::new(&report, &messages)).into_response())
}

/// The reporter's reply.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Reply {
    body: String,
}

/// The reporter replies to the team.
#[utoipa::path(
    post,
    path = "/status/{token}/messages",
    operation_id = "reporterReply",
    params(StatusPath),
    request_body = Reply,
    responses(
        (status = 201, description = "Sent; the report as its reporter may see it.", body = ReporterViewJson),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn reply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Result<ApiJson<Reply>, AppError>,
) -> Result<Response, AppError> {
    let (report, actor) = state.app.by_status_token(&token).await?;
    let ApiJson(r) = body?;
    let report = state
        .app
        .act(&actor, &report, Command::ReporterReply { body: r.body })
        .await?;
    let messages = state.app.messages(&report).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReporterViewJson::new(&report, &messages)),
    )
        .into_response())
}
