//! The CVE record of a report: its check (domain, lint and, when configured, the CVE
//! Program's schema) and its moves between states, through the CVE Program when
//! publishing or rejecting.

use embargo_domain::access::Actor;
use embargo_domain::ids::CveId;
use embargo_domain::lifecycle::Command;
use embargo_domain::record::RecordState;
use embargo_domain::report::Report;
use jiff::Timestamp;

use crate::App;
use crate::error::{Error, Result};
use crate::publication::{self, Built};

impl App {
    /// Whether PUBLISHED and REJECTED go to the CVE Program first (CVE Services is
    /// configured), so that a page can say so before the click.
    pub fn publishes_to_cve_program(&self) -> bool {
        self.inner.ports.cve_program.is_some()
    }

    /// The CVE record of the report's record, its scores and findings; `None` before a
    /// record is written. A record without an id yet is checked under a stand-in id.
    pub fn record_check(&self, report: &Report) -> Result<Option<Built>> {
        let Some(record) = report.cve_record() else {
            return Ok(None);
        };
        let cve = report.cve.clone().unwrap_or_else(|| CveId::new(1999, 1));
        let mut built = publication::build(&cve, &record, &self.settings().cna, Timestamp::now())?;
        if let Some(schema) = &self.settings().record_schema {
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
    /// (the `CveProgram` port): the record is marked only once the service took it, and
    /// the service's refusal is the caller's error. Without CVE Services the move is
    /// recorded here only, and the note on the report says it was not sent.
    pub async fn move_record(
        &self,
        actor: &Actor,
        report: &Report,
        to: &str,
        reason: Option<String>,
    ) -> Result<Report> {
        let to = RecordState::parse(to)?;
        let check = self.record_check(report)?;
        let problems = check.as_ref().map(Built::blocking).unwrap_or_default();
        let command = |reason: Option<String>| Command::MoveRecord {
            to,
            reason,
            problems: problems.clone(),
        };
        if !matches!(to, RecordState::Published | RecordState::Rejected) {
            return self.act(actor, report, command(reason)).await;
        }
        // The domain decides first (who may, from which state, with which reason), so that
        // nothing reaches the CVE Program that Embargo itself would refuse.
        self.decide_for(actor, report, command(reason.clone()))
            .await?;
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        let note = match (&self.inner.ports.cve_program, &report.cve) {
            (Some(client), Some(cve)) if to == RecordState::Published => {
                let built =
                    check.ok_or_else(|| Error::invalid("record", "write the record first"))?;
                let record = embargo_formats::cve5::export(&built.record);
                client
                    .publish(cve, &record)
                    .await
                    .map_err(Error::Upstream)?;
                format!(
                    "Published at the CVE Program through {}.",
                    client.describe()
                )
            }
            (Some(client), Some(cve)) => {
                let why = reason.clone().unwrap_or_default();
                client.reject(cve, &why).await.map_err(Error::Upstream)?;
                format!("Rejected at the CVE Program through {}.", client.describe())
            }
            (Some(_), None) => "Recorded here only: the report has no CVE id to send.".into(),
            (None, _) => {
                "Recorded here only: not sent to the CVE Program, because CVE Services is \
                          not configured (EMBARGO_CVE_API_URL, _ORG, _USER and _KEY)."
                    .into()
            }
        };
        let reason = match reason {
            Some(r) => format!("{r}\n\n{note}"),
            None => note,
        };
        self.act(actor, report, command(Some(reason))).await
    }
}
