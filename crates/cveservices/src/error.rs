//! Errors of the CVE Services client: the service's error bodies (`schemas/errors/*.json`,
//! `{"error": CODE, "message": ..., "details": ...}`) turned into messages a person can act
//! on. No message ever contains the API key: server text is redacted before it is kept.

use serde::Deserialize;

/// The error body CVE Services sends with every 4xx/5xx answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceErrorBody {
    /// The machine-readable code, e.g. `EXCEEDED_ID_QUOTA`.
    #[serde(default)]
    pub error: String,
    /// The service's own sentence.
    #[serde(default)]
    pub message: String,
    /// For `BAD_INPUT`, a list of `{msg, param, location}`; for `INVALID_JSON_SCHEMA`,
    /// `{errors: [...]}`; absent otherwise.
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}

impl ServiceErrorBody {
    /// One line per problem the service listed in `details`, for `BAD_INPUT` and
    /// `INVALID_JSON_SCHEMA` answers.
    pub fn detail_lines(&self) -> Vec<String> {
        let Some(details) = &self.details else {
            return Vec::new();
        };
        let items = match details {
            serde_json::Value::Array(items) => items.as_slice(),
            serde_json::Value::Object(map) => match map.get("errors") {
                Some(serde_json::Value::Array(items)) => items.as_slice(),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        items.iter().map(detail_line).collect()
    }
}

/// Renders one entry of `details`: express-validator's `{msg, param, location}` or ajv's
/// `{instancePath, message}`, else the raw JSON.
fn detail_line(item: &serde_json::Value) -> String {
    let text = |k: &str| item.get(k).and_then(serde_json::Value::as_str);
    if let Some(msg) = text("msg") {
        let param = text("param").or_else(|| text("path")).unwrap_or("?");
        let location = text("location").unwrap_or("request");
        return format!("{location} parameter {param:?}: {msg}");
    }
    if let Some(msg) = text("message") {
        let at = text("instancePath")
            .or_else(|| text("dataPath"))
            .unwrap_or("");
        let at = if at.is_empty() { "the container" } else { at };
        return format!("{at}: {msg}");
    }
    item.to_string()
}

/// What went wrong talking to CVE Services.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configured base URL cannot be used.
    #[error("the CVE Services URL {url:?} is not usable: {reason}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// Why not.
        reason: String,
    },
    /// A header value cannot be sent (e.g. a newline in the user name).
    #[error("the CVE Services {what} contains characters that cannot be sent in an HTTP header")]
    BadCredentials {
        /// Which of organisation, user or key.
        what: &'static str,
    },
    /// HTTP 401, or 400 for a missing authentication header.
    #[error(
        "CVE Services did not accept the credentials of user {user:?} of organisation {org:?} \
         ({code}): check the configured organisation short name, user name and API key; an \
         administrator may have reset the key or deactivated the user"
    )]
    Unauthorized {
        /// The organisation we claimed.
        org: String,
        /// The user we claimed.
        user: String,
        /// The service's code.
        code: String,
    },
    /// The quota of RESERVED IDs is used up.
    #[error(
        "CVE Services refused to reserve more IDs: the organisation's quota of reserved IDs is \
         used up. Publish or reject IDs that are RESERVED, or ask the CVE Program (root CNA or \
         Secretariat) for a larger quota"
    )]
    QuotaExceeded {
        /// The service's own message.
        message: String,
    },
    /// The record exists already: create was used where update was needed.
    #[error("{id} already has a CVE record at CVE Services; update it instead of creating it")]
    RecordExists {
        /// The CVE ID.
        id: String,
    },
    /// The record does not exist: update was used where create was needed.
    #[error(
        "{id} has no CVE record at CVE Services yet; publish (create) it instead of updating it"
    )]
    RecordMissing {
        /// The CVE ID.
        id: String,
    },
    /// The ID does not exist or is not visible to us.
    #[error("CVE Services does not know {what} ({code}): {message}")]
    NotFound {
        /// What was asked for.
        what: String,
        /// The service's code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// HTTP 403 other than the quota: e.g. the ID belongs to another organisation, or the
    /// account lacks the CNA role.
    #[error("CVE Services does not allow organisation {org:?} to do this ({code}): {message}")]
    Forbidden {
        /// The organisation we claimed.
        org: String,
        /// The service's code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// HTTP 400: the request, or the record in it, is not valid.
    #[error("CVE Services rejected the request as invalid ({code}): {message}{}", bullet_list(.details))]
    BadRequest {
        /// The service's code (`BAD_INPUT`, `INVALID_JSON_SCHEMA`, `NO_BATCH_TYPE`, ...).
        code: String,
        /// The service's message.
        message: String,
        /// One line per problem, when the service listed them.
        details: Vec<String>,
    },
    /// HTTP 429.
    #[error("CVE Services is limiting our request rate (429); try again in a minute")]
    RateLimited,
    /// HTTP 5xx or another unexpected status.
    #[error("CVE Services failed with HTTP {status} ({code}): {message}; try again later")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The service's code, or `-`.
        code: String,
        /// The service's message, or the start of the body.
        message: String,
    },
    /// The service could not be reached.
    #[error("could not reach CVE Services at {url}: {reason}")]
    Transport {
        /// The base URL.
        url: String,
        /// The cause, from the HTTP client.
        reason: String,
    },
    /// The service answered with something we cannot read.
    #[error("CVE Services answered {what} with something unexpected: {reason}")]
    Unexpected {
        /// Which request.
        what: String,
        /// What did not fit.
        reason: String,
    },
}

fn bullet_list(lines: &[String]) -> String {
    lines.iter().map(|l| format!("\n  - {l}")).collect()
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_in_both_shapes_become_lines() {
        let bad_input: ServiceErrorBody = serde_json::from_str(
            r#"{"error":"BAD_INPUT","message":"Parameters were invalid",
                "details":[{"msg":"Invalid value","param":"amount","location":"query"}]}"#,
        )
        .unwrap();
        assert_eq!(
            bad_input.detail_lines(),
            ["query parameter \"amount\": Invalid value"]
        );
        let schema: ServiceErrorBody = serde_json::from_str(
            r#"{"error":"INVALID_JSON_SCHEMA","message":"CVE JSON schema validation FAILED.",
                "details":{"errors":[{"instancePath":"/cnaContainer","message":"must have required property 'affected'"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            schema.detail_lines(),
            ["/cnaContainer: must have required property 'affected'"]
        );
        let e = Error::BadRequest {
            code: schema.error.clone(),
            message: schema.message.clone(),
            details: schema.detail_lines(),
        };
        assert!(
            e.to_string().contains("\n  - /cnaContainer: must have"),
            "{e}"
        );
    }
}
