//! Merge and split: the organisation team decides that several reports are one
//! vulnerability, or that one report is several (docs/process.md#merge-and-split).
//!
//! Both touch two reports, so they are not `decide` commands: each returns the two
//! changes that the store applies in one transaction, with both version checks.
//! Reporters are kept apart: the reporter of a merged report learns that it was merged,
//! never the other report's id, title or thread. The surviving report keeps the merged
//! reporters (`Report::merged`), so that `disclosure` tells them of the draft and the
//! announcement and the record credits them. Merging across projects is confirmed and
//! told to both teams.

use jiff::Timestamp;

use super::{Change, Contacts, cc_org, subject, system_message};
use crate::DomainError;
use crate::access::{Access, Actor, access};
use crate::ids::ReportId;
use crate::record::{Credit, CreditKind, RecordState};
use crate::report::{
    AuditEntry, Deadlines, MergedReporter, MessageKind, NewMessage, Notice, NoticeKind,
    OutgoingMail, Report,
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

/// What the caller adds to a merge: the target's team (the domain does not know
/// projects' addresses) and, for reports of two different projects, the confirmation
/// that they are the same vulnerability all the same.
#[derive(Debug, Clone)]
pub struct MergeAcross {
    /// The handling team of the target (A): told too when the merge crosses projects.
    pub target_team: crate::ids::Email,
    pub confirmed: bool,
}

/// Merges `source` (B) into `target` (A): B becomes `merged` with `merged_into: A`, its
/// reporter is told it is handled together with another report and will be credited;
/// A keeps B's reporter (and those merged into B before) so that they hear of the
/// draft and the announcement and are credited on A's record, now or when it is first
/// written. `contacts` are B's (its reporter's mail is copied to B's team).
pub fn merge(
    source: &Report,
    target: &Report,
    actor: &Actor,
    now: Timestamp,
    contacts: &Contacts,
    across: &MergeAcross,
) -> Result<Merge, DomainError> {
    let projects = may_merge_into(source, target, actor, across)?;
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
    tell_merged_reporter(&mut source_change, credit.as_deref(), contacts);

    // A: keeps B's reporter (and those merged into B before), credits them on its record.
    let mut a = target.clone();
    a.merged.push(MergedReporter {
        report: source.id.clone(),
        credit: credit.clone(),
    });
    a.merged.extend(source.merged.iter().cloned());
    let credited = credit_on_record(&mut a);
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
        (Some(c), false) => {
            format!(" Its reporter is credited as \"{c}\" on the record once it is written.")
        }
        (None, _) => String::new(),
    };
    target_change.messages.push(NewMessage {
        kind: MessageKind::Note,
        author: member.map(|m| m.id),
        author_label,
        body: format!(
            "Report {} (\"{}\") was merged into this report: the same vulnerability.{credit_line} \
             Its reporter was told only that it was merged, not this report's id; they \
             also get the draft and the announcement, at their own address.",
            source.id, source.title
        ),
    });
    if let Some((from, to)) = projects {
        tell_both_teams(
            &mut target_change,
            source,
            target,
            (&from, &to),
            contacts,
            across,
        );
    }
    Ok(Merge {
        source: source_change,
        target: target_change,
    })
}

/// The checks of a merge of `source` into `target`: [`may_merge`], an open target that
/// is another report, no CVE of B's own, and the confirmation of a merge across
/// projects. Returns the two projects' names when it crosses them.
fn may_merge_into(
    source: &Report,
    target: &Report,
    actor: &Actor,
    across: &MergeAcross,
) -> Result<Option<(String, String)>, DomainError> {
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
    let projects = other_project(source, target);
    if let Some((from, to)) = &projects
        && !across.confirmed
    {
        return Err(DomainError::invalid(
            "confirm_cross_project",
            format!(
                "this report belongs to {from} and {} to {to}: confirm that they are the \
                 same vulnerability across projects (both teams are told)",
                target.id
            ),
        ));
    }
    Ok(projects)
}

