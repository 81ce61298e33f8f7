//! CVE JSON 5 records (the CVE Program's `CVE_Record_Format`, 5.0 to 5.2): read and written whole
//! ([`import`], [`export`], [`model`]), checked for sense ([`lint`]) and against the
//! official schema ([`schema`]), written from and read into the record the team writes
//! ([`container::build`], [`reading::to_cna_record`]).
//!
//! Checked against the official bundled schema in `tests/formats/cve5_schema.rs` and,
//! for every record in the corpus, in `tests/formats/corpus.rs`.

pub mod container;
pub mod lint;
pub mod model;
pub mod reading;
pub mod schema;

pub use model::CveRecord;
pub use reading::to_cna_record;

use embargo_domain::ids::CveId;
use serde_json::Value;

use crate::FormatError;

/// Reads a complete CVE JSON 5.0/5.1/5.2 record (PUBLISHED or REJECTED, with its ADP
/// containers). Errors say where and what: `containers.cna.affected[0].versions[1].status:
/// unknown variant ...`.
pub fn import(json: &str) -> Result<CveRecord, FormatError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let record: CveRecord =
        serde_path_to_error::deserialize(&mut de).map_err(|e| explain(json, e))?;
    // Trailing text after the record is a broken file, not a record plus noise.
    de.end().map_err(|e| FormatError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    check_header(&record)?;
    Ok(record)
}

/// Writes a record back as JSON: what [`import`] read, with any edits.
pub fn export(record: &CveRecord) -> Value {
    // Serialising plain data with string keys cannot fail; Null is never produced.
    serde_json::to_value(record).unwrap_or(Value::Null)
}

fn check_header(r: &CveRecord) -> Result<(), FormatError> {
    if r.data_type != "CVE_RECORD" {
        return Err(FormatError::NotACveRecord(format!(
            "dataType is {:?}, not \"CVE_RECORD\"",
            r.data_type
        )));
    }
    if !matches!(
        r.data_version.as_str(),
        "5.0" | "5.1" | "5.1.0" | "5.1.1" | "5.2" | "5.2.0"
    ) {
        return Err(FormatError::UnsupportedVersion {
            found: r.data_version.clone(),
        });
    }
    CveId::parse(&r.cve_metadata.cve_id).map_err(|e| FormatError::Invalid {
        path: "cveMetadata.cveId".into(),
        message: e.to_string(),
    })?;
    Ok(())
}

/// Turns a serde error into one a person can act on, recognising the usual mistakes
/// (a CVE 4 record, a bare CNA container, an OSV file) before naming the field.
fn explain(json: &str, e: serde_path_to_error::Error<serde_json::Error>) -> FormatError {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return FormatError::Json {
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string(),
        };
    }
    if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(json) {
        if o.contains_key("data_version") || o.contains_key("CVE_data_meta") {
            return FormatError::UnsupportedVersion {
                found: o
                    .get("data_version")
                    .and_then(Value::as_str)
                    .unwrap_or("4")
                    .to_string(),
            };
        }
        if !o.contains_key("containers") && o.contains_key("providerMetadata") {
            return FormatError::NotACveRecord(
                "this is a CNA container alone; wrap it as {\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.2.0\",\"cveMetadata\":{...},\"containers\":{\"cna\":...}}".into(),
            );
        }
        if o.contains_key("schema_version") && o.contains_key("modified") {
            return FormatError::NotACveRecord("this looks like an OSV record".into());
        }
        if o.contains_key("document") && o.contains_key("product_tree") {
            return FormatError::NotACveRecord("this looks like a CSAF document".into());
        }
    }
    let path = e.path().to_string();
    // serde_json appends " at line L column C"; the path says more.
    let message = inner.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    FormatError::Invalid {
        path: if path == "." { "(record)".into() } else { path },
        message,
    }
}

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

/// The CVE Program's page for an id, the reference every announcement carries.
pub fn cve_org_url(cve: &CveId) -> String {
    cve_org_url_str(&cve.to_string())
}

pub(crate) fn cve_org_url_str(cve: &str) -> String {
    format!("https://www.cve.org/CVERecord?id={cve}")
}
