//! The report page's clocks (docs/clocks.md, docs/cra.md): the partial
//! `team/report/clocks.html` (the clocks running, the CRA flag form, each stage's
//! "done" form and draft link), the forms' handlers and the drafts' text export
//! `/reports/{id}/cra/{stage}.txt`.

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_domain::access::Actor;
use embargo_domain::clocks::cra::Stage;
use embargo_domain::report::Report;
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, NoFields, TeamReport};
use crate::routes::team::show;
use crate::state::AppState;
use crate::views::clock::Clock;

/// One clock as the partial shows it (times as HTML `<time>` elements).
pub struct ClockLine {
    pub clock: &'static str,
    pub label: &'static str,
    pub since: String,
    pub due: String,
    pub done_at: String,
    pub late: bool,
    /// The CRA stage's name, for its "done" form and draft link ("" for others).
    pub stage: &'static str,
}

/// What the partial needs.
#[derive(Default)]
pub struct ClocksView {
    pub exploited_since: String,
    pub fixed_at: String,
    pub lines: Vec<ClockLine>,
    /// Not flagged yet: the flag form is shown.
    pub can_flag: bool,
}

/// The partial's view of `report` for its team, in the project's zone (`clock`).
pub async fn view(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    clock: &Clock,
    now: Timestamp,
) -> Result<ClocksView, AppError> {
    let c = state.app.report_clocks(actor, report, now).await?;
    Ok(ClocksView {
        can_flag: c.exploited_since.is_none(),
        exploited_since: c
            .exploited_since
            .map(|t| clock.at(t).to_string())
            .unwrap_or_default(),
        fixed_at: c
            .fixed_at
            .map(|t| clock.at(t).to_string())
            .unwrap_or_default(),
        lines: c
            .clocks
            .into_iter()
            .map(|v| ClockLine {
                clock: v.clock,
                label: v.label,
                since: clock.at(v.since).to_string(),
                due: if v.done_at.is_some() {
                    clock.at(v.due).to_string()
                } else {
                    clock.due(v.due).to_string()
                },
                done_at: v
                    .done_at
                    .map(|t| clock.at(t).to_string())
                    .unwrap_or_default(),
                late: v.late,
                stage: v.stage.map_or("", Stage::as_str),
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize)]
pub struct ExploitedForm {
    #[serde(default)]
    aware_at: String,
}

/// The result of a form: back to the page, or the page again with the refusal.
async fn finish(
    state: &AppState,
    auth: &Auth,
    report: &Report,
    result: Result<(), embargo_app::Error>,
) -> Result<Response, AppError> {
    match result.map_err(AppError::from) {
        Ok(()) => {
            Ok(Redirect::to(&format!("/reports/{}#clocks-section", report.id)).into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::BadRequest(_) | AppError::Conflict(_))) => {
            show::render(state, auth, report, Some(e), None, None).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /reports/{id}/exploited`: the CRA flag.
pub async fn exploited(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    CsrfForm(f): CsrfForm<ExploitedForm>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .flag_exploited(&auth.actor, &report, &f.aware_at, Timestamp::now())
        .await
        .map(|_| ());
    finish(&state, &auth, &report, result).await
}

/// `POST /reports/{id}/cra/{stage}/done`.
pub async fn done(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Path((_, stage)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let result = state
        .app
        .mark_cra_done(&auth.actor, &report, &stage, Timestamp::now())
        .await
        .map(|_| ());
    finish(&state, &auth, &report, result).await
}

/// `GET /reports/{id}/cra/{stage}.txt`: the draft as plain text, downloaded, never
/// cached.
pub async fn draft_text(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Path((_, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let stage = file.strip_suffix(".txt").ok_or(AppError::NotFound)?;
    let draft = state.app.cra_draft(&auth.actor, &report, stage).await?;
    let mut res = draft.text().into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-cra-{}.txt\"",
        report.id,
        draft.stage.as_str()
    )) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
