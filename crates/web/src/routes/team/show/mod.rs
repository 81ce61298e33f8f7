//! `/reports/{id}`: everything the team knows about one report, with a form for each
//! step the domain allows this member to take next. The record form, the record's
//! history, the triage section and the announcement's destinations are their own
//! modules.

mod announcement;
mod history;
mod record_form;
mod sections;
mod triage;

use sections::{
    AttachmentView, AuditView, IncomingView, MessageView, OutboxView, Paging, RecordMove,
    TransitionView, VersionView,
};

pub use record_form::{PostedRecord, RecordAction, RecordFields};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use embargo_domain::lifecycle::{Step, available_steps};
use embargo_domain::record::RecordState;
use embargo_domain::report::Report;
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, TeamReport};
use crate::routes::{ProjectLink, html_with_status};
use crate::state::AppState;
use crate::views::clock::{Clock, MaybeMoment, Moment};
use crate::views::record_problem;
use embargo_app::publication::{Finding, Score};
use embargo_domain::clocks::Deadline;

struct SeverityOption {
    value: &'static str,
    selected: bool,
}

/// What the team knows of the report itself, for the page's "Report" and
/// "Deadlines" sections.
struct Facts {
    description: String,
    affected_versions: String,
    reporter_name: String,
    reporter_email: String,
    credit: String,
    channel: &'static str,
    received: Moment,
    acknowledge_by: MaybeMoment,
    discuss_by: MaybeMoment,
    announce_by: MaybeMoment,
    /// What the next deadline asks ("Acknowledge", "Discuss", "Announce").
    next_what: &'static str,
    next_due: MaybeMoment,
    overdue: bool,
    disclosure_date: String,
    cve_summary: String,
    fix_ref: String,
    release_ref: String,
}

impl Facts {
    fn of(report: &Report, now: Timestamp, clock: &Clock) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
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
            received: clock.at(report.received_at),
            acknowledge_by: clock.due_opt(report.deadlines.acknowledge_by),
            discuss_by: clock.due_opt(report.deadlines.discuss_by),
            announce_by: clock.due_opt(report.deadlines.announce_by),
            next_what: Deadline::of_state(report.state).label(),
            next_due: clock.due_opt(report.next_due()),
            overdue: report.is_overdue(now),
            disclosure_date: report
                .disclosure_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            cve_summary: opt(&report.cve_summary),
            fix_ref: opt(&report.fix_ref),
            release_ref: opt(&report.release_ref),
        }
    }
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
    facts: Facts,
    triage: triage::TriageView,
    cve: String,
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
    /// The products' package URLs, in order.
    purls: Vec<String>,
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
    /// Where the announcement goes or went (team/report/announcement.html).
    announcement: announcement::AnnouncementView,
    attachments: Vec<AttachmentView>,
    attachments_paging: Paging,
    incoming: Vec<IncomingView>,
    incoming_paging: Paging,
    error: Option<String>,
    /// The clocks that started on an event and the CRA forms (team/report/clocks.html).
    clocks: crate::routes::team::clocks::ClocksView,
    /// Who owns the report ("" for nobody), and whether it can take an owner (open).
    owner: String,
    ownable: bool,
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
    let q = PageQuery {
        diff: diff_version,
        ..PageQuery::default()
    };
    render_page(state, auth, report, error, record_input, &q).await
}

