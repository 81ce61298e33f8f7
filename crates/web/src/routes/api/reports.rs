//! `/api/v1/reports`: intake (public) and the team's endpoints for one report.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_domain::cna::CnaRecord;
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Command, TransitionRequest};
use embargo_domain::report::{Channel, Report};
use embargo_domain::state::ReportState;
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{ApiJson, Auth, TeamReport};
use crate::state::AppState;
use crate::views::{SummaryJson, TeamViewJson};
use embargo_app::ListQuery;

/// A body extracted after the caller is known, so that an unauthorised caller learns
/// nothing from whether their body would have parsed.
type Body<T> = Result<ApiJson<T>, AppError>;

async fn full_view(state: &AppState, report: &Report) -> Result<Json<TeamViewJson>, AppError> {
    let messages = state.app.messages(report).await?;
    let audit = state.app.audit_log(report).await?;
    let mut view = TeamViewJson::new(report, &messages, audit, Timestamp::now());
    if let Some(built) = state.app.record_check(report)? {
        view.record_findings = built.findings;
        view.cvss = built.scores;
        if view.record_problem.is_none() {
            view.record_problem = view
                .record_findings
                .iter()
                .find(|f| f.level == "error")
                .map(|f| format!("{}: {}", f.path, f.message));
        }
    }
    Ok(Json(view))
}

/// `POST /api/v1/reports`: anyone may report.
pub async fn create(
    State(state): State<AppState>,
    body: Body<Submission>,
) -> Result<Response, AppError> {
    let ApiJson(sub) = body?;
    let (report, token) = state.app.submit(&sub, Channel::Api).await?;
    let answer = serde_json::json!({
        "id": report.id,
        "status_url": state.app.settings().status_url(token.expose()),
        "state": report.state,
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    project: Option<String>,
    state: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// Largest page of the list.
const MAX_LIMIT: u32 = 500;
/// A page as the dashboard shows it, unless the caller asks for more.
const DEFAULT_LIMIT: u32 = 50;

/// `GET /api/v1/reports`: the reports the caller handles.
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let filter = match p.state.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(ReportState::parse(s)?),
    };
    let q = ListQuery {
        project: p.project,
        state: filter,
        limit: p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        offset: p.offset.unwrap_or(0),
    };
    let rows = state.app.list(member, &q).await?;
    let now = Timestamp::now();
    let reports: Vec<SummaryJson> = rows.iter().map(|r| SummaryJson::new(r, now)).collect();
    Ok(Json(serde_json::json!({ "reports": reports })).into_response())
}

/// `GET /api/v1/reports/{id}`.
pub async fn show(
    State(state): State<AppState>,
    TeamReport { report, .. }: TeamReport,
) -> Result<Response, AppError> {
    Ok(full_view(&state, &report).await?.into_response())
}

/// `POST /api/v1/reports/{id}/transitions`.
pub async fn transition(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<TransitionRequest>,
) -> Result<Response, AppError> {
    let ApiJson(req) = body?;
    let report = state.app.transition(&auth.actor, &report, &req).await?;
    Ok(full_view(&state, &report).await?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewMessage {
    kind: String,
    body: String,
}

/// `POST /api/v1/reports/{id}/messages`: a reply to the reporter or an internal note.
pub async fn message(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<NewMessage>,
) -> Result<Response, AppError> {
    let ApiJson(m) = body?;
    let command = match m.kind.as_str() {
        "reply" => Command::Reply { body: m.body },
        "note" => Command::Note { body: m.body },
        other => {
            return Err(AppError::invalid(
                "kind",
                format!("{other:?} is not \"reply\" or \"note\""),
            ));
        }
    };
    let report = state.app.act(&auth.actor, &report, command).await?;
    Ok((StatusCode::CREATED, full_view(&state, &report).await?).into_response())
}

/// `PUT /api/v1/reports/{id}/record`.
pub async fn record(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<CnaRecord>,
) -> Result<Response, AppError> {
    let ApiJson(record) = body?;
    let report = state
        .app
        .act(&auth.actor, &report, Command::SaveRecord { record })
        .await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// A move of the CVE record: `{"to": "review" | "ready" | "published" | "rejected" | "draft", "reason"?}`.
#[derive(Debug, Deserialize)]
pub struct RecordMove {
    to: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/v1/reports/{id}/record/transitions`.
pub async fn record_transition(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<RecordMove>,
) -> Result<Response, AppError> {
    let ApiJson(m) = body?;
    let report = state
        .app
        .move_record(&auth.actor, &report, &m.to, m.reason)
        .await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// `GET /api/v1/reports/{id}/record/versions`: every saved version, oldest first.
pub async fn record_versions(
    State(state): State<AppState>,
    TeamReport { report, .. }: TeamReport,
) -> Result<Response, AppError> {
    let versions = state.app.record_versions(&report).await?;
    Ok(Json(serde_json::json!({ "versions": versions })).into_response())
}

#[derive(Debug, Deserialize)]
pub struct RouteBody {
    project: String,
}

/// `POST /api/v1/reports/{id}/route` (organisation team).
pub async fn route(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<RouteBody>,
) -> Result<Response, AppError> {
    let ApiJson(r) = body?;
    let report = state.app.route(&auth.actor, &report, &r.project).await?;
    Ok(full_view(&state, &report).await?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct MergeBody {
    into: String,
}

/// `POST /api/v1/reports/{id}/merge` (organisation team): merges this report into
/// `into`; answers the merged report's view (state `merged`, `merged_into`).
pub async fn merge(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<MergeBody>,
) -> Result<Response, AppError> {
    let ApiJson(m) = body?;
    let (merged, _) = state.app.merge(&auth.actor, &report, &m.into).await?;
    Ok(full_view(&state, &merged).await?.into_response())
}

/// `POST /api/v1/reports/{id}/split`: a second report for a second vulnerability;
/// answers 201 with the new report's id.
pub async fn split(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
) -> Result<Response, AppError> {
    let (original, created) = state.app.split(&auth.actor, &report).await?;
    let answer = serde_json::json!({
        "id": created.id,
        "split_from": original.id,
        "state": created.state,
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
