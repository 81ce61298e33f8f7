//! The dashboard's page in one call: a page of the member's list, the numbers at its
//! top and the projects its filter offers, so that the page's handler only renders.

use embargo_domain::access::Member;
use embargo_domain::report::ProjectRef;

use crate::App;
use crate::error::Result;
use crate::listing::{ListCounts, ListPage, ListQuery};

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub page: ListPage,
    pub counts: ListCounts,
    /// The projects the member handles (every project for the organisation team), by name.
    pub projects: Vec<ProjectRef>,
}

impl App {
    /// The dashboard of `member` for the list `q`.
    pub async fn dashboard(&self, member: &Member, q: &ListQuery) -> Result<Dashboard> {
        let page = self.list(member, q).await?;
        let counts = self.list_counts(member).await?;
        let mut projects: Vec<ProjectRef> = self
            .store()
            .list_projects()
            .await?
            .iter()
            .filter(|p| member.handles_project(Some(p.id)))
            .map(|p| p.as_ref())
            .collect();
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Dashboard {
            page,
            counts,
            projects,
        })
    }
}
