//! What every step of the lifecycle shares: the access check `decide` starts with, the
//! context a step is decided in, and the ways a step speaks (to the reporter, to the
//! teams, to the audit log).
//!
//! Nothing here decides whether a step may be taken; the step modules do, each for
//! its own commands.

use jiff::Timestamp;

use super::{Change, Contacts};
use crate::DomainError;
use crate::access::{Access, Actor, Member, access};
use crate::ids::{Email, UserId};
use crate::policy::Policy;
use crate::record::CnaRecord;
use crate::report::{AuditEntry, MessageKind, NewMessage, Notice, OutgoingMail, Report};
use crate::state::ReportState;

/// The check every command starts with. A report the actor may not see does not
/// exist for them; the reporter's own reply is the only command of the reporter, and
/// the only one the team cannot send.
pub(super) fn admit(
    report: &Report,
    actor: &Actor,
    reporter_command: bool,
) -> Result<(), DomainError> {
    let level = access(actor, report);
    if level == Access::None {
        return Err(DomainError::Forbidden("no such report".into()));
    }
    if reporter_command != (level == Access::Reporter) {
        return Err(DomainError::Forbidden(if reporter_command {
            "only the reporter can reply as the reporter".into()
        } else {
            "only the handling team can do this".into()
        }));
    }
    Ok(())
}

/// One decision in the making, once [`admit`] let the actor in: the report as it was
/// read, who asks, and the clock, policy and addresses it is decided with.
pub(super) struct Decision<'a> {
    pub(super) report: &'a Report,
    pub(super) actor: &'a Actor,
    /// The member taking the step; `None` for the reporter's own reply.
    pub(super) member: Option<&'a Member>,
    pub(super) now: Timestamp,
    pub(super) policy: &'a Policy,
    pub(super) contacts: &'a Contacts,
}

impl Decision<'_> {
    /// The name the step's messages are signed with.
    pub(super) fn author(&self) -> String {
        self.member
            .map_or("Reporter".to_string(), |m| m.name.clone())
    }

    pub(super) fn author_id(&self) -> Option<UserId> {
        self.member.map(|m| m.id)
    }

    /// An audit line by this actor, now.
    pub(super) fn audit(&self, action: &str, detail: String) -> AuditEntry {
        AuditEntry {
            at: self.now,
            actor: self.actor.audit_name(),
            action: action.into(),
            detail,
        }
    }

    /// The change of a state transition: `next` (already in state `to`) with the audit
    /// line naming where the report came from.
    pub(super) fn transition(&self, next: Report, to: ReportState) -> Change {
        let audit = self.audit("transition", format!("{} -> {}", self.report.state, to));
        Change::new(next, audit)
    }

    /// [`tell_reporter`], signed by this decision's member.
    pub(super) fn tell_reporter(
        &self,
        change: &mut Change,
        topic: &str,
        body: &str,
        copy_org: bool,
    ) {
        tell_reporter(
            change,
            &self.author(),
            self.author_id(),
            topic,
            body,
            self.contacts,
            copy_org,
        );
    }
}

/// A refusal of the lifecycle (the step does not fit the report now) unless `ok`.
pub(super) fn require(ok: bool, why: &str) -> Result<(), DomainError> {
    if ok {
        Ok(())
    } else {
        Err(DomainError::transition(why.to_string()))
    }
}

/// A refusal of the actor (someone else takes this step) unless `ok`.
pub(super) fn require_role(ok: bool, why: &str) -> Result<(), DomainError> {
    if ok {
        Ok(())
    } else {
        Err(DomainError::Forbidden(why.to_string()))
    }
}

/// Rejected, announced and merged reports take no further step.
pub(super) fn not_terminal(report: &Report) -> Result<(), DomainError> {
    require(
        !report.state.is_terminal(),
        &format!(
            "the report is {}; nothing more can happen to it",
            report.state
        ),
    )
}

/// Whether `member` is on the organisation security team (the CNA), which alone routes
/// reports and moves records past review.
pub(super) fn is_org(member: Option<&Member>) -> bool {
    member.is_some_and(|m| m.org_team)
}

/// The record, checked complete: announcing or drafting needs every required field.
pub(super) fn complete_record(report: &Report) -> Result<CnaRecord, DomainError> {
    let record = report
        .cve_record()
        .ok_or_else(|| DomainError::transition("write the vulnerability record first"))?;
    if let Some(p) = record.problems().first() {
        return Err(DomainError::transition(format!(
            "the record is not complete: {p}"
        )));
    }
    Ok(record)
}

/// A line of the thread written by Embargo itself; the reporter sees it.
pub(super) fn system_message(body: &str) -> NewMessage {
    NewMessage {
        kind: MessageKind::System,
        author: None,
        author_label: "Embargo".into(),
        body: body.into(),
    }
}

/// A message for the reporter: on their status page, and by mail if they gave an
/// address. `copy_org` follows docs/process.md#who-is-told-what (acknowledgement and
/// rejection are copied to the security lists).
pub(super) fn tell_reporter(
    change: &mut Change,
    author: &str,
    author_id: Option<UserId>,
    topic: &str,
    body: &str,
    contacts: &Contacts,
    copy_org: bool,
) {
    change.messages.push(NewMessage {
        kind: MessageKind::Team,
        author: author_id,
        author_label: author.into(),
        body: body.into(),
    });
    if let Some(email) = &change.report.reporter.email {
        let mut cc = vec![contacts.team.clone()];
        if copy_org {
            cc.extend(cc_org(contacts));
        }
        cc.dedup();
        let link = contacts
            .status_url
            .as_ref()
            .map(|u| format!("\n\n-- \nFollow and answer here: {u}"))
            .unwrap_or_default();
        change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc,
            subject: subject(&change.report, topic),
            body: format!("{body}{link}"),
            notice: None,
            ..Default::default()
        });
    }
}

/// Marks the mail [`tell_reporter`] just queued (if the reporter gave an address) as
/// `notice`, with the status link it carries.
pub(super) fn notice_last(change: &mut Change, contacts: &Contacts, mut notice: Notice) {
    let reporter = change.report.reporter.email.clone();
    if let Some(mail) = change.mails.last_mut()
        && mail.notice.is_none()
        && reporter.is_some_and(|r| mail.to.first() == Some(&r))
    {
        notice.vars.insert(
            "status_url".into(),
            contacts.status_url.clone().unwrap_or_default(),
        );
        mail.notice = Some(notice);
    }
}

/// The organisation team as a copy, unless it already is the handling team (a report
/// no project was found for): nobody gets the same mail twice.
pub(super) fn cc_org(contacts: &Contacts) -> Vec<Email> {
    if contacts.org_security == contacts.team {
        vec![]
    } else {
        vec![contacts.org_security.clone()]
    }
}

/// Subjects carry the report id so that replies thread; never the title to outsiders.
pub(super) fn subject(report: &Report, topic: &str) -> String {
    format!("[{}] {}", report.id, topic)
}

/// The project's name for mails to the organisation team.
pub(super) fn project_name(report: &Report) -> String {
    report
        .project
        .as_ref()
        .map_or("an unrouted report".into(), |p| p.name.clone())
}
