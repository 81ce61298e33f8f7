//! `/setup/{token}`: a one-time link with which a new member sets their password.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::accounts::LinkUser;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::PageForm;
use crate::routes::html_with_status;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    token: String,
    name: String,
    email: String,
    error: Option<String>,
}

fn render(token: &str, user: &LinkUser, error: Option<AppError>) -> Result<Response, AppError> {
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    html_with_status(
        status,
        &SetupPage {
            token: token.to_string(),
            name: user.name.clone(),
            email: user.email.to_string(),
            error: error.map(|e| e.to_string()),
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let user = state.app.setup_link(&token).await?;
    render(&token, &user, None)
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageForm(form): PageForm<SetupForm>,
) -> Result<Response, AppError> {
    let user = state.app.setup_link(&token).await?;
    match state
        .app
        .set_password_with_link(&token, &form.password, &form.password_confirm)
        .await
    {
        Ok(()) => {}
        Err(e @ embargo_app::Error::Invalid { .. }) => {
            return render(&token, &user, Some(e.into()));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to("/login").into_response())
}
