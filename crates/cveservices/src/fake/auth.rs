//! Who is asking: the three authentication headers, checked in constant time, and the
//! actor they name.

use super::*;

/// The authenticated requester.
pub(super) struct Actor {
    pub(super) org: String,
    pub(super) username: String,
    pub(super) user_uuid: String,
    pub(super) org_uuid: String,
    pub(super) roles: Vec<String>,
}

impl Actor {
    pub(super) fn secretariat(&self) -> bool {
        self.roles.iter().any(|r| r == "SECRETARIAT")
    }
    pub(super) fn may_write(&self) -> Result<(), ApiError> {
        if self.secretariat() || self.roles.iter().any(|r| r == "CNA") {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "CNA_ONLY",
                "This function is currently only allowed to CNAs.",
            ))
        }
    }
    pub(super) fn owns(&self, entry: &IdEntry) -> bool {
        self.secretariat() || entry.owner == self.org
    }
}

pub(super) const AUTH_HEADERS: [&str; 3] = ["CVE-API-ORG", "CVE-API-USER", "CVE-API-KEY"];

/// The requester, `None` when no authentication header was sent at all.
pub(super) fn authenticate_optional(
    inner: &Inner,
    headers: &HeaderMap,
) -> Result<Option<Actor>, ApiError> {
    let values: Vec<Option<&str>> = AUTH_HEADERS
        .iter()
        .map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    for (h, v) in AUTH_HEADERS.iter().zip(&values) {
        if v.is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("{h} header field required."),
            ));
        }
    }
    let (org, user, key) = (
        values[0].unwrap_or_default(),
        values[1].unwrap_or_default(),
        values[2].unwrap_or_default(),
    );
    let unauthorized = || ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized");
    let o = inner
        .config
        .orgs
        .iter()
        .find(|o| o.short_name == org)
        .ok_or_else(unauthorized)?;
    let u = o
        .users
        .iter()
        .find(|u| u.username == user)
        .ok_or_else(unauthorized)?;
    if !constant_time_eq(u.key.as_bytes(), key.as_bytes()) {
        return Err(unauthorized());
    }
    Ok(Some(Actor {
        org: o.short_name.clone(),
        username: u.username.clone(),
        user_uuid: u.uuid.clone(),
        org_uuid: o.uuid.clone(),
        roles: o.roles.clone(),
    }))
}

pub(super) fn authenticate(inner: &Inner, headers: &HeaderMap) -> Result<Actor, ApiError> {
    authenticate_optional(inner, headers)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "CVE-API-ORG header field required.",
        )
    })
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- CVE IDs ------------------------------------------------------------------------------
