//! `/login`: e-mail and password; a session cookie on success.

use askama::Template;
use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{PageForm, session_cookie};
use crate::routes::{html, html_with_status};
use crate::state::AppState;

/// One message for an unknown address and a wrong password, so the form does not
/// tell which addresses have accounts.
const LOGIN_FAILED: &str = "Unknown e-mail address or wrong password.";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    email: String,
    error: Option<String>,
}

pub async fn page() -> Result<Response, AppError> {
    html(&LoginPage {
        email: String::new(),
        error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, AppError> {
    let signed_in = match state.app.sign_in(&form.email, &form.password).await {
        // Too many sign-ins at once (docs/operations.md#http): the form again, saying
        // so, with the address kept and a 503 with `Retry-After` for scripts.
        Err(embargo_app::Error::Unavailable(detail)) => {
            tracing::warn!(error = %detail, "sign-in refused as busy");
            let busy = AppError::Unavailable(detail);
            let mut page = html_with_status(
                busy.status(),
                &LoginPage {
                    email: form.email,
                    error: Some(format!("{}.", busy)),
                },
            )?;
            page.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from_static(crate::error::RETRY_BUSY_SECS),
            );
            return Ok(page);
        }
        other => other?,
    };
    let Some(session) = signed_in else {
        return html_with_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                email: form.email,
                error: Some(LOGIN_FAILED.into()),
            },
        );
    };
    let cookie = session_cookie(
        session.token.expose(),
        session.max_age_secs,
        state.secure_cookies(),
    );
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
}
