//! Embargo's storage layer: narrow async traits, one implementation over sqlx's `Any`
//! driver, and a migration set per backend (SQLite embedded by default, PostgreSQL).
//!
//! Report content (titles, descriptions, thread bodies, reporter contact, records) is
//! sealed at rest with the data key (see [`seal`]); what stays in clear is what the
//! dashboard must sort and filter on: ids, states, times, project ids.

mod announcements;
mod clocks;
mod cve_records;
mod error;
mod held;
mod mailbox;
pub mod model;
mod records;
pub mod seal;
mod senders;
mod sql;
mod statements;
mod timeline;
// Other crates' tests and benchmarks turn it on in their dev-dependencies; a release
// build carries no test database code.
#[cfg(feature = "test-support")]
pub mod test_support;

pub use announcements::{AnnouncementCopy, Announcements};
pub use clocks::{ClockRow, Clocks, LateClock, MAX_CLOCKS_READ};
pub use cve_records::{CveImportOutcome, CveRecords, StoredCveRecord};
pub use error::StoreError;
pub use held::{
    HeldCategory, HeldFilter, HeldListing, HeldMail, HeldMailInfo, HeldState, MAX_BULK_DISCARD,
    MAX_HELD_LISTED, MAX_HELD_SCANNED, NewHeldMail, Release,
};
pub use mailbox::{
    AttachmentInfo, Delivery, IncomingMail, IncomingSummary, MAX_THREAD_IDS, MailEffect,
    MailHeaders, MailRenderer, Mailbox, NewAttachment, OutboxStats, PageOf, QueuedMail, Taken,
};
pub use model::*;
pub use records::{RecordVersion, Records};
pub use seal::Sealer;
pub use senders::{
    MAX_LIFTED_LISTED, MAX_ORG_AUDIT_LISTED, NewSenderRule, SenderCheck, SenderRuleInfo,
    SenderRules,
};
pub use sql::group_commit::IntakeCommits;
pub use sql::{SqlStore, Usage, redact_url};
pub use statements::{
    ImportOutcome, ImportedRules, MAX_STATEMENTS_PER_PROJECT, StatementAuthor, StatementChange,
    StatementRecord, StatementVersion, Statements, StoredRules, subject_key,
};
pub use timeline::{MAX_TIMELINE_PROJECTS, MAX_TIMELINE_ROWS, OpenNow, Timeline, TimelineRows};

use async_trait::async_trait;
use embargo_domain::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use embargo_domain::lifecycle::Change;
use embargo_domain::report::{AuditEntry, Message, Report};
use embargo_domain::token::TokenDigest;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The installation's organisation, created on first start.
#[async_trait]
pub trait Organisations: Send + Sync {
    async fn organisation(&self) -> Result<Option<Organisation>>;
    /// Creates the organisation row; `Duplicate` if it already exists.
    async fn init_organisation(&self, org: &Organisation) -> Result<()>;
}

/// Team members and their credentials (sessions, API tokens, setup links).
#[async_trait]
pub trait Users: Send + Sync {
    /// `Duplicate` if the address is taken.
    async fn create_user(&self, user: &NewUser) -> Result<UserId>;
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>>;
    /// `NotFound` if there is no such user.
    async fn set_password(&self, id: UserId, password_hash: &str) -> Result<()>;
    async fn count_users(&self) -> Result<i64>;
    async fn insert_credential(&self, credential: &NewCredential) -> Result<()>;
    /// A credential of this kind with this digest, if it exists and has not expired at `now`.
    async fn credential(
        &self,
        digest: &TokenDigest,
        kind: CredentialKind,
        now: jiff::Timestamp,
    ) -> Result<Option<Credential>>;
    async fn delete_credential(&self, digest: &TokenDigest) -> Result<()>;
}

/// Projects and their teams, imported from data files.
#[async_trait]
pub trait Projects: Send + Sync {
    /// Creates or updates the project by slug and makes its team exactly `team`
    /// (creating password-less users for new addresses). Idempotent.
    async fn upsert_project(&self, project: &ProjectInput) -> Result<UpsertOutcome>;
    async fn project_by_slug(&self, slug: &ProjectSlug) -> Result<Option<Project>>;
    async fn project_by_id(&self, id: ProjectId) -> Result<Option<Project>>;
    async fn list_projects(&self) -> Result<Vec<Project>>;
}

