//! `/reports/{id}/attachments/{n}`: an attachment of a mail taken in, for the team only.
//!
//! Reporters send images, PDFs and HTML pages; none of it is ever rendered by the
//! browser on our origin (it could run script with the team's session), so every
//! download is an opaque `application/octet-stream` saved as a file.

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::extract::TeamReport;
use crate::state::AppState;

/// Serves attachment `n` of report `id` to a team member who may see the report; 404
/// for anyone else, for an unknown attachment, and for one above the size limit (only
/// its digest was kept).
pub async fn download(
    State(state): State<AppState>,
    TeamReport { report, .. }: TeamReport,
    Path((_, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let n: i64 = n.parse().map_err(|_| AppError::NotFound)?;
    let (info, content) = state.app.attachment(&report, n).await?;
    let content = content.ok_or(AppError::NotFound)?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        safe_filename(&info.name)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut res = content.into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(CONTENT_DISPOSITION, disposition);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(res)
}

/// The name a reporter chose, reduced to characters that cannot end the header's
/// quoted string, split it, or name another directory.
pub fn safe_filename(name: &str) -> String {
    let cleaned: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '+' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches(['.', ' ']).to_string();
    if cleaned.is_empty() {
        "attachment.bin".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::safe_filename;

    #[test]
    fn hostile_names_cannot_break_the_header() {
        assert_eq!(safe_filename("poc.png"), "poc.png");
        assert_eq!(safe_filename("a\"\r\nX-Evil: 1.txt"), "a___X-Evil_ 1.txt");
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename(".."), "attachment.bin");
        assert_eq!(safe_filename("résumé.pdf"), "r_sum_.pdf");
    }
}
