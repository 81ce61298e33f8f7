//! `/login`: e-mail and password; a session cookie on success.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::ids::Email;
use embargo_domain::token::Token;
use embargo_store::{CredentialKind, NewCredential};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{PageForm, session_cookie};
use crate::password;
use crate::routes::{html, html_with_status};
use crate::state::AppState;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

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
    let user = match Email::parse(&form.email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    let phc = user.as_ref().and_then(|u| u.password_hash.clone());
    let pw = form.password.clone();
    // Argon2 takes real CPU time: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || match phc {
        Some(phc) => password::verify(&pw, &phc),
        None => {
            password::verify_dummy(&pw);
            false
        }
    })
    .await
    .map_err(AppError::internal)?;
    let Some(user) = user.filter(|_| ok) else {
        return html_with_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                email: form.email,
                error: Some(LOGIN_FAILED.into()),
            },
        );
    };
    let token = Token::generate();
    state
        .store
        .insert_credential(&NewCredential {
            digest: token.digest(),
            user: user.id,
            kind: CredentialKind::Session,
            csrf: Some(Token::generate().expose().to_string()),
            expires_at: Some(Timestamp::now() + SignedDuration::from_hours(SESSION_HOURS)),
            label: None,
        })
        .await?;
    let cookie = session_cookie(
        token.expose(),
        SESSION_HOURS * 3600,
        state.config.secure_cookies(),
    );
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
}
