//! The states a report moves through, following the ASF handling process; the step
//! numbers below are those of docs/process.md (`#step-1-receive-the-report` and on).

use std::fmt;

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;

/// Where a report stands. The API spells them in snake_case.
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
pub enum ReportState {
    /// Received and routed; nobody has answered the reporter yet (steps 1-2).
    Received,
    /// A team member acknowledged it to the reporter (steps 3-4).
    Acknowledged,
    /// Accepted as a vulnerability with a planned disclosure date (step 5).
    Accepted,
    /// Rejected with a written reason sent to the reporter (step 5). Terminal.
    Rejected,
    /// The project asked the organisation for a CVE (step 6).
    CveRequested,
    /// A CVE id from the organisation's pool is assigned (step 7).
    CveAssigned,
    /// The reporter has the fix reference and draft announcement for comment (step 9).
    ReporterReview,
    /// The fix is committed and a release made (step 10).
    Fixed,
    /// Announced: the first moment anything about it is public (step 11). Terminal.
    Announced,
    /// Merged into another report of the same vulnerability, which carries it on
    /// (`Report::merged_into`). Terminal.
    Merged,
    /// Closed as noise: the team confirmed a triage suggestion (a usage question,
    /// scanner output, ...; `Report::triage` says which) and the reporter got the
    /// class's answer. It can be reopened, and its reporter can still reply.
    Closed,
}

impl ReportState {
    pub const ALL: [ReportState; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Words for people, on pages and in mails.
    pub fn label(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::Acknowledged => "Acknowledged",
            Self::Accepted => "Accepted",
            Self::Rejected => "Rejected",
            Self::CveRequested => "CVE requested",
            Self::CveAssigned => "CVE assigned",
            Self::ReporterReview => "Draft with the reporter",
            Self::Fixed => "Fix released",
            Self::Announced => "Announced",
            Self::Merged => "Merged",
            // Reporters see it on their status page: neutral words (the team's pages
            // show the triage class beside it).
            Self::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.parse().map_err(|_| {
            DomainError::invalid(
                "state",
                format!(
                    "{s:?} is not a report state (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Announced | Self::Merged | Self::Closed
        )
    }

    /// True once the team has decided the report is a vulnerability.
    pub fn is_accepted(self) -> bool {
        matches!(
            self,
            Self::Accepted
                | Self::CveRequested
                | Self::CveAssigned
                | Self::ReporterReview
                | Self::Fixed
                | Self::Announced
        )
    }
}

impl fmt::Display for ReportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ReportState::ALL {
            assert_eq!(ReportState::parse(s.as_str()).unwrap(), s);
            let json = serde_json_like(s);
            assert_eq!(json, s.as_str());
        }
        let err = ReportState::parse("done").unwrap_err().to_string();
        assert!(err.contains("cve_requested"), "{err}");
    }

    fn serde_json_like(s: ReportState) -> &'static str {
        s.as_str()
    }
}
