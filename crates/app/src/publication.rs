//! One record, every format: the CVE JSON 5 record written from the full
//! [`CnaRecord`] (with computed CVSS scores), its validation findings for the editor,
//! and the OSV and CSAF documents written from that CVE record by `embargo-formats`,
//! with the installation's CSAF publisher.

use embargo_domain::ids::CveId;
use embargo_domain::record::CnaRecord;
use embargo_formats::cve5::container;
use embargo_formats::cve5::{Cna, CveRecord};
use embargo_formats::{csaf, osv};
use jiff::Timestamp;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::settings::Settings;

pub use embargo_formats::cve5::container::{Built, Dates, Finding, Score};

/// The CVE JSON 5.2 record of `r` as `cve`, published at `published` (for a record
/// still being written, the time it is looked at).
pub fn build(cve: &CveId, r: &CnaRecord, cna: &Cna, published: Timestamp) -> Result<Built> {
    container::build(cve, r, cna, Dates::at(published))
        .map_err(|e| Error::Internal(format!("CVE record: {e}")))
}

/// The OSV document of a CVE record.
pub fn osv_of(record: &CveRecord) -> Value {
    osv::from_cve(record, &osv::EcosystemHints::default())
}

/// The CSAF document of a CVE record and its path under `/.well-known/csaf/white/`.
pub fn csaf_of(record: &CveRecord, settings: &Settings) -> Result<(String, Value)> {
    let doc = csaf::from_cve(record, &settings.csaf_publisher())
        .map_err(|e| Error::Internal(format!("CSAF: {e}")))?;
    let tracking = &doc["document"]["tracking"];
    let path = csaf::advisory_path(
        tracking["id"].as_str().unwrap_or_default(),
        tracking["initial_release_date"]
            .as_str()
            .unwrap_or_default(),
    );
    Ok((path, doc))
}
