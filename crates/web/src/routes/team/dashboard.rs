//! `/dashboard`: the reports a member handles, filtered and ordered as the URL says
//! (the API list's parameters), 50 a page (paged by cursor: the "Next" link carries the
//! last row's place and the filters), with the numbers at the top, the rows' owners and
//! triage suggestions, and the bulk confirmation of them.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use embargo_domain::clocks::Deadline;
use embargo_domain::state::ReportState;
use embargo_domain::triage::{TriageClass, TriageStatus};
use jiff::Timestamp;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm};
use crate::routes::html;
use crate::state::AppState;
use crate::views::clock::Clocks;
use embargo_app::model::ReportSummary;
use embargo_app::{BulkConfirm, Dashboard, ListCounts, ListQuery};
use std::collections::BTreeMap;

const PER_PAGE: u32 = 50;

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
    owner: String,
    /// The triage class's name and label ("" without a suggestion).
    triage: &'static str,
    triage_label: &'static str,
    /// A noise suggestion nobody has decided on: a box to confirm it with others.
    confirmable: bool,
}

/// An option of a filter's `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn list<'a>(
        current: Option<&str>,
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<Self> {
        options
            .into_iter()
            .map(|(value, label)| Self {
                value: value.to_string(),
                label: label.to_string(),
                selected: current == Some(value),
            })
            .collect()
    }
}

/// A number at the top, linking to its list.
struct Count {
    id: &'static str,
    label: &'static str,
    shown: String,
    href: &'static str,
}

#[derive(Template)]
#[template(path = "team/dashboard.html")]
struct DashboardPage {
    csrf: String,
    user: String,
    /// The organisation team also sees the way to held mail.
    org_team: bool,
    counts: Vec<Count>,
    rows: Vec<Row>,
    /// Some row has a box: the bulk confirmation's button is shown.
    any_confirmable: bool,
    projects: Vec<Choice>,
    states: Vec<Choice>,
    triage_classes: Vec<Choice>,
    owners: Vec<Choice>,
    cves: Vec<Choice>,
    sorts: Vec<Choice>,
    overdue: bool,
    received_from: String,
    received_to: String,
    q: String,
    /// The order in words, for the page's hint.
    order: &'static str,
    /// Not the first page: a link back to it (the filters kept).
    first: Option<String>,
    /// The next page's link (the filters kept), if there is one.
    next: Option<String>,
}

fn value(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `/dashboard?…` with `q`'s filters and `cursor`.
fn link(q: &ListQuery, cursor: Option<String>) -> String {
    let q = ListQuery {
        cursor,
        limit: None,
        offset: None,
        ..q.clone()
    };
    let query = serde_urlencoded::to_string(&q).unwrap_or_default();
    format!("/dashboard?{query}")
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(mut q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    q.limit = Some(PER_PAGE);
    q.offset = None;
    let d = state.app.dashboard(member, &q).await?;
    // Each row's times in its project's zone (docs/team-pages.md#times).
    let clocks = Clocks::new(
        state.app.settings(),
        &state.app.projects().await?,
        Timestamp::now(),
    );
    html(&render(
        &q,
        d,
        auth.csrf(),
        member.name.clone(),
        member.org_team,
        &clocks,
    ))
}

fn render(
    q: &ListQuery,
    d: Dashboard,
    csrf: String,
    user: String,
    org_team: bool,
    clocks: &Clocks,
) -> DashboardPage {
    let now = Timestamp::now();
    let rows: Vec<Row> = d.page.rows.iter().map(|r| row(r, now, clocks)).collect();
    let project_options: Vec<(&str, &str)> = d
        .projects
        .iter()
        .map(|p| (p.slug.as_str(), p.name.as_str()))
        .collect();
    DashboardPage {
        csrf,
        user,
        org_team,
        counts: counts(d.counts),
        any_confirmable: rows.iter().any(|r| r.confirmable),
        rows,
        projects: Choice::list(value(&q.project), project_options),
        states: Choice::list(
            value(&q.state),
            ReportState::ALL.iter().map(|s| (s.as_str(), s.label())),
        ),
        triage_classes: Choice::list(
            value(&q.triage),
            TriageClass::ALL.iter().map(|c| (c.as_str(), c.label())),
        ),
        owners: Choice::list(value(&q.owner), [("me", "Mine"), ("none", "Nobody")]),
        cves: Choice::list(
            value(&q.cve),
            [("assigned", "CVE assigned"), ("none", "No CVE yet")],
        ),
        sorts: Choice::list(
            value(&q.sort).or(Some("deadline")),
            [
                ("deadline", "Next deadline"),
                ("received", "Received (newest)"),
                ("updated", "Updated (latest)"),
            ],
        ),
        overdue: matches!(value(&q.overdue), Some("1" | "true" | "on")),
        received_from: value(&q.received_from).unwrap_or_default().to_string(),
        received_to: value(&q.received_to).unwrap_or_default().to_string(),
        q: value(&q.q).unwrap_or_default().to_string(),
        order: match d.page.order.as_str() {
            "received" => "Newest first",
            "updated" => "Latest changed first",
            _ => "Soonest deadline first; overdue reports are marked",
        },
        first: value(&q.cursor).map(|_| link(q, None)),
        next: d.page.next_cursor.clone().map(|c| link(q, Some(c))),
    }
}

/// One report's row.
fn row(r: &ReportSummary, now: Timestamp, clocks: &Clocks) -> Row {
    let clock = clocks.of(r.project.as_ref().map(|p| &p.slug));
    Row {
        id: r.id.to_string(),
        title: r.title.clone(),
        state: r.state.as_str(),
        state_label: r.state.label(),
        project: r
            .project
            .as_ref()
            .map_or_else(|| "(unrouted)".to_string(), |p| p.name.clone()),
        // HTML: `<time>` elements, printed with `|safe` (views::clock::Moment).
        received: clock.at(r.received_at).to_string(),
        next_due: r.next_due.map_or_else(
            || "—".to_string(),
            |due| {
                format!(
                    "{}: {}",
                    Deadline::of_state(r.state).label(),
                    clock.due(due)
                )
            },
        ),
        overdue: r.next_due.is_some_and(|due| due < now),
        cve: r.cve.as_ref().map(ToString::to_string).unwrap_or_default(),
        owner: r.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        triage: r.triage.map_or("", |t| t.class.as_str()),
        triage_label: r.triage.map_or("", |t| t.class.label()),
        confirmable: r
            .triage
            .is_some_and(|t| t.class.is_noise() && t.status == TriageStatus::Suggested),
    }
}

fn counts(c: ListCounts) -> Vec<Count> {
    let shown = |n: i64| {
        if n >= ListCounts::CAP {
            format!("{}+", ListCounts::CAP)
        } else {
            n.to_string()
        }
    };
    vec![
        Count {
            id: "count-overdue",
            label: "Overdue",
            shown: shown(c.overdue),
            href: "/dashboard?overdue=1",
        },
        Count {
            id: "count-to-acknowledge",
            label: "To acknowledge",
            shown: shown(c.to_acknowledge),
            href: "/dashboard?state=received",
        },
        Count {
            id: "count-mine",
            label: "Mine",
            shown: shown(c.mine),
            href: "/dashboard?owner=me",
        },
    ]
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
