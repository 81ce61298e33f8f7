//! `/projects/{slug}/statements`: a project's dependency statements (VEX) for its team
//! and the organisation team: the list (status, justification, expiry: expired and
//! soon-expiring statements are marked), the add and edit forms, withdrawing, importing
//! a VEX document, export links, and a scanner report triaged (the result page shows the
//! plain-text answer for the reporter). `/statements` lists the projects a member
//! handles. Anyone else gets 404, as for a project that does not exist.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::model::{StatementRecord, StatementVersion};
use embargo_app::statements::{Caller, StatementForm, expired, expiring};
use embargo_domain::access::Member;
use embargo_domain::vex::matching::TriagedFinding;
use embargo_domain::vex::{Justification, Statement, VexStatus};
use jiff::civil::Date;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, CsrfUpload};
use crate::routes::{ProjectLink, html};
use crate::state::AppState;
use crate::views::when;

/// Statements expiring within this many days are marked on the page: the reminder
/// pass's window, so that what the page marks is what the team is reminded of.
const EXPIRING_DAYS: i64 = embargo_domain::vex::expiry::REMIND_DAYS;

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// A statement as the list shows it.
struct Row {
    id: i64,
    version: i64,
    vulnerability: String,
    aliases: String,
    component: String,
    purl: String,
    product_versions: String,
    status: &'static str,
    /// The justification, the action or the fixed-in version, as the status needs.
    detail: String,
    impact: String,
    public: bool,
    until: String,
    /// `expired`, `expiring` or empty.
    expiry: &'static str,
    updated: String,
    author: String,
}

impl Row {
    fn new(r: &StatementRecord, today: Date) -> Self {
        let s = &r.stored.statement;
        Self {
            id: r.stored.id,
            version: r.stored.version,
            vulnerability: s.vulnerability.clone(),
            aliases: s.aliases.join(", "),
            component: s.component.name.clone(),
            purl: s.component.purl.clone().unwrap_or_default(),
            product_versions: s.product_versions.clone().unwrap_or_default(),
            status: s.status.as_str(),
            detail: detail(s),
            impact: s.impact.clone().unwrap_or_default(),
            public: s.public,
            until: s.until.map(|d| d.to_string()).unwrap_or_default(),
            expiry: if expired(s, today) {
                "expired"
            } else if expiring(s, today, EXPIRING_DAYS) {
                "expiring"
            } else {
                ""
            },
            updated: when(r.stored.updated_at),
            author: r.stored.author.clone(),
        }
    }
}

fn detail(s: &Statement) -> String {
    match s.status {
        VexStatus::NotAffected => s
            .justification
            .map(|j| j.as_str().replace('_', " "))
            .unwrap_or_default(),
        VexStatus::Affected => s.action.clone().unwrap_or_default(),
        VexStatus::Fixed => s
            .fixed_in
            .as_ref()
            .map(|v| format!("fixed in {v}"))
            .unwrap_or_default(),
        VexStatus::UnderInvestigation => String::new(),
    }
}

/// What the forms offer.
struct Choices {
    statuses: Vec<&'static str>,
    justifications: Vec<&'static str>,
}

fn choices() -> Choices {
    Choices {
        statuses: VexStatus::ALL.iter().map(|s| s.as_str()).collect(),
        justifications: Justification::ALL.iter().map(|j| j.as_str()).collect(),
    }
}

#[derive(Template)]
#[template(path = "team/statements.html")]
struct ListPage {
    csrf: String,
    org_team: bool,
    slug: String,
    name: String,
    rows: Vec<Row>,
    expired: usize,
    expiring: usize,
    expiring_days: i64,
    form: StatementForm,
    choices: Choices,
}

/// The caller as a member on the team of `slug`'s project, or 404.
async fn team_member<'a>(
    state: &AppState,
    auth: &'a Auth,
    slug: &str,
) -> Result<&'a Member, AppError> {
    let member = auth.member()?;
    let project = state.app.project(slug).await?;
    if Caller::Member(member).handles(&project) {
        Ok(member)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let member = team_member(&state, &auth, &slug).await?;
    let list = state
        .app
        .project_statements(&Caller::Member(member), &slug)
        .await?;
    let today = today();
    let rows: Vec<Row> = list.statements.iter().map(|r| Row::new(r, today)).collect();
    html(&ListPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        slug: list.project.slug.to_string(),
        name: list.project.name.clone(),
        expired: rows.iter().filter(|r| r.expiry == "expired").count(),
        expiring: rows.iter().filter(|r| r.expiry == "expiring").count(),
        expiring_days: EXPIRING_DAYS,
        rows,
        form: StatementForm::default(),
        choices: choices(),
    })
}

pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<StatementForm>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let statement = form.statement()?;
    let record = state
        .app
        .add_statement(&Caller::Member(member), &slug, statement)
        .await?;
    Ok(Redirect::to(&format!(
        "/projects/{slug}/statements#statement-{}",
        record.stored.id
    ))
    .into_response())
}

/// One version of the history as the edit page shows it.
struct VersionRow {
    version: i64,
    change: &'static str,
    at: String,
    author: String,
    status: &'static str,
    detail: String,
    public: bool,
    until: String,
}

