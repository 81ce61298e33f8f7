//! Triage: the first answers to a report (docs/process.md, steps 2-5). The handling team
//! acknowledges it, then accepts it as a vulnerability with a disclosure date or
//! rejects it with a reason; the organisation team routes it to the right project
//! until it is accepted.
//!
//! Each step has a `may_*` predicate holding every rule that does not depend on the
//! command's own fields; `decide` and `available_steps` both ask it.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use super::Change;
use super::common::{
    Decision, is_org, not_terminal, notice_last, require, require_role, subject, system_message,
};
use crate::DomainError;
use crate::access::Member;
use crate::ids::Email;
use crate::policy::Policy;
use crate::record::RecordState;
use crate::report::{Notice, NoticeKind, OutgoingMail, ProjectRef, Report};
use crate::state::ReportState;
use crate::text::{MAX_DESCRIPTION_BYTES, required_text};

/// Only a report nobody has answered yet is acknowledged.
pub(super) fn may_acknowledge(report: &Report) -> Result<(), DomainError> {
    require(
        report.state == ReportState::Received,
        &format!(
            "only a received report can be acknowledged; this one is {}",
            report.state
        ),
    )
}

/// Any open report may be rejected, except one that holds a live CVE: that id is
/// rejected with the organisation team first, so no id dangles.
pub(super) fn may_reject(report: &Report) -> Result<(), DomainError> {
    not_terminal(report)?;
    require(
        report.cve.is_none() || report.record_state() == Some(RecordState::Rejected),
        "a CVE is assigned to this report; reject the CVE with the organisation team first",
    )
}

/// An acknowledged, routed report may be accepted. On success, the earliest disclosure
/// date the policy allows: today, in the project's time zone.
pub(super) fn may_accept(
    report: &Report,
    now: Timestamp,
    policy: &Policy,
) -> Result<Date, DomainError> {
    require(
        report.state == ReportState::Acknowledged,
        &format!(
            "only an acknowledged report can be accepted; this one is {}{}",
            report.state,
            if report.state == ReportState::Received {
                " (acknowledge it first)"
            } else {
                ""
            }
        ),
    )?;
    require(
        report.project.is_some(),
        "route the report to a project before accepting it",
    )?;
    Ok(policy.calendar()?.local_date(now))
}

/// The organisation team routes open reports; once accepted, a report stays with the
/// project that accepted it.
pub(super) fn may_route(report: &Report, member: Option<&Member>) -> Result<(), DomainError> {
    require_role(
        is_org(member),
        "only the organisation security team routes reports",
    )?;
    not_terminal(report)?;
    require(
        !report.state.is_accepted(),
        "an accepted report stays with its project",
    )
}

pub(super) fn acknowledge(d: &Decision, message: Option<String>) -> Result<Change, DomainError> {
    may_acknowledge(d.report)?;
    let mut next = d.report.clone();
    next.state = ReportState::Acknowledged;
    next.acknowledged_at = Some(d.now);
    // The two-member discussion (docs/process.md#step-4-discuss) starts with the
    // acknowledgement.
    next.deadlines.discuss_by =
        Some(d.now + SignedDuration::from_hours(i64::from(d.policy.discuss_hours)));
    let body = message.unwrap_or_else(|| {
        "Thank you for your report. We have received it and are looking into it; we will keep you informed here.".into()
    });
    let mut c = d.transition(next, ReportState::Acknowledged);
    d.tell_reporter(&mut c, "Acknowledged", &body, true);
    notice_last(
        &mut c,
        d.contacts,
        Notice::new(NoticeKind::Acknowledged, [("message", body.clone())]),
    );
    Ok(c)
}

pub(super) fn reject(d: &Decision, reason: &str) -> Result<Change, DomainError> {
    may_reject(d.report)?;
    let reason = required_text("reason", reason, MAX_DESCRIPTION_BYTES)?;
    let mut next = d.report.clone();
    next.state = ReportState::Rejected;
    let mut c = d.transition(next, ReportState::Rejected);
    let body =
        format!("After investigation the team does not consider this a vulnerability:\n\n{reason}");
    d.tell_reporter(&mut c, "Not a vulnerability", &body, true);
    notice_last(
        &mut c,
        d.contacts,
        Notice::new(NoticeKind::Rejected, [("reason", reason.clone())]),
    );
    Ok(c)
}

