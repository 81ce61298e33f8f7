//! Merge and split: the organisation team decides that several reports are one
//! vulnerability, or that one report is several (docs/process.md#merge-and-split).
//!
//! Both touch two reports, so they are not `decide` commands: each returns the two
//! changes that the store applies in one transaction, with both version checks.
//! Reporters are kept apart: the reporter of a merged report learns that it was merged,
//! never the other report's id, title or thread.

use jiff::Timestamp;

use super::{Change, Contacts, cc_org, subject, system_message};
use crate::DomainError;
use crate::access::{Access, Actor, access};
use crate::ids::ReportId;
use crate::record::{Credit, CreditKind, RecordState};
use crate::report::{
    AuditEntry, Deadlines, MessageKind, NewMessage, Notice, NoticeKind, OutgoingMail, Report,
};
use crate::state::ReportState;

/// A decided merge: `source` becomes `merged` into `target`.
#[derive(Debug, Clone)]
pub struct Merge {
    /// The merged report (B), now terminal.
    pub source: Change,
    /// The report that carries the vulnerability on (A).
    pub target: Change,
}

/// A decided split: `created` is a new report split off `original`.
#[derive(Debug, Clone)]
pub struct Split {
    /// The report that was split (A).
    pub original: Change,
    /// The new report (A2), to be created with a status token nobody is given.
    pub created: Change,
}

fn refuse(why: impl Into<String>) -> DomainError {
    DomainError::transition(why)
}

fn audit(actor: &Actor, now: Timestamp, action: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: actor.audit_name(),
        action: action.into(),
        detail,
    }
}

/// Whether `actor` may merge `source` into some other report: the organisation team
/// only (it allocates CVEs, docs/process.md#merge-and-split), and only a report still
/// open without a CVE of its own. Used alone to decide whether the page shows the merge form.
pub fn may_merge(source: &Report, actor: &Actor) -> Result<(), DomainError> {
    if access(actor, source) == Access::None {
        return Err(DomainError::Forbidden("no such report".into()));
    }
    if !actor.member().is_some_and(|m| m.org_team) {
        return Err(DomainError::Forbidden(
            "only the organisation security team merges reports".into(),
        ));
    }
    if source.state.is_terminal() {
        return Err(refuse(format!(
            "the report is {}; it can no longer be merged",
            source.state
        )));
    }
    Ok(())
}

/// Merges `source` (B) into `target` (A): B becomes `merged` with `merged_into: A`, its
/// reporter is told it is handled together with another report and will be credited,
/// A gets an internal note naming B and B's reporter's credit on its record.
/// `contacts` are B's (its reporter's mail is copied to B's team).
pub fn merge(
    source: &Report,
    target: &Report,
    actor: &Actor,
    now: Timestamp,
    contacts: &Contacts,
) -> Result<Merge, DomainError> {
    may_merge(source, actor)?;
    if access(actor, target) == Access::None {
        return Err(DomainError::Forbidden("no such report".into()));
    }
    if source.id == target.id {
        return Err(refuse("a report cannot be merged into itself"));
    }
    if target.state.is_terminal() {
        return Err(refuse(format!(
            "the report to merge into is {}; choose an open one",
            target.state
        )));
    }
    if source.cve.is_some() && source.cve != target.cve {
        return Err(refuse(
            "this report has a CVE of its own; reject that id first, or merge the other way",
        ));
    }
    let member = actor.member();
    let author_label = member.map_or_else(|| "Embargo".to_string(), |m| m.name.clone());

    // B: terminal, pointing at A for the team only.
    let mut b = source.clone();
    b.state = ReportState::Merged;
    b.merged_into = Some(target.id.clone());
    let mut source_change = Change::new(
        b.clone(),
        audit(
            actor,
            now,
            "merge",
            format!("{} -> merged into {}", source.state, target.id),
        ),
    );
    let credit = source.reporter.credit.clone();
    // Nothing about the other report: not its id, title nor reporter.
    let told = format!(
        "The team found that your report describes the same vulnerability as another report. \
         They are handled together from now on, and {} when it is announced. \
         You can still reply here.",
        match &credit {
            Some(c) => format!("you will be credited as \"{c}\""),
            None => "your report is kept".into(),
        }
    );
    source_change.messages.push(system_message(&told));
    if let Some(email) = &b.reporter.email {
        let link = contacts
            .status_url
            .as_ref()
            .map(|u| format!("\n\n-- \nFollow and answer here: {u}"))
            .unwrap_or_default();
        source_change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc: vec![contacts.team.clone()],
            subject: subject(&b, "Handled together with another report"),
            body: format!("{told}{link}"),
            notice: Some(Notice::new(
                NoticeKind::Merged,
                [
                    ("credit", credit.clone().unwrap_or_default()),
                    (
                        "status_url",
                        contacts.status_url.clone().unwrap_or_default(),
                    ),
                ],
            )),
            ..Default::default()
        });
    }

    // A: the note naming B, and B's reporter's credit on the record if there is one.
    let mut a = target.clone();
    let mut credited = false;
    if let (Some(name), Some(mut record)) = (&credit, target.cve_record())
        && !matches!(
            target.record_state(),
            Some(RecordState::Published | RecordState::Rejected)
        )
    {
        if !record.credits.iter().any(|c| &c.name == name) {
            record.credits.push(Credit {
                name: name.clone(),
                kind: CreditKind::Finder,
            });
            a.cna_record = Some(record);
            // An edit invalidates a review, as when the record is saved by hand.
            if matches!(
                target.record_state(),
                Some(RecordState::Review | RecordState::Ready)
            ) {
                a.record_state = Some(RecordState::Draft);
            }
        }
        credited = true;
    }
    let mut target_change = Change::new(
        a,
        audit(
            actor,
            now,
            "merge",
            format!("{} merged into this report", source.id),
        ),
    );
    let credit_line = match (&credit, credited) {
        (Some(c), true) => format!(" Its reporter is credited on the record as \"{c}\"."),
        (Some(c), false) => format!(
            " Its reporter asked to be credited as \"{c}\"; add it when the record is written."
        ),
        (None, _) => String::new(),
    };
    target_change.messages.push(NewMessage {
        kind: MessageKind::Note,
        author: member.map(|m| m.id),
        author_label,
        body: format!(
            "Report {} (\"{}\") was merged into this report: the same vulnerability.{credit_line} \
             Its reporter was told only that it was merged, not this report's id.",
            source.id, source.title
        ),
    });
    Ok(Merge {
        source: source_change,
        target: target_change,
    })
}

