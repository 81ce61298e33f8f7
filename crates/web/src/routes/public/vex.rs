//! `/projects/{slug}/vex/{openvex.json,cyclonedx.json,csaf.json,dependency-check.xml}`:
//! a project's public dependency statements in each VEX format, at stable URLs that
//! scanners and customers can fetch. Only statements the team marked public are here,
//! whoever asks (a signed-in team member too): the application's `Caller::Anyone`.

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use embargo_app::statements::Caller;

use crate::error::AppError;
use crate::routes::public::advisories::cacheable;
use crate::state::AppState;

/// The documents, by file name, with the format each is in.
pub const DOCUMENTS: [(&str, &str); 4] = [
    ("openvex.json", "openvex"),
    ("cyclonedx.json", "cyclonedx"),
    ("csaf.json", "csaf"),
    ("dependency-check.xml", "dependency-check"),
];

pub async fn document(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let format = DOCUMENTS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, format)| *format)
        .ok_or(AppError::NotFound)?;
    let doc = state
        .app
        .export_statements(&Caller::Anyone, &slug, format)
        .await?;
    let mut res = doc.bytes.into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(doc.content_type));
    Ok(cacheable(res))
}
