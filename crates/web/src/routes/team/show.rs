//! `/reports/{id}`: everything the team knows about one report, with a form for each
//! step the domain allows this member to take next.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use embargo_domain::access::Actor;
use embargo_domain::ids::CveId;
use embargo_domain::lifecycle::{Command, decide};
use embargo_domain::record::{AffectedRange, Credit, RecordDraft, Severity, announcement};
use embargo_domain::report::Report;
use embargo_domain::state::ReportState;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::Auth;
use crate::routes::{ProjectLink, html_with_status};
use crate::service;
use crate::state::AppState;
use crate::views::{record_problem, when, when_opt};

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
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl RecordFields {
    pub fn from_record(r: &RecordDraft) -> Self {
        Self {
            title: r.title.clone(),
            description: r.description.clone(),
            product: r.product.clone(),
            affected: r
                .affected
                .iter()
                .map(AffectedRange::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            severity: r
                .severity
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            cwe: r.cwe.clone().unwrap_or_default(),
            cwe_name: r.cwe_name.clone().unwrap_or_default(),
            mitigation: r.mitigation.clone().unwrap_or_default(),
            credits: r
                .credits
                .iter()
                .map(|c| format!("{} ({})", c.name, c.kind.cve_name()))
                .collect::<Vec<_>>()
                .join("\n"),
            references: r.references.join("\n"),
        }
    }

    /// The draft these lines describe; each line is parsed by the domain's own reader.
    pub fn to_record(&self) -> Result<RecordDraft, AppError> {
        Ok(RecordDraft {
            title: self.title.trim().to_string(),
            description: self.description.trim().replace("\r\n", "\n"),
            product: self.product.trim().to_string(),
            affected: lines(&self.affected)
                .map(AffectedRange::parse_line)
                .collect::<Result<_, _>>()?,
            severity: optional(&self.severity)
                .map(|s| Severity::parse(&s))
                .transpose()?,
            cwe: optional(&self.cwe),
            cwe_name: optional(&self.cwe_name),
            mitigation: optional(&self.mitigation).map(|m| m.replace("\r\n", "\n")),
            credits: lines(&self.credits)
                .map(Credit::parse_line)
                .collect::<Result<_, _>>()?,
            references: lines(&self.references).map(String::from).collect(),
        })
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

struct OutboxView {
    to: String,
    subject: String,
    state: String,
    attempts: i64,
    last_error: String,
    created: String,
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
    route_projects: Vec<ProjectLink>,
    audit: Vec<AuditView>,
    outbox: Vec<OutboxView>,
    error: Option<String>,
}

/// A stand-in command for each target state, used only to ask the domain whether this
/// member may take that step now; the real inputs come with the form.
fn probe(to: ReportState, today_plus_year: jiff::civil::Date) -> Option<Command> {
    Some(match to {
        ReportState::Received => return None,
        ReportState::Acknowledged => Command::Acknowledge { message: None },
        ReportState::Rejected => Command::Reject {
            reason: "probe".into(),
        },
        ReportState::Accepted => Command::Accept {
            disclosure_date: today_plus_year,
            message: None,
        },
        ReportState::CveRequested => Command::RequestCve {
            summary: "probe".into(),
        },
        ReportState::CveAssigned => Command::AssignCve {
            cve: CveId::new(9999, 99_999),
        },
        ReportState::ReporterReview => Command::SendDraft { message: None },
        ReportState::Fixed => Command::RecordFix {
            fix_ref: "probe".into(),
            release_ref: "probe".into(),
        },
        ReportState::Announced => Command::Announce,
    })
}

/// Renders the report page, optionally with the error of a refused form and the
/// record form as the member typed it.
pub async fn render(
    state: &AppState,
    auth: &Auth,
    report: &Report,
    error: Option<AppError>,
    record_input: Option<RecordFields>,
) -> Result<Response, AppError> {
    let store = &state.store;
    let (messages, audit, outbox, project, projects) = (
        store.messages(&report.id).await?,
        store.audit_log(&report.id).await?,
        store.outbox_for_report(&report.id).await?,
        service::project_of(state, report).await?,
        store.list_projects().await?,
    );
    let cfg = &state.config;
    let policy = cfg.policy(project.as_ref());
    let contacts = cfg.contacts(project.as_ref(), None);
    let now = Timestamp::now();
    let next_year = (now + SignedDuration::from_hours(24 * 366))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let allowed = |actor: &Actor, command: Command| {
        decide(report, command, actor, now, &policy, &contacts).is_ok()
    };

    let transitions = ReportState::ALL
        .into_iter()
        .filter(|to| probe(*to, next_year).is_some_and(|c| allowed(&auth.actor, c)))
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
    let probe_record = RecordDraft {
        title: "probe".into(),
        ..RecordDraft::default()
    };
    let record = allowed(
        &auth.actor,
        Command::UpdateRecord {
            record: probe_record,
        },
    )
    .then(|| {
        record_input.unwrap_or_else(|| {
            report
                .record
                .as_ref()
                .map(RecordFields::from_record)
                .unwrap_or_default()
        })
    });
    let severity = record
        .as_ref()
        .map(|r| r.severity.clone())
        .unwrap_or_default();
    let route_projects: Vec<ProjectLink> = match projects.first() {
        Some(p)
            if allowed(
                &auth.actor,
                Command::Route {
                    project: p.as_ref(),
                },
            ) =>
        {
            projects.iter().map(ProjectLink::from).collect()
        }
        _ => vec![],
    };
    let problem = record_problem(report);
    let preview = match (&report.record, &report.cve, &problem) {
        (Some(rec), Some(cve), None) => {
            let a = announcement(cve, rec);
            Some(format!("Subject: {}\n\n{}", a.subject, a.body))
        }
        _ => None,
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
            route_projects,
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
                    to: o
                        .to
                        .iter()
                        .chain(&o.cc)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    subject: o.subject,
                    state: o.state,
                    attempts: o.attempts,
                    last_error: o.last_error.unwrap_or_default(),
                    created: when(o.created_at),
                })
                .collect(),
            error: error.map(|e| e.to_string()),
        },
    )
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    auth.member()?;
    let (report, _) = service::visible(&state, &auth.actor, &id).await?;
    render(&state, &auth, &report, None, None).await
}
