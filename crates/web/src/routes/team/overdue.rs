//! `/overdue`: the board of what is late (docs/clocks.md#the-overdue-board), grouped
//! by project, the latest first, each time in its project's zone. The organisation
//! team sees every project; a project member their own.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use embargo_domain::ids::ProjectSlug;
use jiff::Timestamp;

use crate::error::AppError;
use crate::extract::Auth;
use crate::routes::html;
use crate::state::AppState;
use crate::views::clock::Clocks;

struct Item {
    report: String,
    title: String,
    deadline: &'static str,
    label: &'static str,
    /// HTML: a `<time>` element with how late (views::clock::Moment).
    due: String,
}

struct Group {
    project: String,
    slug: String,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "team/overdue.html")]
struct OverduePage {
    csrf: String,
    org_team: bool,
    groups: Vec<Group>,
    count: usize,
    truncated: bool,
}

pub async fn page(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let member = auth.member()?;
    let now = Timestamp::now();
    let board = state.app.overdue(member, now).await?;
    let clocks = Clocks::new(state.app.settings(), &state.app.projects().await?, now);
    let groups: Vec<Group> = board
        .groups
        .into_iter()
        .map(|g| {
            let slug = g.slug.as_deref().and_then(|s| ProjectSlug::parse(s).ok());
            let clock = clocks.of(slug.as_ref());
            Group {
                project: g.project,
                slug: g.slug.clone().unwrap_or_default(),
                items: g
                    .items
                    .into_iter()
                    .map(|i| Item {
                        due: clock.due(i.due).to_string(),
                        report: i.report,
                        title: i.title,
                        deadline: i.deadline,
                        label: i.label,
                    })
                    .collect(),
            }
        })
        .collect();
    html(&OverduePage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        count: groups.iter().map(|g| g.items.len()).sum(),
        groups,
        truncated: board.truncated,
    })
}
