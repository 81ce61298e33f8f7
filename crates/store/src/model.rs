//! Rows the store hands out that are not domain types of their own.

use embargo_domain::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use embargo_domain::lifecycle::Advisory;
use embargo_domain::policy::PolicyOverrides;
use embargo_domain::report::ProjectRef;
use embargo_domain::state::ReportState;
use embargo_domain::token::TokenDigest;
use jiff::Timestamp;
use serde::Serialize;
use strum::IntoStaticStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub name: String,
    /// The organisation security team's address (the CNA, e.g. security@apache.org).
    pub security_email: Email,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub org_team: bool,
    /// Argon2id PHC string; `None` until the user sets one through a setup link.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub org_team: bool,
    pub password_hash: Option<String>,
    /// Projects whose team this user is on.
    pub projects: Vec<ProjectId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiToken,
    SetupLink,
}

impl CredentialKind {
    /// As the `credentials.kind` column stores it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone)]
pub struct NewCredential {
    pub digest: TokenDigest,
    pub user: UserId,
    pub kind: CredentialKind,
    /// The session's CSRF token (sessions only).
    pub csrf: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub user: UserId,
    pub csrf: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// A project as imported from the projects file.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub slug: ProjectSlug,
    pub name: String,
    pub security_email: Option<Email>,
    pub users_list: Option<Email>,
    pub security_model_url: Option<String>,
    pub team: Vec<Email>,
    pub policy: PolicyOverrides,
    /// The project's team assigns CVE ids from the pool itself.
    pub trusted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created(ProjectId),
    Updated(ProjectId),
    Unchanged(ProjectId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub slug: ProjectSlug,
    pub name: String,
    pub security_email: Option<Email>,
    pub users_list: Option<Email>,
    pub security_model_url: Option<String>,
    pub policy: PolicyOverrides,
    pub team: Vec<Email>,
    /// The project's team assigns CVE ids from the pool itself.
    pub trusted: bool,
}

impl Project {
    pub fn as_ref(&self) -> ProjectRef {
        ProjectRef {
            id: self.id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            trusted: self.trusted,
        }
    }
}

/// Which reports to list. `projects: None` means every project and unrouted reports
/// (the organisation team's view); `Some(ids)` only those projects' reports.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub projects: Option<Vec<ProjectId>>,
    pub state: Option<ReportState>,
    /// Include rejected and announced reports.
    pub include_closed: bool,
    /// Only reports whose triage suggestion is of this class.
    pub triage: Option<embargo_domain::triage::TriageClass>,
    /// Start just after this row (keyset pagination); `offset` counts from there.
    pub after: Option<ListCursor>,
    /// Only reports whose next deadline is before this time (overdue at it).
    pub due_before: Option<jiff::Timestamp>,
    /// Only reports of this owner, or (`Nobody`) those nobody has taken.
    pub owner: Option<OwnerFilter>,
    /// Only reports received at or after this time.
    pub received_from: Option<jiff::Timestamp>,
    /// Only reports received before this time.
    pub received_before: Option<jiff::Timestamp>,
    /// Only reports with (`true`) or without (`false`) a CVE id.
    pub cve_assigned: Option<bool>,
    /// Only reports holding every term of this search (docs/search.md).
    pub search: Option<embargo_domain::search::Query>,
    pub order: ListOrder,
    pub limit: u32,
    pub offset: u32,
}

/// The most a report count reads; past it the count says "at least this many".
pub const COUNT_CAP: i64 = 1000;

/// Whose reports a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    User(embargo_domain::ids::UserId),
    Nobody,
}

/// The order of a report list; each has its own index and its own cursors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Soonest next deadline first (none last), then newest, then id.
    #[default]
    Deadline,
    /// Newest first, then id.
    Received,
    /// Most recently changed first, then id.
    Updated,
}

impl ListOrder {
    /// `deadline`, `received` or `updated`, as the doors name it.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "deadline" => Some(Self::Deadline),
            "received" => Some(Self::Received),
            "updated" => Some(Self::Updated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deadline => "deadline",
            Self::Received => "received",
            Self::Updated => "updated",
        }
    }
}

