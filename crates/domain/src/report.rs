//! A report and what hangs off it: the thread, deadlines, the outgoing mail it causes.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use crate::record::{CnaRecord, RecordState};
use crate::state::ReportState;

/// How a report arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    Web,
    Api,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// The project a report is routed to, as far as a report needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub slug: ProjectSlug,
    pub name: String,
    /// A trusted project's team assigns CVE ids from the pool itself (delegation as at
    /// the ASF); others request one and the organisation team assigns it.
    #[serde(default)]
    pub trusted: bool,
}

/// Who reported it and how they want to be credited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reporter {
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Email))]
    pub email: Option<Email>,
    /// How to credit them in the announcement; `None` means no credit wanted.
    pub credit: Option<String>,
}

/// A report merged into another one, as the surviving report keeps it: the report, whose
/// reporter hears of the draft and the announcement through it (its own thread and
/// address), and the credit its reporter asked for. Stored sealed with the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedReporter {
    /// The merged report (state `merged`, `merged_into` this one).
    pub report: ReportId,
    /// How to credit its reporter; `None` means no credit wanted.
    pub credit: Option<String>,
}

/// The deadlines of the handling policy, computed when the step that starts them happens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadlines {
    pub acknowledge_by: Option<Timestamp>,
    pub discuss_by: Option<Timestamp>,
    pub announce_by: Option<Timestamp>,
}

/// A private vulnerability report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: ReportId,
    /// `None` while no project could be determined: the organisation team routes it.
    pub project: Option<ProjectRef>,
    pub state: ReportState,
    pub title: String,
    pub description: String,
    pub affected_versions: Option<String>,
    pub reporter: Reporter,
    pub channel: Channel,
    pub received_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub accepted_at: Option<Timestamp>,
    pub announced_at: Option<Timestamp>,
    pub deadlines: Deadlines,
    /// Team members who have discussed it in internal notes (at least two:
    /// docs/process.md#step-4-discuss).
    pub discussants: Vec<UserId>,
    pub disclosure_date: Option<Date>,
    /// The one-line description sent with the CVE request
    /// (docs/process.md#step-6-request-a-cve).
    pub cve_summary: Option<String>,
    pub cve: Option<CveId>,
    pub fix_ref: Option<String>,
    pub release_ref: Option<String>,
    /// The CVE record, once written. Reports stored before it existed kept a thinner
    /// record under `record`; the store reads that into this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cna_record: Option<CnaRecord>,
    /// The record's state once it has moved by hand (see [`Report::record_state`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_state: Option<RecordState>,
    /// Set once this report is merged into another one of the same vulnerability
    /// (state `merged`); the team follows it there. Never shown to the reporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<ReportId>,
    /// Set on a report split off another one (one report, several vulnerabilities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_from: Option<ReportId>,
    /// The triage suggestion made at intake and the team's decision on it (reports
    /// stored before triage existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<crate::triage::Triage>,
    /// The team member who has taken the report (or was assigned it): reminders go to
    /// them first, and the dashboard's "Mine" lists it (docs/process.md#owners).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    /// The reporters of the reports merged into this one: told when the draft and the
    /// announcement go out, and credited on the record. Never shown to this report's
    /// reporter (docs/process.md#merge-and-split).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedReporter>,
    /// Bumped by every change; a change made against a stale version is refused.
    pub version: i64,
}

impl Report {
    /// The record as written.
    pub fn cve_record(&self) -> Option<CnaRecord> {
        self.cna_record.clone()
    }

    /// Where the CVE record stands: as last moved, else DRAFT once written, RESERVED
    /// once an id is assigned, `None` before.
    pub fn record_state(&self) -> Option<RecordState> {
        self.record_state.or(if self.cna_record.is_some() {
            Some(RecordState::Draft)
        } else if self.cve.is_some() {
            Some(RecordState::Reserved)
        } else {
            None
        })
    }

