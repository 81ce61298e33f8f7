//! `/api/v1/held`: the organisation team's held mail as JSON: the list, with the held
//! page's filters, and bulk discard (each discard audited). Anyone else gets 404, for
//! bad input too, as for a path that does not exist.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use embargo_app::held::{BulkDiscard, HeldQuery};
use embargo_app::model::{HeldCategory, HeldMailInfo, HeldState};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::{
    BadRequest, NotFound, PayloadTooLarge, Unauthenticated, UnsupportedMediaType,
};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};
use crate::state::AppState;

/// Where a held mail stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = HeldState)]
pub enum HeldStateJson {
    Held,
    Released,
    Discarded,
}

/// The kind of reason a mail is held for.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = HeldReason)]
pub enum HeldReasonJson {
    Bounce,
    AutoReply,
    BlockedSender,
    ThrottledSender,
    UnknownSender,
}

/// One held mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HeldMail)]
pub struct HeldMailJson {
    pub id: i64,
    /// Its kind (`null` for a reason of no known kind).
    pub category: Option<HeldReasonJson>,
    /// The kind and the sign seen, e.g. `bounce: null envelope sender`.
    pub reason: String,
    /// The From address, if any.
    pub from: Option<String>,
    pub subject: String,
    /// Bytes of the original message.
    pub size: i64,
    pub received_at: Timestamp,
    pub state: HeldStateJson,
    pub resolved_at: Option<Timestamp>,
    /// The report a released mail became.
    pub report: Option<String>,
}

impl From<HeldMailInfo> for HeldMailJson {
    fn from(m: HeldMailInfo) -> Self {
        Self {
            id: m.id,
            category: HeldCategory::of(&m.reason).map(|c| match c {
                HeldCategory::Bounce => HeldReasonJson::Bounce,
                HeldCategory::AutoReply => HeldReasonJson::AutoReply,
                HeldCategory::BlockedSender => HeldReasonJson::BlockedSender,
                HeldCategory::ThrottledSender => HeldReasonJson::ThrottledSender,
                HeldCategory::UnknownSender => HeldReasonJson::UnknownSender,
            }),
            reason: m.reason,
            from: m.from,
            subject: m.subject,
            size: m.size,
            received_at: m.received_at,
            state: match m.state {
                HeldState::Held => HeldStateJson::Held,
                HeldState::Released => HeldStateJson::Released,
                HeldState::Discarded => HeldStateJson::Discarded,
            },
            resolved_at: m.resolved_at,
            report: m.report.map(|r| r.to_string()),
        }
    }
}

/// The held list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HeldList)]
pub struct HeldListJson {
    /// Newest first, at most 500.
    pub mails: Vec<HeldMailJson>,
    /// How many match the filter (with `sender`, among the newest 5000 searched).
    pub matching: u64,
    /// False when the sender filter stopped at the newest 5000: narrow the dates.
    pub complete: bool,
    /// How many mails are held in all.
    pub held: i64,
}

/// The held mails matching the filter, newest first (organisation team).
#[utoipa::path(
    get,
    path = "/held",
    operation_id = "listHeldMail",
    params(HeldQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The list.", body = HeldListJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<HeldQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let (listing, held) = state.app.held_mails(member, &q.filter()?).await?;
    Ok(Json(HeldListJson {
        mails: listing.mails.into_iter().map(HeldMailJson::from).collect(),
        matching: listing.matching,
        complete: listing.complete,
        held,
    })
    .into_response())
}

/// Which held mails to discard: `ids`, or those `matching` a filter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DiscardRequest)]
pub struct DiscardRequest {
    /// Held mails by number (at most 2000). One that does not exist refuses the
    /// whole request; ones released or discarded meanwhile are passed over.
    #[serde(default)]
    ids: Option<Vec<i64>>,
    /// Every held mail matching this filter, newest first, at most 2000 per request.
    #[serde(default)]
    matching: Option<HeldFilterJson>,
    /// With `matching`: only mail received up to this time (when the list was read),
    /// so that mail arriving since is not discarded unseen.
    #[serde(default)]
    as_of: Option<Timestamp>,
}

/// The held list's filters (the state is `held`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HeldFilter)]
pub struct HeldFilterJson {
    /// `bounce`, `auto_reply`, `blocked_sender`, `throttled_sender` or `unknown_sender`.
    #[serde(default)]
    reason: Option<String>,
    /// Text the sender's address contains (case-insensitive).
    #[serde(default)]
    sender: Option<String>,
    /// Received on or after this day (YYYY-MM-DD, UTC) or instant.
    #[serde(default)]
    from: Option<String>,
    /// Received on or before this day (the whole day) or instant.
    #[serde(default)]
    to: Option<String>,
}

/// What a bulk discard did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Discarded)]
pub struct DiscardedJson {
    /// How many mails this request discarded (each with its audit entry).
    pub discarded: u64,
    /// With `matching`: how many still match (send the request again for them).
    pub remaining: u64,
}

/// Discard many held mails (organisation team), each audited as a single discard.
#[utoipa::path(
    post,
    path = "/held/discard",
    operation_id = "discardHeldMail",
    request_body = DiscardRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Discarded.", body = DiscardedJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn discard(
    State(state): State<AppState>,
    auth: Auth,
    body: Result<ApiJson<DiscardRequest>, AppError>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let ApiJson(req) = body?;
    let what = match (req.ids, req.matching) {
        (Some(ids), None) if req.as_of.is_none() => BulkDiscard::Selected(ids),
        (None, Some(m)) => BulkDiscard::Matching {
            filter: HeldQuery {
                state: None,
                reason: m.reason,
                sender: m.sender,
                from: m.from,
                to: m.to,
            }
            .filter()?,
            as_of: req.as_of,
        },
        (Some(_), None) => {
            return Err(AppError::invalid("as_of", "goes with matching, not ids"));
        }
        _ => {
            return Err(AppError::invalid(
                "ids",
                "give either ids (the mails to discard) or matching (a filter), not both",
            ));
        }
    };
    let done = state.app.discard_held_bulk(member, &what).await?;
    Ok(Json(DiscardedJson {
        discarded: done.discarded,
        remaining: done.remaining,
    })
    .into_response())
}
