//! What anyone may read: the organisation's projects and its announced advisories.
//! Nothing about a report is reachable from here before its announcement: the
//! advisories table has no row until then.

use embargo_domain::ids::{CveId, ProjectSlug};
use embargo_store::{Project, PublishedAdvisory};

use crate::App;
use crate::error::{Error, Result};

impl App {
    /// Whether the database answers (`/healthz`).
    pub async fn healthy(&self) -> Result<()> {
        self.store().organisation().await?;
        Ok(())
    }

    /// Every project, by name.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        Ok(self.store().list_projects().await?)
    }

    /// A project by its slug; `NotFound` for a malformed or unknown one.
    pub async fn project(&self, slug: &str) -> Result<Project> {
        let slug = ProjectSlug::parse(slug).map_err(|_| Error::NotFound)?;
        self.store()
            .project_by_slug(&slug)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The announced advisories, newest first; of one project when given.
    pub async fn advisories(&self, project: Option<&Project>) -> Result<Vec<PublishedAdvisory>> {
        Ok(self.store().advisories(project.map(|p| p.id)).await?)
    }

    /// One announced advisory; `NotFound` before its announcement, as for an unknown id.
    pub async fn advisory(&self, cve: &str) -> Result<PublishedAdvisory> {
        let id = CveId::parse(cve).map_err(|_| Error::NotFound)?;
        self.store().advisory(&id).await?.ok_or(Error::NotFound)
    }
}
