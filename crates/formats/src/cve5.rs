//! CVE JSON 5.1 records (the CVE Program's `CVE_Record_Format`), written from an advisory.

use embargo_domain::lifecycle::Advisory;
use serde_json::Value;

/// The CNA that publishes the record (`providerMetadata`, `assignerShortName`).
#[derive(Debug, Clone)]
pub struct Cna {
    /// The CNA's organisation UUID at the CVE Program.
    pub org_id: String,
    /// e.g. "apache".
    pub short_name: String,
    /// The vendor name in `affected`, e.g. "Apache Software Foundation".
    pub vendor: String,
}

/// The full PUBLISHED record for an announced advisory.
pub fn published_record(advisory: &Advisory, cna: &Cna) -> Value {
    let _ = (advisory, cna);
    Value::Null
}
