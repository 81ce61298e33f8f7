//! A new report enters the lifecycle (docs/process.md#step-1-receive-the-report and
//! docs/process.md#step-2-route-it-to-a-team): it starts `received`, with its
//! acknowledgement deadline; the reporter gets a receipt, the handling team (or the
//! organisation team, for a report no project was found for) a notice.
//!
//! `crate::intake` checks what was submitted; this module decides what its arrival
//! changes.

use jiff::Timestamp;

use super::common::{cc_org, subject, system_message};
use super::{Change, Contacts};
use crate::DomainError;
use crate::ids::ReportId;
use crate::intake::NewReport;
use crate::policy::Policy;
use crate::report::{
    AuditEntry, Channel, Deadlines, Notice, NoticeKind, OutgoingMail, ProjectRef, Report, Reporter,
};
use crate::state::ReportState;

/// A new report: the receipt for the reporter, the notice to the team, the audit line.
pub fn receive(
    new: NewReport,
    id: ReportId,
    project: Option<ProjectRef>,
    channel: Channel,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Result<Change, DomainError> {
    let report = received_report(new, id, project, channel, now, policy)?;
    let routed_to = match &report.project {
        Some(p) => format!("the {} security team", p.name),
        None => format!(
            "the {} security team, who will route it to the right project",
            contacts.org_name
        ),
    };
    let receipt = format!(
        "Thank you for your report. It has been received and forwarded to {routed_to}.\n\
         A member of the team will acknowledge it within {} working days.\n\
         Please keep it private until it is announced.",
        policy.acknowledge_working_days
    );
    let routed = report
        .project
        .as_ref()
        .map_or("organisation team".to_string(), |p| {
            format!("project {}", p.slug)
        });
    let mut change = Change::new(
        report.clone(),
        AuditEntry {
            at: now,
            actor: "reporter".into(),
            action: "received".into(),
            detail: format!("via {}; routed to {routed}", channel.as_str()),
        },
    );
    change.messages.push(system_message(&receipt));
    if let Some(mail) = receipt_mail(&report, &receipt, &routed_to, policy, contacts) {
        change.mails.push(mail);
    }
    change.mails.push(team_notice(&report, contacts));
    Ok(change)
}

/// The report as it starts: `received`, to be acknowledged within the policy's working
/// days (in the project's time zone and calendar).
fn received_report(
    new: NewReport,
    id: ReportId,
    project: Option<ProjectRef>,
    channel: Channel,
    now: Timestamp,
    policy: &Policy,
) -> Result<Report, DomainError> {
    let cal = policy.calendar()?;
    Ok(Report {
        id,
        project,
        state: ReportState::Received,
        title: new.title,
        description: new.description,
        affected_versions: new.affected_versions,
        reporter: Reporter {
            name: new.reporter_name,
            email: new.reporter_email,
            credit: new.credit,
        },
        channel,
        received_at: now,
        acknowledged_at: None,
        accepted_at: None,
        announced_at: None,
        deadlines: Deadlines {
            acknowledge_by: Some(cal.add_working_days(now, policy.acknowledge_working_days)),
            ..Deadlines::default()
        },
        discussants: vec![],
        disclosure_date: None,
        cve_summary: None,
        cve: None,
        fix_ref: None,
        release_ref: None,
        cna_record: None,
        record_state: None,
        merged_into: None,
        split_from: None,
        triage: None,
        owner: None,
        merged: vec![],
        version: 0,
    })
}

/// The receipt by mail, with the private status link, if the reporter gave an address.
fn receipt_mail(
    report: &Report,
    receipt: &str,
    routed_to: &str,
    policy: &Policy,
    contacts: &Contacts,
) -> Option<OutgoingMail> {
    let email = report.reporter.email.as_ref()?;
    let link = contacts
        .status_url
        .as_ref()
        .map(|u| format!("\n\nFollow it, read the team's answers and reply here (keep this link private):\n{u}\n"))
        .unwrap_or_default();
    Some(OutgoingMail {
        to: vec![email.clone()],
        cc: vec![],
        subject: subject(report, "Report received"),
        body: format!("{receipt}{link}"),
        notice: Some(Notice::new(
            NoticeKind::Receipt,
            [
                (
                    "status_url",
                    contacts.status_url.clone().unwrap_or_default(),
                ),
                ("routed_to", routed_to.to_string()),
                (
                    "acknowledge_working_days",
                    policy.acknowledge_working_days.to_string(),
                ),
            ],
        )),
        ..Default::default()
    })
}

/// The handling team's notice of the new report, copied to the organisation team.
fn team_notice(report: &Report, contacts: &Contacts) -> OutgoingMail {
    let acknowledge_by = report
        .deadlines
        .acknowledge_by
        .map(|t| t.to_string())
        .unwrap_or_default();
    let page = contacts.report_page(&report.id).unwrap_or_default();
    OutgoingMail {
        to: vec![contacts.team.clone()],
        cc: cc_org(contacts),
        subject: subject(report, &format!("New report: {}", report.title)),
        body: format!(
            "A new report was received via {}. Read it, answer the reporter and move it on in Embargo.\n\
             Acknowledge by: {acknowledge_by}{}",
            report.channel.as_str(),
            link_line(&page),
        ),
        notice: Some(Notice::new(
            NoticeKind::NewReport,
            [
                ("channel", report.channel.as_str().to_string()),
                ("acknowledge_by", acknowledge_by.clone()),
                ("report_url", page),
            ],
        )),
        ..Default::default()
    }
}

/// The line that links a team mail to the report's page, if its URL is known.
pub(super) fn link_line(page: &str) -> String {
    if page.is_empty() {
        String::new()
    } else {
        format!("\n{page}")
    }
}
