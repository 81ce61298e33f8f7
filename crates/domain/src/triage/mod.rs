//! Triage suggestions: what a new report looks like before anyone has read it.
//!
//! Most of what reaches a security address is not an undisclosed vulnerability
//! (docs/triage.md): known non-issues, usage and licence questions, bare scanner
//! output, generic reports without detail, spam, and reports already made. Every new
//! report gets a [`Triage`] at intake, computed here from the text alone by rules the
//! organisation's and project's [`policy::TriagePolicy`] supplies (no remote service,
//! no model), with the reasons a person can check.
//!
//! A suggestion never closes a report by itself: the team confirms it (the class's
//! answer goes to the reporter and the report is closed as that class) or dismisses it
//! (it stays a report). The lifecycle's `ConfirmTriage`, `DismissTriage` and `Reopen`
//! commands do that; this module owns the vocabulary, the classifier
//! ([`classify()`]) and duplicate detection ([`duplicate`]).

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;
use crate::ids::{Email, ReportId};
use crate::report::Channel;

pub mod classify;
pub mod duplicate;
pub mod policy;
/// The classifier's rules: text search, evidence of a genuine report, scanner shapes,
/// one scorer per noise class, the default phrase lists.
mod rules;

pub use classify::classify;

/// What a report looks like. The names are stable: integrations filter on them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TriageClass {
    /// Looks like a genuine report of a vulnerability.
    Report,
    /// A finding the organisation or project lists as not a vulnerability.
    KnownNonIssue,
    /// A question about using the software: the project's users list answers it.
    UsersListQuestion,
    /// A question about licensing, not security.
    LicenseQuestion,
    /// Scanner output (dependency CVE lists) without an analysis of the project.
    ScannerOutput,
    /// No affected version, no steps or proof of concept, generic wording.
    InsufficientDetail,
    /// Feature requests, ordinary bugs, questions about services the projects do not run.
    NotSecurity,
    Spam,
    /// The same vulnerability as another report of the project (`Triage::duplicate_of`).
    Duplicate,
}

impl TriageClass {
    pub const ALL: [TriageClass; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.parse().map_err(|_| {
            DomainError::invalid(
                "class",
                format!(
                    "{s:?} is not a triage class (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }

    /// Words for people, on pages and in mails.
    pub fn label(self) -> &'static str {
        match self {
            Self::Report => "Report",
            Self::KnownNonIssue => "Known non-issue",
            Self::UsersListQuestion => "Users-list question",
            Self::LicenseQuestion => "Licence question",
            Self::ScannerOutput => "Scanner output",
            Self::InsufficientDetail => "Insufficient detail",
            Self::NotSecurity => "Not a security issue",
            Self::Spam => "Spam",
            Self::Duplicate => "Duplicate",
        }
    }

    /// Every class but `report`: what a confirmation closes.
    pub fn is_noise(self) -> bool {
        self != Self::Report
    }
}

/// Whether the team has looked at the suggestion.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TriageStatus {
    /// Computed at intake; nobody has decided yet.
    Suggested,
    /// The team agreed (for a noise class: answered and closed as that class).
    Confirmed,
    /// The team disagreed: it stays (or is again) a report.
    Dismissed,
}

impl TriageStatus {
    pub const ALL: [TriageStatus; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A report's triage: the class, why, and whether the team has decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Triage {
    pub class: TriageClass,
    /// Each rule that fired, in words a person can check ("names the known non-issue
    /// Clickjacking: \"X-Frame-Options\"").
    pub reasons: Vec<String>,
    /// For `duplicate`: the report it repeats.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub duplicate_of: Option<ReportId>,
    pub status: TriageStatus,
}

/// What the classifier reads of a new report, on every channel.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub title: &'a str,
    /// The report's text (a mail's own words, quoted text and attachments' names
    /// included as intake stores them).
    pub description: &'a str,
    pub affected_versions: Option<&'a str>,
    pub channel: Channel,
    pub reporter_email: Option<&'a Email>,
}

/// The triage of a new report: the classifier's suggestion, made `duplicate` when the
/// report repeats `duplicate` (found by [`duplicate::find_duplicate`]) unless it is spam
/// or scanner output, which stay what they are.
pub fn suggest(
    incoming: &Incoming<'_>,
    policy: &policy::TriagePolicy,
    duplicate: Option<(ReportId, String)>,
) -> Triage {
    let s = classify(incoming, policy);
    match duplicate {
        Some((of, why)) if !matches!(s.class, TriageClass::Spam | TriageClass::ScannerOutput) => {
            let mut reasons = vec![why];
            reasons.extend(s.reasons);
            Triage {
                class: TriageClass::Duplicate,
                reasons,
                duplicate_of: Some(of),
                status: TriageStatus::Suggested,
            }
        }
        _ => Triage {
            class: s.class,
            reasons: s.reasons,
            duplicate_of: None,
            status: TriageStatus::Suggested,
        },
    }
}

/// The classifier's answer: a class and its reasons (never empty for a noise class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub class: TriageClass,
    pub reasons: Vec<String>,
}
