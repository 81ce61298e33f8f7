//! OSV (Open Source Vulnerability format, schema 1.7) from a CVE record, for
//! osv.dev-style consumers and dependency scanners.
//!
//! Every product of the record is an `affected[]` entry. A product becomes an OSV
//! package when we know its ecosystem: from the record's `collectionURL` (Maven Central
//! gives `Maven` with `groupId:artifactId`, PyPI, npm, Go, crates.io...), its
//! `packageURL` (CVE JSON 5.2; also written as the package's `purl`), or the caller's
//! [`EcosystemHints`]. Ranges are ECOSYSTEM
//! ranges for a package, SEMVER ranges when every version is SemVer, and otherwise the
//! CNA's versions are kept verbatim in `database_specific` rather than guessed at
//! (git hashes abbreviated to 12 digits, "n/a", "< 34.3.1").

use serde_json::{Map, Value, json};

use crate::cve5::model::{CveRecord, Product, Status, Version};
use crate::version::{is_semver, looks_like_version};

/// The OSV schema version written.
pub const SCHEMA_VERSION: &str = "1.7.0";

/// What the record alone does not say and the caller knows.
#[derive(Debug, Clone, Default)]
pub struct EcosystemHints {
    /// An id to use instead of the CVE id (it must start with a prefix OSV knows, or
    /// `x_`); the CVE id then becomes an alias.
    pub id: Option<String>,
    /// Other ids for the same vulnerability (GHSA-..., an organisation's own).
    pub aliases: Vec<String>,
    /// Packages for products the record names only by vendor/product.
    pub packages: Vec<PackageHint>,
}

/// "The CVE product `product` is the `ecosystem` package `name`."
#[derive(Debug, Clone)]
pub struct PackageHint {
    /// Matched against `affected[].product` and `affected[].packageName`.
    pub product: String,
    /// An OSV ecosystem name: "Maven", "PyPI", "npm", "Go", "crates.io"...
    pub ecosystem: String,
    /// The package's name in that ecosystem (`groupId:artifactId` for Maven).
    pub name: String,
}

