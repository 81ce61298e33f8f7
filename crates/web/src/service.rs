//! The domain calls every front end makes, shared by the HTML pages and `/api/v1`:
//! load what the caller may see, ask `lifecycle` to decide, let the store apply.

use embargo_domain::access::{Access, Actor, Member, access};
use embargo_domain::cna::RecordState;
use embargo_domain::ids::{CveId, ProjectSlug, ReportId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{self, Change, Command, TransitionRequest, decide, receive};
use embargo_domain::report::{Channel, Report};
use embargo_domain::state::ReportState;
use embargo_domain::token::Token;
use embargo_store::{Project, ReportFilter, ReportSummary};
use jiff::Timestamp;

use crate::error::AppError;
use crate::publish::{self, Built};
use crate::state::AppState;

/// Takes a new report; returns it with the status-link token, shown once to the reporter.
pub async fn submit(
    state: &AppState,
    sub: &Submission,
    channel: Channel,
) -> Result<(Report, Token), AppError> {
    let new = sub.parse()?;
    let project = match &new.project {
        Some(slug) => Some(state.store.project_by_slug(slug).await?.ok_or_else(|| {
            AppError::invalid(
                "project",
                format!("there is no project {slug:?}; leave it empty if you do not know"),
            )
        })?),
        None => None,
    };
    let token = Token::generate();
    let cfg = &state.config;
    let change = receive(
        new,
        ReportId::generate(),
        project.as_ref().map(Project::as_ref),
        channel,
        Timestamp::now(),
        &cfg.policy(project.as_ref()),
        &cfg.contacts(project.as_ref(), Some(cfg.status_url(token.expose()))),
    )?;
    let report = state.store.create_report(&change, &token.digest()).await?;
    Ok((report, token))
}

/// The report `id` and the caller's access to it; 404 for anything the caller may not
/// see, exactly as for an id that does not exist.
pub async fn visible(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<(Report, Access), AppError> {
    let id = ReportId::parse(id).map_err(|_| AppError::NotFound)?;
    let report = state.store.report(&id).await?.ok_or(AppError::NotFound)?;
    match access(actor, &report) {
        Access::None => Err(AppError::NotFound),
        level => Ok((report, level)),
    }
}

/// The report behind a status-link token, seen as its reporter.
pub async fn by_status_token(state: &AppState, token: &str) -> Result<(Report, Actor), AppError> {
    let token = Token::from_presented(token).ok_or(AppError::NotFound)?;
    let report = state
        .store
        .report_by_status_token(&token.digest())
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = Actor::Reporter(report.id.clone());
    Ok((report, actor))
}

/// Lets the domain decide `command` and applies the change; returns the stored report.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    command: Command,
) -> Result<Report, AppError> {
    let change = decide_for(state, actor, report, command).await?;
    Ok(state.store.apply(&change).await?)
}

/// The domain's decision on `command`, not yet applied.
async fn decide_for(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    command: Command,
) -> Result<Change, AppError> {
    let project = project_of(state, report).await?;
    let cfg = &state.config;
    Ok(decide(
        report,
        command,
        actor,
        Timestamp::now(),
        &cfg.policy(project.as_ref()),
        // Later mails do not repeat the status link: the reporter has it from the receipt,
        // and only its digest is stored.
        &cfg.contacts(project.as_ref(), None),
    )?)
}

/// A lifecycle transition; `cve_assigned` without a `cve` takes the pool's next free id.
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    req: &TransitionRequest,
) -> Result<Report, AppError> {
    let from_pool = req.to.trim() == ReportState::CveAssigned.as_str()
        && req.cve.as_deref().is_none_or(|c| c.trim().is_empty());
    let next = if from_pool {
        state.store.next_free_cve().await?
    } else {
        None
    };
    let command = req.command(|| next)?;
    act(state, actor, report, command).await
}

/// Routes an unrouted report to the project `slug`.
pub async fn route(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    slug: &str,
) -> Result<Report, AppError> {
    let slug = ProjectSlug::parse(slug)?;
    let project = state
        .store
        .project_by_slug(&slug)
        .await?
        .ok_or_else(|| AppError::invalid("project", format!("there is no project {slug:?}")))?;
    act(
        state,
        actor,
        report,
        Command::Route {
            project: project.as_ref(),
            // The project's security list, else the organisation address (as for mail).
            team: state.config.contacts(Some(&project), None).team,
        },
    )
    .await
}

