//! Owners (docs/process.md#owners): one team member takes a report, or is assigned it,
//! so that someone is answerable for its clock. The owner gets the deadline reminders
//! first and finds the report under "Mine". Only a member who handles the report's
//! project (its team, or the organisation team) can own it; an owner can be changed
//! or released at any time while the report is open.

use super::Change;
use super::common::{Decision, not_terminal, require};
use crate::DomainError;
use crate::access::Member;

/// Who owns the report after the change: `None` releases it.
pub(super) fn set(d: &Decision, owner: Option<&Member>) -> Result<Change, DomainError> {
    not_terminal(d.report)?;
    let project = d.report.project.as_ref().map(|p| p.id);
    let detail = match owner {
        Some(m) => {
            if !m.handles_project(project) {
                return Err(DomainError::invalid(
                    "owner",
                    format!(
                        "{} is not on the team handling this report; only its project's team \
                         or the organisation team can own it",
                        m.email
                    ),
                ));
            }
            require(
                d.report.owner != Some(m.id),
                &format!("{} already owns this report", m.name),
            )?;
            let taken = d.member.is_some_and(|me| me.id == m.id);
            if taken {
                format!("taken by {}", m.name)
            } else {
                format!("assigned to {}", m.name)
            }
        }
        None => {
            require(d.report.owner.is_some(), "nobody owns this report")?;
            "released".to_string()
        }
    };
    let mut next = d.report.clone();
    next.owner = owner.map(|m| m.id);
    Ok(Change::new(next, d.audit("owner", detail)))
}