/// The OSV record for a CVE record (a REJECTED record becomes a withdrawn entry).
pub fn from_cve(record: &CveRecord, hints: &EcosystemHints) -> Value {
    let meta = &record.cve_metadata;
    let c = record.cna();
    let cve = meta.cve_id.as_str();
    let mut out = Map::new();
    out.insert("schema_version".into(), json!(SCHEMA_VERSION));
    let mut aliases: Vec<String> = hints.aliases.clone();
    match &hints.id {
        Some(id) => {
            out.insert("id".into(), json!(id));
            aliases.insert(0, cve.to_string());
        }
        None => {
            out.insert("id".into(), json!(cve));
        }
    }
    let modified = [
        &meta.date_updated,
        &meta.date_rejected,
        &meta.date_published,
        &meta.date_reserved,
    ]
    .into_iter()
    .flatten()
    .find_map(|d| timestamp(d));
    // `modified` is required; a record without any date is dated at the epoch rather than now,
    // so that the output stays a pure function of the record.
    out.insert(
        "modified".into(),
        json!(
            modified
                .clone()
                .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
        ),
    );
    if let Some(p) = meta.date_published.as_deref().and_then(timestamp) {
        out.insert("published".into(), json!(p));
    }
    aliases.dedup();
    if !aliases.is_empty() {
        out.insert("aliases".into(), json!(aliases));
    }

    if record.is_rejected() {
        let withdrawn = meta
            .date_rejected
            .as_deref()
            .and_then(timestamp)
            .or_else(|| modified.clone());
        out.insert(
            "withdrawn".into(),
            json!(withdrawn.unwrap_or_else(|| "1970-01-01T00:00:00Z".into())),
        );
        let reason = c
            .rejected_reasons
            .iter()
            .flatten()
            .find(|d| crate::cve5::model::is_english(&d.lang));
        if let Some(r) = reason {
            out.insert("details".into(), json!(r.value.trim()));
        }
        if let Some(ids) = &c.replaced_by {
            out.insert("related".into(), json!(ids));
        }
        return Value::Object(out);
    }

    if let Some(t) = c.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        out.insert("summary".into(), json!(t));
    }
    if let Some(d) = c.english_description() {
        out.insert("details".into(), json!(d.value.trim()));
    }
    let severity: Vec<Value> = c
        .cvss()
        .filter_map(|(key, cvss)| {
            let kind = match key {
                "cvssV4_0" => "CVSS_V4",
                "cvssV3_1" | "cvssV3_0" => "CVSS_V3",
                _ => "CVSS_V2",
            };
            // Only vectors that parse: OSV validates their shape.
            crate::cve5::lint::score_vector(key, &cvss.vector_string).ok()?;
            Some(json!({ "type": kind, "score": cvss.vector_string }))
        })
        .collect();
    if !severity.is_empty() {
        out.insert("severity".into(), Value::Array(severity));
    }
    let affected: Vec<Value> = c.products().iter().map(|p| affected(p, hints)).collect();
    if !affected.is_empty() {
        out.insert("affected".into(), Value::Array(affected));
    }
    let references: Vec<Value> = c
        .reference_list()
        .iter()
        .map(|r| json!({ "type": reference_type(r.tags.as_deref().unwrap_or_default()), "url": r.url.trim() }))
        .collect();
    if !references.is_empty() {
        out.insert("references".into(), Value::Array(references));
    }
    let credits: Vec<Value> = c
        .credits
        .iter()
        .flatten()
        .filter(|cr| !cr.value.trim().is_empty())
        .map(|cr| json!({ "name": cr.value.trim(), "type": credit_type(cr.kind.as_deref()) }))
        .collect();
    if !credits.is_empty() {
        out.insert("credits".into(), Value::Array(credits));
    }
    let mut db = Map::new();
    if let Some(s) = c.textual_severity() {
        db.insert("severity".into(), json!(s));
    }
    let cwes = c.cwe_ids();
    if !cwes.is_empty() {
        db.insert("cwe_ids".into(), json!(cwes));
    }
    if let Some(cna) = &meta.assigner_short_name {
        db.insert("cna".into(), json!(cna));
    }
    if !db.is_empty() {
        out.insert("database_specific".into(), Value::Object(db));
    }
    Value::Object(out)
}

/// OSV wants RFC 3339 UTC with a `Z`; CVE records sometimes omit the zone.
fn timestamp(s: &str) -> Option<String> {
    let t = s.parse::<jiff::Timestamp>().ok().or_else(|| {
        s.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })?;
    Some(t.to_string())
}

/// The package a CVE product is, if we know its ecosystem.
fn package(p: &Product, hints: &EcosystemHints) -> Option<(String, String)> {
    let names = [p.product.as_deref(), p.package_name.as_deref()];
    if let Some(h) = hints
        .packages
        .iter()
        .find(|h| names.contains(&Some(h.product.as_str())))
    {
        return Some((h.ecosystem.clone(), h.name.clone()));
    }
    coordinates_package(p).or_else(|| purl_package(p))
}

/// The package of `collectionURL` and `packageName`, when the repository is one OSV knows.
fn coordinates_package(p: &Product) -> Option<(String, String)> {
    let url = p.collection_url.as_deref()?.to_ascii_lowercase();
    let name = p.package_name.as_deref()?.trim();
    let ecosystem = if url.contains("repo.maven.apache.org/maven2")
        || url.contains("repo1.maven.org/maven2")
        || url.contains("central.sonatype")
    {
        // Maven packages are groupId:artifactId; anything else is not a Maven coordinate.
        let (group, artifact) = name.split_once(':')?;
        if group.is_empty() || artifact.is_empty() || artifact.contains(':') {
            return None;
        }
        "Maven"
    } else if url.contains("pypi.org") || url.contains("pypi.python.org") {
        "PyPI"
    } else if url.contains("npmjs.org") || url.contains("npmjs.com") {
        "npm"
    } else if url.contains("pkg.go.dev") || url.contains("proxy.golang.org") {
        // The Go vulnerability database files standard-library packages under "stdlib".
        if p.vendor.as_deref() == Some("Go standard library") {
            return Some(("Go".into(), "stdlib".into()));
        }
        "Go"
    } else if url.contains("crates.io") {
        "crates.io"
    } else if url.contains("rubygems.org") {
        "RubyGems"
    } else if url.contains("nuget.org") {
        "NuGet"
    } else if url.contains("packagist.org") {
        "Packagist"
    } else {
        return None;
    };
    Some((ecosystem.to_string(), name.to_string()))
}

