//! `GET /api/v1/openapi.json`: the hand-written OpenAPI 3.1 description of `/api/v1`.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The document, kept beside the code it describes.
pub const OPENAPI: &str = include_str!("../../../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
