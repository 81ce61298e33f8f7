//! The team UI: dashboard, report page and the report page's forms, held mail, sender
//! rules, a project's dependency statements.

pub mod actions;
pub mod attachments;
pub mod charts;
pub mod clocks;
pub mod dashboard;
pub mod held;
pub mod overdue;
pub mod senders;
pub mod show;
pub mod statements;
pub mod statistics;
mod statistics_csv;
