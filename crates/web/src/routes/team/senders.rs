//! `/senders`: the organisation team's sender rules: the rules in force (or the lifted
//! ones), the form that blocks or throttles an address or domain (pre-filled from a
//! held mail's "Block sender…"), lifting a rule, and the organisation-level audit log
//! (rules and held-mail discards). Nobody else sees that it exists.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use embargo_app::model::SenderRuleInfo;
use embargo_app::senders::SenderRuleRequest;
use embargo_domain::senders::{DEFAULT_PER_DAY, MAX_PER_DAY, SenderAction};
use serde::Deserialize;

use crate::error::AppError;
use crate::extract::{Auth, CsrfForm};
use crate::routes::html;
use crate::state::AppState;
use crate::views::{when, when_opt};

#[derive(Debug, Default, Deserialize)]
pub struct SendersQuery {
    /// `lifted` lists the lifted rules.
    #[serde(default)]
    show: String,
    /// A held mail whose sender the form is filled with.
    #[serde(default)]
    held: Option<String>,
}

struct RuleRow {
    id: i64,
    pattern: String,
    scope: &'static str,
    action: String,
    reason: String,
    added: String,
    added_by: String,
    lifted: String,
    lifted_by: String,
    lift_reason: String,
}

impl From<SenderRuleInfo> for RuleRow {
    fn from(r: SenderRuleInfo) -> Self {
        Self {
            id: r.id,
            pattern: r.pattern,
            scope: r.scope.as_str(),
            action: match r.action {
                SenderAction::Block => "block".into(),
                SenderAction::Throttle { per_day } => format!("throttle: {per_day} a day"),
            },
            reason: r.reason,
            added: when(r.created_at),
            added_by: r.created_by,
            lifted: when_opt(r.lifted_at),
            lifted_by: r.lifted_by.unwrap_or_default(),
            lift_reason: r.lift_reason.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "team/senders.html")]
struct SendersPage {
    csrf: String,
    org_team: bool,
    lifted: bool,
    rules: Vec<RuleRow>,
    /// The form's pattern: a held mail's sender, or empty.
    pattern: String,
    /// That sender's domain, offered as the other choice.
    domain: String,
    default_per_day: u32,
    max_per_day: u32,
    /// The latest organisation-level audit entries: who did what, when.
    audit: Vec<AuditRow>,
}

struct AuditRow {
    at: String,
    actor: String,
    action: String,
    detail: String,
}

/// Audit entries the page shows (held-mail discards and sender rules).
const AUDIT_SHOWN: u32 = 50;

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SendersQuery>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let lifted = match q.show.trim() {
        "" | "in_force" => false,
        "lifted" => true,
        other => {
            return Err(AppError::invalid(
                "show",
                format!("{other:?} is not \"in_force\" or \"lifted\""),
            ));
        }
    };
    let rules = state.app.sender_rules(member, lifted).await?;
    let pattern = match q.held.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| AppError::invalid("id", format!("{id:?} is not a rule's number")))?;
            state.app.held_sender(member, id).await?.unwrap_or_default()
        }
        None => String::new(),
    };
    let audit = state
        .app
        .organisation_audit(member, AUDIT_SHOWN)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            at: when(e.at),
            actor: e.actor,
            action: e.action,
            detail: e.detail,
        })
        .collect();
    let domain = pattern
        .rsplit_once('@')
        .map(|(_, d)| format!("@{}", d.to_lowercase()))
        .unwrap_or_default();
    html(&SendersPage {
        csrf: auth.csrf(),
        org_team: member.org_team,
        lifted,
        rules: rules.into_iter().map(RuleRow::from).collect(),
        pattern,
        domain,
        default_per_day: DEFAULT_PER_DAY,
        max_per_day: MAX_PER_DAY,
        audit,
    })
}

/// The add form: `per_day` is text (empty for the default).
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    per_day: String,
    #[serde(default)]
    reason: String,
}

pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let per_day = match form.per_day.trim() {
        "" => None,
        // The form shows the field for both actions: a block ignores it.
        _ if form.action.trim() == "block" => None,
        n => Some(n.parse::<u32>().map_err(|_| {
            AppError::invalid("per_day", format!("{n:?} is not a number of reports"))
        })?),
    };
    let req = SenderRuleRequest {
        pattern: form.pattern,
        action: form.action,
        per_day,
        reason: form.reason,
    };
    state.app.add_sender_rule(member, &req).await?;
    Ok(Redirect::to("/senders").into_response())
}

#[derive(Debug, Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    reason: String,
}

pub async fn lift(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<LiftForm>,
) -> Result<Response, AppError> {
    let member = auth.member()?;
    state.app.org_team_only(member)?;
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::invalid("id", format!("{id:?} is not a rule's number")))?;
    state.app.lift_sender_rule(member, id, &form.reason).await?;
    Ok(Redirect::to("/senders").into_response())
}
