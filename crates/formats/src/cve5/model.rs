//! The CVE JSON 5 record as serde types (`CVE_Record_Format` 5.2.0, which reads 5.0
//! and 5.1 records too).
//!
//! Every object keeps the fields this model does not name (`x_*` extensions, fields of
//! later schema versions) in an `extra` map, strings stay strings (timestamps, versions,
//! `versionType`: real data carries values the schema's intent would reject, and a
//! round trip must give them back byte for byte), and scores stay `serde_json::Number`
//! so `10` does not come back as `10.0`. ADP containers are read-only here: kept as raw
//! JSON and written back untouched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// Fields a type does not model, written back as they came.
pub type Extra = Map<String, Value>;

/// A complete CVE record, PUBLISHED or REJECTED.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CveRecord {
    /// Always "CVE_RECORD".
    pub data_type: String,
    /// "5.0", "5.1" or "5.2.0".
    pub data_version: String,
    pub cve_metadata: CveMetadata,
    pub containers: Containers,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Whether the ID is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordState {
    Published,
    Rejected,
}

/// `cveMetadata`: the ID, its CNA and its dates (ISO 8601 strings, kept verbatim).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CveMetadata {
    pub cve_id: String,
    pub assigner_org_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner_short_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Number>,
    pub state: RecordState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_reserved: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_rejected: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `containers`: the CNA's own container and, read-only, the ADPs'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Containers {
    pub cna: CnaContainer,
    /// Authorised Data Publisher containers (CISA Vulnrichment, the CVE Program's
    /// transferred references): not ours to edit, written back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adp: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The CNA container. One shape for PUBLISHED and REJECTED records: a rejected one
/// carries only `providerMetadata`, `rejectedReasons` and maybe `replacedBy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CnaContainer {
    pub provider_metadata: ProviderMetadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_assigned: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_public: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<Vec<Description>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<Vec<Product>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_types: Option<Vec<ProblemType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<Reference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impacts: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<Metric>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations: Option<Vec<Description>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workarounds: Option<Vec<Description>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solutions: Option<Vec<Description>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploits: Option<Vec<Description>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Vec<Credit>>,
    /// Free-form (`defect`, `discovery`, `advisory`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taxonomy_mappings: Option<Vec<Value>>,
    /// REJECTED records: why the ID is not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reasons: Option<Vec<Description>>,
    /// REJECTED records: the IDs to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<Vec<String>>,
    /// `x_generator`, `x_legacyV4Record`, `x_redhatCweChain`... and anything newer.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Who wrote a container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderMetadata {
    pub org_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_updated: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A text in one language, with optional rich twins (Vulnogram's HTML).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Description {
    pub lang: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supporting_media: Option<Vec<SupportingMedia>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A rich-text twin of a description, e.g. `text/html`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportingMedia {
    #[serde(rename = "type")]
    pub media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<bool>,
    pub value: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `affected` status of a version or a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Affected,
    Unaffected,
    Unknown,
}

/// One affected product: vendor/product, or collectionURL/packageName, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Package repository, e.g. `https://repo.maven.apache.org/maven2`.
    #[serde(
        rename = "collectionURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub collection_url: Option<String>,
    /// Name in that repository, e.g. `org.apache.avro:avro`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_files: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_routines: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<Version>>,
    /// The package URL, without a version (CVE JSON 5.2), e.g.
    /// `pkg:maven/org.apache.avro/avro`.
    #[serde(
        rename = "packageURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub package_url: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A version or a range of versions and its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// A single version, or the range's first version ("0" for "from the beginning").
    pub version: String,
    pub status: Status,
    /// Kept as written: real records carry "semver", "maven", "git", "custom" but
    /// also "8.0.0 to 9.2.0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than_or_equal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Version {
    /// The range's upper bound: the value and whether it is inclusive.
    pub fn upper(&self) -> Option<(&str, bool)> {
        match (&self.less_than, &self.less_than_or_equal) {
            (Some(lt), _) => Some((lt.as_str(), false)),
            (None, Some(le)) => Some((le.as_str(), true)),
            (None, None) => None,
        }
    }
}

/// A status change inside a range (`at` a version, the status becomes `status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub at: String,
    pub status: Status,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One problem type (usually a CWE) in one or more languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemType {
    pub descriptions: Vec<ProblemTypeDescription>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A problem type: "CWE-79 Improper Neutralization..." with its `cweId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemTypeDescription {
    pub lang: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwe_id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<Reference>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A reference URL with its tags ("vendor-advisory", "patch", "x_transferred"...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Reference {
    /// Whether the reference carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags
            .as_deref()
            .is_some_and(|t| t.iter().any(|x| x == tag))
    }
}

/// One metric: a CVSS score of some version, or an `other` (ASF's textual severity, SSVC).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenarios: Option<Vec<Description>>,
    #[serde(rename = "cvssV4_0", default, skip_serializing_if = "Option::is_none")]
    pub cvss_v4_0: Option<Cvss>,
    #[serde(rename = "cvssV3_1", default, skip_serializing_if = "Option::is_none")]
    pub cvss_v3_1: Option<Cvss>,
    #[serde(rename = "cvssV3_0", default, skip_serializing_if = "Option::is_none")]
    pub cvss_v3_0: Option<Cvss>,
    #[serde(rename = "cvssV2_0", default, skip_serializing_if = "Option::is_none")]
    pub cvss_v2_0: Option<Cvss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherMetric>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Metric {
    /// The CVSS objects present, newest version first, each with its field name.
    pub fn cvss(&self) -> impl Iterator<Item = (&'static str, &Cvss)> {
        [
            ("cvssV4_0", &self.cvss_v4_0),
            ("cvssV3_1", &self.cvss_v3_1),
            ("cvssV3_0", &self.cvss_v3_0),
            ("cvssV2_0", &self.cvss_v2_0),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    }
}

/// A CVSS object in FIRST's JSON shape. The vector and score are named; the metric
/// fields (`attackVector`...) are kept in `extra`, as FIRST spells them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cvss {
    pub version: String,
    pub vector_string: String,
    pub base_score: Number,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_severity: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A metric of another kind: `type` names it, `content` is free-form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherMetric {
    #[serde(rename = "type")]
    pub kind: String,
    pub content: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The ASF's (Vulnogram's) textual severity metric type.
pub const TEXTUAL_SEVERITY: &str = "Textual description of severity";

/// A dated event: reported, fixed, disclosed...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub time: String,
    pub lang: String,
    pub value: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A person or organisation credited, with the CVE credit type ("finder", "remediation developer"...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    pub lang: String,
    pub value: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl CveRecord {
    /// True when the ID was rejected (no affected products, no advisory).
    pub fn is_rejected(&self) -> bool {
        self.cve_metadata.state == RecordState::Rejected
    }

    /// The CNA container.
    pub fn cna(&self) -> &CnaContainer {
        &self.containers.cna
    }
}

impl CnaContainer {
    /// The English description (`en`, `en-US`...), the one every format leads with.
    pub fn english_description(&self) -> Option<&Description> {
        self.descriptions
            .as_deref()?
            .iter()
            .find(|d| is_english(&d.lang))
    }

    /// The affected products, empty when none are listed.
    pub fn products(&self) -> &[Product] {
        self.affected.as_deref().unwrap_or_default()
    }

    /// The references, empty when none are listed.
    pub fn reference_list(&self) -> &[Reference] {
        self.references.as_deref().unwrap_or_default()
    }

    /// Every CVSS object of every metric.
    pub fn cvss(&self) -> impl Iterator<Item = (&'static str, &Cvss)> {
        self.metrics.iter().flatten().flat_map(Metric::cvss)
    }

    /// The ASF textual severity ("low", "moderate", "important", "critical") if given.
    pub fn textual_severity(&self) -> Option<&str> {
        self.metrics
            .iter()
            .flatten()
            .filter_map(|m| m.other.as_ref())
            .find(|o| o.kind == TEXTUAL_SEVERITY)
            .and_then(|o| o.content.get("text"))
            .and_then(Value::as_str)
    }

    /// The CWE ids named in the problem types, in order, without duplicates.
    pub fn cwe_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for d in self
            .problem_types
            .iter()
            .flatten()
            .flat_map(|p| &p.descriptions)
        {
            if let Some(id) = d.cwe_id.as_deref()
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        ids
    }
}

/// `en`, `en-US`, `EN`: BCP 47 English.
pub fn is_english(lang: &str) -> bool {
    let l = lang.trim().to_ascii_lowercase();
    l == "en" || l.starts_with("en-") || l.starts_with("en_")
}
