//! `/healthz`: 200 once the store answers, for load balancers and start-up scripts.

use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

pub async fn check(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.app.healthy().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}
