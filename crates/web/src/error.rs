//! The one error policy: every failure becomes an `AppError`, mapped here to a status
//! and a code; the router's error layer renders it as JSON under `/api` and as an HTML
//! page elsewhere, so no handler decides how errors look.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_domain::DomainError;

/// The `Retry-After` of a busy answer (503), in seconds: long enough for a held lock
/// or a burst of sign-ins to pass.
pub const RETRY_BUSY_SECS: &str = "5";

/// Why a request failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field is malformed, empty or too large; the message names the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The body could not be read as the expected JSON or form (serde's message).
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first")]
    Unauthenticated,
    /// Only for callers that can already see the report (else `NotFound`).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or not visible to this caller: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// The data changed underneath the request (stale version, id taken).
    #[error("{0}")]
    Conflict(String),
    /// The lifecycle does not allow this step now.
    #[error("{0}")]
    Transition(String),
    #[error("the request body is too large (the limit is {} KiB)", crate::router::BODY_LIMIT / 1024)]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A rate limit was reached; the number is the seconds until the next try.
    #[error("too many requests from your address; try again in {0} s")]
    TooManyRequests(u64),
    /// A service Embargo relies on (CVE Services) refused or failed; its message is
    /// meant for the person who asked.
    #[error("{0}")]
    Upstream(String),
    /// The database is unreachable or busy: try again shortly (503 with Retry-After).
    #[error("the service is busy; try again in a few seconds")]
    Unavailable(String),
    /// Anything else; the detail goes to the log only.
    #[error("internal error")]
    Internal(String),
}

/// What the error layer needs to render an error, attached to the response; under
/// `/api` it is the `error` of the body ([`ErrorBody`]).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail, description = "What went wrong.")]
pub struct ErrorInfo {
    /// What a client can act on; one of the codes below, each with its own status.
    #[schema(schema_with = error_code_schema)]
    pub code: &'static str,
    /// For people: names the field at fault, the rule, or what to do next.
    pub message: String,
}

/// The body of every error answer under `/api`: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// `ErrorInfo::code` as the OpenAPI document states it: one of [`AppError::CODES`].
fn error_code_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(AppError::CODES))
        .build()
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::Transition(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Every [`AppError::code`], in the order of the variants.
    pub const CODES: [&'static str; 13] = [
        "invalid_input",
        "bad_request",
        "unauthenticated",
        "forbidden",
        "not_found",
        "conflict",
        "transition_not_allowed",
        "payload_too_large",
        "unsupported_media_type",
        "rate_limited",
        "upstream_refused",
        "unavailable",
        "internal",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_input",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Transition(_) => "transition_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests(_) => "rate_limited",
            Self::Upstream(_) => "upstream_refused",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        // One mapping of the domain's refusals: the application layer's.
        embargo_app::Error::from(e).into()
    }
}

impl From<embargo_app::Error> for AppError {
    fn from(e: embargo_app::Error) -> Self {
        use embargo_app::Error;
        match e {
            Error::Invalid { field, message } => Self::Invalid { field, message },
            Error::Forbidden(m) => Self::Forbidden(m),
            Error::NotFound => Self::NotFound,
            Error::Conflict(m) => Self::Conflict(m),
            Error::Transition(m) => Self::Transition(m),
            Error::Upstream(m) => Self::Upstream(m),
            Error::Unavailable(m) => Self::Unavailable(m),
            Error::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The detail may name tables or data; it belongs in the log, not the answer.
        // Busy is expected under load (a warning); anything else is a bug.
        match &self {
            Self::Internal(detail) => tracing::error!(error = %detail, "{}", self.code()),
            Self::Unavailable(detail) => tracing::warn!(error = %detail, "{}", self.code()),
            _ => {}
        }
        let info = ErrorInfo {
            code: self.code(),
            message: self.to_string(),
        };
        let mut res = (self.status(), info.message.clone()).into_response();
        if matches!(self, Self::Unavailable(_)) {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_BUSY_SECS),
            );
        }
        res.extensions_mut().insert(info);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    /// `CODES`, which the OpenAPI document lists, is every variant's code, once each.
    #[test]
    fn codes_lists_every_code() {
        let every = [
            AppError::invalid("f", "m"),
            AppError::BadRequest(String::new()),
            AppError::Unauthenticated,
            AppError::Forbidden(String::new()),
            AppError::NotFound,
            AppError::Conflict(String::new()),
            AppError::Transition(String::new()),
            AppError::PayloadTooLarge,
            AppError::UnsupportedMediaType(String::new()),
            AppError::TooManyRequests(1),
            AppError::Upstream(String::new()),
            AppError::Unavailable(String::new()),
            AppError::internal("x"),
        ];
        // No wildcard: a new variant stops this test from compiling until it is listed.
        for e in &every {
            match e {
                AppError::Invalid { .. }
                | AppError::BadRequest(_)
                | AppError::Unauthenticated
                | AppError::Forbidden(_)
                | AppError::NotFound
                | AppError::Conflict(_)
                | AppError::Transition(_)
                | AppError::PayloadTooLarge
                | AppError::UnsupportedMediaType(_)
                | AppError::TooManyRequests(_)
                | AppError::Upstream(_)
                | AppError::Unavailable(_)
                | AppError::Internal(_) => {}
            }
        }
        let codes: Vec<&str> = every.iter().map(AppError::code).collect();
        assert_eq!(codes, AppError::CODES);
    }
}
