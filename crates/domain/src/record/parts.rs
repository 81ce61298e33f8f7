//! The parts of a record besides its versions: the textual severity, credits, CWEs,
//! references and the timeline, each with the one-line form the editor reads and
//! writes (`Name (finder)`, `CWE-79 Improper Neutralization...`,
//! `https://example.org/x [patch]`, `2024-01-05 Reported`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;
use crate::text::{optional_line, required_line};

/// The CVE reference tags of the CVE JSON 5.1 schema (`x_`-prefixed tags are allowed too).
pub const REFERENCE_TAGS: [&str; 19] = [
    "broken-link",
    "customer-entitlement",
    "exploit",
    "government-resource",
    "issue-tracking",
    "mailing-list",
    "mitigation",
    "not-applicable",
    "patch",
    "permissions-required",
    "media-coverage",
    "product",
    "related",
    "release-notes",
    "signature",
    "technical-description",
    "third-party-advisory",
    "vendor-advisory",
    "vdb-entry",
];

/// The ASF's textual severity scale (the announcements' "Severity:" line and the corpus'
/// "Textual description of severity"; docs/process.md#step-8-write-the-record).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    Low,
    Moderate,
    Important,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.trim().to_ascii_lowercase().parse().map_err(|_| {
            DomainError::invalid(
                "severity",
                format!(
                    "{s:?} is not one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }
}

/// A credit line, with its CVE JSON 5 credit type (finder, reporter, remediation developer...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credit {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CreditKind,
}

/// The API spells them in snake_case; `cve_name` is the CVE JSON 5 spelling.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CreditKind {
    Finder,
    Reporter,
    Analyst,
    Coordinator,
    #[serde(alias = "remediation developer")]
    #[strum(serialize = "remediation developer")]
    RemediationDeveloper,
    #[serde(alias = "remediation reviewer")]
    #[strum(serialize = "remediation reviewer")]
    RemediationReviewer,
    #[serde(alias = "remediation verifier")]
    #[strum(serialize = "remediation verifier")]
    RemediationVerifier,
    Tool,
    Sponsor,
    Other,
}

impl Credit {
    /// Reads `Name (finder)`; a line without a type in brackets credits a finder.
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let line = required_line("credits", line)?;
        if let Some(open) = line.rfind(" (")
            && line.ends_with(')')
        {
            let kind = CreditKind::parse(&line[open + 2..line.len() - 1])?;
            return Ok(Self {
                name: required_line("credits", &line[..open])?,
                kind,
            });
        }
        Ok(Self {
            name: line,
            kind: CreditKind::Finder,
        })
    }
}

impl CreditKind {
    pub const ALL: [CreditKind; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);
    /// The CVE JSON 5 spelling.
    pub fn cve_name(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_lowercase().replace('_', " ");
        s.parse()
            .map_err(|_| DomainError::invalid("credits", format!("{s:?} is not a credit type")))
    }
}

/// A CWE the record names besides the first (CVE `problemTypes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cwe {
    /// e.g. "CWE-79".
    pub id: String,
    /// e.g. "Improper Neutralization of Input During Web Page Generation".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Cwe {
    /// Reads `CWE-79 Improper Neutralization of Input...` (the name is optional; a colon
    /// after the id is allowed, as some records write it).
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let line = line.trim();
        let (id, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let id = id.trim_end_matches(':');
        if !is_cwe_id(id) {
            return Err(DomainError::invalid(
                "cwes",
                format!(
                    "{line:?} does not start with a CWE id like \"CWE-79 Improper Neutralization...\""
                ),
            ));
        }
        let name = name.trim();
        optional_line("cwes", name)?;
        Ok(Self {
            id: id.to_string(),
            name: (!name.is_empty()).then(|| name.to_string()),
        })
    }

    /// The line [`Self::parse_line`] reads back.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n}", self.id),
            None => self.id.clone(),
        }
    }
}

