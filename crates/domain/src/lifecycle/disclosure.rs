//! Disclosure (docs/process.md, steps 9-11): the draft announcement goes to the reporter, the
//! fix and its release are recorded, and the vulnerability is announced, which makes
//! its advisory public.
//!
//! The draft and the announcement are written from the record, so both steps need a
//! complete one; their predicates hand the checked record (and its CVE) to the step
//! so that it is not looked up twice. The announcement goes to the policy's
//! destinations, a copy each, from the project's address (`crate::announce`); before
//! the agreed disclosure date it needs the team's confirmation.

use jiff::Timestamp;
use jiff::civil::Date;

use super::common::{Decision, complete_record, notice_last, require, system_message};
use super::{Advisory, Change, merged};
use crate::DomainError;
use crate::announce::{self, Target};
use crate::ids::{CveId, ProjectId};
use crate::policy::Policy;
use crate::record::{CnaRecord, RecordState};
use crate::report::{MailOrigin, Notice, NoticeKind, OutgoingMail, Report};
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

/// The reporter reviews the text that will be announced and the record behind it, so
/// the draft goes only once the record is valid: the record's own problems are
/// [`may_send_draft`]'s, `problems` the caller's (the CVE JSON 5 lint and the CVE
/// Program's schema). A refusal names the first field to fix.
fn record_validates(problems: &[String]) -> Result<(), DomainError> {
    match problems {
        [] => Ok(()),
        [one] => Err(DomainError::transition(format!(
            "the draft cannot go to the reporter until the record is valid: {one}"
        ))),
        [first, rest @ ..] => Err(DomainError::transition(format!(
            "the draft cannot go to the reporter until the record is valid: {first} (and {} more)",
            rest.len()
        ))),
    }
}

pub(super) fn send_draft(
    d: &Decision,
    message: Option<String>,
    problems: &[String],
) -> Result<Change, DomainError> {
    let (record, cve) = may_send_draft(d.report)?;
    record_validates(problems)?;
    // Each reporter sees their own credit, not the other reporters' (merged reports).
    let (draft, hidden) = merged::draft_for(d.report, &record, &cve, None);
    let mut next = d.report.clone();
    next.state = ReportState::ReporterReview;
    let mut c = d.transition(next, ReportState::ReporterReview);
    let message = merged::draft_message(message);
    let body = merged::draft_body(&message, &draft, hidden);
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
    if !d.report.merged.is_empty() {
        c.audit.detail.push_str(&format!(
            "; draft also to the reporters of {} merged report(s)",
            d.report.merged.len()
        ));
    }
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

/// The agreed disclosure date, when announcing now would come before it: today in
/// the project's time zone is earlier. The team may still announce (a fix is out, the
/// issue went public), but confirms it first (docs/process.md#step-11-announce).
pub fn early_announcement(
    report: &Report,
    now: Timestamp,
    policy: &Policy,
) -> Result<Option<(Date, Date)>, DomainError> {
    let Some(agreed) = report.disclosure_date else {
        return Ok(None);
    };
    let today = policy.calendar()?.local_date(now);
    Ok((today < agreed).then_some((agreed, today)))
}

pub(super) fn announce(d: &Decision, confirm_early: bool) -> Result<Change, DomainError> {
    let (record, cve, project) = may_announce(d.report)?;
    let early = early_announcement(d.report, d.now, d.policy)?;
    if let Some((agreed, today)) = early
        && !confirm_early
    {
        return Err(DomainError::invalid(
            "confirm_early",
            format!(
                "the agreed disclosure date is {agreed} and today is {today} ({}): \
                 confirm that the announcement goes out before it",
                d.policy.time_zone
            ),
        ));
    }
    let text = record.announcement(&cve);
    let mut next = d.report.clone();
    next.state = ReportState::Announced;
    next.announced_at = Some(d.now);
    let mut c = d.transition(next, ReportState::Announced);
    c.audit.detail.push_str(&format!("; {cve} published"));
    if let Some((agreed, today)) = early {
        c.audit.detail.push_str(&format!(
            "; announced on {today}, before the agreed disclosure date {agreed} (confirmed)"
        ));
    }
    // docs/process.md#step-11-announce: each destination of the policy gets a copy of
    // its own, from the project's address, as the team's own mail (not automatic).
    let from = announce::sender(d.policy.announce_from.as_ref(), d.report, d.contacts);
    let mut sent = Vec::new();
    let mut skipped = Vec::new();
    for r in announce::resolve(&d.policy.announce_to, d.report, d.contacts) {
        match r.target {
            Target::Address(address) => {
                sent.push(r.destination.to_string());
                c.mails.push(OutgoingMail {
                    to: vec![address],
                    cc: vec![],
                    subject: text.subject.clone(),
                    body: text.body.clone(),
                    notice: Some(Notice::new(
                        NoticeKind::Announcement,
                        [("cve", cve.to_string())],
                    )),
                    origin: MailOrigin::HumanApproved,
                    from: Some(from.clone()),
                    destination: Some(r.destination),
                });
            }
            Target::NoAddress => skipped.push(format!("{} (no address)", r.destination)),
            Target::SameAs(first) => {
                skipped.push(format!("{} (the same address as {first})", r.destination));
            }
        }
    }
    c.audit
        .detail
        .push_str(&format!("; announcement to {}", sent.join(", ")));
    if !skipped.is_empty() {
        c.audit
            .detail
            .push_str(&format!("; not to {}", skipped.join(", ")));
    }
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