/// Where a page of a report list starts: just after this row, in the list's order.
/// Passed between pages as [`ListCursor::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub order: ListOrder,
    /// The row's sort key in microseconds: its next deadline (`i64::MAX` for none),
    /// received or updated time, as the order says.
    pub key: i64,
    /// The tie-break of the deadline order (newest first); the key otherwise.
    pub received_at: i64,
    pub id: ReportId,
}

impl ListCursor {
    /// The cursor of the page after `row` in a list of `order`.
    pub fn after(row: &ReportSummary, order: ListOrder) -> Self {
        let received_at = row.received_at.as_microsecond();
        let key = match order {
            ListOrder::Deadline => row.next_due.map_or(i64::MAX, |t| t.as_microsecond()),
            ListOrder::Received => received_at,
            ListOrder::Updated => row.updated_at.as_microsecond(),
        };
        Self {
            order,
            key,
            received_at,
            id: row.id.clone(),
        }
    }

    /// `DUE.RECEIVED.ID` for the deadline order, `r.RECEIVED.ID` and `u.UPDATED.ID` for
    /// the others: opaque to callers, readable back by [`ListCursor::decode`].
    pub fn encode(&self) -> String {
        match self.order {
            ListOrder::Deadline => format!("{}.{}.{}", self.key, self.received_at, self.id),
            ListOrder::Received => format!("r.{}.{}", self.key, self.id),
            ListOrder::Updated => format!("u.{}.{}", self.key, self.id),
        }
    }

    /// `None` for anything [`ListCursor::encode`] did not write.
    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.trim().splitn(3, '.');
        let first = parts.next()?;
        let second: i64 = parts.next()?.parse().ok()?;
        let id = ReportId::parse(parts.next()?).ok()?;
        let (order, key, received_at) = match first {
            "r" => (ListOrder::Received, second, second),
            "u" => (ListOrder::Updated, second, second),
            due => (ListOrder::Deadline, due.parse().ok()?, second),
        };
        Some(Self {
            order,
            key,
            received_at,
            id,
        })
    }
}

/// A dashboard row: ordered by next deadline (soonest first, none last), then newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    pub id: ReportId,
    pub project: Option<ProjectRef>,
    pub state: ReportState,
    pub title: String,
    pub received_at: Timestamp,
    pub next_due: Option<Timestamp>,
    pub cve: Option<CveId>,
    /// The triage suggestion's class and status (none for reports stored before triage).
    pub triage: Option<TriageMark>,
    /// The member who owns it.
    pub owner: Option<OwnerRef>,
    pub updated_at: Timestamp,
}

/// Who owns a report, as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    pub id: embargo_domain::ids::UserId,
    pub email: String,
    pub name: String,
}

/// What a list shows of a report's triage: read from clear columns, no content opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TriageMark {
    pub class: embargo_domain::triage::TriageClass,
    pub status: embargo_domain::triage::TriageStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub to: Vec<Email>,
    pub cc: Vec<Email>,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub free: i64,
    pub assigned: i64,
}

/// A published advisory with its project, as public pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedAdvisory {
    pub advisory: Advisory,
    pub project: ProjectRef,
}

#[cfg(test)]
mod tests {
    use super::CredentialKind;
    use crate::held::HeldState;

    /// The names in the database's `kind` and `state` columns: rows written before
    /// must still read.
    #[test]
    fn stored_names() {
        use CredentialKind::*;
        assert_eq!(
            [Session, ApiToken, SetupLink].map(CredentialKind::as_str),
            ["session", "api_token", "setup_link"]
        );
        let held = [HeldState::Held, HeldState::Released, HeldState::Discarded];
        assert_eq!(
            held.map(HeldState::as_str),
            ["held", "released", "discarded"]
        );
        assert_eq!(held.map(|h| HeldState::parse(h.as_str())), held.map(Some));
        assert_eq!(HeldState::parse("Held"), None);
    }
}