/// Whether `actor` may split `report`: its handling team (or the organisation team),
/// once it is accepted and until it is announced.
pub fn may_split(report: &Report, actor: &Actor) -> Result<(), DomainError> {
    if access(actor, report) != Access::Team || actor.member().is_none() {
        return Err(DomainError::Forbidden(
            "only the handling team splits a report".into(),
        ));
    }
    if !report.state.is_accepted() || report.state.is_terminal() {
        return Err(refuse(format!(
            "a report is split once it is accepted and before it is announced; this one is {}",
            report.state
        )));
    }
    Ok(())
}

/// Splits `report` (A): a new report `new_id` (A2) with A's text, reporter, project and
/// disclosure date starts at `accepted`, so it gets its own CVE and record. The reporter
/// keeps following A's link and is told there that a second issue is tracked.
pub fn split(
    report: &Report,
    new_id: ReportId,
    actor: &Actor,
    now: Timestamp,
    contacts: &Contacts,
) -> Result<Split, DomainError> {
    may_split(report, actor)?;
    let member = actor.member();
    let author_label = member.map_or_else(|| "Embargo".to_string(), |m| m.name.clone());
    let created = Report {
        id: new_id.clone(),
        project: report.project.clone(),
        state: ReportState::Accepted,
        title: report.title.clone(),
        description: report.description.clone(),
        affected_versions: report.affected_versions.clone(),
        reporter: report.reporter.clone(),
        channel: report.channel,
        received_at: report.received_at,
        acknowledged_at: report.acknowledged_at,
        accepted_at: Some(now),
        announced_at: None,
        // The same disclosure plan as the report it came from.
        deadlines: Deadlines {
            announce_by: report.deadlines.announce_by,
            ..Deadlines::default()
        },
        discussants: report.discussants.clone(),
        disclosure_date: report.disclosure_date,
        cve_summary: None,
        cve: None,
        fix_ref: None,
        release_ref: None,
        cna_record: None,
        record_state: None,
        merged_into: None,
        split_from: Some(report.id.clone()),
        triage: None,
        owner: None,
        version: 0,
    };
    let mut created_change = Change::new(
        created,
        audit(actor, now, "split", format!("from {}", report.id)),
    );
    created_change.messages.push(NewMessage {
        kind: MessageKind::Note,
        author: member.map(|m| m.id),
        author_label: author_label.clone(),
        body: format!(
            "Split from {}: a second vulnerability of the same report. It gets its own CVE and \
             record; the reporter follows it through {}'s status link.",
            report.id, report.id
        ),
    });

    let mut original_change = Change::new(
        report.clone(),
        audit(actor, now, "split", format!("into {new_id}")),
    );
    original_change.messages.push(NewMessage {
        kind: MessageKind::Note,
        author: member.map(|m| m.id),
        author_label,
        body: format!("Split: the second vulnerability of this report is tracked as {new_id}."),
    });
    let told = "The team found that your report describes more than one vulnerability. \
                The second one is also tracked as a second issue, with its own CVE; \
                you will be told about both here.";
    original_change.messages.push(system_message(told));
    if let Some(email) = &report.reporter.email {
        let mut cc = vec![contacts.team.clone()];
        cc.extend(cc_org(contacts));
        original_change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc,
            subject: subject(report, "Your report is tracked as two issues"),
            body: told.into(),
            notice: Some(Notice::new(
                NoticeKind::Split,
                [(
                    "status_url",
                    contacts.status_url.clone().unwrap_or_default(),
                )],
            )),
            ..Default::default()
        });
    }
    Ok(Split {
        original: original_change,
        created: created_change,
    })
}
