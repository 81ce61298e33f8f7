//! `GET /api/v1/advisories`: published advisories, public.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{AdvisoryJson, AdvisoryListJson};

/// Published advisories, newest first (public).
#[utoipa::path(
    get,
    path = "/advisories",
    operation_id = "listAdvisories",
    responses((status = 200, description = "The advisories.", body = AdvisoryListJson))
)]
pub async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    let base = state.app.settings().base_url.trim_end_matches('/');
    let advisories = state
        .app
        .advisories(None)
        .await?
        .iter()
        .map(|a| AdvisoryJson::new(a, base))
        .collect();
    Ok(Json(AdvisoryListJson { advisories }).into_response())
}
