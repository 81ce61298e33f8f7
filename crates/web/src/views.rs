//! What reports look like to callers: the JSON of `/api/v1` and the small helpers the
//! HTML pages share. Built only from what the caller's access level allows.

pub mod announcement;
pub mod clock;

use embargo_app::model::ReportSummary;
use embargo_domain::ids::CveId;
use embargo_domain::record::{CnaRecord, RecordState};
use embargo_domain::report::{AuditEntry, Channel, Deadlines, Message, Report, Reporter};
use embargo_domain::state::ReportState;
use embargo_domain::triage::{Triage, TriageClass, TriageStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use embargo_app::publication::{Finding, Score};

/// A project as reports name it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Project)]
pub struct ProjectJson {
    pub slug: String,
    pub name: String,
}

/// One entry of a thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    /// `note` is internal and never shown to the reporter.
    #[schema(value_type = embargo_domain::report::MessageKind)]
    pub kind: &'static str,
    pub author: String,
    pub body: String,
    pub created_at: Timestamp,
}

impl From<&Message> for MessageJson {
    fn from(m: &Message) -> Self {
        Self {
            kind: m.kind.as_str(),
            author: m.author_label.clone(),
            body: m.body.clone(),
            created_at: m.created_at,
        }
    }
}

/// A row of `GET /api/v1/reports`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Summary)]
pub struct SummaryJson {
    pub id: String,
    pub project: Option<ProjectJson>,
    pub state: ReportState,
    pub title: String,
    pub received_at: Timestamp,
    pub next_due: Option<Timestamp>,
    pub overdue: bool,
    #[schema(value_type = Option<String>)]
    pub cve: Option<CveId>,
    /// The triage suggestion's class and status, without its reasons.
    pub triage: Option<TriageMarkJson>,
    /// The team member who has taken the report.
    pub owner: Option<OwnerJson>,
    pub updated_at: Timestamp,
}

/// A report's owner: a member of the team handling it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Owner)]
pub struct OwnerJson {
    pub email: String,
    pub name: String,
}

/// A list row's triage.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TriageMark)]
pub struct TriageMarkJson {
    pub class: TriageClass,
    pub status: TriageStatus,
}

impl SummaryJson {
    pub fn new(s: &ReportSummary, now: Timestamp) -> Self {
        Self {
            id: s.id.to_string(),
            project: s.project.as_ref().map(|p| ProjectJson {
                slug: p.slug.to_string(),
                name: p.name.clone(),
            }),
            state: s.state,
            title: s.title.clone(),
            received_at: s.received_at,
            next_due: s.next_due,
            overdue: s.next_due.is_some_and(|d| d < now),
            cve: s.cve.clone(),
            triage: s.triage.map(|t| TriageMarkJson {
                class: t.class,
                status: t.status,
            }),
            owner: s.owner.as_ref().map(|o| OwnerJson {
                email: o.email.clone(),
                name: o.name.clone(),
            }),
            updated_at: s.updated_at,
        }
    }
}

/// The team's full view of a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TeamView)]
pub struct TeamViewJson {
    pub id: String,
    pub project: Option<ProjectJson>,
    pub state: ReportState,
    pub title: String,
    pub description: String,
    pub affected_versions: Option<String>,
    pub reporter: Reporter,
    pub channel: Channel,
    pub received_at: Timestamp,
    pub deadlines: Deadlines,
    pub next_due: Option<Timestamp>,
    pub overdue: bool,
    pub disclosure_date: Option<Date>,
    #[schema(value_type = Option<String>)]
    pub cve: Option<CveId>,
    pub cve_summary: Option<String>,
    pub fix_ref: Option<String>,
    pub release_ref: Option<String>,
    /// The full record (a superset of the first API's thin record).
    pub record: Option<CnaRecord>,
    /// Where the CVE record stands: reserved, draft, review, ready, published, rejected.
    pub record_state: Option<RecordState>,
    /// Why the record cannot be announced yet (`null` once it validates).
    pub record_problem: Option<String>,
    /// Everything the checks find in the record (errors and warnings, with paths).
    pub record_findings: Vec<Finding>,
    /// The CVSS scores computed from the record's vectors.
    pub cvss: Vec<Score>,
    /// The report this one was merged into (state `merged`); team view only.
    pub merged_into: Option<String>,
    /// The report this one was split off.
    pub split_from: Option<String>,
    /// The triage suggestion and the team's decision on it (`null` for reports stored
    /// before triage existed).
    pub triage: Option<Triage>,
    /// The team member who has taken the report (set by the caller, who can look
    /// members up).
    pub owner: Option<OwnerJson>,
    pub messages: Vec<MessageJson>,
    pub audit: Vec<AuditEntry>,
    /// Where the announcement goes, or where each copy went (set by the caller, who
    /// can look the project's policy and the outbox up); `null` before acceptance.
    pub announcement: Option<announcement::AnnouncementJson>,
    pub version: i64,
}