/// Whether `s` is a CWE id like `CWE-79`.
pub(super) fn is_cwe_id(s: &str) -> bool {
    s.strip_prefix("CWE-")
        .is_some_and(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// One dated event of the record's timeline (CVE `timeline`, in English).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// As CVE JSON 5 writes it, e.g. `2024-01-05T00:00:00.000Z`; kept as written on import.
    pub time: String,
    /// e.g. "Reported to the security team".
    pub value: String,
}

impl TimelineEntry {
    /// Reads `2024-01-05 Reported to the security team` (a date, or an RFC 3339 time
    /// like `2024-01-05T10:30:00Z`, then the event).
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let line = line.trim();
        let bad = || {
            DomainError::invalid(
                "timeline",
                format!(
                    "{line:?} is not an entry like \"2024-01-05 Reported to the security team\""
                ),
            )
        };
        let (time, value) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(bad());
        }
        required_line("timeline", value)?;
        let time = if let Ok(d) = time.parse::<Date>() {
            format!("{d}T00:00:00.000Z")
        } else if time.parse::<jiff::Timestamp>().is_ok() {
            time.to_string()
        } else {
            return Err(bad());
        };
        Ok(Self {
            time,
            value: value.to_string(),
        })
    }

    /// The line [`Self::parse_line`] reads back (midnight UTC as the date alone).
    pub fn describe(&self) -> String {
        let time = self
            .time
            .strip_suffix("T00:00:00.000Z")
            .unwrap_or(&self.time);
        format!("{time} {}", self.value)
    }
}

/// A reference URL with its CVE tags. Reads a bare URL string too (how records stored
/// before tags existed, and the first API's clients, write references).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reference {
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Url(String),
            Full {
                url: String,
                #[serde(default)]
                tags: Vec<String>,
            },
        }
        Ok(match Either::deserialize(d)? {
            Either::Url(url) => Self { url, tags: vec![] },
            Either::Full { url, tags } => Self { url, tags },
        })
    }
}

impl Reference {
    /// Reads `https://example.org/x [patch, vendor-advisory]` (tags optional).
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let line = line.trim();
        if let Some(open) = line.rfind(" [")
            && line.ends_with(']')
        {
            let tags = line[open + 2..line.len() - 1]
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect();
            return Ok(Self {
                url: line[..open].trim().to_string(),
                tags,
            });
        }
        Ok(Self {
            url: line.to_string(),
            tags: vec![],
        })
    }

    /// The line [`Self::parse_line`] reads back.
    pub fn describe(&self) -> String {
        if self.tags.is_empty() {
            self.url.clone()
        } else {
            format!("{} [{}]", self.url, self.tags.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_lines() {
        let c = Credit::parse_line("Ann Researcher (remediation developer)").unwrap();
        assert_eq!(
            (c.name.as_str(), c.kind),
            ("Ann Researcher", CreditKind::RemediationDeveloper)
        );
        assert_eq!(Credit::parse_line("Bob").unwrap().kind, CreditKind::Finder);
        assert!(Credit::parse_line("Bob (wizard)").is_err());
    }

    #[test]
    fn cwe_and_timeline_lines() {
        let c = Cwe::parse_line("CWE-79 Improper Neutralization of Input").unwrap();
        assert_eq!(
            (c.id.as_str(), c.name.as_deref()),
            ("CWE-79", Some("Improper Neutralization of Input"))
        );
        assert_eq!(c.describe(), "CWE-79 Improper Neutralization of Input");
        assert_eq!(Cwe::parse_line("CWE-20").unwrap().describe(), "CWE-20");
        assert_eq!(
            Cwe::parse_line("CWE-20: Bad").unwrap().describe(),
            "CWE-20 Bad"
        );
        for bad in ["79 Improper", "CWE-x Bad", "Improper Neutralization"] {
            let e = Cwe::parse_line(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        let t = TimelineEntry::parse_line("2024-01-05 Reported to the security team").unwrap();
        assert_eq!(t.time, "2024-01-05T00:00:00.000Z");
        assert_eq!(t.describe(), "2024-01-05 Reported to the security team");
        let t = TimelineEntry::parse_line("2024-01-05T10:30:00Z Fixed").unwrap();
        assert_eq!(t.describe(), "2024-01-05T10:30:00Z Fixed");
        for bad in ["2024-01-05", "yesterday Reported", "2024-13-01 Reported"] {
            let e = TimelineEntry::parse_line(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
    }
}
