//! `/api/v1/projects/{slug}/statements` and `/api/v1/projects/{slug}/scans`: a project's
//! dependency statements (VEX) as JSON: list, add, read with history, edit, withdraw,
//! import a VEX document, export in a VEX format; and a scanner report triaged against
//! them. Who sees and may change what is the application's rule (`statements::Caller`):
//! the project's team and the organisation team read and write all, anyone else reads
//! the public statements and nothing else.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use embargo_app::model::{StatementChange, StatementRecord, StatementVersion};
use embargo_app::statements::{Caller, ImportSummary, StatementView};
use embargo_domain::vex::Statement;
use embargo_domain::vex::matching::TriagedFinding;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{
    BadRequest, Conflict, NotFound, Unauthenticated, UnsupportedMediaType, UploadTooLarge,
};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth, RawUpload};
use crate::state::AppState;

/// A stored statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = StoredStatement)]
pub struct StatementJson {
    pub id: i64,
    /// 1 for a new statement, bumped by every change; `PUT` names the version it edits.
    pub version: i64,
    pub statement: Statement,
    /// Who wrote this version (the team's view only).
    pub author: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Withdrawn statements are kept with their history (the team's view only).
    pub withdrawn_at: Option<Timestamp>,
    /// Every version, oldest first: `GET /statements/{id}` by the team only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<StatementVersionJson>>,
}

/// One version of a statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = StatementVersion)]
pub struct StatementVersionJson {
    pub version: i64,
    /// `added`, `edited`, `imported` or `withdrawn`.
    #[schema(value_type = String)]
    pub change: StatementChange,
    pub statement: Statement,
    pub author: String,
    pub at: Timestamp,
}

impl From<StatementVersion> for StatementVersionJson {
    fn from(v: StatementVersion) -> Self {
        Self {
            version: v.version,
            change: v.change,
            statement: v.statement,
            author: v.author,
            at: v.at,
        }
    }
}

impl StatementJson {
    fn new(r: StatementRecord, team: bool) -> Self {
        Self {
            id: r.stored.id,
            version: r.stored.version,
            statement: r.stored.statement,
            author: team.then_some(r.stored.author),
            created_at: r.created_at,
            updated_at: r.stored.updated_at,
            withdrawn_at: r.withdrawn_at,
            history: None,
        }
    }

    fn with_history(view: StatementView) -> Self {
        let history = view
            .team
            .then(|| view.history.into_iter().map(Into::into).collect());
        Self {
            history,
            ..Self::new(view.record, view.team)
        }
    }
}

/// A project's statements in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = StatementList)]
pub struct StatementListJson {
    pub project: String,
    /// `all` for the project's team and the organisation team, else `public`.
    pub scope: &'static str,
    pub statements: Vec<StatementJson>,
}

/// An edit: the version it was made on, and the statement as it is to be.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = StatementUpdate)]
pub struct StatementUpdateJson {
    pub version: i64,
    pub statement: Statement,
}

/// The path of `/projects/{slug}/...`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "describes the path; the handlers take it as Strings"
)]
pub struct ProjectPath {
    /// The project's slug, e.g. `kafka`.
    slug: String,
}

/// The path of `/projects/{slug}/statements/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "describes the path; the handlers take it as Strings"
)]
pub struct StatementPath {
    /// The project's slug.
    slug: String,
    /// The statement's number.
    id: i64,
}

/// `DELETE`'s query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WithdrawParams {
    /// Withdraw only if the statement is still at this version.
    #[param(value_type = Option<i64>)]
    version: Option<String>,
}

/// The import's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: publish every imported statement (else each is as the document says;
    /// Dependency-Check suppressions are not public).
    #[param(value_type = Option<bool>)]
    public: Option<String>,
    /// The document's file name, for messages and the audit log.
    source: Option<String>,
}

/// The export's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `openvex`, `cyclonedx` (1.6), `cyclonedx-1.7`, `csaf` or `dependency-check`.
    format: Option<String>,
}

