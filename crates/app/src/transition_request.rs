//! The shape of an HTTP transition request (the API's `POST .../transitions` body and
//! the report page's step forms): a target state and the loose text fields that come
//! with it, turned into a lifecycle [`Command`]. This is the doors' vocabulary, not a
//! rule of the process, so it lives in the application layer, not the domain.

use jiff::civil::Date;

use embargo_domain::DomainError;
use embargo_domain::ids::CveId;
use embargo_domain::lifecycle::Command;
use embargo_domain::state::ReportState;

/// The fields of an API or form transition request, before they are checked.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionRequest {
    /// The state to move to.
    #[cfg_attr(feature = "openapi", schema(value_type = ReportState))]
    pub to: String,
    /// Text for the reporter on `acknowledged`, `accepted` and `reporter_review`.
    #[serde(default)]
    pub message: Option<String>,
    /// Required for `rejected`; sent to the reporter.
    #[serde(default)]
    pub reason: Option<String>,
    /// Required for `accepted` (YYYY-MM-DD).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub disclosure_date: Option<String>,
    /// Required for `cve_requested`: one line for the organisation team.
    #[serde(default)]
    pub summary: Option<String>,
    /// For `cve_assigned`; without it, the pool's next free id.
    #[serde(default)]
    pub cve: Option<String>,
    /// Required for `fixed`, with `release_ref`.
    #[serde(default)]
    pub fix_ref: Option<String>,
    #[serde(default)]
    pub release_ref: Option<String>,
    /// For `accepted`: the disclosure date is past the policy's target (`announce_days`
    /// from today) and the team confirms it; without it such a date is refused.
    #[serde(default)]
    pub confirm_late: bool,
    /// For `announced`: the agreed disclosure date has not come yet and the team
    /// confirms announcing now; without it that is refused.
    #[serde(default)]
    pub confirm_early: bool,
}

impl TransitionRequest {
    /// The command this request stands for. `cve_assigned` without a `cve` means
    /// "the next free id of the pool"; the caller resolves that first.
    pub fn command(
        &self,
        next_pool_id: impl FnOnce() -> Option<CveId>,
    ) -> Result<Command, DomainError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let needed = |field: &'static str, v: &Option<String>| {
            text(v).ok_or_else(|| {
                DomainError::invalid(field, format!("is required to move to {}", self.to))
            })
        };
        Ok(match ReportState::parse(self.to.trim())? {
            ReportState::Received => {
                return Err(DomainError::transition(
                    "a report cannot be moved back to received",
                ));
            }
            ReportState::Acknowledged => Command::Acknowledge {
                message: text(&self.message),
            },
            ReportState::Rejected => Command::Reject {
                reason: needed("reason", &self.reason)?,
            },
            ReportState::Accepted => {
                let d = needed("disclosure_date", &self.disclosure_date)?;
                let disclosure_date: Date = d.parse().map_err(|_| {
                    DomainError::invalid(
                        "disclosure_date",
                        format!("{d:?} is not a date (YYYY-MM-DD)"),
                    )
                })?;
                Command::Accept {
                    disclosure_date,
                    message: text(&self.message),
                    confirm_late: self.confirm_late,
                }
            }
            ReportState::CveRequested => Command::RequestCve {
                summary: needed("summary", &self.summary)?,
            },
            ReportState::CveAssigned => Command::AssignCve {
                cve: match text(&self.cve) {
                    Some(c) => CveId::parse(&c)?,
                    None => next_pool_id().ok_or_else(|| {
                        DomainError::transition(
                            "the CVE pool is empty: add ids with `embargo cve pool add`",
                        )
                    })?,
                },
            },
            // The record's findings are the caller's to fill in (`App::transition`).
            ReportState::ReporterReview => Command::SendDraft {
                message: text(&self.message),
                problems: Vec::new(),
            },
            ReportState::Fixed => Command::RecordFix {
                fix_ref: needed("fix_ref", &self.fix_ref)?,
                release_ref: needed("release_ref", &self.release_ref)?,
            },
            ReportState::Announced => Command::Announce {
                confirm_early: self.confirm_early,
            },
            ReportState::Merged => {
                return Err(DomainError::transition(
                    "a report is merged into another one with the merge action, not moved to merged",
                ));
            }
            ReportState::Closed => {
                return Err(DomainError::transition(
                    "a report is closed as noise by confirming its triage (POST .../triage), not moved to closed",
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use embargo_domain::lifecycle::Step;

    use super::*;

    fn req(to: &str) -> TransitionRequest {
        TransitionRequest {
            to: to.into(),
            ..Default::default()
        }
    }

    #[test]
    fn transition_requests_name_missing_fields() {
        let err = |to: &str| req(to).command(|| None).unwrap_err().to_string();
        assert!(err("rejected").starts_with("reason:"));
        assert!(err("accepted").starts_with("disclosure_date:"));
        assert!(err("cve_assigned").contains("pool is empty"));
        assert!(err("nonsense").contains("received"), "{}", err("nonsense"));
        assert!(req("merged").command(|| None).is_err());
        assert!(req("received").command(|| None).is_err());
    }

    /// The step a command takes (the forms that are transitions).
    fn step_of(command: &Command) -> Option<Step> {
        Some(match command {
            Command::Acknowledge { .. } => Step::Acknowledge,
            Command::Reject { .. } => Step::Reject,
            Command::Accept { .. } => Step::Accept,
            Command::RequestCve { .. } => Step::RequestCve,
            Command::AssignCve { .. } => Step::AssignCve,
            Command::SendDraft { .. } => Step::SendDraft,
            Command::RecordFix { .. } => Step::RecordFix,
            Command::Announce { .. } => Step::Announce,
            _ => return None,
        })
    }

    #[test]
    fn each_transition_form_names_its_step() {
        for to in ReportState::ALL {
            let request = TransitionRequest {
                to: to.as_str().into(),
                message: Some("m".into()),
                reason: Some("r".into()),
                disclosure_date: Some("2026-12-15".into()),
                summary: Some("s".into()),
                cve: Some("CVE-2026-10099".into()),
                fix_ref: Some("f".into()),
                release_ref: Some("v".into()),
                ..Default::default()
            };
            let command = request.command(|| None).ok();
            assert_eq!(
                command.as_ref().and_then(step_of),
                Step::transition_to(to),
                "{to}"
            );
        }
    }
}