impl From<&StatementVersion> for VersionRow {
    fn from(v: &StatementVersion) -> Self {
        Self {
            version: v.version,
            change: v.change.as_str(),
            at: when(v.at),
            author: v.author.clone(),
            status: v.statement.status.as_str(),
            detail: detail(&v.statement),
            public: v.statement.public,
            until: v.statement.until.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "team/statement.html")]
struct EditPage {
    csrf: String,
    org_team: bool,
    slug: String,
    name: String,
    id: i64,
    version: i64,
    withdrawn: String,
    form: StatementForm,
    choices: Choices,
    history: Vec<VersionRow>,
}

fn number(id: &str) -> Result<i64, AppError> {
    id.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("id", format!("{id:?} is not a statement's number")))
}

pub async fn edit_page(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let member = team_member(&state, &auth, &slug).await?;
    let id = number(&id)?;
    let view = state
        .app
        .project_statement(&Caller::Member(member), &slug, id)
        .await?;
    let project = state.app.project(&slug).await?;
    html(&EditPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        slug: project.slug.to_string(),
        name: project.name.clone(),
        id,
        version: view.record.stored.version,
        withdrawn: view.record.withdrawn_at.map(when).unwrap_or_default(),
        form: StatementForm::of(&view.record.stored.statement),
        choices: choices(),
        history: view.history.iter().rev().map(VersionRow::from).collect(),
    })
}

/// The edit form: the statement's fields and the version it was made on.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    form: StatementForm,
}

fn version_of(v: &str) -> Result<i64, AppError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("version", format!("{v:?} is not a version number")))
}

pub async fn edit(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(edit): CsrfForm<EditForm>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let id = number(&id)?;
    let version = version_of(&edit.version)?;
    let statement = edit.form.statement()?;
    state
        .app
        .update_statement(&Caller::Member(member), &slug, id, version, statement)
        .await?;
    Ok(Redirect::to(&format!("/projects/{slug}/statements/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    version: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<WithdrawForm>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let id = number(&id)?;
    let version = match form.version.trim() {
        "" => None,
        v => Some(version_of(v)?),
    };
    state
        .app
        .withdraw_statement(&Caller::Member(member), &slug, id, version)
        .await?;
    Ok(Redirect::to(&format!("/projects/{slug}/statements")).into_response())
}

#[derive(Template)]
#[template(path = "team/statements_imported.html")]
struct ImportedPage {
    csrf: String,
    org_team: bool,
    slug: String,
    file: String,
    format: String,
    added: usize,
    updated: usize,
    unchanged: usize,
    warnings: Vec<String>,
}

pub async fn import(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    upload: Result<CsrfUpload, Response>,
) -> Result<Response, AppError> {
    let upload = match upload {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let member = upload.auth.member()?;
    let public = upload.fields.get("public").is_some_and(|v| v == "on");
    let file = if upload.file_name.trim().is_empty() {
        "the uploaded file".to_string()
    } else {
        upload.file_name.clone()
    };
    let summary = state
        .app
        .import_statements(&Caller::Member(member), &slug, &file, &upload.file, public)
        .await?;
    html(&ImportedPage {
        csrf: upload.auth.csrf(),
        org_team: member.org_team,
        slug,
        file,
        format: summary.format,
        added: summary.added.len(),
        updated: summary.updated.len(),
        unchanged: summary.unchanged.len(),
        warnings: summary.warnings,
    })
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
}

/// The team's export: every statement in force, private ones included, as a download.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let member = team_member(&state, &auth, &slug).await?;
    let doc = state
        .app
        .export_statements(&Caller::Member(member), &slug, &q.format)
        .await?;
    let mut res = doc.bytes.into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(doc.content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.file_name)) {
        res.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "team/scan_result.html")]
struct ScanPage {
    csrf: String,
    org_team: bool,
    slug: String,
    name: String,
    file: String,
    format: &'static str,
    findings: Vec<TriagedFinding>,
    answered: usize,
    needs_analysis: usize,
    total: usize,
    plain_text: String,
}

pub async fn scan(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    upload: Result<CsrfUpload, Response>,
) -> Result<Response, AppError> {
    let upload = match upload {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let member = team_member(&state, &upload.auth, &slug).await?;
    let file = if upload.file_name.trim().is_empty() {
        "the uploaded report".to_string()
    } else {
        upload.file_name.clone()
    };
    let result = state
        .app
        .triage_scan(&Caller::Member(member), &slug, &file, &upload.file)
        .await?;
    let project = state.app.project(&slug).await?;
    let summary = result.triage.summary;
    html(&ScanPage {
        csrf: upload.auth.csrf(),
        org_team: member.org_team,
        slug: project.slug.to_string(),
        name: project.name.clone(),
        file,
        format: result.format,
        answered: summary.answered(),
        needs_analysis: summary.needs_analysis,
        total: summary.total,
        findings: result.triage.findings,
        plain_text: result.plain_text,
    })
}

#[derive(Template)]
#[template(path = "team/statements_index.html")]
struct IndexPage {
    csrf: String,
    org_team: bool,
    projects: Vec<ProjectLink>,
}

/// `/statements`: the projects whose statements the member keeps.
pub async fn index(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let member = auth.member()?;
    let projects = state
        .app
        .projects()
        .await?
        .iter()
        .filter(|p| Caller::Member(member).handles(p))
        .map(ProjectLink::from)
        .collect();
    html(&IndexPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        projects,
    })
}
