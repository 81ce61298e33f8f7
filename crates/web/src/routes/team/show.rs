//! `/reports/{id}`: everything the team knows about one report, with a form for each
//! step the domain allows this member to take next.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use embargo_domain::lifecycle::{Step, available_steps};
use embargo_domain::record::{
    CnaRecord, Credit, Cwe, RecordState, Reference, Severity, TimelineEntry, VersionRange,
    VersionStatus,
};
use embargo_domain::report::Report;
use embargo_domain::state::ReportState;
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, TeamReport};
use crate::routes::{ProjectLink, html_with_status};
use crate::state::AppState;
use crate::views::{record_problem, when, when_opt};
use embargo_app::publication::{Finding, Score};

/// The record form's fields as typed: lists are one item per line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordFields {
    pub title: String,
    pub description: String,
    pub product: String,
    pub affected: String,
    pub severity: String,
    pub cwe: String,
    pub cwe_name: String,
    pub mitigation: String,
    pub credits: String,
    pub references: String,
    pub collection_url: String,
    pub package_name: String,
    pub version_type: String,
    pub cvss_v3_1: String,
    pub cvss_v4_0: String,
    pub workarounds: String,
    pub date_public: String,
    /// "affected", "unaffected" or "unknown"; empty is unaffected.
    pub default_status: String,
    /// CWEs after the first, one per line ("CWE-20 Improper Input Validation").
    pub further_cwes: String,
    /// One event per line ("2024-01-05 Reported to the security team").
    pub timeline: String,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl RecordFields {
    pub fn from_record(r: &CnaRecord) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            title: r.title.clone(),
            description: r.description.clone(),
            product: r.product.clone(),
            affected: r
                .affected
                .iter()
                .map(VersionRange::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            severity: r
                .severity
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            cwe: opt(&r.cwe),
            cwe_name: opt(&r.cwe_name),
            mitigation: opt(&r.mitigation),
            credits: r
                .credits
                .iter()
                .map(|c| format!("{} ({})", c.name, c.kind.cve_name()))
                .collect::<Vec<_>>()
                .join("\n"),
            references: r
                .references
                .iter()
                .map(Reference::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            collection_url: opt(&r.collection_url),
            package_name: opt(&r.package_name),
            version_type: opt(&r.version_type),
            cvss_v3_1: opt(&r.cvss_v3_1),
            cvss_v4_0: opt(&r.cvss_v4_0),
            workarounds: opt(&r.workarounds),
            date_public: r.date_public.map(|d| d.to_string()).unwrap_or_default(),
            default_status: r
                .default_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            further_cwes: r
                .further_cwes
                .iter()
                .map(Cwe::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            timeline: r
                .timeline
                .iter()
                .map(TimelineEntry::describe)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The record these lines describe; each line is parsed by the domain's own reader.
    pub fn to_record(&self) -> Result<CnaRecord, AppError> {
        let text = |s: &str| optional(s).map(|m| m.replace("\r\n", "\n"));
        Ok(CnaRecord {
            title: self.title.trim().to_string(),
            description: self.description.trim().replace("\r\n", "\n"),
            product: self.product.trim().to_string(),
            affected: lines(&self.affected)
                .map(VersionRange::parse_line)
                .collect::<Result<_, _>>()?,
            severity: optional(&self.severity)
                .map(|s| Severity::parse(&s))
                .transpose()?,
            cwe: optional(&self.cwe),
            cwe_name: optional(&self.cwe_name),
            mitigation: text(&self.mitigation),
            credits: lines(&self.credits)
                .map(Credit::parse_line)
                .collect::<Result<_, _>>()?,
            references: lines(&self.references)
                .map(Reference::parse_line)
                .collect::<Result<_, _>>()?,
            collection_url: optional(&self.collection_url),
            package_name: optional(&self.package_name),
            version_type: optional(&self.version_type),
            // Vectors are often pasted with a trailing space or a lower-case prefix.
            cvss_v3_1: optional(&self.cvss_v3_1).map(|v| normalise_vector(&v)),
            cvss_v4_0: optional(&self.cvss_v4_0).map(|v| normalise_vector(&v)),
            workarounds: text(&self.workarounds),
            date_public: optional(&self.date_public)
                .map(|d| {
                    d.parse::<jiff::civil::Date>().map_err(|_| {
                        AppError::invalid(
                            "date_public",
                            format!("{d:?} is not a date (YYYY-MM-DD)"),
                        )
                    })
                })
                .transpose()?,
            default_status: optional(&self.default_status)
                .map(|s| VersionStatus::parse("default_status", &s))
                .transpose()?,
            further_cwes: lines(&self.further_cwes)
                .map(Cwe::parse_line)
                .collect::<Result<_, _>>()?,
            timeline: lines(&self.timeline)
                .map(TimelineEntry::parse_line)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn normalise_vector(v: &str) -> String {
    match v.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("cvss:") => format!("CVSS:{}", &v[5..]),
        _ => v.to_string(),
    }
}

/// A transition form: the target state and the inputs it needs.
struct TransitionView {
    to: &'static str,
    label: &'static str,
    message: bool,
    reason: bool,
    date: bool,
    summary: bool,
    cve: bool,
    refs: bool,
}

struct MessageView {
    kind: &'static str,
    author: String,
    body: String,
    at: String,
}

struct AuditView {
    at: String,
    actor: String,
    action: String,
    detail: String,
}

/// An attachment of a mail taken in; only a stored one gets a download link.
struct AttachmentView {
    id: i64,
    name: String,
    size: i64,
    sha256: String,
    stored: bool,
}

/// A mail taken in for this report, as its headers name it.
struct IncomingView {
    from: String,
    date: String,
    subject: String,
    disposition: String,
    held: bool,
    received: String,
}

struct OutboxView {
    to: String,
    subject: String,
    /// `queued`, `failing`, `sent` or `failed`, as [`embargo_app::model::Delivery`] says.
    state: String,
    attempts: i64,
    last_error: String,
    created: String,
}

/// A form that moves the CVE record (submit for review, mark READY...).
struct RecordMove {
    to: &'static str,
    label: &'static str,
    reason: bool,
}

struct VersionView {
    version: i64,
    state: &'static str,
    actor: String,
    at: String,
}

struct SeverityOption {
    value: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "team/report.html")]
struct ReportPage {
    csrf: String,
    id: String,
    title: String,
    state: &'static str,
    state_label: &'static str,
    project: String,
    description: String,
    affected_versions: String,
    reporter_name: String,
    reporter_email: String,
    credit: String,
    channel: &'static str,
    received: String,
    acknowledge_by: String,
    discuss_by: String,
    announce_by: String,
    next_due: String,
    overdue: bool,
    disclosure_date: String,
    cve: String,
    cve_summary: String,
    fix_ref: String,
    release_ref: String,
    messages: Vec<MessageView>,
    transitions: Vec<TransitionView>,
    record: Option<RecordFields>,
    severities: Vec<SeverityOption>,
    record_problem: Option<String>,
    preview: Option<String>,
    record_state: &'static str,
    record_state_label: &'static str,
    findings: Vec<Finding>,
    scores: Vec<Score>,
    purl: Option<String>,
    record_moves: Vec<RecordMove>,
    versions: Vec<VersionView>,
    diff_title: String,
    diff: Vec<crate::diff::Line>,
    route_projects: Vec<ProjectLink>,
    /// The domain allows this member to merge this report into another one.
    merge_allowed: bool,
    /// The domain allows this member to split this report.
    split_allowed: bool,
    merged_into: String,
    split_from: String,
    audit: Vec<AuditView>,
    outbox: Vec<OutboxView>,
    attachments: Vec<AttachmentView>,
    incoming: Vec<IncomingView>,
    error: Option<String>,
}

/// Renders the report page, optionally with the error of a refused form and the
/// record form as the member typed it.
pub async fn render(
    state: &AppState,
    auth: &Auth,
    report: &Report,
    error: Option<AppError>,
    record_input: Option<RecordFields>,
    diff_version: Option<i64>,
) -> Result<Response, AppError> {
    let embargo_app::reports::ReportDetail {
        messages,
        audit,
        outbox,
        attachments,
        incoming: taken,
        versions,
    } = state.app.detail(report).await?;
    let (project, projects) = (
        state.app.project_of(report).await?,
        state.app.projects().await?,
    );
    let mut incoming = Vec::new();
    for (
        m,
        embargo_app::model::MailHeaders {
            from,
            date,
            subject,
        },
    ) in taken
    {
        incoming.push(IncomingView {
            from,
            date,
            subject,
            held: m.disposition == "held",
            disposition: m.disposition,
            received: when(m.received_at),
        });
    }
    let cfg = state.app.settings();
    let policy = cfg.policy(project.as_ref());
    let now = Timestamp::now();
    // The forms this member may use now; the domain derives them from its own rules.
    let steps = available_steps(report, &auth.actor, now, &policy);
    let offered = |step: Step| steps.contains(&step);

    let transitions = ReportState::ALL
        .into_iter()
        .filter(|to| Step::transition_to(*to).is_some_and(offered))
        .map(|to| TransitionView {
            to: to.as_str(),
            label: to.label(),
            message: matches!(
                to,
                ReportState::Acknowledged | ReportState::Accepted | ReportState::ReporterReview
            ),
            reason: to == ReportState::Rejected,
            date: to == ReportState::Accepted,
            summary: to == ReportState::CveRequested,
            cve: to == ReportState::CveAssigned,
            refs: to == ReportState::Fixed,
        })
        .collect();
    let record = offered(Step::SaveRecord).then(|| {
        record_input.unwrap_or_else(|| {
            report
                .cve_record()
                .as_ref()
                .map(RecordFields::from_record)
                .unwrap_or_default()
        })
    });
    let severity = record
        .as_ref()
        .map(|r| r.severity.clone())
        .unwrap_or_default();
    let route_projects: Vec<ProjectLink> = if offered(Step::Route) {
        projects.iter().map(ProjectLink::from).collect()
    } else {
        vec![]
    };
    // Merging and splitting touch two reports; the domain answers for this one alone.
    let merge_allowed = offered(Step::Merge);
    let split_allowed = offered(Step::Split);
    let check = state.app.record_check(report)?;
    let (findings, scores) = check
        .as_ref()
        .map(|b| (b.findings.clone(), b.scores.clone()))
        .unwrap_or_default();
    // Not ready while the domain or the CVE JSON 5 lint finds an error.
    let problem = record_problem(report).or_else(|| {
        findings
            .iter()
            .find(|f| f.level == "error")
            .map(|f| format!("{}: {}", f.path, f.message))
    });
    let preview = match (report.cve_record(), &report.cve) {
        (Some(rec), Some(cve)) if rec.problems().is_empty() => {
            let a = rec.announcement(cve);
            Some(format!("Subject: {}\n\n{}", a.subject, a.body))
        }
        _ => None,
    };
    let record_state = report.record_state();
    let record_moves = RecordState::ALL
        .into_iter()
        // A move the record's findings still block is offered too (`Step::MoveRecord`),
        // and its refusal names them.
        .filter(|to| offered(Step::MoveRecord(*to)))
        .map(|to| RecordMove {
            to: to.as_str(),
            label: match to {
                RecordState::Draft => "Send back to DRAFT",
                RecordState::Review => "Submit for review",
                RecordState::Ready => "Mark READY",
                RecordState::Published if state.app.publishes_to_cve_program() => {
                    "Publish to the CVE Program"
                }
                // Said before the click, and again in the note the move leaves.
                RecordState::Published => "Mark PUBLISHED here (CVE Services is not configured)",
                _ => "Reject the CVE id",
            },
            reason: matches!(to, RecordState::Rejected | RecordState::Draft),
        })
        .collect();
    let chosen = diff_version
        .and_then(|n| versions.iter().position(|v| v.version == n))
        .unwrap_or(versions.len().saturating_sub(1));
    let (diff_title, diff) = match versions.get(chosen) {
        Some(v) => {
            let pretty = |r: &CnaRecord| serde_json::to_string_pretty(r).unwrap_or_default();
            let before = chosen
                .checked_sub(1)
                .and_then(|i| versions.get(i))
                .map(|p| (p.version, pretty(&p.record)));
            let title = match &before {
                Some((n, _)) => format!("Changes from version {n} to version {}", v.version),
                None => format!("Version {} (the first)", v.version),
            };
            let old = before.map(|(_, t)| t).unwrap_or_default();
            (title, crate::diff::lines(&old, &pretty(&v.record)))
        }
        None => (String::new(), vec![]),
    };
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    html_with_status(
        status,
        &ReportPage {
            csrf: auth.csrf(),
            id: report.id.to_string(),
            title: report.title.clone(),
            state: report.state.as_str(),
            state_label: report.state.label(),
            project: report
                .project
                .as_ref()
                .map_or_else(|| "(unrouted)".into(), |p| p.name.clone()),
            description: report.description.clone(),
            affected_versions: opt(&report.affected_versions),
            reporter_name: opt(&report.reporter.name),
            reporter_email: report
                .reporter
                .email
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            credit: opt(&report.reporter.credit),
            channel: report.channel.as_str(),
            received: when(report.received_at),
            acknowledge_by: when_opt(report.deadlines.acknowledge_by),
            discuss_by: when_opt(report.deadlines.discuss_by),
            announce_by: when_opt(report.deadlines.announce_by),
            next_due: when_opt(report.next_due()),
            overdue: report.is_overdue(now),
            disclosure_date: report
                .disclosure_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            cve: report
                .cve
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            cve_summary: opt(&report.cve_summary),
            fix_ref: opt(&report.fix_ref),
            release_ref: opt(&report.release_ref),
            messages: messages
                .iter()
                .map(|m| MessageView {
                    kind: m.kind.as_str(),
                    author: m.author_label.clone(),
                    body: m.body.clone(),
                    at: when(m.created_at),
                })
                .collect(),
            transitions,
            record,
            severities: ["", "low", "moderate", "important", "critical"]
                .into_iter()
                .map(|value| SeverityOption {
                    value,
                    selected: value == severity,
                })
                .collect(),
            record_problem: problem,
            preview,
            record_state: record_state.map_or("", RecordState::as_str),
            record_state_label: record_state.map_or("", RecordState::label),
            findings,
            scores,
            purl: report.cve_record().and_then(|r| r.purl()),
            record_moves,
            versions: versions
                .iter()
                .map(|v| VersionView {
                    version: v.version,
                    state: v.state.label(),
                    actor: v.actor.clone(),
                    at: when(v.created_at),
                })
                .collect(),
            diff_title,
            diff,
            route_projects,
            merge_allowed,
            split_allowed,
            merged_into: report
                .merged_into
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            split_from: report
                .split_from
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            audit: audit
                .into_iter()
                .map(|a| AuditView {
                    at: when(a.at),
                    actor: a.actor,
                    action: a.action,
                    detail: a.detail,
                })
                .collect(),
            outbox: outbox
                .into_iter()
                .map(|o| OutboxView {
                    state: match o.delivery() {
                        embargo_app::model::Delivery::Queued => "queued",
                        embargo_app::model::Delivery::Failing => "failing",
                        embargo_app::model::Delivery::Sent => "sent",
                        embargo_app::model::Delivery::Failed => "failed",
                    }
                    .to_string(),
                    to: o
                        .to
                        .iter()
                        .chain(&o.cc)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    subject: o.subject,
                    attempts: o.attempts,
                    last_error: o.last_error.unwrap_or_default(),
                    created: when(o.created_at),
                })
                .collect(),
            attachments: attachments
                .into_iter()
                .map(|a| AttachmentView {
                    id: a.id,
                    name: a.name,
                    size: a.size,
                    sha256: a.sha256,
                    stored: a.stored,
                })
                .collect(),
            incoming,
            error: error.map(|e| e.to_string()),
        },
    )
}

/// `?diff=N` shows the changes that made version N of the record.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    diff: Option<i64>,
}

pub async fn page(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    render(&state, &auth, &report, None, None, q.diff).await
}
