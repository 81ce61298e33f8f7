//! Atom feeds (RFC 4287) of published advisories: the organisation's at
//! `/advisories.atom`, each project's at `/projects/{slug}/advisories.atom`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use embargo_app::model::PublishedAdvisory;
use jiff::Timestamp;

use crate::error::AppError;
use crate::routes::public::advisories::cacheable;
use crate::state::AppState;

/// Longest entry summary, in characters: a feed reader shows a teaser, the page the rest.
const SUMMARY_CHARS: usize = 600;

fn atom_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The feed document (askama escapes it: the template is XML).
#[derive(Template)]
#[template(path = "public/feed.xml")]
struct Feed {
    self_url: String,
    page_url: String,
    title: String,
    updated: String,
    author: String,
    entries: Vec<Entry>,
}

struct Entry {
    url: String,
    title: String,
    time: String,
    project_slug: String,
    project_name: String,
    summary: String,
}

/// XML 1.0 forbids most control characters even escaped: drop them.
fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .collect()
}

/// The feed document; `self_path` is the feed's own path, `page_path` its HTML page.
fn feed(
    base: &str,
    title: &str,
    author: &str,
    self_path: &str,
    page_path: &str,
    advisories: &[PublishedAdvisory],
) -> Result<String, AppError> {
    // An empty feed is dated at the epoch: `updated` is required and must not move
    // each time the feed is fetched.
    let updated = advisories
        .iter()
        .map(|a| a.advisory.published_at)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let entries = advisories
        .iter()
        .map(|a| {
            let cve = a.advisory.cve.to_string();
            let summary: String = a
                .advisory
                .record
                .description
                .trim()
                .chars()
                .take(SUMMARY_CHARS)
                .collect();
            Entry {
                url: xml_chars(&format!("{base}/advisories/{cve}")),
                title: xml_chars(&format!("{cve}: {}", a.advisory.title)),
                time: atom_time(a.advisory.published_at),
                project_slug: xml_chars(a.project.slug.as_str()),
                project_name: xml_chars(&a.project.name),
                summary: xml_chars(&summary),
            }
        })
        .collect();
    let feed = Feed {
        self_url: xml_chars(&format!("{base}{self_path}")),
        page_url: xml_chars(&format!("{base}{page_path}")),
        title: xml_chars(title),
        updated: atom_time(updated),
        author: xml_chars(author),
        entries,
    };
    Ok(feed.render()?)
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
    )?))
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
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use embargo_domain::ids::{CveId, ProjectId, ProjectSlug, ReportId};
    use embargo_domain::lifecycle::Advisory;
    use embargo_domain::record::{Announcement, CnaRecord};
    use embargo_domain::report::ProjectRef;

    fn advisory(title: &str, description: &str) -> PublishedAdvisory {
        PublishedAdvisory {
            advisory: Advisory {
                cve: CveId::new(2026, 10001),
                report: ReportId::generate(),
                project: ProjectId(1),
                title: title.into(),
                announcement: Announcement {
                    subject: String::new(),
                    body: String::new(),
                },
                record: CnaRecord {
                    description: description.into(),
                    ..Default::default()
                },
                published_at: Timestamp::from_second(1_800_000_000).unwrap(),
            },
            project: ProjectRef {
                id: ProjectId(1),
                slug: ProjectSlug::parse("alpha").unwrap(),
                name: "Alpha <&> \"x\"".into(),
                trusted: false,
            },
        }
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let a = advisory("RCE in <script> & 'q'\u{1}", " desc\n with <b>\u{7}\t ");
        let xml = feed(
            "https://x.example",
            "T & U",
            "Org",
            "/advisories.atom",
            "/advisories",
            &[a],
        )
        .unwrap();
        for part in [
            "<id>https://x.example/advisories.atom</id>",
            "<title>T &#38; U</title>",
            "<updated>2027-01-15T08:00:00Z</updated>",
            "<title>CVE-2026-10001: RCE in &#60;script&#62; &#38; &#39;q&#39;</title>",
            "<category term=\"alpha\" label=\"Alpha &#60;&#38;&#62; &#34;x&#34;\"/>",
            "href=\"https://x.example/advisories/CVE-2026-10001.json\"/>",
            "<summary type=\"text\">desc\n with &#60;b&#62;</summary>",
        ] {
            assert!(xml.contains(part), "{part}\n{xml}");
        }
        assert!(xml.ends_with("  </entry>\n</feed>\n"), "{xml}");
        let empty = feed("https://x.example", "T", "Org", "/a", "/b", &[]).unwrap();
        assert!(
            empty.contains("<updated>1970-01-01T00:00:00Z</updated>") && !empty.contains("<entry>")
        );
    }
}
