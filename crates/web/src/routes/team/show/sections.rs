//! The sections of the report page as the template shows them: the forms the domain
//! offers, the thread, the audit log, mail in and out, attachments and record versions.
//! Actions are named as verbs here (the domain's state labels name where a report
//! stands, and are also used in mail), and the ones that cannot be undone say so.

use embargo_app::model::{
    AttachmentInfo, Delivery, IncomingSummary, MailHeaders, OutboxEntry, RecordVersion,
};
use embargo_domain::lifecycle::Step;
use embargo_domain::record::RecordState;
use embargo_domain::report::{AuditEntry, Message};
use embargo_domain::state::ReportState;

use super::announcement::Confirm;
use crate::views::clock::{Clock, Moment};

/// A transition form: the target state and the inputs it needs.
pub struct TransitionView {
    pub to: &'static str,
    /// The verb on the button ("Acknowledge", "Reject the report").
    pub label: &'static str,
    /// Cannot be undone: the form sits behind its verb ("Reject…") and asks for a
    /// ticked confirmation before it is sent.
    pub irreversible: bool,
    /// What an irreversible form's disclosure says before it opens ("Reject…").
    pub opener: &'static str,
    pub message: bool,
    pub reason: bool,
    pub date: bool,
    pub summary: bool,
    pub cve: bool,
    pub refs: bool,
    /// A confirmation the form asks for (an early announcement, a late disclosure
    /// date); the step is refused without it when it applies.
    pub confirm: Option<Confirm>,
}

pub struct MessageView {
    pub kind: &'static str,
    pub author: String,
    pub body: String,
    pub at: Moment,
}

pub struct AuditView {
    pub at: Moment,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// An attachment of a mail taken in; only a stored one gets a download link.
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub stored: bool,
}

/// The count and links of a section that shows a page at a time (received mail,
/// attachments): how many there are, and the query of the next page and of the first.
pub struct Paging {
    pub shown: usize,
    pub total: i64,
    /// `?{param}=<last id shown>`, when there are more after this page.
    pub next: Option<String>,
    /// The section's first page, when this is not it.
    pub first: Option<String>,
}

impl Paging {
    /// `last` is the id of the last row shown, `more` whether rows follow it; `after`
    /// where this page started; `anchor` the section's table, where the links land.
    pub fn of(
        shown: usize,
        last: Option<i64>,
        more: bool,
        (after, total): (i64, i64),
        (param, anchor): (&str, &str),
    ) -> Self {
        Paging {
            shown,
            total,
            next: last
                .filter(|_| more)
                .map(|last| format!("?{param}={last}#{anchor}")),
            first: (after > 0).then(|| format!("?#{anchor}")),
        }
    }

    /// Whether the section needs its count and links at all.
    pub fn paged(&self) -> bool {
        self.next.is_some() || self.first.is_some()
    }
}

/// A mail taken in for this report, as its headers name it.
pub struct IncomingView {
    pub from: String,
    pub date: String,
    pub subject: String,
    pub disposition: String,
    pub held: bool,
    pub received: Moment,
}

pub struct OutboxView {
    pub to: String,
    pub subject: String,
    /// `queued`, `failing`, `sent` or `failed`, as [`embargo_app::model::Delivery`] says.
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub created: Moment,
}

/// A form that moves the CVE record (submit for review, mark READY...).
pub struct RecordMove {
    pub to: &'static str,
    pub label: &'static str,
    pub reason: bool,
    /// Publishing and rejecting the CVE id cannot be undone: confirmed first.
    pub irreversible: bool,
}

pub struct VersionView {
    pub version: i64,
    pub state: &'static str,
    pub actor: String,
    pub at: Moment,
}

/// The lifecycle forms `offered` allows, in lifecycle order; the announce form asks
/// for `early`, the accept form for `late` (see [`super::announcement::confirms`]).
pub fn transitions(
    offered: &impl Fn(Step) -> bool,
    (mut early, mut late): (Option<Confirm>, Option<Confirm>),
) -> Vec<TransitionView> {
    ReportState::ALL
        .into_iter()
        .filter(|to| Step::transition_to(*to).is_some_and(offered))
        .map(|to| TransitionView {
            confirm: match to {
                ReportState::Announced => early.take(),
                ReportState::Accepted => late.take(),
                _ => None,
            },
            to: to.as_str(),
            label: verb(to),
            irreversible: to.is_terminal(),
            opener: match to {
                ReportState::Rejected => "Reject…",
                ReportState::Announced => "Announce…",
                _ => "",
            },
            message: matches!(
                to,
                ReportState::Acknowledged | ReportState::Accepted | ReportState::ReporterReview
            ),
            reason: to == ReportState::Rejected,
            date: to == ReportState::Accepted,
            summary: to == ReportState::CveRequested,
            cve: to == ReportState::CveAssigned,
            refs: to == ReportState::Fixed,
        })
        .collect()
}

