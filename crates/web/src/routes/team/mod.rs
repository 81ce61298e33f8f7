//! The team UI: dashboard, report page and the report page's forms.

pub mod actions;
pub mod attachments;
pub mod dashboard;
pub mod show;