/// Reports, their threads, audit log and outbox.
#[async_trait]
pub trait Reports: Send + Sync {
    /// Stores a new report (from `lifecycle::receive`) with its status-link digest,
    /// messages, mails and audit entry, all in one transaction; on SQLite one it may
    /// share with other intakes (group commit), answering once it is committed.
    async fn create_report(&self, change: &Change, status_token: &TokenDigest) -> Result<Report>;
    /// Stores many new reports in one transaction, all or none: the bulk loader of
    /// benchmarks and imports (one commit for the batch instead of one per report).
    async fn create_reports(&self, batch: &[(Change, TokenDigest)]) -> Result<usize>;
    /// Moves SQLite's write-ahead log into the database and truncates it (nothing on
    /// PostgreSQL): run now and then, so that a burst of writes cannot grow the log
    /// without bound.
    async fn checkpoint(&self) -> Result<()>;
    /// How many group commits intake has made and how many intakes they held (`None`
    /// on PostgreSQL, where each intake commits by itself).
    fn intake_commits(&self) -> Option<IntakeCommits>;
    async fn report(&self, id: &ReportId) -> Result<Option<Report>>;
    async fn report_by_status_token(&self, digest: &TokenDigest) -> Result<Option<Report>>;
    /// Applies a decided change atomically: the report (only if still at
    /// `change.report.version`, else `Stale`; `NotFound` if there is no such report),
    /// its messages, mails, audit entry, CVE claim (only if the id is free in the pool,
    /// else `CveTaken`) and advisory. Returns the report as stored, its version bumped.
    async fn apply(&self, change: &Change) -> Result<Report>;
    /// Applies two changes of two reports (a merge) in one transaction, each with its
    /// version check: either both are stored or neither. Returns them as stored;
    /// `Conflict` if both are changes of the same report.
    async fn apply_both(&self, first: &Change, second: &Change) -> Result<(Report, Report)>;
    /// Applies changes of distinct reports in one transaction, each with its version
    /// check: all are stored or none (a step of a report and what the reporters of the
    /// reports merged into it are told). Returns them as stored, in order; `Conflict` if
    /// two are changes of the same report.
    async fn apply_all(&self, changes: &[Change]) -> Result<Vec<Report>>;
    /// Applies `original` and creates `created` (a split) in one transaction; the new
    /// report's status link is `status_token`, which nobody need be given.
    async fn apply_and_create(
        &self,
        original: &Change,
        created: &Change,
        status_token: &TokenDigest,
    ) -> Result<(Report, Report)>;
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>>;
    /// Indexes for search the next `batch` reports stored before the search index
    /// existed, in one transaction; how many it looked at, 0 once all are
    /// (docs/search.md#reports-stored-before-the-index).
    async fn backfill_search(&self, batch: u32) -> Result<u64>;
    /// How many reports match `filter`, counting no further than `COUNT_CAP`.
    async fn count_reports(&self, filter: &ReportFilter) -> Result<i64>;
    async fn messages(&self, id: &ReportId) -> Result<Vec<Message>>;
    async fn audit_log(&self, id: &ReportId) -> Result<Vec<AuditEntry>>;
    async fn outbox_for_report(&self, id: &ReportId) -> Result<Vec<OutboxEntry>>;
    /// The key of blind marks (duplicate fingerprints), derived from the data key.
    fn blind_key(&self) -> &embargo_domain::blind::BlindKey;
    /// Stored reports that share a fingerprint mark with `marks`, in `project` (any
    /// when `None`), open or announced, oldest first, at most a few dozen.
    async fn duplicate_candidates(
        &self,
        project: Option<ProjectId>,
        marks: &[i64],
    ) -> Result<Vec<embargo_domain::triage::duplicate::Candidate>>;
    /// Open reports whose next deadline is at or before `by` and has not been
    /// escalated, soonest first, at most a few hundred.
    async fn due_reports(&self, by: jiff::Timestamp) -> Result<Vec<Report>>;
    /// Records a deadline nudge (`(deadline, nudge, due)`), queues its mail and writes
    /// its audit line in one transaction; `false` and nothing written when it was
    /// recorded before (by this node or another).
    async fn record_nudge(
        &self,
        report: &Report,
        nudge: (&str, &str, jiff::Timestamp),
        mail: &embargo_domain::report::OutgoingMail,
        audit: &AuditEntry,
    ) -> Result<bool>;
}

/// The organisation's pool of CVE ids.
#[async_trait]
pub trait Cves: Send + Sync {
    /// Adds ids to the pool; ids already there are left as they are. Returns how many were new.
    async fn add_to_pool(&self, ids: &[CveId]) -> Result<u64>;
    /// The lowest free id of the pool.
    async fn next_free_cve(&self) -> Result<Option<CveId>>;
    async fn pool_stats(&self) -> Result<PoolStats>;
}

/// What is public: advisories, created only by an announcement.
#[async_trait]
pub trait Advisories: Send + Sync {
    /// Newest first; all projects when `project` is `None`.
    async fn advisories(&self, project: Option<ProjectId>) -> Result<Vec<PublishedAdvisory>>;
    async fn advisory(&self, cve: &CveId) -> Result<Option<PublishedAdvisory>>;
}

/// Everything Embargo stores.
pub trait Store:
    Organisations
    + Users
    + Projects
    + Reports
    + Cves
    + Advisories
    + Mailbox
    + HeldMail
    + SenderRules
    + Records
    + CveRecords
    + Statements
    + Clocks
    + Timeline
    + Announcements
{
}
impl<
    T: Organisations
        + Users
        + Projects
        + Reports
        + Cves
        + Advisories
        + Mailbox
        + HeldMail
        + SenderRules
        + Records
        + CveRecords
        + Statements
        + Clocks
        + Timeline
        + Announcements,
> Store for T
{
}
