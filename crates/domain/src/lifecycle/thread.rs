//! The report's thread: the team's replies to the reporter, the team's internal notes,
//! and the reporter's own replies. None of them moves the report; they are open in
//! every state, to whoever `decide`'s access check let in.

use super::Change;
use super::common::{Decision, subject};
use crate::DomainError;
use crate::report::{MailOrigin, MessageKind, NewMessage, OutgoingMail};
use crate::text::{MAX_DESCRIPTION_BYTES, required_text};

pub(super) fn reply(d: &Decision, body: &str) -> Result<Change, DomainError> {
    let body = required_text("body", body, MAX_DESCRIPTION_BYTES)?;
    let mut c = Change::new(d.report.clone(), d.audit("reply", "to the reporter".into()));
    d.tell_reporter(&mut c, "Message from the security team", &body, false);
    // A member's own words, relayed: not an automatic mail (docs/mail.md#who-a-mail-speaks-for).
    for m in &mut c.mails {
        m.origin = MailOrigin::HumanApproved;
    }
    Ok(c)
}

/// An internal note; its author counts as one of the two members who discuss a report
/// (docs/process.md#step-4-discuss).
pub(super) fn note(d: &Decision, body: &str) -> Result<Change, DomainError> {
    let body = required_text("body", body, MAX_DESCRIPTION_BYTES)?;
    let mut next = d.report.clone();
    if let Some(m) = d.member
        && !next.discussants.contains(&m.id)
    {
        next.discussants.push(m.id);
    }
    let mut c = Change::new(next, d.audit("note", "internal".into()));
    c.messages.push(NewMessage {
        kind: MessageKind::Note,
        author: d.author_id(),
        author_label: d.author(),
        body,
    });
    Ok(c)
}

/// The reporter's reply, from the status page or by mail; the team hears of it.
pub(super) fn reporter_reply(d: &Decision, body: &str) -> Result<Change, DomainError> {
    let body = required_text("body", body, MAX_DESCRIPTION_BYTES)?;
    let mut c = Change::new(d.report.clone(), d.audit("reporter_reply", String::new()));
    c.messages.push(NewMessage {
        kind: MessageKind::Reporter,
        author: None,
        author_label: "Reporter".into(),
        body: body.clone(),
    });
    c.mails.push(OutgoingMail {
        to: vec![d.contacts.team.clone()],
        cc: vec![],
        subject: subject(d.report, "Reply from the reporter"),
        body,
        notice: None,
        // The reporter's words, relayed to the team.
        origin: MailOrigin::HumanApproved,
        ..Default::default()
    });
    Ok(c)
}
