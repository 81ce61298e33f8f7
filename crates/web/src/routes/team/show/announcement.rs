//! The report page's announcement (docs/mail.md#announcements): where it goes before it
//! is sent, where each copy went and whether it is sent or still queued afterwards, and
//! the confirmations the forms ask for: announcing before the agreed disclosure date,
//! and a disclosure date past the policy's target.

use embargo_app::announcement::Announcement;
use embargo_app::model::Delivery;
use embargo_domain::announce::Destination;
use embargo_domain::lifecycle::{disclosure_target, early_announcement};
use embargo_domain::policy::Policy;
use embargo_domain::report::Report;
use jiff::Timestamp;

use crate::views::clock::{Clock, MaybeMoment};

/// The announcement section; empty (and not shown) before the report is accepted.
#[derive(Default)]
pub struct AnnouncementView {
    pub shown: bool,
    pub announced: bool,
    /// `Name <address>`, or "" when not known.
    pub from: String,
    pub rows: Vec<DestinationRow>,
    /// The planned destinations in one line, for the announce form.
    pub summary: String,
}

/// One destination: planned, skipped, or a copy with its delivery.
pub struct DestinationRow {
    /// `users_list`, `security_list`, `reporter`, `organisation` or `address`.
    pub kind: &'static str,
    /// How the page names it ("users list", "oss-security@lists.openwall.com").
    pub label: String,
    pub address: String,
    /// `planned`, `skipped`, or the copy's delivery (`queued`, `failing`, `sent`,
    /// `failed`).
    pub state: &'static str,
    /// Why it is skipped, or why its last attempt failed.
    pub note: String,
    pub queued: MaybeMoment,
    pub sent: MaybeMoment,
}

pub fn view(a: Option<Announcement>, clock: &Clock) -> AnnouncementView {
    let Some(a) = a else {
        return AnnouncementView::default();
    };
    let summary = a
        .destinations
        .iter()
        .filter_map(|d| {
            let address = d.address.as_ref()?;
            Some(match d.destination {
                Destination::Address(_) => address.to_string(),
                _ => format!("{} ({address})", d.destination.label()),
            })
        })
        .collect::<Vec<_>>()
        .join(", ");
    AnnouncementView {
        shown: true,
        announced: a.announced,
        summary,
        from: a.from.map(|f| f.to_string()).unwrap_or_default(),
        rows: a
            .destinations
            .into_iter()
            .map(|d| DestinationRow {
                kind: d.destination.kind(),
                label: d.destination.label(),
                address: d.address.map(|e| e.to_string()).unwrap_or_default(),
                state: match (d.delivery, &d.skipped) {
                    (Some(Delivery::Queued), _) => "queued",
                    (Some(Delivery::Failing), _) => "failing",
                    (Some(Delivery::Sent), _) => "sent",
                    (Some(Delivery::Failed), _) => "failed",
                    (None, Some(_)) => "skipped",
                    (None, None) => "planned",
                },
                note: d.skipped.or(d.last_error).unwrap_or_default(),
                queued: MaybeMoment(d.queued_at.map(|t| clock.at(t))),
                sent: MaybeMoment(d.sent_at.map(|t| clock.at(t))),
            })
            .collect(),
    }
}

/// A confirmation a transition form asks for: a checkbox named `name`.
pub struct Confirm {
    pub name: &'static str,
    pub label: String,
}

/// The confirmations of the announce and accept forms for `report` now: announcing
/// before the agreed date (only when it is still ahead), and accepting with a date past
/// the policy's target (any date typed may be, so the accept form always has it).
pub fn confirms(
    report: &Report,
    now: Timestamp,
    policy: &Policy,
) -> (Option<Confirm>, Option<Confirm>) {
    let early = early_announcement(report, now, policy)
        .ok()
        .flatten()
        .map(|(agreed, _)| Confirm {
            name: "confirm_early",
            label: format!("Announce before the agreed disclosure date, {agreed}"),
        });
    let late = disclosure_target(now, policy).ok().map(|target| Confirm {
        name: "confirm_late",
        label: format!(
            "If the date is after {target} ({} days, the policy's target): disclose later anyway",
            policy.announce_days
        ),
    });
    (early, late)
}
