//! `/api/v1/reports`: intake (public) and the team's endpoints for one report.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_app::TransitionRequest;
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::Command;
use embargo_domain::record::CnaRecord;
use embargo_domain::report::{Channel, Report};
use jiff::Timestamp;
use serde::Deserialize;

use utoipa::ToSchema;

use super::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ReportPath, TooManyRequests,
    Unauthenticated, UnsupportedMediaType, UpstreamRefused,
};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth, TeamReport};
use crate::state::AppState;
use crate::views::{
    OwnerJson, ReceiptJson, RecordVersionJson, RecordVersionsJson, ReportListJson, SplitJson,
    SummaryJson, TeamViewJson,
};
use embargo_app::ListQuery;

/// A body extracted after the caller is known, so that an unauthorised caller learns
/// nothing from whether their body would have parsed.
type Body<T> = Result<ApiJson<T>, AppError>;

pub(super) async fn full_view(
    state: &AppState,
    report: &Report,
) -> Result<Json<TeamViewJson>, AppError> {
    let messages = state.app.messages(report).await?;
    let audit = state.app.audit_log(report).await?;
    let mut view = TeamViewJson::new(report, &messages, audit, Timestamp::now());
    view.announcement = state.app.announcement(report).await?.map(Into::into);
    if let Some(owner) = report.owner {
        view.owner = state.app.member(owner).await?.map(|m| OwnerJson {
            email: m.email.to_string(),
            name: m.name,
        });
    }
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

/// Report a vulnerability (public, no account).
#[utoipa::path(
    post,
    path = "/reports",
    operation_id = "submitReport",
    request_body = Submission,
    responses(
        (status = 201, description = "Received: the report is stored.", body = ReceiptJson),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    body: Body<Submission>,
) -> Result<Response, AppError> {
    let ApiJson(sub) = body?;
    let (report, token) = state.app.submit(&sub, Channel::Api).await?;
    let answer = ReceiptJson {
        id: report.id.to_string(),
        status_url: state.app.settings().status_url(token.expose()),
        state: report.state,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The reports the caller handles, filtered and ordered as asked (soonest deadline
/// first by default), a page at a time.
#[utoipa::path(
    get,
    path = "/reports",
    operation_id = "listReports",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The list.", body = ReportListJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = state.app.list(auth.member()?, &q).await?;
    let now = Timestamp::now();
    let reports: Vec<SummaryJson> = page.rows.iter().map(|r| SummaryJson::new(r, now)).collect();
    let next_cursor = page.next_cursor;
    Ok(Json(ReportListJson {
        reports,
        next_cursor,
    })
    .into_response())
}

/// The team's full view of one report.
#[utoipa::path(
    get,
    path = "/reports/{id}",
    operation_id = "getReport",
    params(ReportPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report.", body = TeamViewJson),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    TeamReport { report, .. }: TeamReport,
) -> Result<Response, AppError> {
    Ok(full_view(&state, &report).await?.into_response())
}

/// Move the report along its lifecycle.
///
/// Fields each target needs: `rejected` a `reason` (sent to the reporter); `accepted` a
/// `disclosure_date` (not in the past); `cve_requested` a one-line `summary`;
/// `cve_assigned` an optional `cve` (default: the pool's next free id); `fixed` a
/// `fix_ref` and `release_ref`. Two steps ask for a confirmation and are refused (400)
/// without it: `accepted` with a date past the policy's target needs `confirm_late`,
/// `announced` before the agreed disclosure date needs `confirm_early`; both are audited.
/// `reporter_review` (the draft to the reporter) is refused (409, naming the field)
/// while the record has an error: the domain's, the CVE JSON 5 lint's, or the CVE
/// Program schema's when the installation checks it.
#[utoipa::path(
    post,
    path = "/reports/{id}/transitions",
    operation_id = "transitionReport",
    params(ReportPath),
    request_body = TransitionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report after the step.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn transition(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<TransitionRequest>,
) -> Result<Response, AppError> {
    let ApiJson(req) = body?;
    let report = state.app.transition(&auth.actor, &report, &req).await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// A reply to the reporter or an internal note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    /// `reply` (to the reporter, by mail too) or `note` (internal, never shown to the
    /// reporter).
    kind: String,
    body: String,
}

/// Reply to the reporter (`reply`) or write an internal note (`note`).
#[utoipa::path(
    post,
    path = "/reports/{id}/messages",
    operation_id = "addMessage",
    params(ReportPath),
    request_body = NewMessage,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; the report with its thread.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
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

/// Write the CVE record (accepted, unannounced reports); it becomes DRAFT.
///
/// Every field may be left out; `record_findings` in the answer say what is missing or
/// wrong. The affected products are listed in `products`; a body of one product in the
/// earlier shape (`product`, `affected`... at the top level) reads as that product, and
/// a body with both is refused (400).
#[utoipa::path(
    put,
    path = "/reports/{id}/record",
    operation_id = "putRecord",
    params(ReportPath),
    request_body = CnaRecord,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report with its record.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<CnaRecord>,
) -> Result<Response, AppError> {
    // The first API's thin record (bare reference URLs, ranges without inclusive
    // bounds, fewer fields) and the single-product body read as a CnaRecord too.
    let ApiJson(record) = body?;
    let report = state
        .app
        .act(&auth.actor, &report, Command::SaveRecord { record })
        .await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// A move of the CVE record: `{"to": "review" | "ready" | "published" | "rejected" | "draft", "reason"?}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecordMove {
    #[schema(value_type = embargo_domain::record::RecordState)]
    to: String,
    /// Required to reject; kept as an internal note.
    #[serde(default)]
    reason: Option<String>,
}

/// Move the CVE record.
///
/// Submit it for review (handling team), mark it READY, send it back to DRAFT, publish
/// it after the announcement, or reject the id (organisation team). Publishing and
/// rejecting go to CVE Services first when it is configured.
#[utoipa::path(
    post,
    path = "/reports/{id}/record/transitions",
    operation_id = "moveRecord",
    params(ReportPath),
    request_body = RecordMove,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report after the move.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 502, response = UpstreamRefused),
    )
)]
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

