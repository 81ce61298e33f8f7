//! `/projects/{slug}`: a project's public security page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::error::AppError;
use crate::routes::html;
use crate::routes::public::advisories::AdvisoryLink;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "public/project.html")]
struct ProjectPage {
    slug: String,
    name: String,
    security_email: String,
    users_list: Option<String>,
    security_model_url: Option<String>,
    acknowledge_working_days: u32,
    discuss_hours: u32,
    announce_days: u32,
    time_zone: String,
    known_non_issues: Vec<String>,
    advisories: Vec<AdvisoryLink>,
}

pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let project = super::project_by_slug(&state, &slug).await?;
    let advisories = state.app.advisories(Some(&project)).await?;
    let cfg = state.app.settings();
    let policy = cfg.policy(Some(&project));
    html(&ProjectPage {
        slug: project.slug.to_string(),
        name: project.name.clone(),
        security_email: project
            .security_email
            .as_ref()
            .unwrap_or(&cfg.organisation.security_email)
            .to_string(),
        users_list: project.users_list.as_ref().map(ToString::to_string),
        // Only web links: the URL comes from a data file and ends up in an href.
        security_model_url: project
            .security_model_url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        acknowledge_working_days: policy.acknowledge_working_days,
        discuss_hours: policy.discuss_hours,
        announce_days: policy.announce_days,
        time_zone: policy.time_zone.clone(),
        known_non_issues: policy.known_non_issues.clone(),
        advisories: advisories.iter().map(AdvisoryLink::from).collect(),
    })
}