/// The answer of `POST /projects/{slug}/scans`: each finding with its answer, in the
/// report's order, and the counts (the shape of `embargo vex triage`). Describes the
/// domain's `Triage`, whose name the report's triage has in this document.
#[derive(ToSchema)]
#[schema(as = ScanTriage)]
#[expect(
    dead_code,
    reason = "describes the answer; the handler returns the domain's type"
)]
pub struct ScanTriageDoc {
    findings: Vec<TriagedFinding>,
    summary: ScanSummaryDoc,
}

/// How many findings have each status.
#[derive(ToSchema)]
#[schema(as = ScanSummary)]
#[expect(
    dead_code,
    reason = "describes the answer; the handler returns the domain's type"
)]
pub struct ScanSummaryDoc {
    not_affected: usize,
    affected: usize,
    fixed: usize,
    under_investigation: usize,
    needs_analysis: usize,
    total: usize,
}

fn caller(auth: &Auth) -> Caller<'_> {
    auth.actor.member().map_or(Caller::Anyone, Caller::Member)
}

fn number(what: &str, s: &str) -> Result<i64, AppError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid(what, format!("{s:?} is not a statement's number")))
}

fn flag(field: &str, value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AppError::invalid(
            field,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// A project's statements in force: all of them for its team and the organisation
/// team, the public ones for anyone else (no token needed).
#[utoipa::path(
    get,
    path = "/projects/{slug}/statements",
    operation_id = "listStatements",
    tag = "statements",
    params(ProjectPath),
    responses(
        (status = 200, description = "The statements, oldest first.", body = StatementListJson),
        (status = 404, response = NotFound),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let list = state.app.project_statements(&caller(&auth), &slug).await?;
    let team = list.team;
    Ok(Json(StatementListJson {
        project: list.project.slug.to_string(),
        scope: if team { "all" } else { "public" },
        statements: list
            .statements
            .into_iter()
            .map(|r| StatementJson::new(r, team))
            .collect(),
    })
    .into_response())
}

/// Add a statement (the project's team or the organisation team).
///
/// `not_affected` needs a justification or an impact statement, `affected` an action.
#[utoipa::path(
    post,
    path = "/projects/{slug}/statements",
    operation_id = "addStatement",
    tag = "statements",
    params(ProjectPath),
    request_body = Statement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added (version 1).", body = StatementJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    body: Result<ApiJson<Statement>, AppError>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let ApiJson(statement) = body?;
    let record = state
        .app
        .add_statement(&Caller::Member(member), &slug, statement)
        .await?;
    Ok((StatusCode::CREATED, Json(StatementJson::new(record, true))).into_response())
}

/// One statement: with its history and author for the team; a public statement in
/// force for anyone else (no token needed).
#[utoipa::path(
    get,
    path = "/projects/{slug}/statements/{id}",
    operation_id = "getStatement",
    tag = "statements",
    params(StatementPath),
    responses(
        (status = 200, description = "The statement.", body = StatementJson),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = number("id", &id)?;
    let view = state
        .app
        .project_statement(&caller(&auth), &slug, id)
        .await?;
    Ok(Json(StatementJson::with_history(view)).into_response())
}

/// Edit a statement (the team): refused (409) unless `version` is its current version;
/// the earlier version is kept.
#[utoipa::path(
    put,
    path = "/projects/{slug}/statements/{id}",
    operation_id = "updateStatement",
    tag = "statements",
    params(StatementPath),
    request_body = StatementUpdateJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited.", body = StatementJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = super::openapi::PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
    body: Result<ApiJson<StatementUpdateJson>, AppError>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let id = number("id", &id)?;
    let ApiJson(edit) = body?;
    let record = state
        .app
        .update_statement(
            &Caller::Member(member),
            &slug,
            id,
            edit.version,
            edit.statement,
        )
        .await?;
    Ok(Json(StatementJson::new(record, true)).into_response())
}

