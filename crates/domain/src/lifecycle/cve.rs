//! CVE ids (docs/process.md, steps 6-7): the project asks the organisation for an id, and the
//! organisation team (or a trusted project's own team) takes one from the pool.
//!
//! The pool itself is the store's: the change names the id to claim, and the store
//! fails it if the id is not free.

use super::common::{Decision, cc_org, notice_last, project_name, require, require_role, subject};
use super::{Change, may_assign_cve};
use crate::DomainError;
use crate::access::Member;
use crate::ids::CveId;
use crate::report::{Notice, NoticeKind, OutgoingMail, Report};
use crate::state::ReportState;
use crate::text::required_line;

/// An id is requested for an accepted report, once.
pub(super) fn may_request(report: &Report) -> Result<(), DomainError> {
    require(
        report.state == ReportState::Accepted,
        &format!(
            "a CVE can be requested for an accepted report; this one is {}",
            report.state
        ),
    )
}

/// Who may take an id ([`may_assign_cve`]), for an accepted report, requested or not.
pub(super) fn may_assign(report: &Report, member: Option<&Member>) -> Result<(), DomainError> {
    require_role(
        member.is_some_and(|m| may_assign_cve(m, report)),
        "only the organisation security team, or the team of a trusted project, \
         assigns CVE ids; request one (cve_requested) and the organisation team assigns it",
    )?;
    require(
        matches!(
            report.state,
            ReportState::Accepted | ReportState::CveRequested
        ),
        &format!(
            "a CVE is assigned to an accepted report; this one is {}",
            report.state
        ),
    )
}

pub(super) fn request(d: &Decision, summary: &str) -> Result<Change, DomainError> {
    may_request(d.report)?;
    let summary = required_line("summary", summary)?;
    let mut next = d.report.clone();
    next.state = ReportState::CveRequested;
    next.cve_summary = Some(summary.clone());
    let mut c = d.transition(next, ReportState::CveRequested);
    c.mails.push(OutgoingMail {
        to: vec![d.contacts.org_security.clone()],
        cc: vec![d.contacts.team.clone()],
        subject: subject(d.report, "CVE request"),
        body: format!("CVE request for {}:\n\n{summary}", project_name(d.report)),
        notice: Some(Notice::new(
            NoticeKind::CveRequest,
            [("summary", summary.clone())],
        )),
        ..Default::default()
    });
    Ok(c)
}

pub(super) fn assign(d: &Decision, cve: CveId) -> Result<Change, DomainError> {
    may_assign(d.report, d.member)?;
    let mut next = d.report.clone();
    next.state = ReportState::CveAssigned;
    next.cve = Some(cve.clone());
    let mut c = d.transition(next, ReportState::CveAssigned);
    c.audit.detail.push_str(&format!("; {cve}"));
    c.claim_cve = Some(cve.clone());
    c.mails.push(OutgoingMail {
        to: vec![d.contacts.team.clone()],
        cc: cc_org(d.contacts),
        subject: subject(d.report, &format!("{cve} assigned")),
        body: format!("{cve} is assigned to this report. Write its record in Embargo."),
        notice: Some(Notice::new(
            NoticeKind::CveAssigned,
            [("cve", cve.to_string())],
        )),
        ..Default::default()
    });
    d.tell_reporter(
        &mut c,
        "CVE assigned",
        &format!(
            "The vulnerability has been assigned {cve}. It stays private until it is announced."
        ),
        false,
    );
    notice_last(
        &mut c,
        d.contacts,
        Notice::new(NoticeKind::CveAssignedReporter, [("cve", cve.to_string())]),
    );
    Ok(c)
}
