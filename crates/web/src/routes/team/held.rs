//! `/held`: the organisation team's held mail (bounces, auto-replies and mail the
//! sender rules held), filtered by state, kind of reason, sender and dates (kept in the
//! URL), with release into a report, discard, and bulk discard of the ticked mails or
//! of every mail matching the filter. Nobody else sees that it exists.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::held::{BulkDiscard, HeldQuery};
use embargo_app::model::{HeldCategory, HeldState, MAX_BULK_DISCARD, MAX_HELD_SCANNED};
use jiff::Timestamp;
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm, NoFields};
use crate::routes::html;
use crate::state::AppState;
use crate::views::{when, when_opt};

/// The page's query: the filter, and what the last bulk discard did.
#[derive(Debug, Default, Deserialize)]
pub struct HeldPageQuery {
    #[serde(flatten)]
    filter: HeldQuery,
    #[serde(default)]
    discarded: Option<String>,
    #[serde(default)]
    remaining: Option<String>,
}

struct Row {
    id: i64,
    received: String,
    from: String,
    has_sender: bool,
    subject: String,
    reason: String,
    size: i64,
    resolved: String,
    report: String,
}

struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "team/held.html")]
struct HeldPage {
    csrf: String,
    org_team: bool,
    rows: Vec<Row>,
    state: &'static str,
    states: Vec<Choice>,
    reasons: Vec<Choice>,
    sender: String,
    from: String,
    to: String,
    open: i64,
    matching: u64,
    complete: bool,
    scanned: usize,
    shown: u64,
    bulk_limit: u64,
    as_of: String,
    notice: String,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<HeldPageQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let filter = q.filter.filter()?;
    let (listing, open) = state.app.held_mails(member, &filter).await?;
    let rows: Vec<Row> = listing
        .mails
        .into_iter()
        .map(|m| Row {
            id: m.id,
            received: when(m.received_at),
            has_sender: m.from.is_some(),
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
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_string();
    html(&HeldPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        shown: rows.len() as u64,
        rows,
        state: filter.state.as_str(),
        states: [HeldState::Held, HeldState::Released, HeldState::Discarded]
            .into_iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: s.as_str(),
                selected: s == filter.state,
            })
            .collect(),
        reasons: HeldCategory::ALL
            .into_iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: c.label(),
                selected: filter.category == Some(c),
            })
            .collect(),
        sender: text(&q.filter.sender),
        from: text(&q.filter.from),
        to: text(&q.filter.to),
        open,
        matching: listing.matching,
        complete: listing.complete,
        scanned: MAX_HELD_SCANNED,
        bulk_limit: MAX_BULK_DISCARD as u64,
        as_of: Timestamp::now().to_string(),
        notice: notice(q.discarded.as_deref(), q.remaining.as_deref()),
    })
}

/// "Discarded 12 held mails." and what is left, after a bulk discard's redirect.
fn notice(discarded: Option<&str>, remaining: Option<&str>) -> String {
    let Some(n) = discarded.and_then(|d| d.parse::<u64>().ok()) else {
        return String::new();
    };
    let mut text = format!("Discarded {n} held mail{}.", if n == 1 { "" } else { "s" });
    if let Some(m) = remaining
        .and_then(|r| r.parse::<u64>().ok())
        .filter(|m| *m > 0)
    {
        text.push_str(&format!(" {m} more match this filter."));
    }
    text
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

/// The bulk form: `scope=selected` with a `discard.<ID>` field per ticked mail, or
/// `scope=matching` with the filter's fields and `as_of` (when the list was shown).
pub async fn discard_many(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(fields): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let field = |name: &str| fields.get(name).map(|v| v.trim().to_string());
    let query = HeldQuery {
        state: field("state"),
        reason: field("reason"),
        sender: field("sender"),
        from: field("from"),
        to: field("to"),
    };
    let what = match field("scope").as_deref() {
        Some("selected") => BulkDiscard::Selected(picked(&fields)?),
        Some("matching") => BulkDiscard::Matching {
            filter: query.filter()?,
            as_of: match field("as_of").filter(|s| !s.is_empty()) {
                Some(s) => Some(
                    s.parse::<Timestamp>()
                        .map_err(|_| AppError::invalid("as_of", format!("{s:?} is not a time")))?,
                ),
                None => None,
            },
        },
        other => {
            return Err(AppError::invalid(
                "scope",
                format!("{other:?} is not \"selected\" or \"matching\""),
            ));
        }
    };
    let done = state.app.discard_held_bulk(member, &what).await?;
    let mut pairs = filter_fields(&query);
    pairs.push(("discarded", done.discarded.to_string()));
    pairs.push(("remaining", done.remaining.to_string()));
    Ok(Redirect::to(&format!("/held?{}", query_of(&pairs))).into_response())
}

/// The ids of the ticked `discard.<ID>` boxes.
fn picked(fields: &BTreeMap<String, String>) -> Result<Vec<i64>, AppError> {
    fields
        .keys()
        .filter_map(|k| k.strip_prefix("discard."))
        .map(|id| {
            id.parse::<i64>().map_err(|_| {
                AppError::invalid("ids", format!("{id:?} is not a held mail's number"))
            })
        })
        .collect()
}

/// The filter's fields that are set, as the query names them.
fn filter_fields(q: &HeldQuery) -> Vec<(&'static str, String)> {
    [
        ("state", &q.state),
        ("reason", &q.reason),
        ("sender", &q.sender),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| (k, v.to_string()))
    })
    .collect()
}

/// `a=1&b=x%40y`: names and values percent-encoded (all but RFC 3986's unreserved).
fn query_of(pairs: &[(&str, String)]) -> String {
    let encode = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_and_notices_worded() {
        assert_eq!(
            query_of(&[
                ("sender", "@spam.example & co".into()),
                ("state", "held".into())
            ]),
            "sender=%40spam.example%20%26%20co&state=held"
        );
        assert_eq!(notice(Some("1"), Some("0")), "Discarded 1 held mail.");
        assert_eq!(
            notice(Some("2000"), Some("31")),
            "Discarded 2000 held mails. 31 more match this filter."
        );
        assert_eq!(notice(None, Some("3")), "");
        assert_eq!(notice(Some("x"), None), "");
    }
}
