//! `/`: the organisation, its projects and the way to report.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::error::AppError;
use crate::routes::{ProjectLink, html};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "public/home.html")]
struct Home {
    org: String,
    projects: Vec<ProjectLink>,
}

pub async fn page(State(state): State<AppState>) -> Result<Response, AppError> {
    let projects = state.app.projects().await?;
    html(&Home {
        org: state.app.settings().organisation.name.clone(),
        projects: projects.iter().map(ProjectLink::from).collect(),
    })
}
