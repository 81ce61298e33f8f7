//! The report page's triage section: the suggestion with its reasons, and the forms
//! the domain offers this member (close as noise, dismiss, reopen).

use embargo_domain::lifecycle::Step;
use embargo_domain::report::Report;
use embargo_domain::triage::{TriageClass, TriageStatus};

pub struct SuggestionView {
    pub class: &'static str,
    pub label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub reasons: Vec<String>,
    pub duplicate_of: String,
}

pub struct ClassOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct TriageView {
    pub suggestion: Option<SuggestionView>,
    pub confirm: bool,
    pub dismiss: bool,
    pub reopen: bool,
    /// The classes a report can be closed as, the suggested one selected.
    pub classes: Vec<ClassOption>,
    /// For scanner output: the project's published answers to the pasted findings,
    /// which closing as scanner output adds to the answer.
    pub scan_answer: Option<String>,
}

impl TriageView {
    pub fn shown(&self) -> bool {
        self.suggestion.is_some() || self.confirm || self.reopen
    }
}

pub fn view(
    report: &Report,
    offered: &impl Fn(Step) -> bool,
    scan_answer: Option<String>,
) -> TriageView {
    let suggested = report.triage.as_ref().map(|t| t.class);
    TriageView {
        suggestion: report.triage.as_ref().map(|t| SuggestionView {
            class: t.class.as_str(),
            label: t.class.label(),
            status: t.status.as_str(),
            status_label: match t.status {
                TriageStatus::Suggested => "suggested, waiting for the team",
                TriageStatus::Confirmed => "confirmed by the team",
                TriageStatus::Dismissed => "dismissed: handled as a report",
            },
            reasons: t.reasons.clone(),
            duplicate_of: t
                .duplicate_of
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }),
        confirm: offered(Step::ConfirmTriage),
        dismiss: offered(Step::DismissTriage),
        reopen: offered(Step::Reopen),
        classes: TriageClass::ALL
            .into_iter()
            .filter(|c| c.is_noise())
            .map(|c| ClassOption {
                value: c.as_str(),
                label: c.label(),
                selected: suggested == Some(c),
            })
            .collect(),
        scan_answer,
    }
}