/// The package of a `packageURL` (CVE JSON 5.2), when its type is an ecosystem OSV knows.
fn purl_package(p: &Product) -> Option<(String, String)> {
    let purl: packageurl::PackageUrl = p.package_url.as_deref()?.trim().parse().ok()?;
    let (ecosystem, separator) = match purl.ty() {
        "maven" => ("Maven", ":"),
        "pypi" => ("PyPI", "/"),
        "npm" => ("npm", "/"),
        "golang" => ("Go", "/"),
        "cargo" => ("crates.io", "/"),
        "gem" => ("RubyGems", "/"),
        "nuget" => ("NuGet", "/"),
        "composer" => ("Packagist", "/"),
        _ => return None,
    };
    let name = match purl.namespace() {
        Some(ns) => format!("{ns}{separator}{}", purl.name()),
        None => purl.name().to_string(),
    };
    Some((ecosystem.to_string(), name))
}

fn affected(p: &Product, hints: &EcosystemHints) -> Value {
    let pkg = package(p, hints);
    let mut out = Map::new();
    if let Some((ecosystem, name)) = &pkg {
        let mut package = json!({ "ecosystem": ecosystem, "name": name });
        // OSV's purl, like CVE JSON 5.2's packageURL, names no version.
        if let Some(purl) = p
            .package_url
            .as_deref()
            .and_then(|u| embargo_domain::record::versionless_purl(u).ok())
        {
            package["purl"] = json!(purl);
        }
        out.insert("package".into(), package);
    }
    let mut ranges = Vec::new();
    let mut versions = Vec::new();
    let mut unconverted = Vec::new();
    for v in p
        .versions
        .iter()
        .flatten()
        .filter(|v| v.status == Status::Affected)
    {
        match range(v, pkg.is_some()) {
            Some(Converted::Range(r)) => ranges.push(r),
            Some(Converted::Version(s)) => versions.push(json!(s)),
            None => unconverted.push(serde_json::to_value(v).unwrap_or(Value::Null)),
        }
    }
    if !ranges.is_empty() {
        out.insert("ranges".into(), Value::Array(ranges));
    }
    if !versions.is_empty() {
        out.insert("versions".into(), Value::Array(versions));
    }
    let mut db = Map::new();
    if pkg.is_none() {
        // Who the product is, since OSV has no package for it.
        for (k, v) in [
            ("vendor", &p.vendor),
            ("product", &p.product),
            ("collectionURL", &p.collection_url),
            ("packageName", &p.package_name),
            ("packageURL", &p.package_url),
        ] {
            if let Some(v) = v {
                db.insert(k.into(), json!(v));
            }
        }
        if let Some(cpes) = &p.cpes {
            db.insert("cpes".into(), json!(cpes));
        }
    }
    if !unconverted.is_empty() {
        db.insert("cve_versions".into(), Value::Array(unconverted));
    }
    if let Some(s) = p.default_status {
        db.insert("default_status".into(), json!(s));
    }
    if !db.is_empty() {
        out.insert("database_specific".into(), Value::Object(db));
    }
    Value::Object(out)
}

enum Converted {
    Range(Value),
    Version(String),
}

