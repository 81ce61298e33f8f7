//! The report lifecycle: given a report, an actor and a command, decide the change.
//!
//! `decide` is the only place that knows which step may follow which (docs/process.md), who
//! may take it, what the reporter and the teams are told, and what is audited. The
//! store applies a `Change` atomically; nothing here touches the outside world.
//!
//! This module holds the vocabulary (`Command`, `Change`, `Contacts`) and `decide`'s
//! dispatch; the steps live in one module per group, each owning the rules of its
//! steps as `may_*` predicates that `decide` and [`available_steps`] both ask, so the
//! forms a page offers cannot drift from what `decide` accepts:
//!
//! - `intake`: a new report ([`receive`]);
//! - `triage`: acknowledge, reject, accept, route;
//! - `cve`: request and assign a CVE id;
//! - `disclosure`: the draft to the reporter, the fix, the announcement;
//! - `thread`: replies, internal notes, the reporter's replies;
//! - `record`: the CVE record and its states;
//! - `noise`: triage suggestions at intake, confirmed (closed as noise), dismissed,
//!   reopened;
//! - `combine`: merge and split, which touch two reports;
//! - `merged`: what the reporters of merged reports hear of the draft and the announcement;
//! - `steps`: the steps open to an actor now;
//! - `common`: the access check and the ways a step speaks (mails, messages, audit).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::DomainError;
use crate::access::Actor;
use crate::ids::{CveId, Email, ProjectId, ReportId};
use crate::policy::Policy;
use crate::record::{Announcement, CnaRecord, RecordState};
use crate::report::{AuditEntry, NewMessage, OutgoingMail, ProjectRef, Report};

mod combine;
mod common;
mod cve;
mod disclosure;
mod intake;
mod merged;
mod noise;
mod owner;
mod record;
mod steps;
mod thread;
mod triage;

pub use combine::{Merge, MergeAcross, Split, may_merge, may_split, merge, split};
pub use disclosure::early_announcement;
pub use intake::receive;
pub use merged::{MergedNotice, tell_merged};
pub use noise::{apply_triage, may_confirm_triage};
pub use steps::{Step, available_steps};
pub use triage::disclosure_target;

use common::{Decision, admit};
// `combine` (unchanged by the split into modules) reaches these as `super::...`.
use common::{cc_org, subject, system_message};

/// Addresses and names a change needs to write its mails.
#[derive(Debug, Clone)]
pub struct Contacts {
    pub org_name: String,
    /// The organisation security team (the CNA); copied where docs/process.md#who-is-told-what
    /// says.
    pub org_security: Email,
    /// The handling team's list: the project's security list, its private list, or
    /// the organisation team when no project is known.
    pub team: Email,
    /// The project's users list, where usage questions belong (triage answers name it).
    pub users_list: Option<Email>,
    /// Where the reporter follows the report: the private status link.
    pub status_url: Option<String>,
    /// The installation's public URL, without a trailing slash: the team's mails link
    /// to the report's page under it.
    pub base_url: Option<String>,
    /// The report's owner's address, when the caller looked it up: the deadline
    /// reminders go to them first (docs/process.md#owners).
    pub owner: Option<Email>,
}

impl Contacts {
    /// The team's page of `report`, when the installation's URL is known.
    pub fn report_page(&self, report: &crate::ids::ReportId) -> Option<String> {
        self.base_url
            .as_ref()
            .map(|b| format!("{b}/reports/{report}"))
    }
}

/// What a person (or the API) asks to do with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one command per request, moved once; a boxed record would only add noise where commands are made"
)]
pub enum Command {
    Acknowledge {
        message: Option<String>,
    },
    Reject {
        reason: String,
    },
    Accept {
        disclosure_date: Date,
        message: Option<String>,
        /// The team confirms a date past the policy's target (see
        /// [`disclosure_target`]); without it such a date is refused.
        confirm_late: bool,
    },
    RequestCve {
        summary: String,
    },
    AssignCve {
        cve: CveId,
    },
    /// Sends the draft announcement to the reporter. `problems` are the caller's
    /// findings on the record (the CVE JSON 5 lint and the CVE Program's schema, which
    /// the domain cannot run itself); the draft goes only when there are none.
    SendDraft {
        message: Option<String>,
        problems: Vec<String>,
    },
    RecordFix {
        fix_ref: String,
        release_ref: String,
    },
    /// Announces to the policy's destinations (`crate::announce`).
    Announce {
        /// The team confirms announcing before the agreed disclosure date (see
        /// [`early_announcement`]); without it that is refused.
        confirm_early: bool,
    },
    /// Routes an unrouted (or misrouted) report to `project`, whose team is told at
    /// `team`: the domain does not know projects' addresses, so the caller gives it (the
    /// project's security list, else the organisation address).
    Route {
        project: ProjectRef,
        team: Email,
    },
    Reply {
        body: String,
    },
    Note {
        body: String,
    },
    ReporterReply {
        body: String,
    },
    /// Saves the full record; the record becomes (or stays) DRAFT.
    SaveRecord {
        record: CnaRecord,
    },
    /// Closes the report as noise of its triage class (or `class`, when the team
    /// corrects it): the class's answer goes to the reporter (none for spam).
    ConfirmTriage {
        class: Option<crate::triage::TriageClass>,
        /// For `scanner_output`: the project's published answers to the findings of
        /// the pasted output (read and matched by the caller), added to the answer.
        findings: Option<String>,
    },
    /// The triage suggestion was wrong: it stays a report.
    DismissTriage,
    /// Opens a report closed as noise again.
    Reopen,
    /// Gives the report to `owner` (the actor themselves to take it), or releases it.
    SetOwner {
        owner: Option<crate::access::Member>,
    },
    /// Moves the CVE record to another state (see `record::RecordState` for who may do what).
    /// `problems` are the caller's validation findings (the CVE JSON 5 lint, which the
    /// domain cannot run itself); any of them keeps the record in DRAFT.
    MoveRecord {
        to: RecordState,
        reason: Option<String>,
        problems: Vec<String>,
    },
}

