//! Triage (docs/triage.md): the suggestion every new report gets at intake, on every
//! channel, and the team's decisions on suggestions: one report at a time (the
//! request shape [`TriageRequest`]) or many at once from the dashboard.

use embargo_domain::access::{Actor, Member};
use embargo_domain::lifecycle::{Change, Command, Contacts, apply_triage};
use embargo_domain::policy::Policy;
use embargo_domain::report::{ProjectRef, Report};
use embargo_domain::triage::duplicate::{Fingerprint, find_duplicate};
use embargo_domain::triage::{Incoming, TriageClass, suggest};
use embargo_domain::vex::StoredStatement;
use embargo_domain::vex::matching::{StatementIndex, plain_text, triage};
use embargo_store::Project;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Error, Result};

/// Most reports one bulk confirmation takes: a page of the dashboard, not the database.
pub const MAX_BULK_CONFIRM: usize = 200;

/// A decision on one report's triage, as the API and the report page send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriageRequest {
    /// `confirm` (close as noise of the suggested class, or of `class`), `dismiss` (it
    /// stays a report) or `reopen` (a report closed as noise).
    pub decision: String,
    /// For `confirm`: the class to close it as, when not the suggested one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TriageClass>))]
    pub class: Option<String>,
}

impl TriageRequest {
    fn command(&self) -> Result<Command> {
        let class = match self.class.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(TriageClass::parse(c)?),
        };
        match (self.decision.trim(), class) {
            ("confirm", class) => Ok(Command::ConfirmTriage {
                class,
                findings: None,
            }),
            ("dismiss", None) => Ok(Command::DismissTriage),
            ("reopen", None) => Ok(Command::Reopen),
            ("dismiss" | "reopen", Some(_)) => {
                Err(Error::invalid("class", "only a confirmation names a class"))
            }
            (other, _) => Err(Error::invalid(
                "decision",
                format!("{other:?} is not a triage decision (one of: confirm, dismiss, reopen)"),
            )),
        }
    }
}

/// What a bulk confirmation did, report by report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkConfirm {
    /// Closed as their suggested class, each answered.
    pub confirmed: Vec<String>,
    /// Left as they were, with the reason.
    pub refused: Vec<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    pub id: String,
    pub error: String,
}

impl App {
    /// Suggests a triage class for the new report of `change` and applies it (spam gets
    /// no automatic answer; an automatic class closes at once), and keeps the report's
    /// duplicate fingerprint. Every intake door calls this before storing the report.
    pub(crate) async fn triage_new(
        &self,
        change: &mut Change,
        project: Option<&Project>,
        policy: &Policy,
        contacts: &Contacts,
    ) -> Result<()> {
        let report = &change.report;
        let fingerprint =
            Fingerprint::of(self.store().blind_key(), &report.title, &report.description);
        let candidates = self
            .store()
            .duplicate_candidates(project.map(|p| p.id), &fingerprint.marks())
            .await?;
        let incoming = Incoming {
            title: &report.title,
            description: &report.description,
            affected_versions: report.affected_versions.as_deref(),
            channel: report.channel,
            reporter_email: report.reporter.email.as_ref(),
        };
        let triage = suggest(
            &incoming,
            &policy.triage,
            find_duplicate(&fingerprint, &candidates),
        );
        apply_triage(change, triage, policy, contacts);
        change.fingerprint = Some(fingerprint);
        Ok(())
    }

    /// A decision on `report`'s triage. A confirmation as scanner output carries the
    /// project's published answers to the findings of the pasted output.
    pub async fn decide_triage(
        &self,
        actor: &Actor,
        report: &Report,
        req: &TriageRequest,
    ) -> Result<Report> {
        let command = self.with_scan_answer(report, req.command()?).await?;
        self.act(actor, report, command).await
    }

    /// The project's published statements' answers to the scanner output pasted in
    /// `report` (as the reporter would read them), if it is suggested or confirmed as
    /// scanner output and the text names findings. Only public statements answer: this
    /// text goes to the reporter.
    pub async fn pasted_scan_answer(&self, report: &Report) -> Result<Option<String>> {
        let (Some(project), Some(t)) = (&report.project, &report.triage) else {
            return Ok(None);
        };
        if t.class != TriageClass::ScannerOutput {
            return Ok(None);
        }
        self.scan_answer(report, project).await
    }

    async fn scan_answer(&self, report: &Report, project: &ProjectRef) -> Result<Option<String>> {
        let findings = embargo_formats::scan::pasted::read_text(&report.description);
        if findings.is_empty() {
            return Ok(None);
        }
        let stored: Vec<StoredStatement> = self
            .store()
            .statements(project.id, true)
            .await?
            .into_iter()
            .map(|r| r.stored)
            .collect();
        let triaged = triage(&findings, &StatementIndex::from_stored(&stored));
        Ok(Some(plain_text(&triaged, &project.name)))
    }

    /// `command` with the scan answer filled in, when it closes `report` as scanner
    /// output.
    async fn with_scan_answer(&self, report: &Report, command: Command) -> Result<Command> {
        let Command::ConfirmTriage { class, .. } = command else {
            return Ok(command);
        };
        let closes_as = class.or(report.triage.as_ref().map(|t| t.class));
        let findings = match (&report.project, closes_as) {
            (Some(project), Some(TriageClass::ScannerOutput)) => {
                self.scan_answer(report, project).await?
            }
            _ => None,
        };
        Ok(Command::ConfirmTriage { class, findings })
    }

    /// Confirms the suggestion of each report in `ids` (at most [`MAX_BULK_CONFIRM`]):
    /// each is closed as its suggested class and answered, or refused with the reason
    /// (one refusal never stops the others). A report the member may not see is refused
    /// as "no such report", exactly as one that does not exist.
    pub async fn confirm_triage_many(
        &self,
        member: &Member,
        ids: &[String],
    ) -> Result<BulkConfirm> {
        if ids.is_empty() {
            return Err(Error::invalid("reports", "select at least one report"));
        }
        if ids.len() > MAX_BULK_CONFIRM {
            return Err(Error::invalid(
                "reports",
                format!(
                    "at most {MAX_BULK_CONFIRM} reports at once; this asks for {}",
                    ids.len()
                ),
            ));
        }
        let actor = Actor::Member(member.clone());
        let mut out = BulkConfirm::default();
        for id in ids {
            let done = async {
                let (report, _) = self.visible(&actor, id).await?;
                if report.triage.as_ref().is_none_or(|t| !t.class.is_noise()) {
                    return Err(Error::Transition(
                        "it has no noise suggestion to confirm".into(),
                    ));
                }
                let command = Command::ConfirmTriage {
                    class: None,
                    findings: None,
                };
                let command = self.with_scan_answer(&report, command).await?;
                self.act(&actor, &report, command).await
            };
            match done.await {
                Ok(r) => out.confirmed.push(r.id.to_string()),
                Err(e) => out.refused.push(Refusal {
                    id: id.trim().to_string(),
                    error: match e {
                        Error::NotFound => "no such report".into(),
                        other => other.to_string(),
                    },
                }),
            }
        }
        Ok(out)
    }
}
