//! `/advisories`: the organisation's published advisories, each as a page and as its
//! CVE JSON 5 record. Only announced vulnerabilities exist here.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use embargo_app::model::PublishedAdvisory;

use crate::error::AppError;
use crate::routes::html;
use crate::state::AppState;
use crate::views::when;
use embargo_app::publication;

/// Published advisories are public and change rarely: let caches keep them briefly.
const PUBLIC_CACHE: &str = "public, max-age=300";

/// An advisory in a list.
pub struct AdvisoryLink {
    pub cve: String,
    pub title: String,
    pub project_slug: String,
    pub project_name: String,
    pub published: String,
}

impl From<&PublishedAdvisory> for AdvisoryLink {
    fn from(a: &PublishedAdvisory) -> Self {
        Self {
            cve: a.advisory.cve.to_string(),
            title: a.advisory.title.clone(),
            project_slug: a.project.slug.to_string(),
            project_name: a.project.name.clone(),
            published: when(a.advisory.published_at),
        }
    }
}

/// Marks a public response as cacheable for a few minutes.
pub fn cacheable(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    res
}

#[derive(Template)]
#[template(path = "public/advisories.html")]
struct Index {
    org: String,
    advisories: Vec<AdvisoryLink>,
}

pub async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    let advisories = state.app.advisories(None).await?;
    Ok(cacheable(html(&Index {
        org: state.app.settings().organisation.name.clone(),
        advisories: advisories.iter().map(AdvisoryLink::from).collect(),
    })?))
}

#[derive(Template)]
#[template(path = "public/advisory.html")]
struct AdvisoryPage {
    link: AdvisoryLink,
    subject: String,
    body: String,
    scores: Vec<embargo_app::publication::Score>,
    /// The products' package URLs, in order.
    purls: Vec<String>,
    csaf_path: String,
}

/// `/advisories/{cve}` (the announcement), `/advisories/{cve}.json` (CVE JSON 5),
/// `/advisories/{cve}.osv.json` (OSV) and `/advisories/{cve}.csaf.json` (CSAF 2.0, also
/// at its place under `/.well-known/csaf/white/`).
pub async fn show(
    State(state): State<AppState>,
    Path(cve): Path<String>,
) -> Result<Response, AppError> {
    enum Format {
        Page,
        Cve,
        Osv,
        Csaf,
    }
    let (id, format) = if let Some(id) = cve.strip_suffix(".osv.json") {
        (id, Format::Osv)
    } else if let Some(id) = cve.strip_suffix(".csaf.json") {
        (id, Format::Csaf)
    } else if let Some(id) = cve.strip_suffix(".json") {
        (id, Format::Cve)
    } else {
        (cve.as_str(), Format::Page)
    };
    // The advisories table is the only source: before the announcement there is no row.
    let advisory = state.app.advisory(id).await?;
    let id = advisory.advisory.cve.clone();
    let cfg = state.app.settings();
    let built = publication::build(
        &id,
        &advisory.advisory.record,
        &cfg.cna,
        advisory.advisory.published_at,
    )?;
    let json = |v: serde_json::Value| Ok(cacheable(Json(v).into_response()));
    match format {
        Format::Cve => json(embargo_formats::cve5::export(&built.record)),
        Format::Osv => json(publication::osv_of(&built.record)),
        Format::Csaf => json(publication::csaf_of(&built.record, cfg)?.1),
        Format::Page => Ok(cacheable(html(&AdvisoryPage {
            link: AdvisoryLink::from(&advisory),
            subject: advisory.advisory.announcement.subject.clone(),
            body: advisory.advisory.announcement.body.clone(),
            scores: built.scores.clone(),
            purls: advisory.advisory.record.purls(),
            csaf_path: publication::csaf_of(&built.record, cfg)?.0,
        })?)),
    }
}
