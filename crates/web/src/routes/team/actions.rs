//! The report page's forms. Each takes the report through [`TeamReport`] (visible to
//! this member, else 404) and its fields through [`CsrfForm`] (the session's CSRF
//! token checked), lets the application decide, then redirects back (303), or shows
//! the page again with the refusal.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::{OwnerRequest, TransitionRequest, TriageRequest};
use embargo_domain::lifecycle::Command;
use embargo_domain::report::Report;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, NoFields, TeamReport};
use crate::routes::team::show::{self, PostedRecord, RecordAction, RecordFields};
use crate::state::AppState;

async fn finish(
    state: &AppState,
    auth: &Auth,
    report: &Report,
    result: Result<Report, impl Into<AppError>>,
    record_input: Option<RecordFields>,
) -> Result<Response, AppError> {
    match result.map_err(Into::into) {
        Ok(r) => Ok(Redirect::to(&format!("/reports/{}", r.id)).into_response()),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::BadRequest(_)
            | AppError::Forbidden(_)
            | AppError::Conflict(_)
            | AppError::Transition(_)
            | AppError::Upstream(_)),
        ) => {
            // Show the report as it is now, so a conflict shows the other change.
            let current = match state.app.visible(&auth.actor, report.id.as_str()).await {
                Ok((r, _)) => r,
                Err(_) => report.clone(),
            };
            show::render(state, auth, &current, Some(e), record_input, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct BodyForm {
    #[serde(default)]
    body: String,
}

pub async fn reply(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<BodyForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .act(&auth.actor, &report, Command::Reply { body: f.body })
        .await
        .map_err(AppError::from);
    finish(&state, &auth, &report, result, None).await
}

pub async fn note(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<BodyForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .act(&auth.actor, &report, Command::Note { body: f.body })
        .await
        .map_err(AppError::from);
    finish(&state, &auth, &report, result, None).await
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    to: String,
    message: Option<String>,
    reason: Option<String>,
    disclosure_date: Option<String>,
    summary: Option<String>,
    cve: Option<String>,
    fix_ref: Option<String>,
    release_ref: Option<String>,
    /// The ticked confirmations of an early announcement and a late disclosure date.
    confirm_late: Option<String>,
    confirm_early: Option<String>,
}

pub async fn transition(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<TransitionForm>,
) -> Result<Response, AppError> {
    let req = TransitionRequest {
        to: f.to,
        message: f.message,
        reason: f.reason,
        disclosure_date: f.disclosure_date,
        summary: f.summary,
        cve: f.cve,
        fix_ref: f.fix_ref,
        release_ref: f.release_ref,
        confirm_late: f.confirm_late.is_some(),
        confirm_early: f.confirm_early.is_some(),
    };
    let result = state
        .app
        .transition(&auth.actor, &report, &req)
        .await
        .map_err(AppError::from);
    finish(&state, &auth, &report, result, None).await
}

pub async fn record(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(posted): CsrfForm<PostedRecord>,
) -> Result<Response, AppError> {
    let f = match posted.read()? {
        // "Add a product row": the form again as typed, with one more row; nothing saved.
        RecordAction::AddRow(f) => {
            return show::render(&state, &auth, &report, None, Some(f), None).await;
        }
        RecordAction::Save(f) => f,
    };
    let result = match f.to_record() {
        Ok(record) => state
            .app
            .act(&auth.actor, &report, Command::SaveRecord { record })
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    finish(&state, &auth, &report, result, Some(f.with_spare_row())).await
}

#[derive(Debug, Deserialize)]
pub struct RecordMoveForm {
    #[serde(default)]
    to: String,
    reason: Option<String>,
}

/// The record's state forms: submit for review, mark READY, publish, reject.
pub async fn record_transition(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<RecordMoveForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .move_record(&auth.actor, &report, &f.to, f.reason)
        .await
        .map_err(AppError::from);
    finish(&state, &auth, &report, result, None).await
}

#[derive(Debug, Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    project: String,
}

pub async fn route(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<RouteForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .route(&auth.actor, &report, &f.project)
        .await
        .map_err(AppError::from);
    finish(&state, &auth, &report, result, None).await
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
    /// The checkbox for reports of two projects; absent when unticked.
    confirm_cross_project: Option<String>,
}

/// Merges this report into the one named in the form; shows the merged report.
pub async fn merge(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<MergeForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .merge(
            &auth.actor,
            &report,
            &f.into,
            f.confirm_cross_project.is_some(),
        )
        .await
        .map(|(merged, _)| merged);
    finish(&state, &auth, &report, result, None).await
}

/// Splits this report; goes to the new report's page.
pub async fn split(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .split(&auth.actor, &report)
        .await
        .map(|(_, created)| created);
    finish(&state, &auth, &report, result, None).await
}

/// The triage section's forms: close as noise, dismiss the suggestion, reopen.
pub async fn triage(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(req): CsrfForm<TriageRequest>,
) -> Result<Response, AppError> {
    let result = state.app.decide_triage(&auth.actor, &report, &req).await;
    finish(&state, &auth, &report, result, None).await
}

/// The report page's owner form: take, assign or release.
pub async fn owner(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(req): CsrfForm<OwnerRequest>,
) -> Result<Response, AppError> {
    let result = state.app.set_owner(&auth.actor, &report, &req).await;
    finish(&state, &auth, &report, result, None).await
}
