//! The CVE JSON 5.2 record written from the full [`CnaRecord`] the team edits (with
//! computed CVSS scores and the findings the editor shows). The way back is
//! [`super::reading`].

use embargo_domain::ids::CveId;
use embargo_domain::record::{AffectedProduct, CnaRecord, Cwe, VersionStatus};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::lint::{self, Level};
use super::model::CveRecord;
use super::{Cna, cve_org_url};
use crate::FormatError;

/// A CVSS score computed from a vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    /// `cvssV3_1` or `cvssV4_0`.
    pub key: &'static str,
    /// The vector as written.
    pub vector: String,
    /// The base score.
    pub score: f64,
    /// FIRST's spelling: NONE, LOW, MEDIUM, HIGH, CRITICAL.
    pub severity: String,
}

/// Something to fix (error) or worth fixing (warning) in a record, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// "error" or "warning".
    pub level: &'static str,
    /// The editor's field (`cwe`, `affected[1]`) or the CVE JSON path
    /// (`affected[0].versions[1].lessThan`).
    pub path: String,
    /// What to do about it.
    pub message: String,
}

/// The CVE record of a record, its scores, and what is wrong with it.
pub struct Built {
    /// The complete PUBLISHED record.
    pub record: CveRecord,
    /// The scores of the record's vectors.
    pub scores: Vec<Score>,
    /// Errors first (the domain's, then the lint's), with warnings.
    pub findings: Vec<Finding>,
}

impl Built {
    /// The findings that keep a record in DRAFT, as the domain takes them.
    pub fn blocking(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.level == "error")
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect()
    }
}

