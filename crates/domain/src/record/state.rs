//! Where a CVE record stands: RESERVED → DRAFT → REVIEW → READY → PUBLISHED, and
//! REJECTED.
//!
//! # How the record's state relates to the report's
//!
//! The report lifecycle (`lifecycle`, docs/process.md) and the record's state are two
//! machines that meet at two points. Who may move a record where is decided in
//! `lifecycle::record` (it needs the report and the actor); this is what it enforces:
//!
//! * **RESERVED** is where a record starts: a CVE id is assigned to the report and
//!   nothing is written yet. Saving the record (any member of the handling team) makes
//!   it **DRAFT**; so does every later save, from REVIEW or READY too, because an edit
//!   invalidates the review it had.
//! * **DRAFT → REVIEW** is the project team's "submit for review"; **REVIEW → READY**
//!   is the organisation team's approval (the CNA reviews every record, as the ASF
//!   security team does); the organisation team can also send a record back to DRAFT.
//!   A record with validation problems (the domain's own checks and the CVE JSON 5
//!   lint the caller passes in) cannot leave DRAFT, and cannot become READY.
//! * The **announcement** (report `fixed → announced`) is the project's step
//!   (docs/process.md#step-11-announce): it needs a record without problems (in
//!   whatever state), and it is what makes the advisory public on Embargo's pages and
//!   feeds, in every format.
//! * **READY → PUBLISHED** is the organisation team's step of giving the record to the
//!   CVE Program (docs/process.md#step-12-publish-the-cve-record). It needs the report
//!   announced — nothing about an embargoed vulnerability leaves Embargo before its
//!   announcement — and a READY record.
//! * **REJECTED** (organisation team, with a reason): the CVE id will not be used. A
//!   report whose CVE is rejected may then itself be rejected.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;

/// Where a CVE record stands (see the module documentation for who moves it).
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
pub enum RecordState {
    /// The id is assigned; nothing is written yet.
    Reserved,
    /// Being written by the handling team.
    Draft,
    /// Submitted by the project for the organisation team's review.
    Review,
    /// Approved by the organisation team.
    Ready,
    /// Given to the CVE Program by the organisation team, after the announcement.
    Published,
    /// The id will not be used.
    Rejected,
}

impl RecordState {
    pub const ALL: [RecordState; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// As the CVE Program and the ASF write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reserved => "RESERVED",
            Self::Draft => "DRAFT",
            Self::Review => "REVIEW",
            Self::Ready => "READY",
            Self::Published => "PUBLISHED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_lowercase();
        s.parse().map_err(|_| {
            DomainError::invalid(
                "to",
                format!(
                    "{s:?} is not a record state (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }
}

impl std::fmt::Display for RecordState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_states_parse() {
        for s in RecordState::ALL {
            assert_eq!(RecordState::parse(s.as_str()).unwrap(), s);
            assert_eq!(RecordState::parse(s.label()).unwrap(), s);
        }
    }
}
