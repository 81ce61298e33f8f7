//! Atom feeds (RFC 4287) of published advisories: the organisation's at
//! `/advisories.atom`, each project's at `/projects/{slug}/advisories.atom`.

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use embargo_app::model::PublishedAdvisory;
use jiff::Timestamp;

use crate::error::AppError;
use crate::routes::public::advisories::cacheable;
use crate::state::AppState;
use crate::xml::xml_escape;

/// Longest entry summary, in characters: a feed reader shows a teaser, the page the rest.
const SUMMARY_CHARS: usize = 600;

fn atom_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The feed document; `self_path` is the feed's own path, `page_path` its HTML page.
fn feed(
    base: &str,
    title: &str,
    author: &str,
    self_path: &str,
    page_path: &str,
    advisories: &[PublishedAdvisory],
) -> String {
    let e = xml_escape;
    // An empty feed is dated at the epoch: `updated` is required and must not move
    // each time the feed is fetched.
    let updated = advisories
        .iter()
        .map(|a| a.advisory.published_at)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!(
        "  <id>{}</id>\n",
        e(&format!("{base}{self_path}"))
    ));
    x.push_str(&format!("  <title>{}</title>\n", e(title)));
    x.push_str(&format!("  <updated>{}</updated>\n", atom_time(updated)));
    x.push_str(&format!("  <author><name>{}</name></author>\n", e(author)));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        e(&format!("{base}{self_path}"))
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        e(&format!("{base}{page_path}"))
    ));
    for a in advisories {
        let cve = a.advisory.cve.to_string();
        let url = format!("{base}/advisories/{cve}");
        let summary: String = a
            .record
            .description
            .trim()
            .chars()
            .take(SUMMARY_CHARS)
            .collect();
        let t = atom_time(a.advisory.published_at);
        x.push_str("  <entry>\n");
        x.push_str(&format!("    <id>{}</id>\n", e(&url)));
        x.push_str(&format!(
            "    <title>{}</title>\n",
            e(&format!("{cve}: {}", a.advisory.title))
        ));
        x.push_str(&format!(
            "    <updated>{t}</updated>\n    <published>{t}</published>\n"
        ));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            e(&url)
        ));
        x.push_str(&format!(
            "    <link rel=\"related\" type=\"application/json\" title=\"CVE JSON 5\" href=\"{}\"/>\n",
            e(&format!("{url}.json"))
        ));
        x.push_str(&format!(
            "    <category term=\"{}\" label=\"{}\"/>\n",
            e(a.project.slug.as_str()),
            e(&a.project.name)
        ));
        x.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            e(&summary)
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

fn atom(body: String) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    cacheable(res)
}

/// `/advisories.atom`.
pub async fn organisation(State(state): State<AppState>) -> Result<Response, AppError> {
    let cfg = state.app.settings();
    let advisories = state.app.advisories(None).await?;
    Ok(atom(feed(
        cfg.base_url.trim_end_matches('/'),
        &format!("{} security advisories", cfg.organisation.name),
        &cfg.organisation.name,
        "/advisories.atom",
        "/advisories",
        &advisories,
    )))
}

/// `/projects/{slug}/advisories.atom`.
pub async fn project(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let project = super::project_by_slug(&state, &slug).await?;
    let advisories = state.app.advisories(Some(&project)).await?;
    let cfg = state.app.settings();
    Ok(atom(feed(
        cfg.base_url.trim_end_matches('/'),
        &format!("{} security advisories", project.name),
        &cfg.organisation.name,
        &format!("/projects/{slug}/advisories.atom"),
        &format!("/projects/{slug}"),
        &advisories,
    )))
}