impl TeamViewJson {
    pub fn new(r: &Report, messages: &[Message], audit: Vec<AuditEntry>, now: Timestamp) -> Self {
        Self {
            id: r.id.to_string(),
            project: r.project.as_ref().map(|p| ProjectJson {
                slug: p.slug.to_string(),
                name: p.name.clone(),
            }),
            state: r.state,
            title: r.title.clone(),
            description: r.description.clone(),
            affected_versions: r.affected_versions.clone(),
            reporter: r.reporter.clone(),
            channel: r.channel,
            received_at: r.received_at,
            deadlines: r.deadlines.clone(),
            next_due: r.next_due(),
            overdue: r.is_overdue(now),
            disclosure_date: r.disclosure_date,
            cve: r.cve.clone(),
            cve_summary: r.cve_summary.clone(),
            fix_ref: r.fix_ref.clone(),
            release_ref: r.release_ref.clone(),
            record: r.cve_record(),
            record_state: r.record_state(),
            record_problem: record_problem(r),
            record_findings: vec![],
            cvss: vec![],
            merged_into: r.merged_into.as_ref().map(ToString::to_string),
            split_from: r.split_from.as_ref().map(ToString::to_string),
            triage: r.triage.clone(),
            owner: None,
            messages: messages.iter().map(MessageJson::from).collect(),
            audit,
            announcement: None,
            version: r.version,
        }
    }
}

/// What the reporter sees through the status link: never internal notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ReporterView)]
pub struct ReporterViewJson {
    pub id: String,
    pub state: ReportState,
    pub title: String,
    pub messages: Vec<MessageJson>,
}

impl ReporterViewJson {
    pub fn new(r: &Report, messages: &[Message]) -> Self {
        Self {
            id: r.id.to_string(),
            state: r.state,
            title: r.title.clone(),
            messages: reporter_messages(messages).map(MessageJson::from).collect(),
        }
    }
}

/// The answer to a new report (`POST /api/v1/reports`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Receipt)]
pub struct ReceiptJson {
    pub id: String,
    /// The private status link; shown once, keep it secret.
    #[schema(format = "uri")]
    pub status_url: String,
    /// `received`.
    pub state: ReportState,
}

/// `GET /api/v1/reports`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ReportList)]
pub struct ReportListJson {
    pub reports: Vec<SummaryJson>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The answer to a split: the new report.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SplitReceipt)]
pub struct SplitJson {
    /// The new report's id.
    pub id: String,
    /// The report it was split off.
    pub split_from: String,
    pub state: ReportState,
}

/// One saved version of a report's CVE record.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordVersion)]
pub struct RecordVersionJson {
    /// 1 for the first save, then 2, 3...
    pub version: i64,
    pub state: RecordState,
    /// Who saved it ("user:alice@example.org").
    pub actor: String,
    pub record: CnaRecord,
    pub created_at: Timestamp,
}

impl From<embargo_app::model::RecordVersion> for RecordVersionJson {
    fn from(v: embargo_app::model::RecordVersion) -> Self {
        Self {
            version: v.version,
            state: v.state,
            actor: v.actor,
            record: v.record,
            created_at: v.created_at,
        }
    }
}

/// `GET /api/v1/reports/{id}/record/versions`: every version, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RecordVersions)]
pub struct RecordVersionsJson {
    pub versions: Vec<RecordVersionJson>,
}

/// A published advisory, as `GET /api/v1/advisories` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Advisory)]
pub struct AdvisoryJson {
    pub cve: String,
    pub title: String,
    pub project: ProjectJson,
    pub published_at: Timestamp,
    /// The announcement's page.
    #[schema(format = "uri")]
    pub url: String,
    /// The CVE JSON 5 record.
    #[schema(format = "uri")]
    pub cve_record_url: String,
}

impl AdvisoryJson {
    /// `a` with its links under `base` (the public URL, without a trailing slash).
    pub fn new(a: &embargo_app::model::PublishedAdvisory, base: &str) -> Self {
        let cve = a.advisory.cve.to_string();
        Self {
            url: format!("{base}/advisories/{cve}"),
            cve_record_url: format!("{base}/advisories/{cve}.json"),
            cve,
            title: a.advisory.title.clone(),
            project: ProjectJson {
                slug: a.project.slug.to_string(),
                name: a.project.name.clone(),
            },
            published_at: a.advisory.published_at,
        }
    }
}

/// `GET /api/v1/advisories`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AdvisoryList)]
pub struct AdvisoryListJson {
    pub advisories: Vec<AdvisoryJson>,
}

/// The thread as the reporter may read it.
pub fn reporter_messages(messages: &[Message]) -> impl Iterator<Item = &Message> {
    messages.iter().filter(|m| m.kind.visible_to_reporter())
}

/// Why the record is not ready to announce, if it is not.
pub fn record_problem(r: &Report) -> Option<String> {
    match r.cve_record() {
        None => Some("no record written yet".into()),
        Some(rec) => rec.problems().first().map(ToString::to_string),
    }
}

/// A time as pages show it, in UTC (public pages, and the `title` of a team page's
/// [`clock::Moment`], which shows the project's local time).
pub fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn when_opt(t: Option<Timestamp>) -> String {
    t.map(when).unwrap_or_else(|| "—".into())
}