/// Merges `report` (B) into the report `into` (A), both committed at once; returns
/// (B, A) as stored. A report the caller may not see is 404, as everywhere.
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    into: &str,
) -> Result<(Report, Report), AppError> {
    let into = into.trim();
    if into.is_empty() {
        return Err(AppError::invalid(
            "into",
            "name the report to merge into (EMB-...)",
        ));
    }
    let (target, _) = visible(state, actor, into).await?;
    let project = project_of(state, report).await?;
    let m = lifecycle::merge(
        report,
        &target,
        actor,
        Timestamp::now(),
        // B's contacts: its reporter's mail is copied to B's team.
        &state.config.contacts(project.as_ref(), None),
    )?;
    Ok(state.store.apply_both(&m.source, &m.target).await?)
}

/// Splits `report` (A): returns (A, A2) as stored, A2 the new report.
pub async fn split(
    state: &AppState,
    actor: &Actor,
    report: &Report,
) -> Result<(Report, Report), AppError> {
    let project = project_of(state, report).await?;
    let s = lifecycle::split(
        report,
        ReportId::generate(),
        actor,
        Timestamp::now(),
        &state.config.contacts(project.as_ref(), None),
    )?;
    // The new report's status link is never shown to anyone: the reporter keeps
    // following the original's, where the split is told.
    let unused = Token::generate();
    Ok(state
        .store
        .apply_and_create(&s.original, &s.created, &unused.digest())
        .await?)
}

/// The CVE record of the report's record, its scores and findings; `None` before a
/// record is written. A record without an id yet is checked under a stand-in id.
pub fn record_check(state: &AppState, report: &Report) -> Result<Option<Built>, AppError> {
    let Some(record) = report.cve_record() else {
        return Ok(None);
    };
    let cve = report.cve.clone().unwrap_or_else(|| CveId::new(1999, 1));
    let mut built = publish::build(&cve, &record, &state.config.cna, Timestamp::now())?;
    if let Some(schema) = &state.config.record_schema {
        // The structural check, behind the domain's and the lint's: errors keep the
        // record in DRAFT like theirs.
        let official = schema.check(&embargo_formats::cve5::export(&built.record));
        let warnings_at = built
            .findings
            .iter()
            .position(|f| f.level != "error")
            .unwrap_or(built.findings.len());
        built.findings.splice(warnings_at..warnings_at, official);
    }
    Ok(Some(built))
}

/// Moves the CVE record to `to` ("review", "ready", "published", "rejected", "draft"),
/// with the CVE JSON 5 lint's errors for the domain to weigh.
///
/// PUBLISHED and REJECTED go to the CVE Program first when CVE Services is configured
/// (`WebConfig::cve_services`): the record is marked only once the service took it, and
/// the service's refusal is the caller's error. Without CVE Services the move is
/// recorded here only, and the note on the report says it was not sent.
pub async fn move_record(
    state: &AppState,
    actor: &Actor,
    report: &Report,
    to: &str,
    reason: Option<String>,
) -> Result<Report, AppError> {
    let to = RecordState::parse(to)?;
    let check = record_check(state, report)?;
    let problems = check.as_ref().map(Built::blocking).unwrap_or_default();
    let command = |reason: Option<String>| Command::MoveRecord {
        to,
        reason,
        problems: problems.clone(),
    };
    if !matches!(to, RecordState::Published | RecordState::Rejected) {
        return act(state, actor, report, command(reason)).await;
    }
    // The domain decides first (who may, from which state, with which reason), so that
    // nothing reaches the CVE Program that Embargo itself would refuse.
    decide_for(state, actor, report, command(reason.clone())).await?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let note = match (&state.config.cve_services, &report.cve) {
        (Some(client), Some(cve)) if to == RecordState::Published => {
            let built =
                check.ok_or_else(|| AppError::invalid("record", "write the record first"))?;
            send_published(client, cve, &built).await?;
            format!(
                "Published at the CVE Program through CVE Services ({}).",
                client.base_url()
            )
        }
        (Some(client), Some(cve)) => {
            let why = reason.clone().unwrap_or_default();
            send_rejection(client, cve, &why).await?;
            format!(
                "Rejected at the CVE Program through CVE Services ({}).",
                client.base_url()
            )
        }
        (Some(_), None) => "Recorded here only: the report has no CVE id to send.".into(),
        (None, _) => "Recorded here only: not sent to the CVE Program, because CVE Services is \
                      not configured (EMBARGO_CVE_API_URL, _ORG, _USER and _KEY)."
            .into(),
    };
    let reason = match reason {
        Some(r) => format!("{r}\n\n{note}"),
        None => note,
    };
    act(state, actor, report, command(Some(reason))).await
}

/// What CVE Services said, for the person who asked.
fn refused(what: &str, cve: &CveId, e: &embargo_cveservices::Error) -> AppError {
    AppError::Upstream(format!("CVE Services did not {what} {cve}: {e}"))
}

