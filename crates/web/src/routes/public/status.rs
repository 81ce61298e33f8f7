//! `/status/{token}`: the reporter's private page: what they sent, the state and what
//! comes next (`domain::next_step`), the messages meant for them, reply.
//!
//! The token stays in the path and in no query string (browser history, proxy logs):
//! the reply form posts to the same path and redirects back to it
//! (docs/process.md#the-status-page).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::lifecycle::Command;
use embargo_domain::next_step;
use embargo_domain::report::Report;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::PageForm;
use crate::routes::html_with_status;
use crate::state::AppState;
use crate::views::{reporter_messages, when};

/// A message as the thread shows it.
pub struct MessageView {
    pub kind: &'static str,
    pub author: String,
    pub body: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "public/status.html")]
struct StatusPage {
    token: String,
    id: String,
    title: String,
    /// As they sent it; the template escapes it and keeps its line breaks.
    description: String,
    affected_versions: String,
    next_step: String,
    state: &'static str,
    state_label: &'static str,
    messages: Vec<MessageView>,
    body: String,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    token: &str,
    report: &Report,
    body: String,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let messages = state.app.messages(report).await?;
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    html_with_status(
        status,
        &StatusPage {
            token: token.to_string(),
            id: report.id.to_string(),
            title: report.title.clone(),
            description: report.description.clone(),
            affected_versions: report.affected_versions.clone().unwrap_or_default(),
            next_step: next_step::for_reporter(report, jiff::Timestamp::now()),
            state: report.state.as_str(),
            state_label: report.state.label(),
            messages: reporter_messages(&messages)
                .map(|m| MessageView {
                    kind: m.kind.as_str(),
                    author: m.author_label.clone(),
                    body: m.body.clone(),
                    at: when(m.created_at),
                })
                .collect(),
            body,
            error: error.map(|e| e.to_string()),
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (report, _) = state.app.by_status_token(&token).await?;
    render(&state, &token, &report, String::new(), None).await
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
}

pub async fn reply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageForm(form): PageForm<ReplyForm>,
) -> Result<Response, AppError> {
    let (report, actor) = state.app.by_status_token(&token).await?;
    match state
        .app
        .act(
            &actor,
            &report,
            Command::ReporterReply {
                body: form.body.clone(),
            },
        )
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/status/{token}")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_) | AppError::Transition(_))) => {
            render(&state, &token, &report, form.body, Some(e)).await
        }
        Err(e) => Err(e),
    }
}
