//! `/logout`: deletes the session credential and clears the cookie.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, PageForm, session_cookie};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    PageForm(form): PageForm<LogoutForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&form.csrf)?;
    if let Some(session) = &auth.session {
        state.app.sign_out(&session.digest).await?;
    }
    let cookie = session_cookie("", 0, state.secure_cookies());
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
