//! A new report from the form or the API: parsed by the domain, routed to its project,
//! received with the project's policy, triaged, stored with its status-link digest.

use embargo_domain::ids::ReportId;
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::receive;
use embargo_domain::report::{Channel, Report};
use embargo_domain::token::Token;
use embargo_store::Project;
use jiff::Timestamp;

use crate::App;
use crate::error::{Error, Result};

impl App {
    /// Takes a new report; returns it with the status-link token, shown once to the reporter.
    pub async fn submit(&self, sub: &Submission, channel: Channel) -> Result<(Report, Token)> {
        let new = sub.parse()?;
        let project = match &new.project {
            Some(slug) => Some(self.store().project_by_slug(slug).await?.ok_or_else(|| {
                Error::invalid(
                    "project",
                    format!("there is no project {slug:?}; leave it empty if you do not know"),
                )
            })?),
            None => None,
        };
        let token = Token::generate();
        let cfg = self.settings();
        let contacts = cfg.contacts(project.as_ref(), Some(cfg.status_url(token.expose())));
        let mut change = receive(
            new,
            ReportId::generate(),
            project.as_ref().map(Project::as_ref),
            channel,
            Timestamp::now(),
            &cfg.policy(project.as_ref()),
            &contacts,
        )?;
        self.triage_new(&mut change, project.as_ref(), &contacts)
            .await?;
        let report = self.store().create_report(&change, &token.digest()).await?;
        Ok((report, token))
    }
}