    /// The deadline the team should look at next, if any.
    pub fn next_due(&self) -> Option<Timestamp> {
        match self.state {
            ReportState::Received => self.deadlines.acknowledge_by,
            ReportState::Acknowledged if self.discussants.len() < 2 => self.deadlines.discuss_by,
            ReportState::Acknowledged => None,
            s if s.is_terminal() => None,
            _ => self.deadlines.announce_by,
        }
    }

    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.next_due().is_some_and(|d| d < now)
    }
}

/// Who wrote an entry of the thread, and who may read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MessageKind {
    /// Written by the reporter (the report itself is not repeated here).
    Reporter,
    /// Written by the team to the reporter.
    Team,
    /// Internal to the team: never shown to the reporter.
    Note,
    /// Written by Embargo to the reporter (receipts, state changes).
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    pub fn visible_to_reporter(self) -> bool {
        !matches!(self, Self::Note)
    }
}

/// An entry to add to a report's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub author: Option<UserId>,
    /// Shown as the author: a member's name, "Reporter" or "Embargo".
    pub author_label: String,
    pub body: String,
}

/// A stored entry of the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    pub author: Option<UserId>,
    pub author_label: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// A mail to queue in the outbox, in the same transaction as its cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: Vec<Email>,
    pub cc: Vec<Email>,
    /// The built-in wording; a template for [`Notice::kind`] may replace it.
    pub subject: String,
    pub body: String,
    /// Which lifecycle notice this is and its values, for the site's templates: the
    /// domain decides what goes to whom, rendering happens outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// Whether Embargo wrote it by itself or a person approved its words.
    #[serde(default)]
    pub origin: MailOrigin,
    /// The From of a human-approved mail sent in a project's name (the announcement);
    /// `None`: the installation's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<crate::announce::Sender>,
    /// The announcement destination this copy is for, recorded with its delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<crate::announce::Destination>,
}

/// Who a mail speaks for (RFC 3834 section 5). Automatic mail is marked
/// `Auto-Submitted: auto-generated`, so that auto-responders stay quiet and lists may
/// treat it as such; a mail whose words a person wrote or approved for its recipients
/// is not: lists such as oss-security take it as a person's post, and a reporter's
/// filters do not file the team's answer with notifications (docs/mail.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailOrigin {
    /// A notice Embargo writes by itself (receipts, notices, reminders). When in doubt,
    /// a mail is automatic.
    #[default]
    Automatic,
    /// A person's words: the announcement the team sent, a team reply relayed to the
    /// reporter, the reporter's reply relayed to the team.
    HumanApproved,
}

impl MailOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::HumanApproved => "human_approved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "automatic" => Some(Self::Automatic),
            "human_approved" => Some(Self::HumanApproved),
            _ => None,
        }
    }

    /// Whether the mail is marked `Auto-Submitted`.
    pub fn is_automatic(self) -> bool {
        self == Self::Automatic
    }
}

impl OutgoingMail {
    /// Whether `address` is among the recipients (To or Cc). Addresses compare without
    /// case: a reporter who typed their address in capitals is still the reporter.
    pub fn reaches(&self, address: &Email) -> bool {
        self.to
            .iter()
            .chain(&self.cc)
            .any(|e| e.as_str().eq_ignore_ascii_case(address.as_str()))
    }

    /// Whether this mail goes to the report's reporter. A member's mail answering it
    /// may be relayed to the reporter; a member's answer to any other mail stays
    /// internal (see `mail::member_mail`).
    pub fn reaches_reporter(&self, report: &Report) -> bool {
        report
            .reporter
            .email
            .as_ref()
            .is_some_and(|e| self.reaches(e))
    }
}

/// A lifecycle mail a site may word its own way (see [`NoticeKind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// Values the template may use beyond the report's own (id, title, project...).
    pub vars: std::collections::BTreeMap<String, String>,
}

