//! `/api/v1/senders`: the organisation team's sender rules as JSON: list, add (block
//! or throttle an address or domain, with a reason), lift. Each add and lift is
//! audited. Anyone else gets 404, for bad input too.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use embargo_app::model::SenderRuleInfo;
use embargo_app::senders::{LiftRequest, SenderRuleRequest};
use embargo_domain::senders::{PatternScope, SenderAction};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{
    BadRequest, Conflict, NotFound, PayloadTooLarge, Unauthenticated, UnsupportedMediaType,
};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};
use crate::state::AppState;

/// What a rule does.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SenderRuleAction)]
pub enum ActionJson {
    /// Every message is held.
    Block,
    /// New reports over `per_day` in 24 hours are held.
    Throttle,
}

/// A sender rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SenderRule)]
pub struct SenderRuleJson {
    pub id: i64,
    /// `mallory@example.com` or `@spam.example` (subdomains included).
    pub pattern: String,
    pub scope: PatternScope,
    pub action: ActionJson,
    /// Throttles only: new reports a day.
    pub per_day: Option<u32>,
    pub reason: String,
    pub created_at: Timestamp,
    /// Who added it.
    pub created_by: String,
    pub lifted_at: Option<Timestamp>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

impl From<SenderRuleInfo> for SenderRuleJson {
    fn from(r: SenderRuleInfo) -> Self {
        let (action, per_day) = match r.action {
            SenderAction::Block => (ActionJson::Block, None),
            SenderAction::Throttle { per_day } => (ActionJson::Throttle, Some(per_day)),
        };
        Self {
            id: r.id,
            pattern: r.pattern,
            scope: r.scope,
            action,
            per_day,
            reason: r.reason,
            created_at: r.created_at,
            created_by: r.created_by,
            lifted_at: r.lifted_at,
            lifted_by: r.lifted_by,
            lift_reason: r.lift_reason,
        }
    }
}

/// The rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SenderRuleList)]
pub struct SenderRuleListJson {
    pub rules: Vec<SenderRuleJson>,
}

/// The list's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SendersParams {
    /// `true`: the lifted rules (newest first, at most 500) instead of those in force.
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    lifted: Option<String>,
}

/// The path parameter of `/senders/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[expect(
    dead_code,
    reason = "describes the path; the handler takes it as a String"
)]
pub struct RulePath {
    /// The rule's number.
    id: i64,
}

/// The sender rules in force, oldest first, or the lifted ones (organisation team).
#[utoipa::path(
    get,
    path = "/senders",
    operation_id = "listSenderRules",
    params(SendersParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules.", body = SenderRuleListJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<SendersParams>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let lifted = match p.lifted.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "lifted",
                format!("{other:?} is not true or false"),
            ));
        }
    };
    let rules = state.app.sender_rules(member, lifted).await?;
    let rules = rules.into_iter().map(SenderRuleJson::from).collect();
    Ok(Json(SenderRuleListJson { rules }).into_response())
}

/// Block or throttle a sender address or domain (organisation team).
///
/// Their mail is held in the held-mail list, never answered and never a report: all of
/// it for a block, new reports over `per_day` in 24 hours for a throttle. Refused
/// (400) for a pattern that would hold the organisation's or a project's own address,
/// and (409) while a rule for the same pattern is in force or 1000 rules are.
#[utoipa::path(
    post,
    path = "/senders",
    operation_id = "addSenderRule",
    request_body = SenderRuleRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added.", body = SenderRuleJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    body: Result<ApiJson<SenderRuleRequest>, AppError>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let ApiJson(req) = body?;
    let rule = state.app.add_sender_rule(member, &req).await?;
    Ok((StatusCode::CREATED, Json(SenderRuleJson::from(rule))).into_response())
}

/// Lift a sender rule (organisation team): their mail is taken as any other again.
#[utoipa::path(
    post,
    path = "/senders/{id}/lift",
    operation_id = "liftSenderRule",
    params(RulePath),
    request_body = LiftRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Lifted.", body = SenderRuleJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn lift(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Result<ApiJson<LiftRequest>, AppError>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::invalid("id", format!("{id:?} is not a rule's number")))?;
    let ApiJson(req) = body?;
    let rule = state.app.lift_sender_rule(member, id, &req.reason).await?;
    Ok(Json(SenderRuleJson::from(rule)).into_response())
}
