//! A report and what hangs off it: the thread, deadlines, the outgoing mail it causes.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::cna::{CnaRecord, RecordState};
use crate::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use crate::record::RecordDraft;
use crate::state::ReportState;

/// How a report arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Api,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
            Self::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Web, Self::Api, Self::Email]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The project a report is routed to, as far as a report needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub slug: ProjectSlug,
    pub name: String,
}

/// Who reported it and how they want to be credited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub email: Option<Email>,
    /// How to credit them in the announcement; `None` means no credit wanted.
    pub credit: Option<String>,
}

/// The deadlines of the handling policy, computed when the step that starts them happens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Team members who have discussed it in internal notes (seed 004: at least two).
    pub discussants: Vec<UserId>,
    pub disclosure_date: Option<Date>,
    /// The one-line description sent with the CVE request (seed 002, step 8).
    pub cve_summary: Option<String>,
    pub cve: Option<CveId>,
    pub fix_ref: Option<String>,
    pub release_ref: Option<String>,
    /// The thin record, kept equal to `cna_record.to_draft()` for what still reads it.
    pub record: Option<RecordDraft>,
    /// The full record (source of truth once written; see [`Report::cve_record`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cna_record: Option<CnaRecord>,
    /// The record's state once it has moved by hand (see [`Report::record_state`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_state: Option<RecordState>,
    /// Bumped by every change; a change made against a stale version is refused.
    pub version: i64,
}

impl Report {
    /// The record as written: the full one, or one made from a thin draft of old.
    pub fn cve_record(&self) -> Option<CnaRecord> {
        self.cna_record
            .clone()
            .or_else(|| self.record.clone().map(CnaRecord::from))
    }

    /// Where the CVE record stands: as last moved, else DRAFT once written, RESERVED
    /// once an id is assigned, `None` before.
    pub fn record_state(&self) -> Option<RecordState> {
        self.record_state
            .or(if self.cna_record.is_some() || self.record.is_some() {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
        match self {
            Self::Reporter => "reporter",
            Self::Team => "team",
            Self::Note => "note",
            Self::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Reporter, Self::Team, Self::Note, Self::System]
            .into_iter()
            .find(|k| k.as_str() == s)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: Vec<Email>,
    pub cc: Vec<Email>,
    pub subject: String,
    pub body: String,
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// "user:alice@example.org", "reporter", "system".
    pub actor: String,
    /// "received", "transition", "note", "reply", "record", ...
    pub action: String,
    /// Non-secret detail: states, ids. Never report content.
    pub detail: String,
}
