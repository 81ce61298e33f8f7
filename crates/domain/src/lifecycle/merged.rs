//! What the reporters of reports merged into this one are told
//! (docs/process.md#merge-and-split): the draft for their review and the announcement,
//! on their own status page and at their own address, as changes of their own reports
//! (applied with the surviving report's step, in its transaction), as the surviving
//! report's reporter is. Reporters never learn of each other before the announcement:
//! each one's draft leaves out the other reporters' credits, and nothing about them
//! reaches the surviving report's thread, which its reporter reads.

use jiff::Timestamp;

use super::common::{subject, system_message};
use super::{Change, Command, Contacts};
use crate::access::Actor;
use crate::announce::{self, Destination};
use crate::ids::{CveId, ReportId};
use crate::policy::Policy;
use crate::record::{Announcement, CnaRecord};
use crate::report::{
    AuditEntry, MailOrigin, MessageKind, NewMessage, Notice, NoticeKind, OutgoingMail, Report,
};

/// Said in a draft that left out other reporters' credits, so that nobody is surprised
/// by more names in the announcement.
const OTHERS_CREDITED: &str = "Others who reported the same vulnerability are credited too; \
     their names are not shown before the announcement.";

/// The draft as the reporter of `own` (`None`: `report`'s own reporter) sees it: the
/// record's credits without the names the other reporters asked for. Returns whether
/// any was left out.
pub(super) fn draft_for(
    report: &Report,
    record: &CnaRecord,
    cve: &CveId,
    own: Option<&ReportId>,
) -> (Announcement, bool) {
    let own_credit = match own {
        None => report.reporter.credit.as_deref(),
        Some(id) => report
            .merged
            .iter()
            .find(|m| &m.report == id)
            .and_then(|m| m.credit.as_deref()),
    };
    let others: Vec<&str> = std::iter::once((None, report.reporter.credit.as_deref()))
        .chain(
            report
                .merged
                .iter()
                .map(|m| (Some(&m.report), m.credit.as_deref())),
        )
        .filter(|(id, _)| *id != own)
        .filter_map(|(_, credit)| credit)
        .filter(|c| Some(*c) != own_credit)
        .collect();
    let mut shown = record.clone();
    shown.credits.retain(|c| !others.contains(&c.name.as_str()));
    let hidden = shown.credits.len() != record.credits.len();
    (shown.announcement(cve), hidden)
}

/// The body of a draft mail: the team's message, then the draft.
pub(super) fn draft_body(message: &str, draft: &Announcement, hidden: bool) -> String {
    let others = if hidden {
        format!("\n\n{OTHERS_CREDITED}")
    } else {
        String::new()
    };
    format!(
        "{message}{others}\n\n--- Draft announcement ---\nSubject: {}\n\n{}",
        draft.subject, draft.body
    )
}

/// What the reporters of merged reports hear of a step of the surviving report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergedNotice {
    /// The draft went to the reporter for review, with the team's message.
    Draft { message: Option<String> },
    /// The vulnerability was announced.
    Announcement,
}

impl MergedNotice {
    /// The notice `command` gives the merged reporters, if any.
    pub fn of(command: &Command) -> Option<Self> {
        match command {
            Command::SendDraft { message, .. } => Some(Self::Draft {
                message: message.clone(),
            }),
            Command::Announce { .. } => Some(Self::Announcement),
            _ => None,
        }
    }
}

/// The team's message with the draft, or the usual request to review it.
pub(super) fn draft_message(message: Option<String>) -> String {
    message.unwrap_or_else(|| {
        "Please review the draft announcement below and tell us if anything should change.".into()
    })
}

/// Tells the reporter of each report in `merged` (as stored; each merged into `target`)
/// of `notice`, which `target` (as decided, with its record and CVE) just went through:
/// one change per merged report, on its own thread and under its own id, so that its
/// mail is rendered, threaded and filed as that report's and names nothing of
/// `target`. `contacts` and `policy` are the target's (the announcement's sender).
pub fn tell_merged(
    target: &Report,
    merged: &[Report],
    notice: &MergedNotice,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Vec<Change> {
    let (Some(record), Some(cve)) = (target.cve_record(), target.cve.clone()) else {
        return vec![];
    };
    merged
        .iter()
        // Only reports the target keeps as merged into it (directly or through another).
        .filter(|b| target.merged.iter().any(|m| m.report == b.id))
        .map(|b| {
            let audit = AuditEntry {
                at: now,
                actor: actor.audit_name(),
                action: "merged-notice".into(),
                detail: String::new(),
            };
            let mut c = Change::new(b.clone(), audit);
            match notice {
                MergedNotice::Draft { message } => {
                    let told = Told {
                        target,
                        record: &record,
                        cve: &cve,
                    };
                    told.draft(&mut c, draft_message(message.clone()), actor);
                }
                MergedNotice::Announcement => {
                    let told = Told {
                        target,
                        record: &record,
                        cve: &cve,
                    };
                    told.announcement(&mut c, policy, contacts);
                }
            }
            c
        })
        .collect()
}

/// The surviving report's step, as a merged report's change tells it.
struct Told<'a> {
    target: &'a Report,
    record: &'a CnaRecord,
    cve: &'a CveId,
}

impl Told<'_> {
    /// The draft on the merged report's page and to its reporter's address.
    fn draft(&self, c: &mut Change, message: String, actor: &Actor) {
        let b = c.report.clone();
        let (draft, hidden) = draft_for(self.target, self.record, self.cve, Some(&b.id));
        c.audit.detail = format!(
            "draft announcement of {} sent to the reporter",
            self.target.id
        );
        let body = draft_body(&message, &draft, hidden);
        c.messages.push(NewMessage {
            kind: MessageKind::Team,
            author: actor.member().map(|m| m.id),
            author_label: actor
                .member()
                .map_or_else(|| "Embargo".into(), |m| m.name.clone()),
            body: body.clone(),
        });
        let Some(email) = &b.reporter.email else {
            return;
        };
        c.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc: vec![],
            subject: subject(&b, "Draft announcement for your review"),
            body,
            notice: Some(Notice::new(
                NoticeKind::Draft,
                [
                    ("message", message),
                    ("draft_subject", draft.subject.clone()),
                    ("draft_body", draft.body.clone()),
                    // Only the digest of their status token is stored.
                    ("status_url", String::new()),
                ],
            )),
            ..Default::default()
        });
    }

    /// The announcement on the merged report's page, and to its reporter's address when
    /// the policy sends it to the reporter (unless that address gets the target's copy).
    fn announcement(&self, c: &mut Change, policy: &Policy, contacts: &Contacts) {
        let cve = self.cve;
        c.audit.detail = format!("{cve} announced with {}", self.target.id);
        c.messages.push(system_message(&format!(
            "The vulnerability has been announced as {cve}."
        )));
        let to_reporter = policy.announce_to.contains(&Destination::Reporter);
        let own = self.target.reporter.email.as_ref();
        let Some(email) = c
            .report
            .reporter
            .email
            .clone()
            .filter(|e| to_reporter && Some(e) != own)
        else {
            return;
        };
        let text = self.record.announcement(cve);
        c.mails.push(OutgoingMail {
            to: vec![email],
            cc: vec![],
            subject: text.subject,
            body: text.body,
            notice: Some(Notice::new(
                NoticeKind::Announcement,
                [("cve", cve.to_string())],
            )),
            origin: MailOrigin::HumanApproved,
            from: Some(announce::sender(
                policy.announce_from.as_ref(),
                self.target,
                contacts,
            )),
            destination: Some(Destination::Reporter),
        });
    }
}
