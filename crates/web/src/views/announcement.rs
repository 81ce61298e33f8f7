//! The announcement in the team's JSON view of a report (`announcement` of
//! `GET /api/v1/reports/{id}`): where it goes, or where each copy went and whether it
//! is sent (docs/mail.md#announcements).

use embargo_app::announcement::Announcement;
use embargo_app::model::Delivery;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// A report's announcement, planned (before it) or as sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Announcement)]
pub struct AnnouncementJson {
    /// Whether it went out: the destinations are then its recorded copies.
    pub announced: bool,
    /// Whom it comes (came) from, `Name <address>`.
    pub from: Option<String>,
    pub destinations: Vec<AnnouncementDestinationJson>,
}

/// One destination: a role (`users_list`, `security_list`, `reporter`, `organisation`)
/// or an address, and its copy.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AnnouncementDestination)]
pub struct AnnouncementDestinationJson {
    /// The role, or the address for a fixed one (`oss-security@lists.openwall.com`).
    pub destination: String,
    /// Where its copy goes (went); `null` when it has none.
    pub address: Option<String>,
    /// Before the announcement: why no copy goes there ("no address", "the same
    /// address as security_list").
    pub skipped: Option<String>,
    /// Once announced: `queued`, `failing` (retried), `sent` or `failed`.
    pub state: Option<String>,
    pub queued_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    /// Why the last attempt failed (addresses redacted).
    pub last_error: Option<String>,
}

impl From<Announcement> for AnnouncementJson {
    fn from(a: Announcement) -> Self {
        Self {
            announced: a.announced,
            from: a.from.map(|f| f.to_string()),
            destinations: a
                .destinations
                .into_iter()
                .map(|d| AnnouncementDestinationJson {
                    destination: d.destination.to_string(),
                    address: d.address.map(|e| e.to_string()),
                    skipped: d.skipped,
                    state: d.delivery.map(|s| {
                        match s {
                            Delivery::Queued => "queued",
                            Delivery::Failing => "failing",
                            Delivery::Sent => "sent",
                            Delivery::Failed => "failed",
                        }
                        .to_string()
                    }),
                    queued_at: d.queued_at,
                    sent_at: d.sent_at,
                    last_error: d.last_error,
                })
                .collect(),
        }
    }
}