/// The two projects' names when `source` and `target` belong to different projects (a
/// report not routed yet belongs to none, so merging it is not across projects).
fn other_project(source: &Report, target: &Report) -> Option<(String, String)> {
    match (&source.project, &target.project) {
        (Some(s), Some(t)) if s.id != t.id => Some((s.name.clone(), t.name.clone())),
        _ => None,
    }
}

/// B's reporter learns that their report is handled together with another one, and
/// nothing about it: not its id, title nor reporter.
fn tell_merged_reporter(change: &mut Change, credit: Option<&str>, contacts: &Contacts) {
    let told = format!(
        "The team found that your report describes the same vulnerability as another report. \
         They are handled together from now on: you will get the draft announcement for \
         review and the announcement, and {} when it is announced. You can still reply here.",
        match credit {
            Some(c) => format!("you will be credited as \"{c}\""),
            None => "your report is kept".into(),
        }
    );
    change.messages.push(system_message(&told));
    if let Some(email) = &change.report.reporter.email {
        let link = contacts
            .status_url
            .as_ref()
            .map(|u| format!("\n\n-- \nFollow and answer here: {u}"))
            .unwrap_or_default();
        let mail = OutgoingMail {
            to: vec![email.clone()],
            cc: vec![contacts.team.clone()],
            subject: subject(&change.report, "Handled together with another report"),
            body: format!("{told}{link}"),
            notice: Some(Notice::new(
                NoticeKind::Merged,
                [
                    ("credit", credit.unwrap_or_default().to_string()),
                    (
                        "status_url",
                        contacts.status_url.clone().unwrap_or_default(),
                    ),
                ],
            )),
            ..Default::default()
        };
        change.mails.push(mail);
    }
}

/// A merge across projects moves a report from one team to another: both teams hear
/// of it (the organisation team in copy), with both ids, as team mail.
fn tell_both_teams(
    change: &mut Change,
    source: &Report,
    target: &Report,
    (from, to): (&str, &str),
    contacts: &Contacts,
    across: &MergeAcross,
) {
    let mut teams = vec![contacts.team.clone(), across.target_team.clone()];
    teams.dedup();
    let cc: Vec<_> = cc_org(contacts)
        .into_iter()
        .filter(|a| !teams.contains(a))
        .collect();
    change.mails.push(OutgoingMail {
        to: teams,
        cc,
        subject: subject(target, "Report merged in from another project"),
        body: format!(
            "Report {} (\"{}\") of {from} was merged into report {} (\"{}\") of {to}: the \
             organisation security team confirmed they are the same vulnerability. {to}'s \
             team handles it from now on; {} stays closed as merged. Its reporter is told \
             of the draft and the announcement and credited on the record.",
            source.id, source.title, target.id, target.title, source.id
        ),
        notice: Some(Notice::new(
            NoticeKind::MergedAcross,
            [
                ("merged_id", source.id.to_string()),
                ("merged_title", source.title.clone()),
                ("merged_project", from.to_string()),
                (
                    "report_url",
                    contacts.report_page(&target.id).unwrap_or_default(),
                ),
            ],
        )),
        ..Default::default()
    });
}

/// Puts the credit of every merged reporter who asked for one on `report`'s record, as
/// a finder, unless it is there already; returns whether the record carries them (it
/// does not before it is written, nor once published or rejected). Called at the merge
/// and whenever the record is saved, so that the credit is on the record whatever the
/// order (docs/process.md#credit).
pub(super) fn credit_on_record(report: &mut Report) -> bool {
    let Some(mut record) = report.cve_record() else {
        return false;
    };
    if matches!(
        report.record_state(),
        Some(RecordState::Published | RecordState::Rejected)
    ) {
        return false;
    }
    let mut added = false;
    for name in report.merged.iter().filter_map(|m| m.credit.as_ref()) {
        if !record.credits.iter().any(|c| &c.name == name) {
            record.credits.push(Credit {
                name: name.clone(),
                kind: CreditKind::Finder,
            });
            added = true;
        }
    }
    if added {
        // An edit invalidates a review, as when the record is saved by hand.
        if matches!(
            report.record_state(),
            Some(RecordState::Review | RecordState::Ready)
        ) {
            report.record_state = Some(RecordState::Draft);
        }
        report.cna_record = Some(record);
    }
    true
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
        merged: vec![],
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
