//! CVE JSON 5.1 records (the CVE Program's `CVE_Record_Format`): written from an
//! advisory ([`published_record`]), read and written whole ([`import`], [`export`],
//! [`model`]), checked for sense ([`lint`]) and mapped to the thin record the team
//! edits ([`to_record_draft`]); written from and read into the full record the editor
//! writes ([`container::build`], [`to_cna_record`]).
//!
//! Checked against the official bundled schema in `tests/cve5_schema.rs` and, for every
//! record in the corpus, in `tests/corpus.rs`.

pub mod container;
mod draft;
pub mod lint;
pub mod model;
pub mod schema;

pub use container::to_cna_record;
pub use draft::to_record_draft;
pub use model::CveRecord;

use embargo_domain::ids::CveId;
use embargo_domain::lifecycle::Advisory;
use embargo_domain::record::{AffectedRange, RecordDraft};
use serde_json::{Value, json};

use crate::FormatError;

/// Reads a complete CVE JSON 5.0/5.1 record (PUBLISHED or REJECTED, with its ADP
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
    if !matches!(r.data_version.as_str(), "5.0" | "5.1" | "5.1.0" | "5.1.1") {
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
                "this is a CNA container alone; wrap it as {\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":{...},\"containers\":{\"cna\":...}}".into(),
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

/// The full PUBLISHED record for an announced advisory.
pub fn published_record(advisory: &Advisory, cna: &Cna) -> Value {
    let published = timestamp(advisory.published_at);
    json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": advisory.cve.to_string(),
            "assignerOrgId": cna.org_id,
            "assignerShortName": cna.short_name,
            "state": "PUBLISHED",
            "datePublished": published,
            "dateUpdated": published,
        },
        "containers": {
            "cna": cna_container(&advisory.cve, &advisory.record, cna, &published),
        }
    })
}

/// The CNA container: what the CNA itself says about the vulnerability.
fn cna_container(cve: &CveId, r: &RecordDraft, cna: &Cna, published: &str) -> Value {
    let mut c = json!({
        "providerMetadata": { "orgId": cna.org_id, "shortName": cna.short_name, "dateUpdated": published },
        "title": r.title.trim(),
        "descriptions": [{
            "lang": "en",
            "value": r.description.trim(),
            // The HTML twin the CVE website shows; plain text escaped, line breaks kept.
            "supportingMedia": [{
                "type": "text/html",
                "base64": false,
                "value": html_paragraphs(r.description.trim()),
            }],
        }],
        "affected": [{
            "vendor": cna.vendor,
            "product": r.product.trim(),
            "versions": r.affected.iter().map(version_entry).collect::<Vec<_>>(),
            "defaultStatus": "unaffected",
        }],
        "references": references(cve, r),
        "datePublic": published,
        "x_generator": { "engine": concat!("Embargo ", env!("CARGO_PKG_VERSION")) },
    });
    let obj = c
        .as_object_mut()
        .expect("a json! object literal is an object");
    if let Some(cwe) = &r.cwe {
        let description = match &r.cwe_name {
            Some(name) if !name.trim().is_empty() => format!("{cwe} {}", name.trim()),
            _ => cwe.clone(),
        };
        obj.insert(
            "problemTypes".into(),
            json!([{ "descriptions": [{ "lang": "en", "cweId": cwe, "description": description, "type": "CWE" }] }]),
        );
    }
    if let Some(s) = r.severity {
        obj.insert(
            "metrics".into(),
            json!([{ "other": { "type": "Textual description of severity", "content": { "text": s.as_str() } } }]),
        );
    }
    if !r.credits.is_empty() {
        obj.insert(
            "credits".into(),
            r.credits
                .iter()
                .map(|c| json!({ "lang": "en", "value": c.name.trim(), "type": c.kind.cve_name() }))
                .collect(),
        );
    }
    if let Some(m) = &r.mitigation {
        obj.insert(
            "solutions".into(),
            json!([{ "lang": "en", "value": m.trim() }]),
        );
    }
    c
}

fn version_entry(r: &AffectedRange) -> Value {
    let introduced = match r.introduced.trim() {
        "" => "0",
        v => v,
    };
    let kind = if is_semver_like(introduced) && r.fixed.as_deref().is_none_or(is_semver_like) {
        "semver"
    } else {
        "custom"
    };
    // The schema wants a versionType with any range; an open-ended range is "lessThan *".
    json!({
        "version": introduced,
        "status": "affected",
        "lessThan": r.fixed.as_deref().map_or("*", str::trim),
        "versionType": if r.fixed.is_some() { kind } else { "custom" },
    })
}

fn is_semver_like(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn references(cve: &CveId, r: &RecordDraft) -> Value {
    let mut refs: Vec<Value> = r.references.iter().map(|u| json!({ "url": u })).collect();
    // A published record needs at least one reference; the CVE page always exists.
    if refs.is_empty() {
        refs.push(json!({ "url": cve_org_url(cve) }));
    }
    Value::Array(refs)
}

fn timestamp(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_html() {
        let v = version_entry(&AffectedRange {
            introduced: "3.0.0".into(),
            fixed: Some("3.7.1".into()),
        });
        assert_eq!(v["versionType"], "semver");
        assert_eq!(v["lessThan"], "3.7.1");
        let v = version_entry(&AffectedRange {
            introduced: "2.0-M1".into(),
            fixed: None,
        });
        assert_eq!(
            (v["lessThan"].as_str(), v["versionType"].as_str()),
            (Some("*"), Some("custom"))
        );
        assert_eq!(
            html_paragraphs("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
    }
}
