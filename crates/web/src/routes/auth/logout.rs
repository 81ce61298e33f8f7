//! `/logout`: deletes the session credential and clears the cookie.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, NoFields, session_cookie};
use crate::state::AppState;

pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    if let Some(session) = &auth.session {
        state.app.sign_out(&session.digest).await?;
    }
    let cookie = session_cookie("", 0, state.secure_cookies());
    Ok(([(SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
