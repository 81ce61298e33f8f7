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
pub mod well_known;
