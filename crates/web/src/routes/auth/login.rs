//! `/login`: e-mail and password; a session cookie on success.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
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
    let Some(session) = state.app.sign_in(&form.email, &form.password).await? else {
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
