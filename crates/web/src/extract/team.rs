//! Access a handler cannot forget: [`TeamReport`] is the report named by the path's
//! `{id}`, loaded only if the signed-in member may see it (401 when nobody is signed
//! in, 404 when the report is not theirs to see, exactly as for an id that does not
//! exist), and [`CsrfForm`] is a form body whose session CSRF token was checked.
//! Handlers take these instead of a bare id or form, so neither check can be skipped.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use embargo_domain::report::Report;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::extract::{Auth, PageForm};
use crate::state::AppState;

/// A report the caller (a member, by session or API token) may see.
pub struct TeamReport {
    pub auth: Auth,
    pub report: Report,
}

impl FromRequestParts<AppState> for TeamReport {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.member()?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let id = params
            .iter()
            .find(|(name, _)| *name == "id")
            .map(|(_, value)| value.to_string())
            .ok_or(AppError::NotFound)?;
        let (report, _) = state.app.visible(&auth.actor, &id).await?;
        Ok(Self { auth, report })
    }
}

/// A form posted by a signed-in member's browser, with the session's CSRF token
/// checked (403 when it is missing or wrong). Bearer-token callers have no session
/// and are not exposed to CSRF.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A form with nothing but its CSRF token (sign out, discard).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let auth = Auth::from_request_parts(&mut parts, state).await?;
        let PageForm(WithCsrf { csrf, form }) =
            PageForm::<WithCsrf<T>>::from_request(Request::from_parts(parts, body), state).await?;
        auth.check_csrf(&csrf)?;
        Ok(Self(form))
    }
}