/// Withdraw a statement (the team): it leaves the lists, the exports and the triage;
/// its history is kept.
#[utoipa::path(
    delete,
    path = "/projects/{slug}/statements/{id}",
    operation_id = "withdrawStatement",
    tag = "statements",
    params(StatementPath, WithdrawParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn.", body = StatementJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
    Query(p): Query<WithdrawParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let id = number("id", &id)?;
    let version =
        match p.version.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => Some(v.parse::<i64>().map_err(|_| {
                AppError::invalid("version", format!("{v:?} is not a version number"))
            })?),
        };
    let record = state
        .app
        .withdraw_statement(&Caller::Member(member), &slug, id, version)
        .await?;
    Ok(Json(StatementJson::new(record, true)).into_response())
}

/// Import a VEX document (the team): OpenVEX, CycloneDX VEX, CSAF VEX or an OWASP
/// Dependency-Check suppression file, detected; the body is the document itself (up to
/// 20 MiB).
///
/// All or nothing: a malformed document or statement is refused (400, naming the
/// position) and nothing is stored. Each statement replaces the one in force on the
/// same vulnerability, component and product versions (the earlier version kept), or
/// is added; statements the document does not name stay.
#[utoipa::path(
    post,
    path = "/projects/{slug}/statements/import",
    operation_id = "importStatements",
    tag = "statements",
    params(ProjectPath, ImportParams),
    request_body(content = String, description = "The VEX document.", content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported.", body = ImportSummary),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = UploadTooLarge),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<ImportParams>,
    body: Result<RawUpload, Response>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let public = flag("public", p.public.as_deref())?;
    let RawUpload(bytes) = match body {
        Ok(b) => b,
        Err(res) => return Ok(res),
    };
    let source = p.source.as_deref().unwrap_or("the request body");
    let summary = state
        .app
        .import_statements(&Caller::Member(member), &slug, source, &bytes, public)
        .await?;
    Ok(Json(summary).into_response())
}

/// The project's statements in a VEX format: all of them for the team, the public
/// ones for anyone else (the public URLs are `/projects/{slug}/vex/…`).
///
/// OpenVEX and CSAF cannot be empty: without statements there is no such document
/// (404 for anyone, 409 saying so for the team).
#[utoipa::path(
    get,
    path = "/projects/{slug}/statements/export",
    operation_id = "exportStatements",
    tag = "statements",
    params(ProjectPath, ExportParams),
    responses(
        (status = 200, description = "The document (JSON, or XML for `dependency-check`).",
            content(
                (String = "application/json"),
                (String = "application/xml"),
            )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response, AppError> {
    let format = p.format.as_deref().unwrap_or_default();
    let doc = state
        .app
        .export_statements(&caller(&auth), &slug, format)
        .await?;
    let mut res = doc.bytes.into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(doc.content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.file_name)) {
        res.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Triage a scanner report against the project's statements (a member: the team's
/// against all of them, anyone else's against the public ones).
///
/// The body is the report (Dependency-Check XML or JSON, Trivy, Grype, SARIF,
/// CycloneDX with vulnerabilities, OSV-Scanner; detected; up to 20 MiB). Each finding
/// comes back with the statement that answers it, or `needs_analysis`. With
/// `Accept: text/plain` the answer is the plain-text mail body for the reporter.
#[utoipa::path(
    post,
    path = "/projects/{slug}/scans",
    operation_id = "triageScan",
    tag = "statements",
    params(ProjectPath),
    request_body(content = String, description = "The scanner report.", content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Each finding with its answer, and the counts; or, \
            for `Accept: text/plain`, the mail body.",
            content(
                (ScanTriageDoc = "application/json"),
                (String = "text/plain"),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 413, response = UploadTooLarge),
    )
)]
pub async fn scan(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<RawUpload, Response>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let RawUpload(bytes) = match body {
        Ok(b) => b,
        Err(res) => return Ok(res),
    };
    let result = state
        .app
        .triage_scan(&Caller::Member(member), &slug, "report", &bytes)
        .await?;
    let plain = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("text/plain"));
    if plain {
        return Ok((
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            result.plain_text,
        )
            .into_response());
    }
    Ok(Json(result.triage).into_response())
}
