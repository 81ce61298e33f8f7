//! `/setup/{token}`: a one-time link with which a new member sets their password.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::token::Token;
use embargo_store::{CredentialKind, User};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::PageForm;
use crate::password;
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

/// The link's user, or 404 for an unknown, used or expired link.
async fn link_user(state: &AppState, token: &str) -> Result<(Token, User), AppError> {
    let token = Token::from_presented(token).ok_or(AppError::NotFound)?;
    let cred = state
        .store
        .credential(
            &token.digest(),
            CredentialKind::SetupLink,
            jiff::Timestamp::now(),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let user = state
        .store
        .user_by_id(cred.user)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((token, user))
}

fn render(token: &Token, user: &User, error: Option<AppError>) -> Result<Response, AppError> {
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, AppError::status);
    html_with_status(
        status,
        &SetupPage {
            token: token.expose().to_string(),
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
    let (token, user) = link_user(&state, &token).await?;
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
    let (token, user) = link_user(&state, &token).await?;
    if form.password != form.password_confirm {
        return render(
            &token,
            &user,
            Some(AppError::invalid(
                "password_confirm",
                "the two passwords differ",
            )),
        );
    }
    let pw = form.password;
    let hashed = tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(AppError::internal)?;
    let phc = match hashed {
        Ok(phc) => phc,
        Err(e) => return render(&token, &user, Some(e.into())),
    };
    state.store.set_password(user.id, &phc).await?;
    // One time only: the link dies with its first use.
    state.store.delete_credential(&token.digest()).await?;
    Ok(Redirect::to("/login").into_response())
}