/// The button of the transition to `to`.
fn verb(to: ReportState) -> &'static str {
    match to {
        ReportState::Acknowledged => "Acknowledge",
        ReportState::Accepted => "Accept",
        ReportState::Rejected => "Reject the report",
        ReportState::CveRequested => "Request a CVE",
        ReportState::CveAssigned => "Assign the CVE id",
        ReportState::ReporterReview => "Send the draft to the reporter",
        ReportState::Fixed => "Record the fix and release",
        ReportState::Announced => "Announce it now",
        // Not transition forms (`Step::transition_to` offers none).
        ReportState::Received | ReportState::Merged | ReportState::Closed => to.label(),
    }
}

/// The record's state forms `offered` allows; `to_cve_program`: PUBLISHED goes to
/// the CVE Program first, and the button says so.
pub fn record_moves(offered: &impl Fn(Step) -> bool, to_cve_program: bool) -> Vec<RecordMove> {
    RecordState::ALL
        .into_iter()
        // A move the record's findings still block is offered too (`Step::MoveRecord`),
        // and its refusal names them.
        .filter(|to| offered(Step::MoveRecord(*to)))
        .map(|to| RecordMove {
            to: to.as_str(),
            label: match to {
                RecordState::Draft => "Send back to DRAFT",
                RecordState::Review => "Submit for review",
                RecordState::Ready => "Mark READY",
                RecordState::Published if to_cve_program => "Publish to the CVE Program",
                // Said before the click, and again in the note the move leaves.
                RecordState::Published => "Mark PUBLISHED here (CVE Services is not configured)",
                _ => "Reject the CVE id",
            },
            reason: matches!(to, RecordState::Rejected | RecordState::Draft),
            irreversible: matches!(to, RecordState::Published | RecordState::Rejected),
        })
        .collect()
}

pub fn messages(messages: &[Message], clock: &Clock) -> Vec<MessageView> {
    messages
        .iter()
        .map(|m| MessageView {
            kind: m.kind.as_str(),
            author: m.author_label.clone(),
            body: m.body.clone(),
            at: clock.at(m.created_at),
        })
        .collect()
}

pub fn versions(versions: &[RecordVersion], clock: &Clock) -> Vec<VersionView> {
    versions
        .iter()
        .map(|v| VersionView {
            version: v.version,
            state: v.state.label(),
            actor: v.actor.clone(),
            at: clock.at(v.created_at),
        })
        .collect()
}

pub fn audit(audit: Vec<AuditEntry>, clock: &Clock) -> Vec<AuditView> {
    audit
        .into_iter()
        .map(|a| AuditView {
            at: clock.at(a.at),
            actor: a.actor,
            action: a.action,
            detail: a.detail,
        })
        .collect()
}

pub fn outbox(outbox: Vec<OutboxEntry>, clock: &Clock) -> Vec<OutboxView> {
    outbox
        .into_iter()
        .map(|o| OutboxView {
            state: match o.delivery() {
                Delivery::Queued => "queued",
                Delivery::Failing => "failing",
                Delivery::Sent => "sent",
                Delivery::Failed => "failed",
            }
            .to_string(),
            to: o
                .to
                .iter()
                .chain(&o.cc)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            subject: o.subject,
            attempts: o.attempts,
            last_error: o.last_error.unwrap_or_default(),
            created: clock.at(o.created_at),
        })
        .collect()
}

pub fn attachments(attachments: Vec<AttachmentInfo>) -> Vec<AttachmentView> {
    attachments
        .into_iter()
        .map(|a| AttachmentView {
            id: a.id,
            name: a.name,
            size: a.size,
            sha256: a.sha256,
            stored: a.stored,
        })
        .collect()
}

/// Each mail taken in, as its headers (read at intake) name it.
pub fn incoming(taken: Vec<(IncomingSummary, MailHeaders)>, clock: &Clock) -> Vec<IncomingView> {
    taken
        .into_iter()
        .map(
            |(
                m,
                MailHeaders {
                    from,
                    date,
                    subject,
                },
            )| IncomingView {
                from,
                date,
                subject,
                held: m.disposition == "held",
                disposition: m.disposition,
                received: clock.at(m.received_at),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Paging;

    #[test]
    fn a_section_links_onward_only_when_more_follow_and_back_once_past_the_first() {
        let names = ("attachments_after", "attachments");
        let first = Paging::of(50, Some(57), true, (0, 120), names);
        assert_eq!(
            first.next.as_deref(),
            Some("?attachments_after=57#attachments")
        );
        assert_eq!(first.first, None);
        let last = Paging::of(20, Some(140), false, (107, 120), names);
        assert_eq!(last.next, None);
        assert_eq!(last.first.as_deref(), Some("?#attachments"));
        assert!(first.paged() && last.paged());
        // A report with a few: no count, no links.
        assert!(!Paging::of(3, Some(9), false, (0, 3), names).paged());
        assert!(!Paging::of(0, None, false, (0, 0), names).paged());
    }
}
