//! The lists a member sees: only reports of the projects they handle, whatever the
//! query asked for.

use embargo_domain::access::Member;
use embargo_domain::ids::ProjectSlug;
use embargo_domain::state::ReportState;
use embargo_domain::triage::TriageClass;
use embargo_store::{ListCursor, ReportFilter, ReportSummary};

use crate::App;
use crate::error::{Error, Result};

/// Which reports a member's list shows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub project: Option<String>,
    pub state: Option<ReportState>,
    /// Only reports suggested (or closed) as this triage class.
    pub triage: Option<TriageClass>,
    /// The page after this cursor (a list's `next_cursor`): keyset pagination, as
    /// fast at any depth as on the first page.
    pub after: Option<String>,
    /// Only reports past their next deadline now.
    pub overdue: bool,
    pub limit: u32,
    pub offset: u32,
}

impl App {
    /// The reports `member` handles, filtered; only ever those the member may see.
    pub async fn list(&self, member: &Member, q: &ListQuery) -> Result<Vec<ReportSummary>> {
        let mut projects = if member.org_team {
            None
        } else {
            Some(member.projects.clone())
        };
        if let Some(slug) = q
            .project
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let slug = ProjectSlug::parse(slug)?;
            let p = self.store().project_by_slug(&slug).await?.ok_or_else(|| {
                Error::invalid("project", format!("there is no project {slug:?}"))
            })?;
            match &mut projects {
                None => projects = Some(vec![p.id]),
                Some(ids) => ids.retain(|id| *id == p.id),
            }
        }
        if projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(vec![]);
        }
        let after = match q.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(ListCursor::decode(c).ok_or_else(|| {
                Error::invalid(
                    "cursor",
                    "is not a cursor of this list (use the next_cursor a page gave)",
                )
            })?),
        };
        let filter = ReportFilter {
            projects: projects.clone(),
            state: q.state,
            include_closed: true,
            triage: q.triage,
            after,
            due_before: q.overdue.then(jiff::Timestamp::now),
            limit: q.limit,
            offset: q.offset,
        };
        let mut rows = self.store().list_reports(&filter).await?;
        // Defence in depth: whatever the query returned, keep only what the member handles.
        rows.retain(|r| member.handles_project(r.project.as_ref().map(|p| p.id)));
        Ok(rows)
    }
}
