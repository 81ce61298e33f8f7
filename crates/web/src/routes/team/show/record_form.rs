//! The record form: its fields as the member typed them (lists one item per line),
//! read from a stored record and turned back into one.

use embargo_domain::record::{
    CnaRecord, Credit, Cwe, Reference, Severity, TimelineEntry, VersionRange, VersionStatus,
};
use serde::Deserialize;

use crate::error::AppError;

/// The record form's fields as typed: lists are one item per line.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RecordFields {
    pub title: String,
    pub description: String,
    pub product: String,
    pub affected: String,
    pub severity: String,
    pub cwe: String,
    pub cwe_name: String,
    pub mitigation: String,
    pub credits: String,
    pub references: String,
    pub collection_url: String,
    pub package_name: String,
    pub version_type: String,
    pub cvss_v3_1: String,
    pub cvss_v4_0: String,
    pub workarounds: String,
    pub date_public: String,
    /// "affected", "unaffected" or "unknown"; empty is unaffected.
    pub default_status: String,
    /// CWEs after the first, one per line ("CWE-20 Improper Input Validation").
    pub further_cwes: String,
    /// One event per line ("2024-01-05 Reported to the security team").
    pub timeline: String,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl RecordFields {
    pub fn from_record(r: &CnaRecord) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            title: r.title.clone(),
            description: r.description.clone(),
            product: r.product.clone(),
            affected: r
                .affected
                .iter()
                .map(VersionRange::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            severity: r
                .severity
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            cwe: opt(&r.cwe),
            cwe_name: opt(&r.cwe_name),
            mitigation: opt(&r.mitigation),
            credits: r
                .credits
                .iter()
                .map(|c| format!("{} ({})", c.name, c.kind.cve_name()))
                .collect::<Vec<_>>()
                .join("\n"),
            references: r
                .references
                .iter()
                .map(Reference::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            collection_url: opt(&r.collection_url),
            package_name: opt(&r.package_name),
            version_type: opt(&r.version_type),
            cvss_v3_1: opt(&r.cvss_v3_1),
            cvss_v4_0: opt(&r.cvss_v4_0),
            workarounds: opt(&r.workarounds),
            date_public: r.date_public.map(|d| d.to_string()).unwrap_or_default(),
            default_status: r
                .default_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            further_cwes: r
                .further_cwes
                .iter()
                .map(Cwe::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            timeline: r
                .timeline
                .iter()
                .map(TimelineEntry::describe)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The record these lines describe; each line is parsed by the domain's own reader.
    pub fn to_record(&self) -> Result<CnaRecord, AppError> {
        let text = |s: &str| optional(s).map(|m| m.replace("\r\n", "\n"));
        Ok(CnaRecord {
            title: self.title.trim().to_string(),
            description: self.description.trim().replace("\r\n", "\n"),
            product: self.product.trim().to_string(),
            affected: lines(&self.affected)
                .map(VersionRange::parse_line)
                .collect::<Result<_, _>>()?,
            severity: optional(&self.severity)
                .map(|s| Severity::parse(&s))
                .transpose()?,
            cwe: optional(&self.cwe),
            cwe_name: optional(&self.cwe_name),
            mitigation: text(&self.mitigation),
            credits: lines(&self.credits)
                .map(Credit::parse_line)
                .collect::<Result<_, _>>()?,
            references: lines(&self.references)
                .map(Reference::parse_line)
                .collect::<Result<_, _>>()?,
            collection_url: optional(&self.collection_url),
            package_name: optional(&self.package_name),
            version_type: optional(&self.version_type),
            // Vectors are often pasted with a trailing space or a lower-case prefix.
            cvss_v3_1: optional(&self.cvss_v3_1).map(|v| normalise_vector(&v)),
            cvss_v4_0: optional(&self.cvss_v4_0).map(|v| normalise_vector(&v)),
            workarounds: text(&self.workarounds),
            date_public: optional(&self.date_public)
                .map(|d| {
                    d.parse::<jiff::civil::Date>().map_err(|_| {
                        AppError::invalid(
                            "date_public",
                            format!("{d:?} is not a date (YYYY-MM-DD)"),
                        )
                    })
                })
                .transpose()?,
            default_status: optional(&self.default_status)
                .map(|s| VersionStatus::parse("default_status", &s))
                .transpose()?,
            further_cwes: lines(&self.further_cwes)
                .map(Cwe::parse_line)
                .collect::<Result<_, _>>()?,
            timeline: lines(&self.timeline)
                .map(TimelineEntry::parse_line)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn normalise_vector(v: &str) -> String {
    match v.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("cvss:") => format!("CVSS:{}", &v[5..]),
        _ => v.to_string(),
    }
}
