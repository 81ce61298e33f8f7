//! A new report from the form or the API: parsed by the domain, routed to its project,
//! received with the project's policy, triaged, screened by the sender rules (kept, but
//! never answered by itself for a blocked or throttled sender), stored with its
//! status-link digest.

use embargo_domain::ids::ReportId;
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Change, receive};
use embargo_domain::mail::{NoAutoAnswer, withhold_automatic_answers};
use embargo_domain::report::{Channel, Report};
use embargo_domain::token::Token;
use embargo_domain::triage::{TriageClass, TriageStatus};
use embargo_store::Project;
use jiff::Timestamp;

use crate::App;
use crate::error::{Error, Result};
use crate::senders::SenderVerdict;

impl App {
    /// Takes a new report; returns it with the status-link token, shown once to the reporter.
    pub async fn submit(&self, sub: &Submission, channel: Channel) -> Result<(Report, Token)> {
        let new = sub.parse()?;
        let project = match &new.project {
            Some(slug) => Some(self.store().project_by_slug(slug).await?.ok_or_else(|| {
                Error::invalid(
                    "project",
                    format!("there is no project \"{slug}\"; leave it empty if you do not know"),
                )
            })?),
            None => None,
        };
        // Read before the report is made: under a throttle, the check takes a place.
        let verdict = match &new.reporter_email {
            Some(email) => self.sender_verdict(email, Timestamp::now()).await?,
            None => None,
        };
        let token = Token::generate();
        let cfg = self.settings();
        let contacts = cfg.contacts(project.as_ref(), Some(cfg.status_url(token.expose())));
        let policy = cfg.policy(project.as_ref());
        let mut change = receive(
            new,
            ReportId::generate(),
            project.as_ref().map(Project::as_ref),
            channel,
            Timestamp::now(),
            &policy,
            &contacts,
        )?;
        self.triage_new(&mut change, project.as_ref(), &policy, &contacts)
            .await?;
        if let Some(verdict) = &verdict {
            screen_submission(&mut change, verdict);
        }
        let report = self.store().create_report(&change, &token.digest()).await?;
        Ok((report, token))
    }
}

/// A form or API report from a sender a rule blocks or throttles: kept (a report is
/// never lost) but never answered by itself; a blocked sender's is suggested as spam.
fn screen_submission(change: &mut Change, verdict: &SenderVerdict) {
    let (why, blocked) = match verdict {
        SenderVerdict::Blocked { reason } => (format!("the sender is blocked: {reason}"), true),
        SenderVerdict::Throttled => (
            "the sender is over its daily limit of new reports".to_string(),
            false,
        ),
    };
    if let Some(t) = change.report.triage.as_mut() {
        t.reasons.insert(0, why);
        if blocked && t.status == TriageStatus::Suggested {
            t.class = TriageClass::Spam;
            t.duplicate_of = None;
        }
    }
    withhold_automatic_answers(change, NoAutoAnswer::SenderRule);
}