/// Publishes the record's CNA container; a record the service has already (an
/// earlier attempt that was not marked here) is updated instead.
async fn send_published(
    client: &embargo_cveservices::Client,
    cve: &CveId,
    built: &Built,
) -> Result<(), AppError> {
    let record = embargo_formats::cve5::export(&built.record);
    let container = embargo_cveservices::cna_container_of(&record)
        .ok_or_else(|| AppError::internal("the built record has no CNA container"))?;
    match client.publish(cve, container).await {
        Ok(_) => Ok(()),
        Err(embargo_cveservices::Error::RecordExists { .. }) => client
            .update_published(cve, container)
            .await
            .map(|_| ())
            .map_err(|e| refused("update the record of", cve, &e)),
        Err(e) => Err(refused("publish", cve, &e)),
    }
}

/// Rejects a reserved id, or a published one (whose record then says REJECTED).
async fn send_rejection(
    client: &embargo_cveservices::Client,
    cve: &CveId,
    reason: &str,
) -> Result<(), AppError> {
    let rejection = embargo_cveservices::Rejection::english(reason);
    match client.reject(cve, &rejection).await {
        Ok(_) => Ok(()),
        Err(embargo_cveservices::Error::RecordExists { .. }) => client
            .update_rejected(cve, &rejection)
            .await
            .map(|_| ())
            .map_err(|e| refused("reject", cve, &e)),
        Err(e) => Err(refused("reject", cve, &e)),
    }
}

pub async fn project_of(state: &AppState, report: &Report) -> Result<Option<Project>, AppError> {
    match &report.project {
        Some(p) => Ok(state.store.project_by_id(p.id).await?),
        None => Ok(None),
    }
}

/// Which reports a member's list shows.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub project: Option<String>,
    pub state: Option<ReportState>,
    pub limit: u32,
    pub offset: u32,
}

/// The reports `member` handles, filtered; only ever those the member may see.
pub async fn list(
    state: &AppState,
    member: &Member,
    q: &ListQuery,
) -> Result<Vec<ReportSummary>, AppError> {
    let mut projects = if member.org_team {
        None
    } else {
        Some(member.projects.clone())
    };
    if let Some(slug) = q
        .project
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let slug = ProjectSlug::parse(slug)?;
        let p =
            state.store.project_by_slug(&slug).await?.ok_or_else(|| {
                AppError::invalid("project", format!("there is no project {slug:?}"))
            })?;
        match &mut projects {
            None => projects = Some(vec![p.id]),
            Some(ids) => ids.retain(|id| *id == p.id),
        }
    }
    if projects.as_ref().is_some_and(Vec::is_empty) {
        return Ok(vec![]);
    }
    let filter = ReportFilter {
        projects: projects.clone(),
        state: q.state,
        include_closed: true,
        limit: q.limit,
        offset: q.offset,
    };
    let mut rows = state.store.list_reports(&filter).await?;
    // Defence in depth: whatever the query returned, keep only what the member handles.
    rows.retain(|r| {
        member.org_team
            || r.project
                .as_ref()
                .is_some_and(|p| member.projects.contains(&p.id))
    });
    Ok(rows)
}

/// The organisation team's held-mail list (bounces and auto-replies that belong to no
/// report); 404 for anyone else, as for a page that does not exist.
pub async fn held_mails(
    state: &AppState,
    member: &Member,
    filter: embargo_store::HeldState,
) -> Result<(Vec<embargo_store::HeldMailInfo>, i64), AppError> {
    require_org_team(member)?;
    let list = state
        .store
        .held_mails(filter, embargo_store::MAX_HELD_LISTED)
        .await?;
    Ok((list, state.store.held_count().await?))
}

/// Releases a held mail into a new report, through the same intake as mail.
pub async fn release_held(
    state: &AppState,
    member: &Member,
    id: i64,
) -> Result<ReportId, AppError> {
    require_org_team(member)?;
    let cfg = &state.config;
    let ingestor = embargo_mail::Ingestor::new(
        state.store.clone(),
        embargo_mail::MailConfig {
            base_url: cfg.base_url.clone(),
            organisation: cfg.organisation.clone(),
            default_policy: cfg.default_policy.clone(),
            max_message_bytes: embargo_mail::ingest::DEFAULT_MAX_MESSAGE_BYTES,
            max_attachment_bytes: embargo_mail::ingest::DEFAULT_MAX_ATTACHMENT_BYTES,
        },
    );
    Ok(ingestor.release(id, member).await?)
}

/// Discards a held mail (audited).
pub async fn discard_held(state: &AppState, member: &Member, id: i64) -> Result<(), AppError> {
    require_org_team(member)?;
    Ok(state
        .store
        .discard_held(
            id,
            member.id,
            &Actor::Member(member.clone()).audit_name(),
            Timestamp::now(),
        )
        .await?)
}

fn require_org_team(member: &Member) -> Result<(), AppError> {
    if member.org_team {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
