//! The stylesheet, served from the binary (the CSP forbids inline styles and scripts).

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

pub async fn style() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../static/style.css"),
    )
}
