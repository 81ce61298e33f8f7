//! Noise (docs/triage.md): a new report's triage suggestion, and the team's decision
//! on it. Confirming a noise class closes the report as that class and sends the
//! reporter the class's answer (the users list for a usage question, the known
//! non-issues, what detail is missing...); dismissing keeps it a report; a report
//! closed as noise can be reopened. A suggestion never closes a report by itself
//! unless the policy marks its class automatic, and `report` never can be.

use super::common::{Decision, not_terminal, notice_last, require, system_message, tell_reporter};
use super::{Change, Contacts};
use crate::DomainError;
use crate::ids::UserId;
use crate::policy::Policy;
use crate::report::{Notice, NoticeKind, Report};
use crate::state::ReportState;
use crate::triage::{Triage, TriageClass, TriageStatus};

/// Records `triage` on a new report's change. Call it after the change's other intake
/// answers are added (the plain-text request) and before they are withheld from lists.
/// A report suggested as spam gets no automatic answer (it is kept and shown all the same); a class the policy marks
/// automatic is confirmed at once, as the system.
pub fn apply_triage(change: &mut Change, triage: Triage, policy: &Policy, contacts: &Contacts) {
    let class = triage.class;
    change
        .audit
        .detail
        .push_str(&format!("; triage: {} suggested", class.as_str()));
    change.report.triage = Some(triage);
    if class == TriageClass::Spam {
        change
            .mails
            .retain(|m| m.notice.as_ref().is_none_or(|n| !n.kind.is_intake_answer()));
        change.audit.detail.push_str(", no automatic answer sent");
    }
    if class.is_noise()
        && class != TriageClass::Duplicate
        && policy.triage.automatic.contains(&class)
    {
        close_as(change, class, ("Embargo", None), policy, contacts, None);
        change
            .audit
            .detail
            .push_str(", confirmed automatically (policy)");
    }
}

/// Whether the report may be closed as noise of `class` (its suggestion's class when
/// `None`); on success, the class it would be closed as.
pub fn may_confirm_triage(
    report: &Report,
    class: Option<TriageClass>,
) -> Result<TriageClass, DomainError> {
    not_terminal(report)?;
    require(
        !report.state.is_accepted(),
        "an accepted report is a vulnerability; it can no longer be closed as noise",
    )?;
    let class = match (class, &report.triage) {
        (Some(c), _) => c,
        (None, Some(t)) => t.class,
        (None, None) => {
            return Err(DomainError::invalid(
                "class",
                "this report has no triage suggestion; name the class to close it as",
            ));
        }
    };
    if !class.is_noise() {
        return Err(DomainError::invalid(
            "class",
            "a report is not noise: dismiss the suggestion instead",
        ));
    }
    Ok(class)
}

/// A suggestion of a noise class that nobody has decided on yet may be dismissed.
pub(super) fn may_dismiss(report: &Report) -> Result<(), DomainError> {
    not_terminal(report)?;
    require(
        report
            .triage
            .as_ref()
            .is_some_and(|t| t.status == TriageStatus::Suggested && t.class.is_noise()),
        "there is no open noise suggestion to dismiss",
    )
}

pub(super) fn may_reopen(report: &Report) -> Result<(), DomainError> {
    require(
        report.state == ReportState::Closed,
        &format!(
            "only a report closed as noise can be reopened; this one is {}",
            report.state
        ),
    )
}

pub(super) fn confirm(
    d: &Decision,
    class: Option<TriageClass>,
    findings: Option<String>,
) -> Result<Change, DomainError> {
    let class = may_confirm_triage(d.report, class)?;
    let mut c = Change::new(
        d.report.clone(),
        d.audit(
            "triage",
            format!("confirmed {}; {} -> closed", class.as_str(), d.report.state),
        ),
    );
    close_as(
        &mut c,
        class,
        (&d.author(), d.author_id()),
        d.policy,
        d.contacts,
        findings.as_deref(),
    );
    Ok(c)
}

pub(super) fn dismiss(d: &Decision) -> Result<Change, DomainError> {
    may_dismiss(d.report)?;
    let mut next = d.report.clone();
    let class = next
        .triage
        .as_ref()
        .map(|t| t.class.as_str())
        .unwrap_or_default();
    if let Some(t) = next.triage.as_mut() {
        t.status = TriageStatus::Dismissed;
    }
    Ok(Change::new(
        next,
        d.audit("triage", format!("dismissed {class}")),
    ))
}

pub(super) fn reopen(d: &Decision) -> Result<Change, DomainError> {
    may_reopen(d.report)?;
    let mut next = d.report.clone();
    next.state = if next.acknowledged_at.is_some() {
        ReportState::Acknowledged
    } else {
        ReportState::Received
    };
    if let Some(t) = next.triage.as_mut() {
        t.status = TriageStatus::Dismissed;
    }
    let to = next.state;
    let mut c = d.transition(next, to);
    c.audit.action = "reopen".into();
    c.messages.push(system_message(
        "The security team has reopened this report and is looking at it again.",
    ));
    Ok(c)
}