impl Notice {
    /// A notice of `kind` with these values.
    pub fn new<const N: usize>(kind: NoticeKind, vars: [(&str, String); N]) -> Self {
        Self {
            kind,
            vars: vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }
}

/// Every lifecycle mail that has a template; the name is the template's file name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NoticeKind {
    /// To the reporter: the report was received.
    Receipt,
    /// To the handling team: a new report arrived.
    NewReport,
    Acknowledged,
    /// To the reporter, with the team's reason.
    Rejected,
    Accepted,
    /// To the organisation security team.
    CveRequest,
    /// To the handling team.
    CveAssigned,
    /// To the reporter.
    CveAssignedReporter,
    /// The draft announcement for the reporter's review.
    Draft,
    Announcement,
    /// The automatic request to resubmit as plain text.
    PlainText,
    /// To the reporter of a report merged into another one (never naming it).
    Merged,
    /// To both projects' teams: a report of one was merged into a report of the other.
    MergedAcross,
    /// To the reporter of a report split in two.
    Split,
    /// The answers to a report closed as noise, one per triage class (spam gets none).
    AnswerKnownNonIssue,
    AnswerUsersListQuestion,
    AnswerLicenseQuestion,
    AnswerScannerOutput,
    AnswerInsufficientDetail,
    AnswerNotSecurity,
    AnswerDuplicate,
    /// A clock's reminder to a team (docs/clocks.md): a deadline is near.
    DeadlineReminder,
    /// A clock's escalation: a deadline passed.
    DeadlineOverdue,
    /// The one polite reminder to a reporter who has not answered the team.
    ReporterSilent,
    /// To the team: the reporter stayed silent after that reminder.
    ReporterSilentTeam,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    /// The template's name: `<name>.txt`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What intake may send a new report's sender by itself: the receipt, the request
    /// for plain text, and the answer of a triage class the policy confirms without a
    /// click. None of them goes to a list or an automatic sender (RFC 3834), nor to spam.
    pub fn is_intake_answer(self) -> bool {
        !matches!(
            self,
            Self::NewReport
                | Self::Acknowledged
                | Self::Rejected
                | Self::Accepted
                | Self::CveRequest
                | Self::CveAssigned
                | Self::CveAssignedReporter
                | Self::Draft
                | Self::Announcement
                | Self::Merged
                | Self::MergedAcross
                | Self::Split
                | Self::DeadlineReminder
                | Self::DeadlineOverdue
                | Self::ReporterSilent
                | Self::ReporterSilentTeam
        )
    }

    /// The values the domain gives this kind, besides the report's own.
    pub fn vars(self) -> &'static [&'static str] {
        match self {
            Self::Receipt => &["status_url", "routed_to", "acknowledge_working_days"],
            Self::NewReport => &["channel", "acknowledge_by", "report_url"],
            Self::Acknowledged => &["message", "status_url"],
            Self::Rejected => &["reason", "status_url"],
            Self::Accepted => &["message", "disclosure_date", "status_url"],
            Self::CveRequest => &["summary"],
            Self::CveAssigned => &["cve"],
            Self::CveAssignedReporter => &["cve", "status_url"],
            Self::Draft => &["message", "draft_subject", "draft_body", "status_url"],
            Self::Announcement => &["cve"],
            Self::PlainText => &["reason"],
            Self::Merged => &["credit", "status_url"],
            Self::MergedAcross => &["merged_id", "merged_title", "merged_project", "report_url"],
            Self::Split => &["status_url"],
            Self::AnswerKnownNonIssue
            | Self::AnswerUsersListQuestion
            | Self::AnswerLicenseQuestion
            | Self::AnswerScannerOutput
            | Self::AnswerInsufficientDetail
            | Self::AnswerNotSecurity
            | Self::AnswerDuplicate => &["message", "users_list", "known_non_issues", "status_url"],
            Self::DeadlineReminder | Self::DeadlineOverdue => &[
                "deadline",
                "deadline_words",
                "due_local",
                "due_utc",
                "time_zone",
                "state",
                "report_url",
            ],
            Self::ReporterSilent => &["asked_local", "asked_utc", "days"],
            Self::ReporterSilentTeam => &["asked_local", "asked_utc", "days", "report_url"],
        }
    }
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub at: Timestamp,
    /// "user:alice@example.org", "reporter", "system".
    pub actor: String,
    /// "received", "transition", "note", "reply", "record", ...
    pub action: String,
    /// Non-secret detail: states, ids. Never report content.
    pub detail: String,
}