/// One CVE version entry as an OSV range, an exact version, or `None` when it cannot
/// be said in OSV terms without guessing.
fn range(v: &Version, ecosystem: bool) -> Option<Converted> {
    let first = v.version.trim();
    let git = v.version_type.as_deref() == Some("git");
    if git || !(first == "0" || looks_like_version(first)) || first.contains([' ', ',', '<', '>']) {
        return None;
    }
    let Some((bound, inclusive)) = v.upper() else {
        // A single affected version: only an ecosystem gives it a meaning to match on.
        return ecosystem.then(|| Converted::Version(first.to_string()));
    };
    let bound = bound.trim();
    let open = bound == "*";
    if !open && (!looks_like_version(bound) || bound.contains([' ', ',', '*'])) {
        return None;
    }
    let kind = if ecosystem {
        "ECOSYSTEM"
    } else if (first == "0" || is_semver(first)) && (open || is_semver(bound)) {
        "SEMVER"
    } else {
        return None;
    };
    let mut events = vec![json!({ "introduced": first })];
    if !open {
        events.push(if inclusive {
            json!({ "last_affected": bound })
        } else {
            json!({ "fixed": bound })
        });
    }
    // Status changes inside a range: a version from which the product is unaffected is a fix.
    if !inclusive {
        for ch in v
            .changes
            .iter()
            .flatten()
            .filter(|c| c.status == Status::Unaffected)
        {
            events.push(json!({ "fixed": ch.at.trim() }));
        }
    }
    Some(Converted::Range(json!({ "type": kind, "events": events })))
}

/// CVE reference tags to OSV reference types.
fn reference_type(tags: &[String]) -> &'static str {
    let has = |t: &str| tags.iter().any(|x| x == t);
    if has("vendor-advisory") || has("third-party-advisory") || has("government-resource") {
        "ADVISORY"
    } else if has("patch") {
        "FIX"
    } else if has("issue-tracking") {
        "REPORT"
    } else if has("exploit") {
        "EVIDENCE"
    } else if has("mailing-list") {
        "DISCUSSION"
    } else if has("technical-description") || has("media-coverage") {
        "ARTICLE"
    } else if has("product") {
        "PACKAGE"
    } else {
        "WEB"
    }
}

