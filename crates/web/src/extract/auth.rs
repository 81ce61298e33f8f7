//! Who is asking: a team member by `Authorization: Bearer` API token or by session
//! cookie, or nobody. Reporters are recognised by their status link, in its routes.
//! The JSON API takes bearer tokens only ([`BearerOnly`]).

use axum::extract::{FromRequestParts, OriginalUri, Request};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use embargo_app::model::CredentialKind;
use embargo_domain::access::{Actor, Member};
use embargo_domain::token::{Token, TokenDigest};
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "embargo_session";

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct Session {
    pub digest: TokenDigest,
    /// The per-session token every form must echo back as `csrf`.
    pub csrf: String,
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    pub session: Option<Session>,
}

impl Auth {
    /// The signed-in member, or 401.
    pub fn member(&self) -> Result<&Member, AppError> {
        self.actor.member().ok_or(AppError::Unauthenticated)
    }

    /// The CSRF token to put in forms (empty without a session).
    pub fn csrf(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.csrf.clone())
            .unwrap_or_default()
    }

    /// Refuses a session-authenticated POST whose form did not echo the session's CSRF
    /// token. Bearer-token callers are not exposed to CSRF: browsers never add that header.
    pub fn check_csrf(&self, presented: &str) -> Result<(), AppError> {
        self.member()?;
        match &self.session {
            Some(s) if !s.csrf.is_empty() && bool::from(s.csrf.as_bytes().ct_eq(presented.as_bytes())) => Ok(()),
            Some(_) => Err(AppError::Forbidden(
                "the form is stale or came from another site (CSRF check failed); reload the page and try again".into(),
            )),
            None => Ok(()),
        }
    }
}

/// Marks a request that only a bearer token may authenticate: every request to the JSON
/// API, which has no CSRF tokens, so that a browser session can never be ridden into it
/// from another site. Set by [`bearer_only`], layered on the API's router.
#[derive(Debug, Clone, Copy)]
pub struct BearerOnly;

/// Middleware for the JSON API's router: marks its requests [`BearerOnly`].
pub async fn bearer_only(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(BearerOnly);
    next.run(req).await
}

/// Whether the session cookie must be ignored. The marker is the rule. The path is a
/// second line, for an API route that ends up outside the API's router: the path the
/// client asked for, since inside a nested router `parts.uri` has lost its `/api/v1`.
fn bearer_only_request(parts: &Parts) -> bool {
    let api = |path: &str| path == "/api" || path.starts_with("/api/");
    parts.extensions.get::<BearerOnly>().is_some()
        || parts
            .extensions
            .get::<OriginalUri>()
            .is_some_and(|original| api(original.path()))
        || api(parts.uri.path())
}

/// A cookie's value from the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for the session: HttpOnly so scripts cannot read it, SameSite=Lax so
/// other sites' POSTs do not carry it, Secure whenever the site is served over https.
/// An empty value with `max_age` 0 clears it.
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Several extractors of one request ask (the report and the form): look once.
        if let Some(known) = parts.extensions.get::<Self>() {
            return Ok(known.clone());
        }
        let auth = Self::identify(parts, state).await?;
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

impl Auth {
    async fn identify(parts: &Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            // A presented but bad token is an error, not anonymity: the client meant to sign in.
            let token = header
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(Token::from_presented)
                .ok_or(AppError::Unauthenticated)?;
            let signed = state
                .app
                .signed_in(&token.digest(), CredentialKind::ApiToken)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            return Ok(Self {
                actor: Actor::Member(signed.member),
                session: None,
            });
        }
        if !bearer_only_request(parts)
            && let Some(token) = cookie(parts, SESSION_COOKIE).and_then(Token::from_presented)
        {
            let digest = token.digest();
            if let Some(signed) = state
                .app
                .signed_in(&digest, CredentialKind::Session)
                .await?
            {
                return Ok(Self {
                    actor: Actor::Member(signed.member),
                    session: Some(Session {
                        digest,
                        csrf: signed.csrf.unwrap_or_default(),
                    }),
                });
            }
        }
        Ok(Self {
            actor: Actor::Anonymous,
            session: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(uri: &str, original: Option<&str>, marked: bool) -> Parts {
        let mut req = Request::builder().uri(uri);
        if let Some(o) = original {
            req = req.extension(OriginalUri(o.parse().expect("uri")));
        }
        if marked {
            req = req.extension(BearerOnly);
        }
        req.body(()).expect("request").into_parts().0
    }

    #[test]
    fn the_api_is_bearer_only_by_marker_or_by_the_path_the_client_asked_for() {
        // Inside the nested router the path has lost `/api/v1`: the marker decides.
        assert!(bearer_only_request(&parts("/reports", None, true)));
        // Without the marker, the original path still gives it away.
        assert!(bearer_only_request(&parts(
            "/reports",
            Some("/api/v1/reports"),
            false
        )));
        assert!(bearer_only_request(&parts("/api/v2/reports", None, false)));
        // The pages take the session.
        assert!(!bearer_only_request(&parts(
            "/reports/EMB-0123456789AB",
            Some("/reports/EMB-0123456789AB"),
            false
        )));
        assert!(!bearer_only_request(&parts("/apiary", None, false)));
    }
}
