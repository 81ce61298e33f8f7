//! Pages anyone may read. They read only the organisation, projects and published
//! advisories, never reports, so nothing embargoed can leak through them.

pub mod advisories;
pub mod assets;
pub mod feeds;
pub mod health;
pub mod home;
pub mod projects;
pub mod report_form;
pub mod status;
pub mod vex;
pub mod well_known;

use embargo_app::model::Project;

use crate::error::AppError;
use crate::state::AppState;

/// The project a public URL names; a malformed or unknown slug is the same 404.
pub(crate) async fn project_by_slug(state: &AppState, slug: &str) -> Result<Project, AppError> {
    Ok(state.app.project(slug).await?)
}
