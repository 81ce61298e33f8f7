//! `GET /api/v1/advisories`: published advisories, public.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Response, AppError> {
    let base = state.app.settings().base_url.trim_end_matches('/');
    let advisories: Vec<serde_json::Value> = state
        .app
        .advisories(None)
        .await?
        .iter()
        .map(|a| {
            let cve = a.advisory.cve.to_string();
            serde_json::json!({
                "cve": cve,
                "title": a.advisory.title,
                "project": { "slug": a.project.slug, "name": a.project.name },
                "published_at": a.advisory.published_at,
                "url": format!("{base}/advisories/{cve}"),
                "cve_record_url": format!("{base}/advisories/{cve}.json"),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "advisories": advisories })).into_response())
}
