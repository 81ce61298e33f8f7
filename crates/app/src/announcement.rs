//! Where a report's announcement goes (docs/mail.md#announcements): before it, the
//! destinations of the project's policy as they resolve for this report, and whom it
//! will come from; once announced, each copy as it was recorded, with its delivery.
//! The report page and the API show the same thing.

use embargo_domain::announce::{self, Destination, Sender, Target};
use embargo_domain::ids::Email;
use embargo_domain::report::Report;
use embargo_domain::state::ReportState;
use embargo_store::Delivery;
use jiff::Timestamp;

use crate::App;
use crate::error::Result;

/// A report's announcement, planned or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Whether it went out: the destinations are then its recorded copies.
    pub announced: bool,
    /// Whom it comes (came) from.
    pub from: Option<Sender>,
    pub destinations: Vec<AnnouncementDestination>,
}

/// One destination of the announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementDestination {
    pub destination: Destination,
    /// Where its copy goes (went); `None` when it has no address.
    pub address: Option<Email>,
    /// Why no copy goes there, before the announcement: "no address", "the same
    /// address as security_list".
    pub skipped: Option<String>,
    /// Once announced: where the copy stands, when it was queued and sent, and why
    /// its last attempt failed.
    pub delivery: Option<Delivery>,
    pub queued_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

impl App {
    /// The announcement of a report the caller may see (from [`App::visible`]); `None`
    /// until the report is accepted (before, there is nothing to announce).
    pub async fn announcement(&self, report: &Report) -> Result<Option<Announcement>> {
        if !report.state.is_accepted() {
            return Ok(None);
        }
        if report.state == ReportState::Announced {
            let copies = self.store().announcement_copies(&report.id).await?;
            return Ok(Some(Announcement {
                announced: true,
                from: copies.first().and_then(|c| c.from.clone()),
                destinations: copies
                    .into_iter()
                    .map(|c| AnnouncementDestination {
                        destination: c.destination,
                        address: Some(c.address),
                        skipped: None,
                        delivery: Some(c.delivery),
                        queued_at: Some(c.queued_at),
                        sent_at: c.sent_at,
                        last_error: c.last_error,
                    })
                    .collect(),
            }));
        }
        let project = self.project_of(report).await?;
        let cfg = self.settings();
        let policy = cfg.policy(project.as_ref());
        let contacts = cfg.contacts(project.as_ref(), None);
        let destinations = announce::resolve(&policy.announce_to, report, &contacts)
            .into_iter()
            .map(|r| {
                let (address, skipped) = match r.target {
                    Target::Address(a) => (Some(a), None),
                    Target::NoAddress => (None, Some("no address".to_string())),
                    Target::SameAs(first) => (None, Some(format!("the same address as {first}"))),
                };
                AnnouncementDestination {
                    destination: r.destination,
                    address,
                    skipped,
                    delivery: None,
                    queued_at: None,
                    sent_at: None,
                    last_error: None,
                }
            })
            .collect();
        Ok(Some(Announcement {
            announced: false,
            from: Some(announce::sender(
                policy.announce_from.as_ref(),
                report,
                &contacts,
            )),
            destinations,
        }))
    }
}
