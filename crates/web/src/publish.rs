//! One record, every format: the CVE JSON 5 record written from the full
//! [`CnaRecord`] (with computed CVSS scores), its validation findings for the editor,
//! and the OSV and CSAF documents written from that CVE record by `embargo-formats`.
//!
//! The record itself is built by `embargo_formats::cve5::container`; this module adds
//! what depends on the web configuration (the CSAF publisher) and web's error type.

use embargo_domain::cna::CnaRecord;
use embargo_domain::ids::CveId;
use embargo_formats::cve5::container;
use embargo_formats::cve5::{Cna, CveRecord};
use embargo_formats::{csaf, osv};
use jiff::Timestamp;
use serde_json::Value;

use crate::error::AppError;
use crate::state::WebConfig;

pub use embargo_formats::cve5::container::{Built, Dates, Finding, Score};

/// The CVE JSON 5.1 record of `r` as `cve`, published at `published` (for a record
/// still being written, the time it is looked at).
pub fn build(
    cve: &CveId,
    r: &CnaRecord,
    cna: &Cna,
    published: Timestamp,
) -> Result<Built, AppError> {
    container::build(cve, r, cna, Dates::at(published))
        .map_err(|e| AppError::Internal(format!("CVE record: {e}")))
}

/// Escapes text for XML and HTML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped; drop them.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Who publishes the CSAF documents: the organisation, as the vendor of its projects.
pub fn csaf_publisher(cfg: &WebConfig) -> csaf::Publisher {
    let base = cfg.base_url.trim_end_matches('/');
    csaf::Publisher {
        category: "vendor".into(),
        name: cfg.organisation.name.clone(),
        namespace: format!("{base}/"),
        contact_details: Some(format!("mailto:{}", cfg.organisation.security_email)),
        issuing_authority: Some(format!(
            "{} security team, a CVE Numbering Authority",
            cfg.organisation.name
        )),
        advisories_url: Some(format!("{base}/.well-known/csaf/white/")),
    }
}

/// The OSV document of a CVE record.
pub fn osv_of(record: &CveRecord) -> Value {
    osv::from_cve(record, &osv::EcosystemHints::default())
}

/// The CSAF document of a CVE record and its path under `/.well-known/csaf/white/`.
pub fn csaf_of(record: &CveRecord, cfg: &WebConfig) -> Result<(String, Value), AppError> {
    let doc = csaf::from_cve(record, &csaf_publisher(cfg))
        .map_err(|e| AppError::Internal(format!("CSAF: {e}")))?;
    let tracking = &doc["document"]["tracking"];
    let path = csaf::advisory_path(
        tracking["id"].as_str().unwrap_or_default(),
        tracking["initial_release_date"]
            .as_str()
            .unwrap_or_default(),
    );
    Ok((path, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_drops_control_characters() {
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
