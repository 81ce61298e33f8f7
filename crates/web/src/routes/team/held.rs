//! `/held`: the organisation team's held mail (bounces and auto-replies that belong to
//! no report), with release into a report and discard. Nobody else sees that it exists.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::model::HeldState;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, NoFields};
use crate::routes::html;
use crate::state::AppState;
use crate::views::{when, when_opt};

#[derive(Debug, Deserialize)]
pub struct HeldQuery {
    #[serde(default)]
    state: String,
}

struct Row {
    id: i64,
    received: String,
    from: String,
    subject: String,
    reason: String,
    size: i64,
    resolved: String,
    report: String,
}

#[derive(Template)]
#[template(path = "team/held.html")]
struct HeldPage {
    csrf: String,
    rows: Vec<Row>,
    state: &'static str,
    open: i64,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<HeldQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    let filter = match q.state.trim() {
        "" => HeldState::Held,
        s => HeldState::parse(s).ok_or_else(|| {
            AppError::invalid("state", "is one of held, released, discarded".to_string())
        })?,
    };
    let (list, open) = state.app.held_mails(member, filter).await?;
    let rows = list
        .into_iter()
        .map(|m| Row {
            id: m.id,
            received: when(m.received_at),
            from: m.from.unwrap_or_else(|| "(no sender)".into()),
            subject: if m.subject.is_empty() {
                "(no subject)".into()
            } else {
                m.subject
            },
            reason: m.reason,
            size: m.size,
            resolved: when_opt(m.resolved_at),
            report: m.report.map(|r| r.to_string()).unwrap_or_default(),
        })
        .collect();
    html(&HeldPage {
        csrf: auth.csrf(),
        rows,
        state: filter.as_str(),
        open,
    })
}

pub async fn release(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let report = state.app.release_held(auth.member()?, id).await?;
    Ok(Redirect::to(&format!("/reports/{report}")).into_response())
}

pub async fn discard(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    state.app.discard_held(auth.member()?, id).await?;
    Ok(Redirect::to("/held").into_response())
}