/// A published advisory: created by the announcement, public from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    pub cve: CveId,
    pub report: ReportId,
    pub project: ProjectId,
    pub title: String,
    pub announcement: Announcement,
    /// The record as announced: what the advisory's formats are written from.
    pub record: CnaRecord,
    pub published_at: Timestamp,
}

/// Everything one decision changes, applied by the store in one transaction.
#[derive(Debug, Clone)]
pub struct Change {
    /// The report as it is after the change (its `version` is the one it was read at).
    pub report: Report,
    pub messages: Vec<NewMessage>,
    pub mails: Vec<OutgoingMail>,
    pub audit: AuditEntry,
    /// A pool id to take for this report; the store fails the change if it is not free.
    pub claim_cve: Option<CveId>,
    pub publish: Option<Advisory>,
    /// A new report's duplicate fingerprint (keyed values only), set at intake.
    pub fingerprint: Option<crate::triage::duplicate::Fingerprint>,
}

impl Change {
    fn new(report: Report, audit: AuditEntry) -> Self {
        Self {
            report,
            messages: vec![],
            mails: vec![],
            audit,
            claim_cve: None,
            publish: None,
            fingerprint: None,
        }
    }
}

/// Whether `member` may take an id from the pool for `report`: the organisation team
/// always; a project's own team when the project is trusted (delegation as at the ASF).
pub fn may_assign_cve(member: &crate::access::Member, report: &Report) -> bool {
    member.org_team
        || report
            .project
            .as_ref()
            .is_some_and(|p| p.trusted && member.projects.contains(&p.id))
}

/// Decides what `command` does to `report`, or why it may not.
pub fn decide(
    report: &Report,
    command: Command,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Result<Change, DomainError> {
    admit(
        report,
        actor,
        matches!(command, Command::ReporterReply { .. }),
    )?;
    let d = Decision {
        report,
        actor,
        member: actor.member(),
        now,
        policy,
        contacts,
    };
    // One call per command, to the module of its group.
    match command {
        Command::Acknowledge { message } => triage::acknowledge(&d, message),
        Command::Reject { reason } => triage::reject(&d, &reason),
        Command::Accept {
            disclosure_date,
            message,
            confirm_late,
        } => triage::accept(&d, disclosure_date, message, confirm_late),
        Command::Route { project, team } => triage::route(&d, project, team),
        Command::RequestCve { summary } => cve::request(&d, &summary),
        Command::AssignCve { cve } => cve::assign(&d, cve),
        Command::SendDraft { message, problems } => disclosure::send_draft(&d, message, &problems),
        Command::RecordFix {
            fix_ref,
            release_ref,
        } => disclosure::record_fix(&d, &fix_ref, &release_ref),
        Command::Announce { confirm_early } => disclosure::announce(&d, confirm_early),
        Command::ConfirmTriage { class, findings } => noise::confirm(&d, class, findings),
        Command::DismissTriage => noise::dismiss(&d),
        Command::Reopen => noise::reopen(&d),
        Command::SetOwner { owner } => owner::set(&d, owner.as_ref()),
        Command::Reply { body } => thread::reply(&d, &body),
        Command::Note { body } => thread::note(&d, &body),
        Command::ReporterReply { body } => thread::reporter_reply(&d, &body),
        Command::SaveRecord { record } => record::save(&d, record),
        Command::MoveRecord {
            to,
            reason,
            problems,
        } => record::move_to(&d, to, reason.as_deref(), &problems),
    }
}

#[cfg(test)]
mod tests;
