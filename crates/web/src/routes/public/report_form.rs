//! `/report`: the public report form, and the receipt with the private status link.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::intake::Submission;
use embargo_domain::report::Channel;
use embargo_domain::token::Token;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::PageForm;
use crate::routes::{ProjectLink, html, html_with_status};
use crate::state::AppState;

/// The form's fields, kept as typed so a refused form comes back filled in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportInput {
    pub project: String,
    pub title: String,
    pub description: String,
    pub affected_versions: String,
    pub reporter_name: String,
    pub reporter_email: String,
    pub credit: String,
}

impl ReportInput {
    fn submission(&self) -> Submission {
        let opt = |s: &str| Some(s.to_string());
        Submission {
            project: opt(&self.project),
            title: self.title.clone(),
            description: self.description.clone(),
            affected_versions: opt(&self.affected_versions),
            reporter_name: opt(&self.reporter_name),
            reporter_email: opt(&self.reporter_email),
            credit: opt(&self.credit),
        }
    }
}

#[derive(Template)]
#[template(path = "public/report_form.html")]
struct ReportForm {
    org: String,
    projects: Vec<ProjectLink>,
    input: ReportInput,
    error: Option<String>,
}

async fn form(
    state: &AppState,
    input: ReportInput,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let projects = state.app.projects().await?;
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    html_with_status(
        status,
        &ReportForm {
            org: state.app.settings().organisation.name.clone(),
            projects: projects.iter().map(ProjectLink::from).collect(),
            input,
            error: error.map(|e| e.to_string()),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct Preselect {
    project: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<Preselect>,
) -> Result<Response, AppError> {
    let input = ReportInput {
        project: q.project.unwrap_or_default(),
        ..ReportInput::default()
    };
    form(&state, input, None).await
}

pub async fn submit(
    State(state): State<AppState>,
    PageForm(input): PageForm<ReportInput>,
) -> Result<Response, AppError> {
    match state
        .app
        .submit(&input.submission(), Channel::Web)
        .await
        .map_err(AppError::from)
    {
        // Post/redirect/get, so that reloading the receipt does not file the report twice.
        // The token goes in the path, never in a query string (docs/process.md#the-status-page).
        Ok((_, token)) => {
            Ok(Redirect::to(&format!("/report/received/{}", token.expose())).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::BadRequest(_))) => {
            form(&state, input, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "public/received.html")]
struct Receipt {
    id: String,
    status_url: String,
}

/// `/report/received/{token}`: the receipt, with the status link to keep.
pub async fn received(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (report, _) = state.app.by_status_token(&token).await?;
    html(&Receipt {
        id: report.id.to_string(),
        status_url: state.app.settings().status_url(&token),
    })
}

/// `/report/received?token=…`, the receipt's address before the token moved into the
/// path: redirects there, so that a receipt kept open or bookmarked still works. The
/// token is not looked up here, so this answers alike for any well-formed token.
pub async fn received_by_query(Query(q): Query<ReceiptQuery>) -> Result<Response, AppError> {
    let token = Token::from_presented(&q.token).ok_or(AppError::NotFound)?;
    Ok(Redirect::permanent(&format!("/report/received/{}", token.expose())).into_response())
}
