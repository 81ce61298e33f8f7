//! The CVE record of an accepted report: the handling team writes it, and it moves
//! through the states of `record::RecordState` (the project submits it for review, the
//! organisation team marks it READY, publishes it after the announcement, or rejects
//! the id).
//!
//! Who may move a record where is decided here; what a complete record holds is
//! `record`'s. A move to REVIEW or READY is checked in two parts: [`may_move`] (the
//! record's state and the actor) and [`findings_clear`] (the record's own problems and
//! the caller's lint findings), so that a page can offer a move the record's findings
//! still block and let the refusal name them.

use super::Change;
use super::common::{Decision, is_org, require, require_role, subject};
use crate::DomainError;
use crate::access::Member;
use crate::record::{CnaRecord, RecordState};
use crate::report::{MessageKind, NewMessage, OutgoingMail, Report};
use crate::state::ReportState;
use crate::text::{MAX_DESCRIPTION_BYTES, required_text};

/// The record is written for an accepted, unannounced report, until it is published
/// or its id rejected. On success, the record's state before the save.
pub(super) fn may_save(report: &Report) -> Result<Option<RecordState>, DomainError> {
    require(
        report.state.is_accepted() && report.state != ReportState::Announced,
        &format!(
            "the record is written for an accepted, unannounced report; this one is {}",
            report.state
        ),
    )?;
    let before = report.record_state();
    require(
        !matches!(before, Some(RecordState::Published | RecordState::Rejected)),
        &format!(
            "the record is {}; it can no longer be edited",
            before.map_or("", RecordState::label)
        ),
    )?;
    Ok(before)
}

/// Saves the full record; the record becomes (or stays) DRAFT.
pub(super) fn save(d: &Decision, record: CnaRecord) -> Result<Change, DomainError> {
    let before = may_save(d.report)?;
    if record.title.trim().is_empty() && record.description.trim().is_empty() {
        return Err(DomainError::invalid(
            "title",
            "a record needs at least a title or a description",
        ));
    }
    let mut next = d.report.clone();
    next.cna_record = Some(record);
    next.record_state = Some(RecordState::Draft);
    // The reporters of merged reports stay credited, whoever wrote the record and when.
    super::combine::credit_on_record(&mut next);
    let detail = match before {
        // An edit invalidates the review the record had.
        Some(s @ (RecordState::Review | RecordState::Ready)) => {
            format!("updated; {s} -> DRAFT")
        }
        _ => "updated".into(),
    };
    Ok(Change::new(next, d.audit("record", detail)))
}

/// A record move the record's state and the actor allow.
pub(super) struct AllowedMove {
    pub(super) from: RecordState,
    /// The record whose findings must be clear before it moves (to REVIEW or READY).
    pub(super) check: Option<CnaRecord>,
}

/// Whether `member` may move the record of `report` to `to`, apart from the record's
/// findings ([`findings_clear`]).
pub(super) fn may_move(
    report: &Report,
    member: Option<&Member>,
    to: RecordState,
) -> Result<AllowedMove, DomainError> {
    let from = report
        .record_state()
        .ok_or_else(|| DomainError::transition("no CVE is assigned to this report yet"))?;
    let org_only = |what: &str| {
        require_role(
            is_org(member),
            &format!("only the organisation security team {what}"),
        )
    };
    let wrong = format!("a {from} record cannot be moved to {}", to.label());
    match to {
        RecordState::Reserved => return Err(DomainError::transition(wrong)),
        RecordState::Draft => {
            org_only("sends a record back to DRAFT; edit and save it instead")?;
            require(
                matches!(from, RecordState::Review | RecordState::Ready),
                &wrong,
            )?;
        }
        RecordState::Review => {
            require(from == RecordState::Draft, &wrong)?;
            require(
                report.cve.is_some(),
                "a CVE id is assigned before its record is reviewed",
            )?;
        }
        RecordState::Ready => {
            org_only("marks a record READY")?;
            require(
                from == RecordState::Review,
                &format!(
                    "a {from} record cannot be marked READY; the project submits it for review first"
                ),
            )?;
        }
        RecordState::Published => {
            org_only("publishes records to the CVE Program")?;
            require(
                from == RecordState::Ready,
                &format!("a {from} record cannot be published; it must be READY"),
            )?;
            require(
                report.state == ReportState::Announced,
                "a record is published once the vulnerability is announced; nothing is public before that",
            )?;
        }
        RecordState::Rejected => {
            org_only("rejects CVE ids")?;
            require(
                from != RecordState::Rejected,
                "the CVE id is already rejected",
            )?;
        }
    }
    let check = if matches!(to, RecordState::Review | RecordState::Ready) {
        Some(
            report
                .cve_record()
                .ok_or_else(|| DomainError::transition("write the vulnerability record first"))?,
        )
    } else {
        None
    };
    Ok(AllowedMove { from, check })
}

