//! `/api/v1/status/{token}`: the reporter's view and replies, by status token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_domain::lifecycle::Command;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::views::ReporterViewJson;

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (report, _) = state.app.by_status_token(&token).await?;
    let messages = state.app.messages(&report).await?;
    Ok(Json(ReporterViewJson::new(&report, &messages)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    body: String,
}

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
