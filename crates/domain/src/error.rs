//! The one error type of the domain: every refusal carries a message a person can act on.

/// Why the domain refused an input or an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field's value is malformed, empty or too large; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The lifecycle does not allow this step from the report's current state.
    #[error("{0}")]
    Transition(String),
    /// The actor may not do this (callers that must not reveal existence map it to "not found").
    #[error("{0}")]
    Forbidden(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
    pub fn transition(message: impl Into<String>) -> Self {
        Self::Transition(message.into())
    }
}
