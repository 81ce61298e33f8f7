//! E-mail rules that are not about transport: mail held for the team, what a team
//! member's mail on a thread becomes (a reply to the reporter only when it answers a
//! mail the reporter got), automatic answers withheld from lists and auto-senders, and
//! the polite request to resubmit as plain text (docs/mail.md explains each rule).

use jiff::Timestamp;

use crate::DomainError;
use crate::access::{Actor, Member};
use crate::lifecycle::{Change, Command, Contacts, decide};
use crate::policy::Policy;
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

/// What a team member's mail on a report's thread answers, as far as intake can tell
/// from its `In-Reply-To` (or, without one, its last `References` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// A mail of ours that went to the reporter of this report.
    MailToReporter,
    /// A mail of ours that went to the team only (a notice, a CVE request...).
    TeamOnlyMail,
    /// Anything else: a mail we did not send, another report's mail, no reference at
    /// all (threaded by the subject token only).
    Unknown,
}

/// What became of a team member's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberMail {
    /// Posted as a team reply and mailed to the reporter.
    Relayed,
    /// Kept as an internal note; the member was told so by mail.
    KeptAsNote,
}

/// A mail from `member` (who handles `report`) on the report's thread. It is relayed to
/// the reporter only when it answers a mail the reporter got: pressing Reply on a
/// team-only notice is how colleagues talk to each other, and a wrong relay cannot be
/// taken back, while a wrong note costs one click on the report page. `own_text` is the
/// member's text without what it quotes.
pub fn member_mail(
    report: &Report,
    member: &Member,
    own_text: &str,
    answers: Answers,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Result<(Change, MemberMail), DomainError> {
    let actor = Actor::Member(member.clone());
    let body = own_text.to_string();
    if answers == Answers::MailToReporter {
        let change = decide(
            report,
            Command::Reply { body },
            &actor,
            now,
            policy,
            contacts,
        )?;
        return Ok((change, MemberMail::Relayed));
    }
    let mut change = decide(
        report,
        Command::Note { body },
        &actor,
        now,
        policy,
        contacts,
    )?;
    change.audit.detail.push_str(
        "; by mail, answering a mail the reporter did not get: kept internal, not relayed",
    );
    change.mails.push(OutgoingMail {
        to: vec![member.email.clone()],
        cc: vec![],
        subject: format!("[{}] Your mail was kept as an internal note", report.id),
        body: format!(
            "Your mail on report {id} answered a message that went to the team only, so it \
             was kept as an internal note and was NOT sent to the reporter.\n\n\
             To write to the reporter, use the reply form on the report page, or reply to \
             a mail that the reporter received.",
            id = report.id
        ),
        notice: None,
        ..Default::default()
    });
    Ok((change, MemberMail::KeptAsNote))
}

/// Why no automatic answer may go out for a message (RFC 3834): it came through a
/// mailing list or from an automatic sender, which must not be answered by a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAutoAnswer {
    /// Relayed by a mailing list and its author's own address is unknown.
    ListWithoutAuthor,
    /// Sent by a machine (`Auto-Submitted`, `Precedence: bulk/junk`, a no-reply sender).
    AutomaticSender,
    /// From a sender the organisation team blocked or throttled (docs/mail.md).
    SenderRule,
}

/// Removes from a new report's change the automatic answers to its sender (the receipt,
/// the request for plain text, a triage answer the policy sends by itself), keeping everything else: the report, the team's
/// notice, the lines on the status page. Human answers later still reach the reporter.
pub fn withhold_automatic_answers(change: &mut Change, why: NoAutoAnswer) {
    change
        .mails
        .retain(|m| !m.notice.as_ref().is_some_and(|n| n.kind.is_intake_answer()));
    change.audit.detail.push_str(match why {
        NoAutoAnswer::ListWithoutAuthor => {
            "; no automatic answer (relayed by a list, author unknown)"
        }
        NoAutoAnswer::AutomaticSender => "; no automatic answer (automatic sender)",
        NoAutoAnswer::SenderRule => "; no automatic answer (a sender rule applies)",
    });
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
            ..Default::default()
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
        fingerprint: None,
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
            ..Default::default()
        });
    }
    Ok(change)
}

#[cfg(test)]
mod tests {
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
            users_list: None,
            status_url: None,
            base_url: None,
            owner: None,
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

    fn member() -> Member {
        Member {
            id: crate::ids::UserId(7),
            email: Email::parse("alice@example.org").unwrap(),
            name: "Alice".into(),
            org_team: true,
            projects: vec![],
        }
    }

    #[test]
    fn a_member_reaches_the_reporter_only_by_answering_a_mail_the_reporter_got() {
        let c = new_change(Some("ann@example.net"));
        let report = &c.report;
        let (relayed, what) = member_mail(
            report,
            &member(),
            "Fixed in 1.2.",
            Answers::MailToReporter,
            Timestamp::now(),
            &Policy::default(),
            &contacts(),
        )
        .unwrap();
        assert_eq!(what, MemberMail::Relayed);
        assert_eq!(relayed.messages[0].kind, MessageKind::Team);
        assert!(relayed.mails.iter().any(|m| m.reaches_reporter(report)));

        for answers in [Answers::TeamOnlyMail, Answers::Unknown] {
            let (kept, what) = member_mail(
                report,
                &member(),
                "team only: we think this is a dup of EMB-OTHER",
                answers,
                Timestamp::now(),
                &Policy::default(),
                &contacts(),
            )
            .unwrap();
            assert_eq!(what, MemberMail::KeptAsNote, "{answers:?}");
            assert_eq!(kept.messages.len(), 1);
            assert!(!kept.messages[0].kind.visible_to_reporter());
            assert!(
                kept.mails.iter().all(|m| !m.reaches_reporter(report)),
                "{answers:?}: nothing goes to the reporter"
            );
            assert_eq!(kept.mails.len(), 1, "the member is told");
            assert_eq!(kept.mails[0].to[0].as_str(), "alice@example.org");
            assert!(
                !kept.mails[0].body.contains("dup of"),
                "the notice does not repeat the note"
            );
        }
    }

    #[test]
    fn reaching_the_reporter_ignores_case_and_looks_at_cc() {
        let c = new_change(Some("Ann@Example.net"));
        let mut m = OutgoingMail {
            to: vec![Email::parse("security@example.org").unwrap()],
            cc: vec![Email::parse("ann@example.net").unwrap()],
            subject: "s".into(),
            body: "b".into(),
            notice: None,
            ..Default::default()
        };
        assert!(m.reaches_reporter(&c.report));
        m.cc.clear();
        assert!(!m.reaches_reporter(&c.report));
        assert!(!m.reaches_reporter(&new_change(None).report));
    }

    #[test]
    fn automatic_answers_are_withheld_but_the_team_is_still_told() {
        let mut c = new_change(Some("ann@example.net"));
        ask_for_plain_text(&mut c, PlainTextReason::HtmlOnly);
        let team_mails = c
            .mails
            .iter()
            .filter(|m| !m.reaches_reporter(&c.report))
            .count();
        assert!(c.mails.iter().any(|m| m.reaches_reporter(&c.report)));
        withhold_automatic_answers(&mut c, NoAutoAnswer::AutomaticSender);
        assert!(
            c.mails.iter().all(|m| !m.reaches_reporter(&c.report)),
            "no receipt, no plain-text request"
        );
        assert_eq!(c.mails.len(), team_mails, "the team's notice stays");
        assert!(c.audit.detail.contains("no automatic answer"));
        assert_eq!(
            c.report.reporter.email.as_ref().unwrap().as_str(),
            "ann@example.net"
        );
    }
}
