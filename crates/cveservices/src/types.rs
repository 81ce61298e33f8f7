//! The data CVE Services exchanges, as the response schemas under
//! `schemas/cve-services/schemas/` describe it (field names are the service's own).

use embargo_domain::ids::CveId;
use serde::{Deserialize, Serialize};

/// The state of a CVE ID at CVE Services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum IdState {
    /// Reserved by a CNA, no record yet (or a record not yet published).
    Reserved,
    /// A CVE record is public.
    Published,
    /// The ID will not be used; a rejection record may explain why.
    Rejected,
}

impl IdState {
    /// The service's spelling, as used in query parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "RESERVED",
            Self::Published => "PUBLISHED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// Who asked for an ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedBy {
    /// Short name of the requesting organisation.
    pub cna: String,
    /// User name of the requester; absent in some partial views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Creation and modification times of an ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTimes {
    /// When the ID was created (RFC 3339).
    pub created: String,
    /// When the ID last changed (RFC 3339).
    pub modified: String,
}

/// One CVE ID as `GET /cve-id/{id}`, `GET /cve-id` and `POST /cve-id` return it.
///
/// Most fields are optional because the service redacts them for IDs another organisation
/// owns (and for unauthenticated callers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CveIdInfo {
    /// The ID itself.
    pub cve_id: CveId,
    /// Its state.
    pub state: IdState,
    /// The year part, as the service sends it (a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve_year: Option<String>,
    /// Short name of the owning organisation; redacted for other CNAs' RESERVED IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owning_cna: Option<String>,
    /// Who reserved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<RequestedBy>,
    /// When it was reserved (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<String>,
    /// Creation and modification times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<IdTimes>,
}

/// How several IDs reserved in one request are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchType {
    /// Consecutive numbers (the service's default for CNAs).
    #[default]
    Sequential,
    /// Numbers spread over the range, so that outsiders cannot count a CNA's reservations;
    /// the service allows at most 10 per request.
    NonSequential,
}

impl BatchType {
    /// The `batch_type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::NonSequential => "nonsequential",
        }
    }
}

/// The result of `POST /cve-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The IDs now RESERVED for the organisation.
    pub ids: Vec<CveIdInfo>,
    /// What the service says is left of the quota, when it says so.
    pub remaining_quota: Option<u64>,
    /// Set when the service reserved fewer IDs than asked (HTTP 206): its explanation. The
    /// IDs in `ids` are reserved all the same and must not be lost.
    pub partial: Option<String>,
}

/// `GET /org/{shortname}/id_quota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// How many IDs the organisation may hold in the RESERVED state at once.
    pub id_quota: u64,
    /// How many it holds now.
    pub total_reserved: u64,
    /// How many more it may reserve.
    pub available: u64,
}

/// The part of `GET /org/{identifier}` the client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgInfo {
    /// The organisation's short name.
    pub short_name: String,
    /// Its full name.
    #[serde(default)]
    pub name: String,
    /// Its UUID: the `orgId` of `providerMetadata` in its containers.
    #[serde(rename = "UUID")]
    pub uuid: String,
}

/// Filters for listing the organisation's IDs (`GET /cve-id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdFilter {
    /// Only IDs in this state.
    pub state: Option<IdState>,
    /// Only IDs of this year.
    pub year: Option<u16>,
}

/// One reason in `rejectedReasons` (CVE JSON 5 `description`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedReason {
    /// BCP 47 language tag; the service requires one English reason.
    pub lang: String,
    /// The reason, in plain text.
    pub value: String,
}

/// What a rejection says: the CNA container of a REJECTED record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// Why the ID is rejected.
    pub rejected_reasons: Vec<RejectedReason>,
    /// The IDs used instead, e.g. when two IDs were assigned to one issue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_by: Vec<CveId>,
}

impl Rejection {
    /// A rejection with one English reason.
    pub fn english(reason: impl Into<String>) -> Self {
        Self {
            rejected_reasons: vec![RejectedReason {
                lang: "en".into(),
                value: reason.into(),
            }],
            replaced_by: Vec::new(),
        }
    }
}