/// Closes the change's report as `class`: the state, the triage marked confirmed, and
/// the class's answer to the reporter (on the status page, and by mail if they gave
/// an address; spam gets nothing).
fn close_as(
    change: &mut Change,
    class: TriageClass,
    (author, author_id): (&str, Option<UserId>),
    policy: &Policy,
    contacts: &Contacts,
    findings: Option<&str>,
) {
    let report = &mut change.report;
    report.state = ReportState::Closed;
    let triage = report.triage.get_or_insert_with(|| Triage {
        class,
        reasons: vec!["closed by the team without a suggestion".into()],
        duplicate_of: None,
        status: TriageStatus::Confirmed,
    });
    if triage.class != class {
        triage.reasons.push(format!(
            "the team corrected the class from {}",
            triage.class.as_str()
        ));
        triage.class = class;
        if class != TriageClass::Duplicate {
            triage.duplicate_of = None;
        }
    }
    triage.status = TriageStatus::Confirmed;
    let (Some(kind), Some(mut body)) = (answer_kind(class), answer(class, policy, contacts)) else {
        return;
    };
    if let Some(findings) = findings.filter(|_| class == TriageClass::ScannerOutput) {
        body.push_str("\n\n");
        body.push_str(findings.trim_end());
    }
    tell_reporter(
        change,
        author,
        author_id,
        "About your report",
        &body,
        contacts,
        false,
    );
    notice_last(
        change,
        contacts,
        Notice::new(
            kind,
            [
                ("message", body),
                (
                    "users_list",
                    contacts
                        .users_list
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                ("known_non_issues", bullets(&policy.known_non_issues)),
            ],
        ),
    );
}

/// The template a class's answer is worded by (spam and `report` get none).
fn answer_kind(class: TriageClass) -> Option<NoticeKind> {
    Some(match class {
        TriageClass::Report | TriageClass::Spam => return None,
        TriageClass::KnownNonIssue => NoticeKind::AnswerKnownNonIssue,
        TriageClass::UsersListQuestion => NoticeKind::AnswerUsersListQuestion,
        TriageClass::LicenseQuestion => NoticeKind::AnswerLicenseQuestion,
        TriageClass::ScannerOutput => NoticeKind::AnswerScannerOutput,
        TriageClass::InsufficientDetail => NoticeKind::AnswerInsufficientDetail,
        TriageClass::NotSecurity => NoticeKind::AnswerNotSecurity,
        TriageClass::Duplicate => NoticeKind::AnswerDuplicate,
    })
}

/// The built-in answer of a class; sites word their own with the class's template.
fn answer(class: TriageClass, policy: &Policy, contacts: &Contacts) -> Option<String> {
    let users = match &contacts.users_list {
        Some(list) => format!("the project's users list, {list}"),
        None => "the project's users list".to_string(),
    };
    let reply = "If we have misread your report, reply to this message with the details and we will look at it again.";
    Some(match class {
        TriageClass::Report | TriageClass::Spam => return None,
        TriageClass::KnownNonIssue => format!(
            "Thank you for your report. What it describes is on our list of known non-issues: \
             findings we do not treat as vulnerabilities, with the reasons on the project's \
             security page:\n\n{}\n\n{reply}",
            bullets(&policy.known_non_issues)
        ),
        TriageClass::UsersListQuestion => format!(
            "Thank you for writing. This address is only for reporting undisclosed security \
             vulnerabilities; questions about using the software are answered on {users}, \
             where more people can help.\n\n{reply}"
        ),
        TriageClass::LicenseQuestion => format!(
            "Thank you for writing. The security team does not handle licensing questions; \
             please ask on {users}, or read the {} licensing FAQ.\n\n{reply}",
            contacts.org_name
        ),
        TriageClass::ScannerOutput => {
            "Thank you for your report. We do not accept the output \
             of a scanner on its own: most findings about dependencies do not affect the \
             project. Please tell us how the finding affects this project: the code path \
             that reaches the vulnerable function, the configuration it needs, or a proof of \
             concept against a released version. One vulnerability per report, in plain \
             text, please."
                .to_string()
                + "\n\n"
                + reply
        }
        TriageClass::InsufficientDetail => "Thank you for your report. We cannot act on it \
             yet: it does not tell us enough to reproduce the problem. Please reply with the \
             affected version(s), the steps to reproduce it or a proof of concept, and the \
             impact you observed (what an attacker gains)."
            .to_string(),
        TriageClass::NotSecurity => format!(
            "Thank you for writing. This does not look like a security vulnerability: feature \
             requests and ordinary bugs go to the project's issue tracker, and questions to \
             {users}.\n\n{reply}"
        ),
        TriageClass::Duplicate => "Thank you for your report. The same vulnerability has \
             already been reported to the team, and it is being handled under the earlier \
             report. If you have details beyond what you sent, reply to this message."
            .to_string(),
    })
}

fn bullets(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("- {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}