/// The last disclosure date the policy's announcement deadline allows for a report
/// accepted `now`: `announce_days` later, in the project's time zone. A later date is
/// allowed once the team confirms it (docs/process.md#step-5-accept-or-reject).
pub fn disclosure_target(now: Timestamp, policy: &Policy) -> Result<Date, DomainError> {
    Ok(policy
        .calendar()?
        .local_date(now + SignedDuration::from_hours(24 * i64::from(policy.announce_days))))
}

pub(super) fn accept(
    d: &Decision,
    disclosure_date: Date,
    message: Option<String>,
    confirm_late: bool,
) -> Result<Change, DomainError> {
    let earliest = may_accept(d.report, d.now, d.policy)?;
    if disclosure_date < earliest {
        return Err(DomainError::invalid(
            "disclosure_date",
            format!("{disclosure_date} is in the past"),
        ));
    }
    let target = disclosure_target(d.now, d.policy)?;
    let late = disclosure_date > target;
    if late && !confirm_late {
        return Err(DomainError::invalid(
            "confirm_late",
            format!(
                "{disclosure_date} is after {target}, the policy's target ({} days from \
                 acceptance): confirm that disclosure waits longer",
                d.policy.announce_days
            ),
        ));
    }
    let mut next = d.report.clone();
    next.state = ReportState::Accepted;
    next.accepted_at = Some(d.now);
    next.disclosure_date = Some(disclosure_date);
    next.deadlines.announce_by =
        Some(d.now + SignedDuration::from_hours(24 * i64::from(d.policy.announce_days)));
    let message = message.unwrap_or_else(|| {
        "The team has accepted your report as a vulnerability and is working on a fix.".into()
    });
    let body = format!("{message}\n\nPlanned disclosure date: {disclosure_date}.");
    let mut c = d.transition(next, ReportState::Accepted);
    c.audit
        .detail
        .push_str(&format!("; disclosure {disclosure_date}"));
    if late {
        c.audit
            .detail
            .push_str(&format!(", after the policy's target {target} (confirmed)"));
    }
    d.tell_reporter(&mut c, "Accepted", &body, false);
    notice_last(
        &mut c,
        d.contacts,
        Notice::new(
            NoticeKind::Accepted,
            [
                ("message", message),
                ("disclosure_date", disclosure_date.to_string()),
            ],
        ),
    );
    Ok(c)
}

/// Routes the report to `project`, whose team is told at `team`.
pub(super) fn route(d: &Decision, project: ProjectRef, team: Email) -> Result<Change, DomainError> {
    may_route(d.report, d.member)?;
    let detail = format!("to project {}", project.slug);
    let name = project.name.clone();
    let mut next = d.report.clone();
    next.project = Some(project);
    let mut c = Change::new(next.clone(), d.audit("route", detail));
    c.messages.push(system_message(&format!(
        "Your report has been forwarded to the {name} security team."
    )));
    // The forwarded-to-project notice (docs/process.md#step-2-route-it-to-a-team). For
    // the project's team this is a new report, so it is the `new_report` notice (a
    // site's template for new reports words it too), copied to the organisation as
    // every routing is.
    let acknowledge_by = next
        .deadlines
        .acknowledge_by
        .map(|t| t.to_string())
        .unwrap_or_default();
    let cc = if team == d.contacts.org_security {
        vec![]
    } else {
        vec![d.contacts.org_security.clone()]
    };
    let page = d.contacts.report_page(&next.id).unwrap_or_default();
    c.mails.push(OutgoingMail {
        to: vec![team],
        cc,
        subject: subject(&next, &format!("New report: {}", next.title)),
        body: format!(
            "The {} security team forwarded this report to the {name} security team. \
             Read it, answer the reporter and move it on in Embargo.\n\
             Acknowledge by: {acknowledge_by}{}",
            d.contacts.org_name,
            super::intake::link_line(&page),
        ),
        notice: Some(Notice::new(
            NoticeKind::NewReport,
            [
                ("channel", next.channel.as_str().to_string()),
                ("acknowledge_by", acknowledge_by.clone()),
                ("report_url", page),
            ],
        )),
        ..Default::default()
    });
    Ok(c)
}
