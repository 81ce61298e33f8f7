//! Disclosure (docs/process.md, steps 9-11): the draft announcement goes to the reporter, the
//! fix and its release are recorded, and the vulnerability is announced, which makes
//! its advisory public.
//!
//! The draft and the announcement are written from the record, so both steps need a
//! complete one; their predicates hand the checked record (and its CVE) to the step
//! so that it is not looked up twice.

use super::common::{Decision, cc_org, complete_record, notice_last, require, system_message};
use super::{Advisory, Change};
use crate::DomainError;
use crate::ids::{CveId, ProjectId};
use crate::record::{CnaRecord, RecordState};
use crate::report::{Notice, NoticeKind, OutgoingMail, Report};
use crate::state::ReportState;
use crate::text::required_line;

fn assigned_cve(report: &Report) -> Result<CveId, DomainError> {
    report
        .cve
        .clone()
        .ok_or_else(|| DomainError::transition("no CVE is assigned"))
}

/// The draft goes to the reporter once an id is assigned and the record is complete.
pub(super) fn may_send_draft(report: &Report) -> Result<(CnaRecord, CveId), DomainError> {
    require(
        report.state == ReportState::CveAssigned,
        &format!(
            "the draft goes to the reporter once a CVE is assigned; this report is {}",
            report.state
        ),
    )?;
    let record = complete_record(report)?;
    Ok((record, assigned_cve(report)?))
}

/// The fix is recorded after the reporter saw the draft, and may be corrected until the
/// announcement.
pub(super) fn may_record_fix(report: &Report) -> Result<(), DomainError> {
    require(
        matches!(
            report.state,
            ReportState::ReporterReview | ReportState::Fixed
        ),
        &format!(
            "the fix is recorded after the reporter has seen the draft (reporter_review); this report is {}",
            report.state
        ),
    )
}

/// A fixed report with a complete record and a live CVE is announced.
pub(super) fn may_announce(report: &Report) -> Result<(CnaRecord, CveId, ProjectId), DomainError> {
    require(
        report.state == ReportState::Fixed,
        &format!(
            "a report is announced once its fix is released (fixed); this one is {}",
            report.state
        ),
    )?;
    let record = complete_record(report)?;
    require(
        report.record_state() != Some(RecordState::Rejected),
        "the CVE of this report is rejected; there is nothing to announce",
    )?;
    let cve = assigned_cve(report)?;
    let project = report
        .project
        .as_ref()
        .ok_or_else(|| DomainError::transition("the report has no project"))?;
    Ok((record, cve, project.id))
}

pub(super) fn send_draft(d: &Decision, message: Option<String>) -> Result<Change, DomainError> {
    let (record, cve) = may_send_draft(d.report)?;
    let draft = record.announcement(&cve);
    let mut next = d.report.clone();
    next.state = ReportState::ReporterReview;
    let mut c = d.transition(next, ReportState::ReporterReview);
    let message = message.unwrap_or_else(|| {
        "Please review the draft announcement below and tell us if anything should change.".into()
    });
    let body = format!(
        "{message}\n\n--- Draft announcement ---\nSubject: {}\n\n{}",
        draft.subject, draft.body
    );
    d.tell_reporter(&mut c, "Draft announcement for your review", &body, false);
    notice_last(
        &mut c,
        d.contacts,
        Notice::new(
            NoticeKind::Draft,
            [
                ("message", message),
                ("draft_subject", draft.subject.clone()),
                ("draft_body", draft.body.clone()),
            ],
        ),
    );
    Ok(c)
}

pub(super) fn record_fix(
    d: &Decision,
    fix_ref: &str,
    release_ref: &str,
) -> Result<Change, DomainError> {
    may_record_fix(d.report)?;
    let mut next = d.report.clone();
    next.state = ReportState::Fixed;
    next.fix_ref = Some(required_line("fix_ref", fix_ref)?);
    next.release_ref = Some(required_line("release_ref", release_ref)?);
    Ok(d.transition(next, ReportState::Fixed))
}

pub(super) fn announce(d: &Decision) -> Result<Change, DomainError> {
    let (record, cve, project) = may_announce(d.report)?;
    let text = record.announcement(&cve);
    let mut next = d.report.clone();
    next.state = ReportState::Announced;
    next.announced_at = Some(d.now);
    let mut c = d.transition(next, ReportState::Announced);
    c.audit.detail.push_str(&format!("; {cve} published"));
    // docs/process.md#step-11-announce: the reporter, the project's security list and the
    // organisation; release-announcement and public lists are not sent to yet
    // (docs/process.md#not-yet-in-embargo).
    let mut to = vec![d.contacts.team.clone()];
    if let Some(e) = &d.report.reporter.email {
        to.push(e.clone());
    }
    c.mails.push(OutgoingMail {
        to,
        cc: cc_org(d.contacts),
        subject: text.subject.clone(),
        body: text.body.clone(),
        notice: Some(Notice::new(
            NoticeKind::Announcement,
            [("cve", cve.to_string())],
        )),
    });
    c.messages.push(system_message(&format!(
        "The vulnerability has been announced as {cve}."
    )));
    c.publish = Some(Advisory {
        cve,
        report: d.report.id.clone(),
        project,
        title: record.title.clone(),
        announcement: text,
        record,
        published_at: d.now,
    });
    Ok(c)
}
