//! Large uploads: VEX documents and scanner reports, which run to several MB. Their
//! routes (and only theirs) allow bodies up to [`UPLOAD_LIMIT`] (`router.rs` gives them
//! that limit); everything else keeps the router's `BODY_LIMIT`. [`RawUpload`] is the
//! API's raw body; [`CsrfUpload`] the statements page's multipart form (one file, the
//! session's CSRF token checked, a few short fields). Over the limit both answer 413
//! naming this limit.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorInfo};
use crate::extract::Auth;
use crate::state::AppState;

/// Largest VEX document or scanner report a route takes: 20 MiB.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// Longest text field of an upload form, in bytes.
const FIELD_LIMIT: usize = 1024;

/// 413 with this limit in the message (the error layer renders it as JSON or a page).
fn too_large() -> Response {
    let info = ErrorInfo {
        code: "payload_too_large",
        message: format!(
            "the upload is too large (the limit is {} MiB)",
            UPLOAD_LIMIT / (1024 * 1024)
        ),
    };
    let mut res = (StatusCode::PAYLOAD_TOO_LARGE, info.message.clone()).into_response();
    res.extensions_mut().insert(info);
    res
}

/// The raw request body of an upload route (any content type).
pub struct RawUpload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(r) => Err(AppError::BadRequest(r.body_text()).into_response()),
        }
    }
}

/// A multipart form posted by a signed-in member's browser: the file of its `file`
/// field, its other (short) fields, the session's CSRF token checked.
pub struct CsrfUpload {
    pub auth: Auth,
    /// The file's name as the browser gave it (may be empty).
    pub file_name: String,
    pub file: Bytes,
    pub fields: HashMap<String, String>,
}

fn field_error(e: &axum::extract::multipart::MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::BadRequest(format!("the upload form did not read: {}", e.body_text()))
            .into_response()
    }
}

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let auth = Auth::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        auth.member().map_err(IntoResponse::into_response)?;
        let mut form = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|r| {
                AppError::BadRequest(format!("expected a multipart form: {}", r.body_text()))
                    .into_response()
            })?;
        let (mut file_name, mut file, mut fields) = (String::new(), None, HashMap::new());
        while let Some(field) = form.next_field().await.map_err(|e| field_error(&e))? {
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                file_name = field.file_name().unwrap_or_default().to_string();
                file = Some(field.bytes().await.map_err(|e| field_error(&e))?);
                continue;
            }
            let value = field.bytes().await.map_err(|e| field_error(&e))?;
            if value.len() > FIELD_LIMIT {
                return Err(AppError::invalid(&name, "too long").into_response());
            }
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
        }
        let csrf = fields.get("csrf").map(String::as_str).unwrap_or_default();
        auth.check_csrf(csrf).map_err(IntoResponse::into_response)?;
        let file = file
            .filter(|f| !f.is_empty())
            .ok_or_else(|| AppError::invalid("file", "choose a file to upload").into_response())?;
        Ok(Self {
            auth,
            file_name,
            file,
            fields,
        })
    }
}
