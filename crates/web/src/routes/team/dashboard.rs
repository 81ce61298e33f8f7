//! `/dashboard`: the reports a member handles, soonest deadline first, 50 a page (paged
//! by cursor: the "Next" link carries the last row's place), with
//! their triage suggestions and the bulk confirmation of them.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use embargo_domain::clocks::{Deadline, relative};
use embargo_domain::state::ReportState;
use embargo_domain::triage::{TriageClass, TriageStatus};
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm};
use crate::routes::html;
use crate::state::AppState;
use crate::views::when;
use embargo_app::model::ListCursor;
use embargo_app::{BulkConfirm, ListQuery};
use std::collections::BTreeMap;

const PER_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    triage: String,
    /// The page after this cursor (the "Next" link's): keyset paging, as fast at any
    /// depth as on the first page.
    #[serde(default)]
    after: String,
    /// `1`: only overdue reports.
    #[serde(default)]
    overdue: String,
    /// The page's number, for people only.
    #[serde(default)]
    page: u32,
}

struct Row {
    id: String,
    title: String,
    state: &'static str,
    state_label: &'static str,
    project: String,
    received: String,
    next_due: String,
    overdue: bool,
    cve: String,
    /// The triage class's name and label ("" without a suggestion).
    triage: &'static str,
    triage_label: &'static str,
    /// A noise suggestion nobody has decided on: a box to confirm it with others.
    confirmable: bool,
}

struct StateOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "team/dashboard.html")]
struct Dashboard {
    csrf: String,
    user: String,
    /// The organisation team also sees the way to held mail.
    org_team: bool,
    rows: Vec<Row>,
    /// Some row has a box: the bulk confirmation's button is shown.
    any_confirmable: bool,
    states: Vec<StateOption>,
    state: String,
    /// The triage filter's options and value.
    triage_classes: Vec<StateOption>,
    triage: String,
    /// Only overdue reports are listed.
    overdue: bool,
    page: u32,
    /// Not the first page: a link back to it.
    first: bool,
    /// The next page's cursor, if there is one.
    next: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let filter = match q.state.trim() {
        "" | "all" => None,
        s => Some(ReportState::parse(s)?),
    };
    let triage = match q.triage.trim() {
        "" | "all" => None,
        c => Some(TriageClass::parse(c)?),
    };
    let page = q.page.min(1_000_000_000);
    let overdue_only = matches!(q.overdue.trim(), "1" | "true" | "on");
    // One more than a page, to know whether a next page exists.
    let mut rows = state
        .app
        .list(
            member,
            &ListQuery {
                project: None,
                state: filter,
                triage,
                after: Some(q.after.clone()),
                overdue: overdue_only,
                limit: PER_PAGE + 1,
                offset: 0,
            },
        )
        .await?;
    let more = rows.len() > PER_PAGE as usize;
    rows.truncate(PER_PAGE as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|r| ListCursor::after(r).encode());
    let now = Timestamp::now();
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            id: r.id.to_string(),
            title: r.title.clone(),
            state: r.state.as_str(),
            state_label: r.state.label(),
            project: r
                .project
                .as_ref()
                .map_or_else(|| "(unrouted)".to_string(), |p| p.name.clone()),
            received: when(r.received_at),
            next_due: r.next_due.map_or_else(
                || "—".to_string(),
                |d| {
                    format!(
                        "{}: {} ({})",
                        Deadline::of_state(r.state).label(),
                        when(d),
                        relative(d, now)
                    )
                },
            ),
            overdue: r.next_due.is_some_and(|d| d < now),
            cve: r.cve.as_ref().map(ToString::to_string).unwrap_or_default(),
            triage: r.triage.map_or("", |t| t.class.as_str()),
            triage_label: r.triage.map_or("", |t| t.class.label()),
            confirmable: r
                .triage
                .is_some_and(|t| t.class.is_noise() && t.status == TriageStatus::Suggested),
        })
        .collect();
    html(&Dashboard {
        csrf: auth.csrf(),
        user: member.name.clone(),
        org_team: member.org_team,
        any_confirmable: rows.iter().any(|r| r.confirmable),
        rows,
        states: ReportState::ALL
            .iter()
            .map(|s| StateOption {
                value: s.as_str(),
                label: s.label(),
                selected: filter == Some(*s),
            })
            .collect(),
        state: filter.map(|s| s.as_str().to_string()).unwrap_or_default(),
        triage_classes: TriageClass::ALL
            .iter()
            .map(|c| StateOption {
                value: c.as_str(),
                label: c.label(),
                selected: triage == Some(*c),
            })
            .collect(),
        triage: triage.map(|c| c.as_str().to_string()).unwrap_or_default(),
        overdue: overdue_only,
        page,
        first: !q.after.trim().is_empty(),
        next,
    })
}

#[derive(Template)]
#[template(path = "team/triage_result.html")]
struct Confirmed {
    csrf: String,
    result: BulkConfirm,
}

/// The dashboard's bulk confirmation: each ticked report (`confirm.<ID>` fields) is
/// closed as its suggested class and answered; the page lists what was refused and why.
pub async fn confirm_many(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(fields): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let ids: Vec<String> = fields
        .keys()
        .filter_map(|k| k.strip_prefix("confirm."))
        .map(String::from)
        .collect();
    let result = state.app.confirm_triage_many(member, &ids).await?;
    html(&Confirmed {
        csrf: auth.csrf(),
        result,
    })
}
