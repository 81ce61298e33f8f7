//! Machine-readable discovery: `security.txt` (RFC 9116) for the organisation and per
//! project, and the CSAF 2.0 provider (section 7.1): `provider-metadata.json`, the
//! TLP:WHITE distribution directory with one folder per year, `index.txt`,
//! `changes.csv` and directory listings. All of it is built from the advisories table,
//! so nothing embargoed can appear here.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use embargo_domain::ids::Email;
use embargo_formats::csaf;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::error::AppError;
use crate::routes::public::advisories::cacheable;
use crate::state::AppState;
use crate::xml::xml_escape;
use embargo_app::publication;

/// How long a security.txt stays valid: RFC 9116 section 2.5.5 asks for less than a
/// year, so that a forgotten file expires rather than misleads.
const SECURITY_TXT_DAYS: i64 = 180;

fn text(body: String) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn security_txt(contact: &Email, policy: &str, canonical: &str, now: Timestamp) -> String {
    let expires = now + SignedDuration::from_hours(24 * SECURITY_TXT_DAYS);
    // CRLF line endings are allowed too; LF is what RFC 9116's own examples show.
    format!(
        "# Report vulnerabilities privately; please do not open public issues.\n\
         Contact: mailto:{contact}\n\
         Expires: {}\n\
         Policy: {policy}\n\
         Canonical: {canonical}\n\
         Preferred-Languages: en\n",
        expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// `/.well-known/security.txt`: the organisation's.
pub async fn organisation_security_txt(State(state): State<AppState>) -> Response {
    let cfg = state.app.settings();
    let base = cfg.base_url.trim_end_matches('/');
    text(security_txt(
        &cfg.organisation.security_email,
        &format!("{base}/"),
        &format!("{base}/.well-known/security.txt"),
        Timestamp::now(),
    ))
}

/// `/projects/{slug}/security.txt`: a project's, pointing at its security page.
pub async fn project_security_txt(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let project = super::project_by_slug(&state, &slug).await?;
    let cfg = state.app.settings();
    let base = cfg.base_url.trim_end_matches('/');
    let mut body = security_txt(
        project
            .security_email
            .as_ref()
            .unwrap_or(&cfg.organisation.security_email),
        &format!("{base}/projects/{slug}"),
        &format!("{base}/projects/{slug}/security.txt"),
        Timestamp::now(),
    );
    // RFC 9116 has no field for VEX documents: comments, which parsers ignore.
    body.push_str("# Dependency statements (VEX), the public ones:\n");
    for (file, _) in super::vex::DOCUMENTS {
        body.push_str(&format!("# {base}/projects/{slug}/vex/{file}\n"));
    }
    Ok(text(body))
}

/// Every published advisory as (path under the directory, CSAF document, date of its
/// current release), newest first.
async fn documents(state: &AppState) -> Result<Vec<(String, Value, Timestamp)>, AppError> {
    let cfg = state.app.settings();
    let mut out = Vec::new();
    for a in state.app.advisories(None).await? {
        let built = publication::build(
            &a.advisory.cve,
            &a.advisory.record,
            &cfg.cna,
            a.advisory.published_at,
        )?;
        let (path, doc) = publication::csaf_of(&built.record, cfg)?;
        out.push((path, doc, a.advisory.published_at));
    }
    Ok(out)
}

/// `/.well-known/csaf/provider-metadata.json`.
pub async fn provider_metadata(State(state): State<AppState>) -> Result<Response, AppError> {
    let cfg = state.app.settings();
    let base = cfg.base_url.trim_end_matches('/');
    let latest = state
        .app
        .advisories(None)
        .await?
        .first()
        .map(|a| a.advisory.published_at);
    // Dated by the newest advisory, so that the document is stable between releases.
    let last_updated = latest.unwrap_or(Timestamp::UNIX_EPOCH).to_string();
    let meta = csaf::ProviderMetadata {
        canonical_url: format!("{base}/.well-known/csaf/provider-metadata.json"),
        directory_url: format!("{base}/.well-known/csaf/white/"),
        last_updated,
        role: "csaf_provider".into(),
        openpgp_keys: vec![],
    };
    Ok(cacheable(
        Json(csaf::provider_metadata(&meta, &cfg.csaf_publisher())).into_response(),
    ))
}

/// `/.well-known/csaf/white/{file}`: `index.txt` and `changes.csv` (sections 7.1.12
/// and 7.1.13).
pub async fn directory_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let docs = documents(&state).await?;
    let body = match file.as_str() {
        "index.txt" => docs
            .iter()
            .map(|(p, _, _)| format!("{p}\n"))
            .collect::<String>(),
        "changes.csv" => docs
            .iter()
            .map(|(p, _, t)| format!("\"{p}\",\"{}\"\n", t.strftime("%Y-%m-%dT%H:%M:%SZ")))
            .collect(),
        _ => return Err(AppError::NotFound),
    };
    let ct = if file == "changes.csv" {
        "text/csv; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut res = body.into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(cacheable(res))
}

/// `/.well-known/csaf/white/{year}/{file}`: one CSAF document.
pub async fn document(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let want = format!("{year}/{file}");
    let doc = documents(&state)
        .await?
        .into_iter()
        .find(|(p, _, _)| *p == want)
        .ok_or(AppError::NotFound)?;
    Ok(cacheable(Json(doc.1).into_response()))
}

fn listing(title: &str, entries: &[String]) -> Response {
    let items: String = entries
        .iter()
        .map(|e| format!("<li><a href=\"{0}\">{0}</a></li>\n", xml_escape(e)))
        .collect();
    cacheable(
        Html(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
             <body><h1>{t}</h1><ul>\n{items}</ul></body></html>\n",
            t = xml_escape(title)
        ))
        .into_response(),
    )
}

/// `/.well-known/csaf/white/`: the directory listing (section 7.1.14).
pub async fn directory(State(state): State<AppState>) -> Result<Response, AppError> {
    let docs = documents(&state).await?;
    let mut entries: Vec<String> = docs
        .iter()
        .filter_map(|(p, _, _)| p.split_once('/').map(|(y, _)| format!("{y}/")))
        .collect();
    entries.sort();
    entries.dedup();
    entries.extend(["changes.csv".to_string(), "index.txt".to_string()]);
    Ok(listing("Index of /.well-known/csaf/white/", &entries))
}

/// `/.well-known/csaf/white/{year}/`: the year's listing.
pub async fn year_directory(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    let docs = documents(&state).await?;
    let mut entries: Vec<String> = docs
        .iter()
        .filter_map(|(p, _, _)| p.strip_prefix(&format!("{year}/")).map(String::from))
        .collect();
    if entries.is_empty() {
        return Err(AppError::NotFound);
    }
    entries.sort();
    Ok(listing(
        &format!("Index of /.well-known/csaf/white/{year}/"),
        &entries,
    ))
}
