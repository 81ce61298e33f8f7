//! Reports: what a caller may see (one visibility rule for single reports and lists),
//! the domain's decisions applied, routing, merging and splitting.

use embargo_domain::access::{Access, Actor, access};
use embargo_domain::ids::{ProjectSlug, ReportId};
use embargo_domain::lifecycle::{self, Change, Command, decide};
use embargo_domain::report::Report;
use embargo_domain::state::ReportState;
use embargo_domain::token::Token;
use embargo_store::Project;
use jiff::Timestamp;

use crate::error::{Error, Result};
use crate::{App, TransitionRequest};

impl App {
    /// The report `id` and the caller's access to it; 404 for anything the caller may not
    /// see, exactly as for an id that does not exist.
    pub async fn visible(&self, actor: &Actor, id: &str) -> Result<(Report, Access)> {
        let id = ReportId::parse(id).map_err(|_| Error::NotFound)?;
        let report = self.store().report(&id).await?.ok_or(Error::NotFound)?;
        match access(actor, &report) {
            Access::None => Err(Error::NotFound),
            level => Ok((report, level)),
        }
    }

    /// The report behind a status-link token, seen as its reporter.
    pub async fn by_status_token(&self, token: &str) -> Result<(Report, Actor)> {
        let token = Token::from_presented(token).ok_or(Error::NotFound)?;
        let report = self
            .store()
            .report_by_status_token(&token.digest())
            .await?
            .ok_or(Error::NotFound)?;
        let actor = Actor::Reporter(report.id.clone());
        Ok((report, actor))
    }

    /// Lets the domain decide `command` and applies the change; returns the stored report.
    /// The draft and the announcement also reach the reporters of the reports merged
    /// into this one, as changes of their reports in the same transaction.
    pub async fn act(&self, actor: &Actor, report: &Report, command: Command) -> Result<Report> {
        let notice = lifecycle::MergedNotice::of(&command);
        let change = self.decide_for(actor, report, command).await?;
        let Some(notice) = notice.filter(|_| !report.merged.is_empty()) else {
            return Ok(self.store().apply(&change).await?);
        };
        let mut merged = Vec::with_capacity(report.merged.len());
        for m in &report.merged {
            merged.extend(self.store().report(&m.report).await?);
        }
        let project = self.project_of(report).await?;
        let cfg = self.settings();
        let told = lifecycle::tell_merged(
            &change.report,
            &merged,
            &notice,
            actor,
            change.audit.at,
            &cfg.policy(project.as_ref()),
            &cfg.contacts(project.as_ref(), None),
        );
        let mut all = vec![change];
        all.extend(told);
        let stored = self.store().apply_all(&all).await?;
        stored.into_iter().next().ok_or(Error::NotFound)
    }

    /// The domain's decision on `command`, not yet applied.
    pub(crate) async fn decide_for(
        &self,
        actor: &Actor,
        report: &Report,
        command: Command,
    ) -> Result<Change> {
        let project = self.project_of(report).await?;
        let cfg = self.settings();
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

    /// A lifecycle transition; `cve_assigned` without a `cve` takes the pool's next free id,
    /// and `reporter_review` sends the draft only with a record that validates.
    pub async fn transition(
        &self,
        actor: &Actor,
        report: &Report,
        req: &TransitionRequest,
    ) -> Result<Report> {
        let from_pool = req.to.trim() == ReportState::CveAssigned.as_str()
            && req.cve.as_deref().is_none_or(|c| c.trim().is_empty());
        let next = if from_pool {
            self.store().next_free_cve().await?
        } else {
            None
        };
        let mut command = req.command(|| next)?;
        // The draft goes to the reporter only with a record that validates: the CVE
        // JSON 5 lint's and (when configured) the CVE Program schema's errors, for the
        // domain to weigh with the record's own problems.
        if let Command::SendDraft { problems, .. } = &mut command {
            *problems = self
                .record_check(report)?
                .map(|built| built.blocking())
                .unwrap_or_default();
        }
        self.act(actor, report, command).await
    }

    /// Routes an unrouted report to the project `slug`.
    pub async fn route(&self, actor: &Actor, report: &Report, slug: &str) -> Result<Report> {
        let slug = ProjectSlug::parse(slug)?;
        let project =
            self.store().project_by_slug(&slug).await?.ok_or_else(|| {
                Error::invalid("project", format!("there is no project \"{slug}\""))
            })?;
        self.act(
            actor,
            report,
            Command::Route {
                project: project.as_ref(),
                // The project's security list, else the organisation address (as for mail).
                team: self.settings().contacts(Some(&project), None).team,
            },
        )
        .await
    }

    /// Merges `report` (B) into the report `into` (A), both committed at once; returns
    /// (B, A) as stored. A report the caller may not see is 404, as everywhere. Reports
    /// of two projects merge only with `confirm_cross_project`, and both teams are told.
    pub async fn merge(
        &self,
        actor: &Actor,
        report: &Report,
        into: &str,
        confirm_cross_project: bool,
    ) -> Result<(Report, Report)> {
        let into = into.trim();
        if into.is_empty() {
            return Err(Error::invalid(
                "into",
                "name the report to merge into (EMB-...)",
            ));
        }
        let (target, _) = self.visible(actor, into).await?;
        let project = self.project_of(report).await?;
        let target_project = self.project_of(&target).await?;
        let cfg = self.settings();
        let m = lifecycle::merge(
            report,
            &target,
            actor,
            Timestamp::now(),
            // B's contacts: its reporter's mail is copied to B's team.
            &cfg.contacts(project.as_ref(), None),
            &lifecycle::MergeAcross {
                target_team: cfg.contacts(target_project.as_ref(), None).team,
                confirmed: confirm_cross_project,
            },
        )?;
        Ok(self.store().apply_both(&m.source, &m.target).await?)
    }

    /// Splits `report` (A): returns (A, A2) as stored, A2 the new report.
    pub async fn split(&self, actor: &Actor, report: &Report) -> Result<(Report, Report)> {
        let project = self.project_of(report).await?;
        let s = lifecycle::split(
            report,
            ReportId::generate(),
            actor,
            Timestamp::now(),
            &self.settings().contacts(project.as_ref(), None),
        )?;
        // The new report's status link is never shown to anyone: the reporter keeps
        // following the original's, where the split is told.
        let unused = Token::generate();
        Ok(self
            .store()
            .apply_and_create(&s.original, &s.created, &unused.digest())
            .await?)
    }

    pub async fn project_of(&self, report: &Report) -> Result<Option<Project>> {
        match &report.project {
            Some(p) => Ok(self.store().project_by_id(p.id).await?),
            None => Ok(None),
        }
    }
}

/// What the team's report page and the API show of a report besides the report itself.
pub struct ReportDetail {
    pub messages: Vec<embargo_domain::report::Message>,
    pub audit: Vec<embargo_domain::report::AuditEntry>,
    pub outbox: Vec<embargo_store::OutboxEntry>,
    /// At most [`DETAIL_PAGE`] attachments, after [`DetailPages::attachments_after`].
    pub attachments: Vec<embargo_store::AttachmentInfo>,
    /// How many attachments the report has in all.
    pub attachments_total: i64,
    /// Whether there are attachments after this page.
    pub attachments_more: bool,
    /// At most [`DETAIL_PAGE`] messages taken in, after [`DetailPages::mail_after`],
    /// each with its From, Date and Subject.
    pub incoming: Vec<(embargo_store::IncomingSummary, embargo_store::MailHeaders)>,
    /// How many messages were taken in for the report in all.
    pub incoming_total: i64,
    /// Whether there are messages after this page.
    pub incoming_more: bool,
    pub versions: Vec<embargo_store::RecordVersion>,
}

/// Most attachments, and most received mails, on one report page: a report with
/// thousands of them (one mail may carry hundreds) still renders a bounded page.
pub const DETAIL_PAGE: u32 = 50;

/// Where the report page's received mails and attachments start: after these ids
/// (0: from the first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetailPages {
    pub mail_after: i64,
    pub attachments_after: i64,
}