/// Every saved version of the record (content and state), oldest first.
#[utoipa::path(
    get,
    path = "/reports/{id}/record/versions",
    operation_id = "recordVersions",
    params(ReportPath),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The versions.", body = RecordVersionsJson),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
pub async fn record_versions(
    State(state): State<AppState>,
    TeamReport { report, .. }: TeamReport,
) -> Result<Response, AppError> {
    let versions = state.app.record_versions(&report).await?;
    let versions = versions.into_iter().map(RecordVersionJson::from).collect();
    Ok(Json(RecordVersionsJson { versions }).into_response())
}

/// Where to route a report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RouteBody {
    /// Project slug.
    project: String,
}

/// Route a report to a project (organisation team).
#[utoipa::path(
    post,
    path = "/reports/{id}/route",
    operation_id = "routeReport",
    params(ReportPath),
    request_body = RouteBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Routed.", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn route(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<RouteBody>,
) -> Result<Response, AppError> {
    let ApiJson(r) = body?;
    let report = state.app.route(&auth.actor, &report, &r.project).await?;
    Ok(full_view(&state, &report).await?.into_response())
}

/// Which report to merge into.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    /// Id of the report to merge into, e.g. `EMB-7F3KQ2M9ZC4D`.
    into: String,
    /// Required (`true`) when the two reports belong to different projects: the
    /// organisation team confirms they are the same vulnerability; both teams are told.
    #[serde(default)]
    confirm_cross_project: bool,
}

/// Merge this report into another report of the same vulnerability (organisation team).
///
/// This report becomes `merged` (terminal) with `merged_into`; its reporter is told, by
/// message and mail, only that it is handled together with another report and will be
/// credited, never the other report's id or title. The other report gets an internal
/// note naming this one and keeps this reporter: they get the draft announcement and
/// the announcement at their own address, under this report's id, and their credit is
/// put on the other report's record (now, or when it is written). Both reports are
/// changed in one transaction. Reports of two different projects need
/// `confirm_cross_project` (else 400 naming that field, nothing changed), and both
/// teams are told by mail. Refused (409) when either is closed, when they are the
/// same, or when this report has a CVE of its own that the other does not share.
#[utoipa::path(
    post,
    path = "/reports/{id}/merge",
    operation_id = "mergeReport",
    params(ReportPath),
    request_body = MergeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Merged: the merged report (state `merged`, `merged_into` set).", body = TeamViewJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    body: Body<MergeBody>,
) -> Result<Response, AppError> {
    let ApiJson(m) = body?;
    let (merged, _) = state
        .app
        .merge(&auth.actor, &report, &m.into, m.confirm_cross_project)
        .await?;
    Ok(full_view(&state, &merged).await?.into_response())
}

/// Split a second vulnerability off an accepted report.
///
/// The handling team or the organisation team creates a new report with this report's
/// text, reporter, project and disclosure date, in state `accepted` with `split_from`
/// set, so that it gets its own CVE and record. No status link is issued for it: the
/// reporter keeps following this report's link, where the split is told. Both reports
/// are written in one transaction.
#[utoipa::path(
    post,
    path = "/reports/{id}/split",
    operation_id = "splitReport",
    params(ReportPath),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Split: the new report's id.", body = SplitJson),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn split(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
) -> Result<Response, AppError> {
    let (original, created) = state.app.split(&auth.actor, &report).await?;
    let answer = SplitJson {
        id: created.id.to_string(),
        split_from: original.id.to_string(),
        state: created.state,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
