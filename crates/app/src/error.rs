//! The application layer's one error: what went wrong in terms a person can act on.
//! Each door renders it its own way (HTTP status and JSON or page, SMTP reply code,
//! sysexits code, CLI message); none of them sorts errors by their text.

use embargo_domain::DomainError;
use embargo_store::StoreError;

/// Why a use case did not happen. Nothing changed when it is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field is malformed, empty or too large; the message names the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Only for callers that can already see the report (else `NotFound`).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or not visible to this caller: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// The data changed underneath the request, or a unique thing is taken.
    #[error("{0}")]
    Conflict(String),
    /// The lifecycle does not allow this step now.
    #[error("{0}")]
    Transition(String),
    /// A service Embargo relies on (CVE Services) refused or failed; its message is
    /// meant for the person who asked.
    #[error("{0}")]
    Upstream(String),
    /// The database is unreachable or busy: try again later.
    #[error("try again later: {0}")]
    Unavailable(String),
    /// Anything else; the detail is for the log only.
    #[error("internal error")]
    Internal(String),
}

/// The layer's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
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

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Self::invalid(field, message),
            DomainError::Transition(m) => Self::Transition(m),
            DomainError::Forbidden(m) => Self::Forbidden(m),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::Conflict(format!("{m}; reload and try again")),
            e @ (StoreError::Stale | StoreError::CveTaken(_) | StoreError::Duplicate(_)) => {
                Self::Conflict(e.to_string())
            }
            StoreError::NotFound(_) => Self::NotFound,
            // Busy (a lock held, no free connection, the database unreachable) is
            // worth a retry; any other database failure is a bug to log.
            e @ (StoreError::Database(_) | StoreError::Shared(_)) if e.is_busy() => {
                Self::Unavailable(e.to_string())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}
