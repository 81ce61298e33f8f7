//! E-mail rules that are not about transport: mail held for the team, and the
//! polite request to resubmit as plain text (seeds 000 and 001).

use jiff::Timestamp;

use crate::DomainError;
use crate::lifecycle::{Change, Contacts};
use crate::report::{
    AuditEntry, MessageKind, NewMessage, Notice, NoticeKind, OutgoingMail, Report,
};
use crate::text::{MAX_DESCRIPTION_BYTES, required_text};

/// Why a report is asked to be resent as plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainTextReason {
    /// The text says next to nothing; the substance is an image, PDF, HTML or video attachment.
    AttachmentOnly,
    /// The mail had an HTML body and no plain-text one (it was converted for the team).
    HtmlOnly,
}

/// Why a message on a report's thread is held rather than posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// From someone who is neither the reporter nor on the handling team.
    UnknownSender,
    /// An auto-reply or a bounce: shown to the team, never answered (mail loops).
    Automatic,
}

/// Adds to a new report's change the request to resubmit as plain text: a line on the
/// reporter's status page and, when they gave an address, a mail. The report itself
/// is kept for the team either way.
pub fn ask_for_plain_text(change: &mut Change, reason: PlainTextReason) {
    let why = match reason {
        PlainTextReason::AttachmentOnly => {
            "Your message carries its substance in an attachment (an image, PDF, HTML page or video)."
        }
        PlainTextReason::HtmlOnly => "Your message was sent as HTML only.",
    };
    let body = format!(
        "{why} We keep it for the security team, but we ask every reporter to describe \
         the vulnerability in one plain-text, unencrypted e-mail: please resubmit the \
         description, the affected versions and the steps to reproduce as plain text, \
         in reply to this message."
    );
    change.messages.push(NewMessage {
        kind: MessageKind::System,
        author: None,
        author_label: "Embargo".into(),
        body: body.clone(),
    });
    if let Some(email) = &change.report.reporter.email {
        change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc: vec![],
            subject: format!("[{}] Please resubmit as plain text", change.report.id),
            body,
            notice: Some(Notice::new(
                NoticeKind::PlainText,
                [(
                    "reason",
                    match reason {
                        PlainTextReason::AttachmentOnly => "attachment_only",
                        PlainTextReason::HtmlOnly => "html_only",
                    }
                    .to_string(),
                )],
            )),
        });
    }
    change.audit.detail.push_str(match reason {
        PlainTextReason::AttachmentOnly => "; asked for plain text (attachment only)",
        PlainTextReason::HtmlOnly => "; asked for plain text (HTML only)",
    });
}

/// A message kept on the report as an internal entry the reporter never sees, and not
/// relayed to anyone. The team is told by mail when a stranger wrote; an automatic
/// message is only recorded, so that a bounce of that notice cannot start a loop.
pub fn hold(
    report: &Report,
    sender: &str,
    body: &str,
    reason: HoldReason,
    now: Timestamp,
    contacts: &Contacts,
) -> Result<Change, DomainError> {
    let body = required_text("body", body, MAX_DESCRIPTION_BYTES)?;
    let label = match reason {
        HoldReason::UnknownSender => format!("Held mail from {sender} (not relayed)"),
        HoldReason::Automatic => format!("Automatic mail from {sender} (not answered)"),
    };
    let mut change = Change {
        report: report.clone(),
        messages: vec![NewMessage {
            kind: MessageKind::Note,
            author: None,
            author_label: label,
            body,
        }],
        mails: vec![],
        audit: AuditEntry {
            at: now,
            actor: "system".into(),
            action: "mail_held".into(),
            detail: match reason {
                HoldReason::UnknownSender => "from an unknown sender; not relayed".into(),
                HoldReason::Automatic => "automatic reply or bounce; not answered".into(),
            },
        },
        claim_cve: None,
        publish: None,
    };
    if reason == HoldReason::UnknownSender {
        change.mails.push(OutgoingMail {
            to: vec![contacts.team.clone()],
            cc: vec![],
            subject: format!("[{}] Mail held for the team", report.id),
            body: format!(
                "A message from {sender} arrived on this report's thread. The sender is neither \
                 the reporter nor on the handling team, so it was not relayed to anyone.\n\
                 Read it in Embargo."
            ),
            notice: None,
        });
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::ids::{Email, ReportId};
    use crate::intake::NewReport;
    use crate::lifecycle::receive;
    use crate::policy::Policy;
    use crate::report::Channel;

    fn contacts() -> Contacts {
        Contacts {
            org_name: "Example".into(),
            org_security: Email::parse("security@example.org").unwrap(),
            team: Email::parse("security@kafka.example.org").unwrap(),
            status_url: None,
        }
    }

    fn new_change(reporter: Option<&str>) -> Change {
        let new = NewReport {
            project: None,
            title: "t".into(),
            description: "d".into(),
            affected_versions: None,
            reporter_name: None,
            reporter_email: reporter.map(|e| Email::parse(e).unwrap()),
            credit: None,
        };
        receive(
            new,
            ReportId::generate(),
            None,
            Channel::Email,
            Timestamp::now(),
            &Policy::default(),
            &contacts(),
        )
        .unwrap()
    }

    #[test]
    fn plain_text_request_goes_to_the_reporter_and_the_status_page() {
        let mut c = new_change(Some("ann@example.net"));
        let mails = c.mails.len();
        ask_for_plain_text(&mut c, PlainTextReason::AttachmentOnly);
        assert_eq!(c.mails.len(), mails + 1);
        let last = c.mails.last().unwrap();
        assert_eq!(last.to[0].as_str(), "ann@example.net");
        assert!(last.body.contains("plain text"));
        assert!(
            c.messages
                .iter()
                .any(|m| m.kind == MessageKind::System && m.body.contains("plain-text"))
        );
        let mut anon = new_change(None);
        let before = anon.mails.len();
        ask_for_plain_text(&mut anon, PlainTextReason::HtmlOnly);
        assert_eq!(anon.mails.len(), before, "no address, no mail");
    }

    #[test]
    fn held_mail_is_internal_and_never_relayed() {
        let c = new_change(Some("ann@example.net"));
        let held = hold(
            &c.report,
            "eve@evil.example",
            "hi",
            HoldReason::UnknownSender,
            Timestamp::now(),
            &contacts(),
        )
        .unwrap();
        assert_eq!(held.messages[0].kind, MessageKind::Note);
        assert!(!held.messages[0].kind.visible_to_reporter());
        assert_eq!(held.mails.len(), 1);
        assert_eq!(held.mails[0].to[0].as_str(), "security@kafka.example.org");
        assert!(!held.mails[0].body.contains("hi\n"));
        let auto = hold(
            &c.report,
            "mailer-daemon@x.example",
            "bounce",
            HoldReason::Automatic,
            Timestamp::now(),
            &contacts(),
        )
        .unwrap();
        assert!(
            auto.mails.is_empty(),
            "an automatic message is never answered"
        );
    }
}
