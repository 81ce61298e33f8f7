//! `/report`: the public report form, and the receipt with the private status link.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::intake::Submission;
use embargo_domain::report::Channel;
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
        Ok((_, token)) => {
            Ok(Redirect::to(&format!("/report/received?token={}", token.expose())).into_response())
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

pub async fn received(
    State(state): State<AppState>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, AppError> {
    let (report, _) = state.app.by_status_token(&q.token).await?;
    html(&Receipt {
        id: report.id.to_string(),
        status_url: state.app.settings().status_url(&q.token),
    })
}
