//! `/advisories`: the organisation's published advisories, each as a page and as its
//! CVE JSON 5 record. Only announced vulnerabilities exist here.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use embargo_domain::ids::CveId;
use embargo_store::PublishedAdvisory;

use crate::error::AppError;
use crate::routes::html;
use crate::state::AppState;
use crate::views::when;

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

fn cacheable(mut res: Response) -> Response {
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
    let advisories = state.store.advisories(None).await?;
    Ok(cacheable(html(&Index {
        org: state.config.organisation.name.clone(),
        advisories: advisories.iter().map(AdvisoryLink::from).collect(),
    })?))
}

#[derive(Template)]
#[template(path = "public/advisory.html")]
struct AdvisoryPage {
    link: AdvisoryLink,
    subject: String,
    body: String,
}

/// `/advisories/{cve}` (the announcement) and `/advisories/{cve}.json` (CVE JSON 5).
pub async fn show(
    State(state): State<AppState>,
    Path(cve): Path<String>,
) -> Result<Response, AppError> {
    let (id, json) = match cve.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (cve.as_str(), false),
    };
    let id = CveId::parse(id).map_err(|_| AppError::NotFound)?;
    let advisory = state.store.advisory(&id).await?.ok_or(AppError::NotFound)?;
    if json {
        let record = embargo_formats::cve5::published_record(&advisory.advisory, &state.config.cna);
        return Ok(cacheable(Json(record).into_response()));
    }
    Ok(cacheable(html(&AdvisoryPage {
        link: AdvisoryLink::from(&advisory),
        subject: advisory.advisory.announcement.subject.clone(),
        body: advisory.advisory.announcement.body.clone(),
    })?))
}