impl App {
    /// The thread of a report the caller got from [`App::visible`] or
    /// [`App::by_status_token`]: the reporter's view filters it by kind.
    pub async fn messages(&self, report: &Report) -> Result<Vec<embargo_domain::report::Message>> {
        Ok(self.store().messages(&report.id).await?)
    }

    /// The audit log of a visible report, oldest first.
    pub async fn audit_log(
        &self,
        report: &Report,
    ) -> Result<Vec<embargo_domain::report::AuditEntry>> {
        Ok(self.store().audit_log(&report.id).await?)
    }

    /// Every saved version of a visible report's record.
    pub async fn record_versions(
        &self,
        report: &Report,
    ) -> Result<Vec<embargo_store::RecordVersion>> {
        Ok(self.store().record_versions(&report.id).await?)
    }

    /// Everything the team's report page shows of a visible report, its mails and
    /// attachments a page each from `pages`.
    pub async fn detail(&self, report: &Report, pages: DetailPages) -> Result<ReportDetail> {
        let store = self.store();
        let mut incoming = Vec::new();
        // One more than a page: whether it is there says if a next page is.
        let mut taken = store
            .incoming_page(&report.id, pages.mail_after, DETAIL_PAGE + 1)
            .await?;
        let mut attachments = store
            .attachments_page(&report.id, pages.attachments_after, DETAIL_PAGE + 1)
            .await?;
        let page = DETAIL_PAGE as usize;
        let (incoming_more, attachments_more) =
            (taken.items.len() > page, attachments.items.len() > page);
        taken.items.truncate(page);
        attachments.items.truncate(page);
        for m in taken.items {
            // Read at intake; only mail taken before that is read again here.
            let headers = match (&m.headers, &self.inner.ports.mail_reader) {
                (Some(h), _) => h.clone(),
                (None, Some(reader)) => {
                    let raw = store
                        .original_message(&report.id, m.id)
                        .await?
                        .unwrap_or_default();
                    reader.summary(&raw)
                }
                (None, None) => Default::default(),
            };
            incoming.push((m, headers));
        }
        Ok(ReportDetail {
            messages: store.messages(&report.id).await?,
            audit: store.audit_log(&report.id).await?,
            outbox: store.outbox_for_report(&report.id).await?,
            attachments: attachments.items,
            attachments_total: attachments.total,
            attachments_more,
            incoming,
            incoming_total: taken.total,
            incoming_more,
            versions: store.record_versions(&report.id).await?,
        })
    }

    /// One attachment of a visible report with its content (`None` when only its digest
    /// was kept); `NotFound` for another report's or an unknown one.
    pub async fn attachment(
        &self,
        report: &Report,
        n: i64,
    ) -> Result<(embargo_store::AttachmentInfo, Option<Vec<u8>>)> {
        self.store()
            .attachment(&report.id, n)
            .await?
            .ok_or(Error::NotFound)
    }
}