fn credit_type(kind: Option<&str>) -> &'static str {
    match kind.unwrap_or("finder") {
        "finder" => "FINDER",
        "reporter" => "REPORTER",
        "analyst" => "ANALYST",
        "coordinator" => "COORDINATOR",
        "remediation developer" => "REMEDIATION_DEVELOPER",
        "remediation reviewer" => "REMEDIATION_REVIEWER",
        "remediation verifier" => "REMEDIATION_VERIFIER",
        "tool" => "TOOL",
        "sponsor" => "SPONSOR",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cna: Value) -> CveRecord {
        serde_json::from_value(json!({
            "dataType": "CVE_RECORD", "dataVersion": "5.1",
            "cveMetadata": { "cveId": "CVE-2024-47561", "assignerOrgId": "f0158376-9dc2-43b6-827c-5f631a4d8d09", "state": "PUBLISHED", "datePublished": "2024-10-03T10:13:48.851Z", "dateUpdated": "2024-10-03T13:30:33.540Z" },
            "containers": { "cna": cna }
        }))
        .unwrap()
    }

    #[test]
    fn maven_central_gives_a_maven_package() {
        let r = record(json!({
            "providerMetadata": { "orgId": "f0158376-9dc2-43b6-827c-5f631a4d8d09" },
            "affected": [{ "vendor": "Apache Software Foundation", "product": "Apache Avro Java SDK",
                "collectionURL": "https://repo.maven.apache.org/maven2", "packageName": "org.apache.avro:avro",
                "versions": [{ "status": "affected", "version": "0", "lessThan": "1.11.4", "versionType": "maven" },
                             { "status": "affected", "version": "1.12.0", "lessThanOrEqual": "1.12.1", "versionType": "maven" }] }],
            "references": [{ "url": "https://lists.apache.org/thread/x", "tags": ["vendor-advisory"] }],
            "credits": [{ "lang": "en", "value": "Kostya", "type": "remediation developer" }],
        }));
        let o = from_cve(&r, &EcosystemHints::default());
        assert_eq!(o["id"], "CVE-2024-47561");
        assert_eq!(o["modified"], "2024-10-03T13:30:33.54Z");
        assert_eq!(
            o["affected"][0]["package"],
            json!({ "ecosystem": "Maven", "name": "org.apache.avro:avro" })
        );
        assert_eq!(
            o["affected"][0]["ranges"][0],
            json!({ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "1.11.4" }] })
        );
        assert_eq!(
            o["affected"][0]["ranges"][1]["events"][1],
            json!({ "last_affected": "1.12.1" })
        );
        assert_eq!(o["references"][0]["type"], "ADVISORY");
        assert_eq!(o["credits"][0]["type"], "REMEDIATION_DEVELOPER");
    }

    #[test]
    fn hints_name_packages_and_ids() {
        let r = record(json!({
            "providerMetadata": { "orgId": "x" },
            "affected": [{ "vendor": "Apache Software Foundation", "product": "Apache Kafka",
                "versions": [{ "status": "affected", "version": "2.0", "lessThan": "3.7.1", "versionType": "semver" }] },
                { "vendor": "Linux", "product": "Linux", "versions": [{ "status": "affected", "version": "1c325aac10a8", "lessThan": "3cde714b0e77", "versionType": "git" }] }],
        }));
        let hints = EcosystemHints {
            id: Some("x_ASF-2024-0001".into()),
            aliases: vec!["GHSA-aaaa-bbbb-cccc".into()],
            packages: vec![PackageHint {
                product: "Apache Kafka".into(),
                ecosystem: "Maven".into(),
                name: "org.apache.kafka:kafka-clients".into(),
            }],
        };
        let o = from_cve(&r, &hints);
        assert_eq!(o["id"], "x_ASF-2024-0001");
        assert_eq!(
            o["aliases"],
            json!(["CVE-2024-47561", "GHSA-aaaa-bbbb-cccc"])
        );
        assert_eq!(
            o["affected"][0]["package"]["name"],
            "org.apache.kafka:kafka-clients"
        );
        // Abbreviated git hashes are not OSV GIT ranges: kept verbatim instead.
        assert!(o["affected"][1].get("ranges").is_none());
        assert_eq!(
            o["affected"][1]["database_specific"]["cve_versions"][0]["version"],
            "1c325aac10a8"
        );
    }

    /// A product named by its package URL alone (CVE JSON 5.2) is that ecosystem's
    /// package, with the purl; each product is its own entry.
    #[test]
    fn a_package_url_gives_the_package() {
        let r = record(json!({
            "providerMetadata": { "orgId": "x" },
            "affected": [
                { "vendor": "Apache Software Foundation", "product": "Apache ActiveMQ",
                  "packageURL": "pkg:maven/org.apache.activemq/activemq-client",
                  "versions": [{ "status": "affected", "version": "5.18.0", "lessThan": "5.18.3", "versionType": "maven" }] },
                { "vendor": "Apache Software Foundation", "product": "Apache ActiveMQ Legacy OpenWire Module",
                  "packageURL": "pkg:maven/org.apache.activemq/activemq-openwire-legacy",
                  "versions": [{ "status": "affected", "version": "5.8.0", "lessThan": "5.15.16", "versionType": "maven" }] },
                { "vendor": "Apache Software Foundation", "product": "Apache ActiveMQ NMS",
                  "packageURL": "pkg:nuget/Apache.NMS.ActiveMQ" , "defaultStatus": "affected" },
            ],
        }));
        let o = from_cve(&r, &EcosystemHints::default());
        assert_eq!(
            o["affected"][0]["package"],
            json!({ "ecosystem": "Maven", "name": "org.apache.activemq:activemq-client", "purl": "pkg:maven/org.apache.activemq/activemq-client" })
        );
        assert_eq!(
            o["affected"][1]["package"]["name"],
            "org.apache.activemq:activemq-openwire-legacy"
        );
        assert_eq!(
            o["affected"][2]["package"],
            json!({ "ecosystem": "NuGet", "name": "Apache.NMS.ActiveMQ", "purl": "pkg:nuget/Apache.NMS.ActiveMQ" })
        );
    }
}