fn rfc3339_millis(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Scores both vectors (when given), as FIRST's calculators would.
pub fn scores(r: &CnaRecord) -> (Vec<Score>, Vec<Finding>) {
    let mut scores = Vec::new();
    let mut findings = Vec::new();
    for (key, field, vector) in [
        ("cvssV4_0", "cvss_v4_0", &r.cvss_v4_0),
        ("cvssV3_1", "cvss_v3_1", &r.cvss_v3_1),
    ] {
        let Some(vector) = vector else { continue };
        match lint::score_vector(key, vector) {
            Ok((score, severity)) => scores.push(Score {
                key,
                vector: vector.clone(),
                score,
                severity,
            }),
            Err(e) => findings.push(Finding {
                level: "error",
                path: field.into(),
                message: format!("{vector:?} is not a valid vector: {e}"),
            }),
        }
    }
    (scores, findings)
}

fn one_decimal(x: f64) -> Value {
    serde_json::Number::from_f64((x * 10.0).round() / 10.0).map_or(Value::Null, Value::Number)
}

fn is_semver_like(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", xml_escape(p).replace('\n', "<br>")))
        .collect()
}

/// Escapes text for HTML content.
fn xml_escape(s: &str) -> String {
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

fn english(text: &str) -> Value {
    json!([{ "lang": "en", "value": text.trim() }])
}

/// When a record was published and last updated (for a record still being written,
/// both are the time it is looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    /// `cveMetadata.datePublished`, and `datePublic` when the record has none.
    pub published: Timestamp,
    /// `cveMetadata.dateUpdated` and the container's `providerMetadata.dateUpdated`.
    pub updated: Timestamp,
}

impl Dates {
    /// Published and updated at the same moment.
    pub fn at(t: Timestamp) -> Self {
        Self {
            published: t,
            updated: t,
        }
    }
}

/// The CVE record format version written (the CVE Program's since 2025-10-29).
pub const DATA_VERSION: &str = "5.2.0";

/// One `affected[]` entry: the product's vendor (the CNA's when it names none), name,
/// package coordinates and package URL, and its ranges.
fn product(p: &AffectedProduct, cna: &Cna) -> Value {
    let version_type = p.version_type.clone().filter(|v| !v.trim().is_empty());
    let versions: Vec<Value> = p
        .versions
        .iter()
        .map(|v| {
            let introduced = match v.introduced.trim() {
                "" => "0",
                x => x,
            };
            let upper = v.fixed.as_deref().or(v.last_affected.as_deref());
            let guessed = if is_semver_like(introduced)
                && upper.is_none_or(is_semver_like)
                && upper.is_some()
            {
                "semver"
            } else {
                "custom"
            };
            let mut o = json!({
                "version": introduced,
                "status": v.status.as_str(),
                "versionType": version_type.as_deref().unwrap_or(guessed),
            });
            if !v.changes.is_empty() {
                o["changes"] = v
                    .changes
                    .iter()
                    .map(|c| json!({ "at": c.at.trim(), "status": c.status.as_str() }))
                    .collect();
            }
            match (&v.fixed, &v.last_affected) {
                (Some(f), _) => o["lessThan"] = json!(f.trim()),
                (None, Some(l)) => o["lessThanOrEqual"] = json!(l.trim()),
                // The schema wants a bound with a versionType; an open range is "lessThan *".
                (None, None) => o["lessThan"] = json!("*"),
            }
            o
        })
        .collect();
    let vendor = p
        .vendor
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(&cna.vendor);
    let mut product = json!({
        "vendor": vendor,
        "product": p.product.trim(),
        "defaultStatus": p.default_status.unwrap_or(VersionStatus::Unaffected).as_str(),
    });
    // The schema wants at least one version when `versions` is there; a product of an
    // imported record may say only its default status.
    if !versions.is_empty() {
        product["versions"] = Value::Array(versions);
    }
    // The editor asks for both together; an imported record may name the package alone.
    if let Some(c) = &p.collection_url {
        product["collectionURL"] = json!(c.trim());
    }
    if let Some(n) = &p.package_name {
        product["packageName"] = json!(n.trim());
    }
    // Only a package URL without a version; one that is not is a problem of the record.
    if let Some(purl) = p.purl() {
        product["packageURL"] = json!(purl);
    }
    product
}

/// The CVE JSON 5.2 record of `r` as `cve`, with its computed scores and what is
/// wrong with it (the domain's problems first, then the CVE JSON 5 lint).
pub fn build(cve: &CveId, r: &CnaRecord, cna: &Cna, dates: Dates) -> Result<Built, FormatError> {
    let when = rfc3339_millis(dates.updated);
    let published = rfc3339_millis(dates.published);
    let (scores, mut findings) = scores(r);
    findings.splice(
        0..0,
        r.problems().into_iter().map(|p| Finding {
            level: "error",
            path: p.field,
            message: p.message,
        }),
    );

    let products: Vec<Value> = r.products.iter().map(|p| product(p, cna)).collect();
    let mut references: Vec<Value> = r
        .references
        .iter()
        .map(|x| {
            let mut o = json!({ "url": x.url.trim() });
            if !x.tags.is_empty() {
                o["tags"] = json!(x.tags);
            }
            o
        })
        .collect();
    // A published record needs at least one reference; the CVE page always exists.
    if references.is_empty() {
        references.push(json!({ "url": cve_org_url(cve) }));
    }
    let mut c = Map::new();
    c.insert(
        "providerMetadata".into(),
        json!({ "orgId": cna.org_id, "shortName": cna.short_name, "dateUpdated": when }),
    );
    c.insert("title".into(), json!(r.title.trim()));
    c.insert(
        "descriptions".into(),
        json!([{
            "lang": "en",
            "value": r.description.trim(),
            "supportingMedia": [{ "type": "text/html", "base64": false, "value": html_paragraphs(r.description.trim()) }],
        }]),
    );
    c.insert("affected".into(), Value::Array(products));
    c.insert("references".into(), Value::Array(references));
    let date_public = r
        .date_public
        .map_or_else(|| published.clone(), |d| format!("{d}T00:00:00.000Z"));
    c.insert("datePublic".into(), json!(date_public));
    if let Some(cwe) = &r.cwe {
        let first = Cwe {
            id: cwe.clone(),
            name: r.cwe_name.clone(),
        };
        // One problem type per CWE, as Vulnogram and the CVE website write them.
        let types: Vec<Value> = std::iter::once(&first)
            .chain(&r.further_cwes)
            .map(|w| {
                let description = match &w.name {
                    Some(name) if !name.trim().is_empty() => format!("{} {}", w.id, name.trim()),
                    _ => w.id.clone(),
                };
                json!({ "descriptions": [{ "lang": "en", "cweId": w.id, "description": description, "type": "CWE" }] })
            })
            .collect();
        c.insert("problemTypes".into(), Value::Array(types));
    }
    if !r.timeline.is_empty() {
        c.insert(
            "timeline".into(),
            r.timeline
                .iter()
                .map(|t| json!({ "time": t.time.trim(), "lang": "en", "value": t.value.trim() }))
                .collect(),
        );
    }
    let mut metrics: Vec<Value> = scores
        .iter()
        .map(|s| {
            let version = if s.key == "cvssV4_0" { "4.0" } else { "3.1" };
            json!({
                "format": "CVSS",
                "scenarios": [{ "lang": "en", "value": "GENERAL" }],
                s.key: { "version": version, "vectorString": s.vector, "baseScore": one_decimal(s.score), "baseSeverity": s.severity },
            })
        })
        .collect();
    if let Some(sev) = r.severity {
        metrics.push(json!({ "other": { "type": "Textual description of severity", "content": { "text": sev.as_str() } } }));
    }
    if !metrics.is_empty() {
        c.insert("metrics".into(), Value::Array(metrics));
    }
    if !r.credits.is_empty() {
        c.insert(
            "credits".into(),
            r.credits
                .iter()
                .map(|x| json!({ "lang": "en", "value": x.name.trim(), "type": x.kind.cve_name() }))
                .collect(),
        );
    }
    if let Some(m) = &r.mitigation {
        c.insert("solutions".into(), english(m));
    }
    if let Some(w) = &r.workarounds {
        c.insert("workarounds".into(), english(w));
    }
    c.insert(
        "x_generator".into(),
        json!({ "engine": concat!("Embargo ", env!("CARGO_PKG_VERSION")) }),
    );
    let doc = json!({
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": {
            "cveId": cve.to_string(),
            "assignerOrgId": cna.org_id,
            "assignerShortName": cna.short_name,
            "state": "PUBLISHED",
            "datePublished": published,
            "dateUpdated": when,
        },
        "containers": { "cna": Value::Object(c) },
    });
    let record: CveRecord = serde_json::from_value(doc).map_err(|e| FormatError::Invalid {
        path: "(record)".into(),
        message: format!("the CVE record model does not read what was built: {e}"),
    })?;
    for f in lint::lint(record.cna()) {
        // The domain already said these in the editor's own words.
        let said = |field: &str| findings.iter().any(|x| x.path.starts_with(field));
        let dup = (f.path.starts_with("problemTypes") && said("cwe"))
            || (f.path.starts_with("references") && said("references"))
            || (f.path.starts_with("title") && said("title"))
            || (f.path.starts_with("descriptions") && said("description"));
        if dup {
            continue;
        }
        findings.push(Finding {
            level: match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
            },
            path: f.path,
            message: f.message,
        });
    }
    Ok(Built {
        record,
        scores,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use embargo_domain::record::{Credit, CreditKind, Reference, TimelineEntry, VersionRange};

    use super::super::reading::to_cna_record;
    use super::*;

    /// Apache Widget with these ranges, one per line as people write them.
    fn widget(ranges: &[&str]) -> AffectedProduct {
        AffectedProduct {
            product: "Apache Widget".into(),
            versions: ranges
                .iter()
                .map(|l| VersionRange::parse_line(l).unwrap())
                .collect(),
            ..AffectedProduct::default()
        }
    }

    /// The shape of record the browser test writes: thin, two ranges, no vectors.
    #[test]
    fn a_plain_record_has_no_errors_and_an_open_range_is_less_than_star() {
        let r = CnaRecord {
            title: "Apache Widget: RCE".into(),
            description: "Deserialization of Untrusted Data vulnerability in Apache Widget.".into(),
            products: vec![widget(&[
                "3.0.0 before 3.7.1",
                "4.0.0 before 4.0.2",
                "5.0 and later",
            ])],
            cwe: Some("CWE-502".into()),
            cwe_name: Some("Deserialization of Untrusted Data".into()),
            mitigation: Some("Upgrade to 3.7.1.".into()),
            credits: vec![Credit {
                name: "Ann".into(),
                kind: CreditKind::Finder,
            }],
            ..CnaRecord::default()
        };
        let cna = Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "x".into(),
            vendor: "Apache".into(),
        };
        let cve = CveId::parse("CVE-2026-10000").unwrap();
        let b = build(&cve, &r, &cna, Dates::at(Timestamp::UNIX_EPOCH)).unwrap();
        assert!(b.blocking().is_empty(), "{:?}", b.findings);
        let v = &b.record.cna().products()[0].versions.as_ref().unwrap()[2];
        assert_eq!(
            (v.less_than.as_deref(), v.version_type.as_deref()),
            (Some("*"), Some("custom"))
        );
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        // And back: what the builder wrote reads as the record it came from.
        let mut back = to_cna_record(&b.record);
        let p = &mut back.products[0];
        assert_eq!(p.version_type.as_deref(), Some("semver"));
        p.version_type = None;
        // The CNA's vendor, written out.
        assert_eq!(p.vendor.as_deref(), Some("Apache"));
        p.vendor = None;
        // The editor's default outside the ranges, written out.
        assert_eq!(p.default_status, Some(VersionStatus::Unaffected));
        p.default_status = None;
        assert_eq!(back.date_public, Some("1970-01-01".parse().unwrap()));
        back.date_public = None;
        assert_eq!(back.references[0].url, cve_org_url(&cve));
        back.references.clear();
        assert_eq!(back, r);
    }

    /// Timeline, further CWEs, a default status, an unaffected range and changes go
    /// out in the container and come back as written.
    #[test]
    fn the_deeper_fields_round_trip() {
        let r = CnaRecord {
            title: "Apache Widget: XSS".into(),
            description: "Cross-site scripting in Apache Widget.".into(),
            products: vec![AffectedProduct {
                default_status: Some(VersionStatus::Affected),
                ..widget(&[
                    "1.0.0 before 2.0.0, fixed in 1.4.7",
                    "unaffected: 2.0.0 before 2.1.0",
                    "unknown: 0.1 through 0.9",
                ])
            }],
            cwe: Some("CWE-79".into()),
            cwe_name: Some("Improper Neutralization of Input".into()),
            further_cwes: vec![Cwe::parse_line("CWE-20 Improper Input Validation").unwrap()],
            timeline: vec![
                TimelineEntry::parse_line("2024-01-05 Reported").unwrap(),
                TimelineEntry::parse_line("2024-02-01T10:00:00Z Fixed").unwrap(),
            ],
            date_public: Some("2024-03-01".parse().unwrap()),
            ..CnaRecord::default()
        };
        let cna = Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "x".into(),
            vendor: "Apache".into(),
        };
        let cve = CveId::parse("CVE-2026-10001").unwrap();
        let b = build(&cve, &r, &cna, Dates::at(Timestamp::UNIX_EPOCH)).unwrap();
        assert!(b.blocking().is_empty(), "{:?}", b.findings);
        let json = serde_json::to_value(&b.record).unwrap();
        let p = &json["containers"]["cna"]["affected"][0];
        assert_eq!(p["defaultStatus"], "affected");
        assert_eq!(
            p["versions"][0]["changes"],
            json!([{ "at": "1.4.7", "status": "unaffected" }])
        );
        assert_eq!(p["versions"][1]["status"], "unaffected");
        assert_eq!(
            json["containers"]["cna"]["problemTypes"][1]["descriptions"][0]["cweId"],
            "CWE-20"
        );
        assert_eq!(
            json["containers"]["cna"]["timeline"][0],
            json!({ "time": "2024-01-05T00:00:00.000Z", "lang": "en", "value": "Reported" })
        );
        let mut back = to_cna_record(&b.record);
        back.products[0].version_type = None;
        back.products[0].vendor = None;
        back.references.clear();
        assert_eq!(back, r);
    }

    /// Several products go out as several `affected[]` entries in the record's order,
    /// each with its own vendor (the CNA's when it names none), package coordinates and
    /// package URL without a version; they come back whole.
    #[test]
    fn every_product_goes_out_with_its_package_url_and_comes_back() {
        let r = CnaRecord {
            title: "Apache ActiveMQ: RCE in OpenWire".into(),
            description: "Deserialization of untrusted data in the OpenWire marshaller.".into(),
            products: vec![
                AffectedProduct {
                    collection_url: Some("https://repo.maven.apache.org/maven2".into()),
                    package_name: Some("org.apache.activemq:activemq-client".into()),
                    ..widget(&["5.18.0 before 5.18.3", "before 5.15.16"])
                },
                AffectedProduct {
                    vendor: Some("The Widget Foundation".into()),
                    product: "Widget OpenWire Module".into(),
                    package_url: Some("pkg:github/widget/openwire".into()),
                    ..widget(&["5.8.0 before 5.15.16"])
                },
            ],
            references: vec![Reference::parse_line("https://widget.example/cve").unwrap()],
            ..CnaRecord::default()
        };
        let cna = Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "x".into(),
            vendor: "Apache Software Foundation".into(),
        };
        let cve = CveId::parse("CVE-2026-10002").unwrap();
        let b = build(&cve, &r, &cna, Dates::at(Timestamp::UNIX_EPOCH)).unwrap();
        assert!(b.blocking().is_empty(), "{:?}", b.findings);
        let json = serde_json::to_value(&b.record).unwrap();
        assert_eq!(json["dataVersion"], "5.2.0");
        let affected = &json["containers"]["cna"]["affected"];
        assert_eq!(affected.as_array().map(Vec::len), Some(2));
        assert_eq!(affected[0]["vendor"], "Apache Software Foundation");
        assert_eq!(
            affected[0]["packageURL"],
            "pkg:maven/org.apache.activemq/activemq-client"
        );
        assert_eq!(affected[0]["versions"][1]["lessThan"], "5.15.16");
        assert_eq!(affected[1]["vendor"], "The Widget Foundation");
        assert_eq!(affected[1]["product"], "Widget OpenWire Module");
        assert_eq!(affected[1]["packageURL"], "pkg:github/widget/openwire");
        assert!(affected[1].get("packageName").is_none());
        let back = to_cna_record(&b.record);
        let names: Vec<&str> = back.products.iter().map(|p| p.product.as_str()).collect();
        assert_eq!(names, ["Apache Widget", "Widget OpenWire Module"]);
        assert_eq!(back.products[1].versions, r.products[1].versions);
        assert_eq!(
            back.products[1].package_url.as_deref(),
            Some("pkg:github/widget/openwire")
        );

        // A package URL with a version is a problem of the record, and not written.
        let mut versioned = r.clone();
        versioned.products[1].package_url = Some("pkg:github/widget/openwire@5.15.16".into());
        let b = build(&cve, &versioned, &cna, Dates::at(Timestamp::UNIX_EPOCH)).unwrap();
        assert!(
            b.blocking()[0].starts_with("products[1].package_url: "),
            "{:?}",
            b.findings
        );
        let json = serde_json::to_value(&b.record).unwrap();
        assert!(
            json["containers"]["cna"]["affected"][1]
                .get("packageURL")
                .is_none()
        );
    }
}