/// A record leaves DRAFT only without problems: its own, and `problems`, the caller's
/// findings (the CVE JSON 5 lint, which the domain cannot run itself).
pub(super) fn findings_clear(record: &CnaRecord, problems: &[String]) -> Result<(), DomainError> {
    let all: Vec<String> = record
        .problems()
        .iter()
        .map(ToString::to_string)
        .chain(problems.iter().cloned())
        .collect();
    match all.as_slice() {
        [] => Ok(()),
        [one] => Err(DomainError::transition(format!(
            "the record cannot leave DRAFT until this is fixed: {one}"
        ))),
        [first, rest @ ..] => Err(DomainError::transition(format!(
            "the record cannot leave DRAFT until its problems are fixed: {first} (and {} more)",
            rest.len()
        ))),
    }
}

/// Moves the record to `to`; `reason` is kept as an internal note (required to reject
/// an id, so that the reason is on file).
pub(super) fn move_to(
    d: &Decision,
    to: RecordState,
    reason: Option<&str>,
    problems: &[String],
) -> Result<Change, DomainError> {
    let AllowedMove { from, check } = may_move(d.report, d.member, to)?;
    if let Some(record) = &check {
        findings_clear(record, problems)?;
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if to == RecordState::Rejected && reason.is_none() {
        return Err(DomainError::invalid(
            "reason",
            "say why the CVE id is rejected (e.g. \"duplicate of CVE-...\")",
        ));
    }
    let mut next = d.report.clone();
    next.record_state = Some(to);
    let mut c = Change::new(
        next,
        d.audit("record_state", format!("{from} -> {}", to.label())),
    );
    if let Some(reason) = reason {
        let body = required_text("reason", reason, MAX_DESCRIPTION_BYTES)?;
        c.messages.push(NewMessage {
            kind: MessageKind::Note,
            author: d.author_id(),
            author_label: d.author(),
            body: format!("Record {from} -> {}: {body}", to.label()),
        });
    }
    if let Some(mail) = review_mail(d, to) {
        c.mails.push(mail);
    }
    Ok(c)
}

/// The mail a move to REVIEW (to the organisation team) or READY (to the project's
/// team) sends, so that the other side knows it is its turn.
fn review_mail(d: &Decision, to: RecordState) -> Option<OutgoingMail> {
    let (who, what) = match to {
        RecordState::Review => (d.contacts.org_security.clone(), "submitted for review"),
        RecordState::Ready => (
            d.contacts.team.clone(),
            "marked READY by the organisation team",
        ),
        _ => return None,
    };
    Some(OutgoingMail {
        to: vec![who],
        cc: vec![],
        notice: None,
        subject: subject(d.report, &format!("Record {what}")),
        body: format!(
            "The record of {} was {what}. Read it in Embargo.",
            d.report
                .cve
                .as_ref()
                .map_or("this report".into(), ToString::to_string)
        ),
        ..Default::default()
    })
}