/// [`render`], with the received mails and attachments from where `q` says.
async fn render_page(
    state: &AppState,
    auth: &Auth,
    report: &Report,
    error: Option<AppError>,
    record_input: Option<RecordFields>,
    q: &PageQuery,
) -> Result<Response, AppError> {
    let pages = embargo_app::reports::DetailPages {
        mail_after: q.mail_after.unwrap_or(0).max(0),
        attachments_after: q.attachments_after.unwrap_or(0).max(0),
    };
    let diff_version = q.diff;
    let detail = state.app.detail(report, pages).await?;
    let (incoming_paging, attachments_paging) = pagings(&detail, pages);
    let embargo_app::reports::ReportDetail {
        messages,
        audit,
        outbox,
        attachments,
        incoming: taken,
        versions,
        ..
    } = detail;
    let (project, projects) = (
        state.app.project_of(report).await?,
        state.app.projects().await?,
    );
    let cfg = state.app.settings();
    let policy = cfg.policy(project.as_ref());
    let now = Timestamp::now();
    let clock = Clock::new(&policy, now);
    // The forms this member may use now; the domain derives them from its own rules.
    let steps = available_steps(report, &auth.actor, now, &policy);
    let offered = |step: Step| steps.contains(&step);

    let transitions = sections::transitions(&offered, announcement::confirms(report, now, &policy));
    let announced_to = state.app.announcement(report).await?;
    let record = offered(Step::SaveRecord).then(|| {
        record_input.unwrap_or_else(|| {
            report
                .cve_record()
                .as_ref()
                .map(RecordFields::from_record)
                .unwrap_or_else(|| RecordFields::default().with_spare_row())
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
    let (findings, scores, problem, preview) = record_checks(state, report)?;
    let record_state = report.record_state();
    let record_moves = sections::record_moves(&offered, state.app.publishes_to_cve_program());
    let (diff_title, diff) = history::diff(&versions, diff_version);
    let scan_answer = state.app.pasted_scan_answer(report).await?;
    let status = error.as_ref().map_or(StatusCode::OK, AppError::status);
    let owner = owner_label(state, report).await?;
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
            facts: Facts::of(report, now, &clock),
            triage: triage::view(report, &offered, scan_answer),
            cve: report
                .cve
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            messages: sections::messages(&messages, &clock),
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
            purls: report.cve_record().map(|r| r.purls()).unwrap_or_default(),
            record_moves,
            versions: sections::versions(&versions, &clock),
            diff_title,
            diff,
            route_projects,
            merge_allowed,
            split_allowed,
            merged_into: id_or_empty(report.merged_into.as_ref()),
            split_from: id_or_empty(report.split_from.as_ref()),
            audit: sections::audit(audit, &clock),
            outbox: sections::outbox(outbox, &clock),
            announcement: announcement::view(announced_to, &clock),
            attachments: sections::attachments(attachments),
            attachments_paging,
            incoming: sections::incoming(taken, &clock),
            incoming_paging,
            error: error.map(|e| e.to_string()),
            clocks: crate::routes::team::clocks::view(state, &auth.actor, report, &clock, now)
                .await?,
            owner,
            ownable: !report.state.is_terminal(),
        },
    )
}

/// The count and links of the received mails and of the attachments.
fn pagings(
    d: &embargo_app::reports::ReportDetail,
    pages: embargo_app::reports::DetailPages,
) -> (Paging, Paging) {
    let incoming = Paging::of(
        d.incoming.len(),
        d.incoming.last().map(|(m, _)| m.id),
        d.incoming_more,
        (pages.mail_after, d.incoming_total),
        ("mail_after", "incoming-mail"),
    );
    let attachments = Paging::of(
        d.attachments.len(),
        d.attachments.last().map(|a| a.id),
        d.attachments_more,
        (pages.attachments_after, d.attachments_total),
        ("attachments_after", "attachments"),
    );
    (incoming, attachments)
}

/// The record's findings and scores, why it is not ready to announce (the domain's
/// reason or the CVE JSON 5 lint's first error), and the announcement's preview.
#[expect(
    clippy::type_complexity,
    reason = "four parts of one section, each a field of the page"
)]
fn record_checks(
    state: &AppState,
    report: &Report,
) -> Result<(Vec<Finding>, Vec<Score>, Option<String>, Option<String>), AppError> {
    let (findings, scores) = state
        .app
        .record_check(report)?
        .map(|b| (b.findings, b.scores))
        .unwrap_or_default();
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
    Ok((findings, scores, problem, preview))
}

/// "Name <address>" of the report's owner, or "" for nobody.
async fn owner_label(state: &AppState, report: &Report) -> Result<String, AppError> {
    Ok(match report.owner {
        Some(id) => state
            .app
            .member(id)
            .await?
            .map(|m| format!("{} <{}>", m.name, m.email))
            .unwrap_or_default(),
        None => String::new(),
    })
}

fn id_or_empty(id: Option<&embargo_domain::ids::ReportId>) -> String {
    id.map(ToString::to_string).unwrap_or_default()
}

/// `?diff=N` shows the changes that made version N of the record;
/// `?mail_after=ID` and `?attachments_after=ID` the received mails and attachments
/// after the one with that id (each section shows a bounded page).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    diff: Option<i64>,
    mail_after: Option<i64>,
    attachments_after: Option<i64>,
}

pub async fn page(
    State(state): State<AppState>,
    TeamReport { auth, report }: TeamReport,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    render_page(&state, &auth, &report, None, None, &q).await
}
