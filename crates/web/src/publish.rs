//! One record, every format: the CVE JSON 5 record written from the full
//! [`CnaRecord`] (with computed CVSS scores), its validation findings for the editor,
//! and the OSV and CSAF documents written from that CVE record by `embargo-formats`.
//!
//! The CNA container is built here rather than in `embargo-formats` because the
//! formats crate still writes from the thin draft (`cve5::published_record`); once it
//! takes a `CnaRecord`, this module shrinks to calls into it.

use embargo_domain::cna::CnaRecord;
use embargo_domain::ids::CveId;
use embargo_formats::cve5::lint::{self, Level};
use embargo_formats::cve5::{Cna, CveRecord, cve_org_url};
use embargo_formats::{csaf, osv};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::AppError;
use crate::state::WebConfig;

/// A CVSS score computed from a vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// `cvssV3_1` or `cvssV4_0`.
    pub key: &'static str,
    pub vector: String,
    pub score: f64,
    /// FIRST's spelling: NONE, LOW, MEDIUM, HIGH, CRITICAL.
    pub severity: String,
}

/// Something to fix (error) or worth fixing (warning) in a record, with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// "error" or "warning".
    pub level: &'static str,
    /// The editor's field (`cwe`, `affected[1]`) or the CVE JSON path
    /// (`affected[0].versions[1].lessThan`).
    pub path: String,
    pub message: String,
}

/// The CVE record of a record, its scores, and what is wrong with it.
pub struct Built {
    pub record: CveRecord,
    pub scores: Vec<Score>,
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

fn english(text: &str) -> Value {
    json!([{ "lang": "en", "value": text.trim() }])
}

/// The CVE JSON 5.1 record of `r` as `cve`, published at `published` (for a record
/// still being written, the time it is looked at).
pub fn build(
    cve: &CveId,
    r: &CnaRecord,
    cna: &Cna,
    published: Timestamp,
) -> Result<Built, AppError> {
    let when = rfc3339_millis(published);
    let (scores, mut findings) = scores(r);
    findings.splice(
        0..0,
        r.problems().into_iter().map(|p| Finding {
            level: "error",
            path: p.field,
            message: p.message,
        }),
    );

    let version_type = r.version_type.clone().filter(|v| !v.trim().is_empty());
    let versions: Vec<Value> = r
        .affected
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
                "status": "affected",
                "versionType": version_type.as_deref().unwrap_or(guessed),
            });
            match (&v.fixed, &v.last_affected) {
                (Some(f), _) => o["lessThan"] = json!(f.trim()),
                (None, Some(l)) => o["lessThanOrEqual"] = json!(l.trim()),
                // The schema wants a bound with a versionType; an open range is "lessThan *".
                (None, None) => o["lessThan"] = json!("*"),
            }
            o
        })
        .collect();
    let mut product = json!({
        "vendor": cna.vendor,
        "product": r.product.trim(),
        "versions": versions,
        "defaultStatus": "unaffected",
    });
    if let (Some(c), Some(p)) = (&r.collection_url, &r.package_name) {
        product["collectionURL"] = json!(c.trim());
        product["packageName"] = json!(p.trim());
    }
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
    c.insert("affected".into(), json!([product]));
    c.insert("references".into(), Value::Array(references));
    let date_public = r
        .date_public
        .map_or_else(|| when.clone(), |d| format!("{d}T00:00:00.000Z"));
    c.insert("datePublic".into(), json!(date_public));
    if let Some(cwe) = &r.cwe {
        let description = match &r.cwe_name {
            Some(name) if !name.trim().is_empty() => format!("{cwe} {}", name.trim()),
            _ => cwe.clone(),
        };
        c.insert(
            "problemTypes".into(),
            json!([{ "descriptions": [{ "lang": "en", "cweId": cwe, "description": description, "type": "CWE" }] }]),
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
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": cve.to_string(),
            "assignerOrgId": cna.org_id,
            "assignerShortName": cna.short_name,
            "state": "PUBLISHED",
            "datePublished": when,
            "dateUpdated": when,
        },
        "containers": { "cna": Value::Object(c) },
    });
    let record: CveRecord = serde_json::from_value(doc)
        .map_err(|e| AppError::Internal(format!("CVE record model: {e}")))?;
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
    #![expect(clippy::unwrap_used, reason = "test fixtures")]
    use embargo_domain::cna::VersionRange;
    use embargo_domain::record::{Credit, CreditKind};

    use super::*;

    /// The shape of record the browser test writes: thin, two ranges, no vectors.
    #[test]
    fn a_plain_record_has_no_errors_and_an_open_range_is_less_than_star() {
        let r = CnaRecord {
            title: "Apache Widget: RCE".into(),
            description: "Deserialization of Untrusted Data vulnerability in Apache Widget.".into(),
            product: "Apache Widget".into(),
            affected: ["3.0.0 before 3.7.1", "4.0.0 before 4.0.2", "5.0 and later"]
                .map(|l| VersionRange::parse_line(l).unwrap())
                .to_vec(),
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
        let b = build(
            &CveId::parse("CVE-2026-10000").unwrap(),
            &r,
            &cna,
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        assert!(b.blocking().is_empty(), "{:?}", b.findings);
        let v = &b.record.cna().products()[0].versions.as_ref().unwrap()[2];
        assert_eq!(
            (v.less_than.as_deref(), v.version_type.as_deref()),
            (Some("*"), Some("custom"))
        );
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
