//! CSAF 2.0 (OASIS Common Security Advisory Framework) from a CVE record: one
//! `csaf_security_advisory` per published CVE, the provider's
//! `/.well-known/csaf/provider-metadata.json`, and the file names and year folders a
//! CSAF aggregator expects.
//!
//! Written to pass the schema and the mandatory tests of CSAF 2.0 section 6.1 (checked
//! with the BSI's `@secvisogram/csaf-validator-lib` in `tests/corpus.rs`), which shapes
//! a few choices: ranges are `product_version_range` branches (test 6.1.31 forbids
//! range words in `product_version`); CVSS scores are recomputed from the vector (6.1.9);
//! only the vector, version and base score are copied (6.1.10); and a `cwe` is given
//! only with its official name from a [`CweNames`] catalogue (6.1.11), since CVE
//! records often carry an older CWE name.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::FormatError;
use crate::cve5::model::{CveRecord, Product, Status, Version, is_english};

/// Who issues the advisories (`document.publisher`).
#[derive(Debug, Clone)]
pub struct Publisher {
    /// "vendor" for an organisation publishing about its own projects; also
    /// "coordinator", "discoverer", "translator", "user", "other".
    pub category: String,
    /// e.g. "Apache Software Foundation".
    pub name: String,
    /// The publisher's web site, e.g. `https://www.apache.org`.
    pub namespace: String,
    /// How to reach the security team.
    pub contact_details: Option<String>,
    /// e.g. "Apache Software Foundation security team, a CVE Numbering Authority".
    pub issuing_authority: Option<String>,
    /// Where the advisories are served, e.g. `https://security.example.org/.well-known/csaf/white/`;
    /// gives each document its `self` reference.
    pub advisories_url: Option<String>,
}

/// Official CWE names by id ("CWE-79" → "Improper Neutralization of ..."), so that a
/// CSAF `cwe` carries the name the validators expect.
#[derive(Debug, Clone, Default)]
pub struct CweNames(BTreeMap<String, String>);

impl CweNames {
    /// A catalogue from (id, name) pairs.
    pub fn from_pairs<I, A, B>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<String>,
        B: Into<String>,
    {
        Self(
            pairs
                .into_iter()
                .map(|(a, b)| (a.into(), b.into()))
                .collect(),
        )
    }

    /// The official name of `id`.
    pub fn get(&self, id: &str) -> Option<&str> {
        self.0.get(id).map(String::as_str)
    }
}

/// The advisory for a published record, without structured CWE (see [`from_cve_with`]).
pub fn from_cve(record: &CveRecord, publisher: &Publisher) -> Result<Value, FormatError> {
    from_cve_with(record, publisher, &CweNames::default())
}

/// The advisory for a published record; `cwes` supplies official CWE names. A REJECTED
/// record has no advisory.
pub fn from_cve_with(
    record: &CveRecord,
    publisher: &Publisher,
    cwes: &CweNames,
) -> Result<Value, FormatError> {
    let meta = &record.cve_metadata;
    if record.is_rejected() {
        return Err(FormatError::Rejected {
            cve: meta.cve_id.clone(),
            format: "CSAF",
        });
    }
    let c = record.cna();
    let cve = meta.cve_id.as_str();
    let published = [
        &meta.date_published,
        &c.date_public,
        &meta.date_updated,
        &meta.date_reserved,
    ]
    .into_iter()
    .flatten()
    .find_map(|d| timestamp(d))
    .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let updated = meta
        .date_updated
        .as_deref()
        .and_then(timestamp)
        .filter(|u| *u >= published)
        .unwrap_or_else(|| published.clone());
    let title = c
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(cve);
    let description = c
        .english_description()
        .map(|d| d.value.trim().to_string())
        .unwrap_or_else(|| title.to_string());

    let tree = ProductTree::build(c.products());

    let mut publisher_json = json!({ "category": publisher.category, "name": publisher.name, "namespace": publisher.namespace });
    if let Some(d) = &publisher.contact_details {
        publisher_json["contact_details"] = json!(d);
    }
    if let Some(a) = &publisher.issuing_authority {
        publisher_json["issuing_authority"] = json!(a);
    }
    let mut doc_refs = vec![
        json!({ "category": "external", "summary": format!("CVE record {cve}"), "url": crate::cve5::cve_org_url_str(cve) }),
    ];
    if let Some(base) = &publisher.advisories_url {
        let url = format!(
            "{}/{}",
            base.trim_end_matches('/'),
            advisory_path(cve, &published)
        );
        doc_refs.insert(
            0,
            json!({ "category": "self", "summary": "This advisory", "url": url }),
        );
    }
    let mut document = json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": "en",
        "title": title,
        "publisher": publisher_json,
        "tracking": {
            "id": cve,
            "status": "final",
            "version": "1",
            "revision_history": [{ "date": published, "number": "1", "summary": "Initial release" }],
            "initial_release_date": published,
            "current_release_date": updated,
            "generator": { "engine": { "name": "Embargo", "version": env!("CARGO_PKG_VERSION") } },
        },
        "notes": [{ "category": "summary", "title": "Description", "text": description }],
        "references": doc_refs,
    });
    if let Some(s) = c.textual_severity() {
        document["aggregate_severity"] = json!({ "text": s });
    }

    let mut vuln = Map::new();
    vuln.insert("cve".into(), json!(cve));
    if let Some(id) = c.cwe_ids().into_iter().find(|id| cwes.get(id).is_some())
        && let Some(name) = cwes.get(id)
    {
        vuln.insert("cwe".into(), json!({ "id": id, "name": name }));
    }
    vuln.insert("title".into(), json!(title));
    let mut notes =
        vec![json!({ "category": "description", "title": "Description", "text": description })];
    let problems: Vec<&str> = c
        .problem_types
        .iter()
        .flatten()
        .flat_map(|p| &p.descriptions)
        .filter(|d| is_english(&d.lang))
        .map(|d| d.description.trim())
        .collect();
    if !problems.is_empty() {
        notes.push(
            json!({ "category": "details", "title": "Problem types", "text": problems.join("\n") }),
        );
    }
    vuln.insert("notes".into(), Value::Array(notes));
    if let Some(d) = [&c.date_public, &meta.date_published]
        .into_iter()
        .flatten()
        .find_map(|d| timestamp(d))
    {
        vuln.insert("release_date".into(), json!(d));
    }
    vuln.insert("product_status".into(), tree.product_status());
    let remediations = tree.remediations(c);
    if !remediations.is_empty() {
        vuln.insert("remediations".into(), Value::Array(remediations));
    }
    let scores = scores(c, &tree.affected_ids());
    if !scores.is_empty() {
        vuln.insert("scores".into(), Value::Array(scores));
    }
    let acks: Vec<Value> = c
        .credits
        .iter()
        .flatten()
        .filter(|cr| !cr.value.trim().is_empty())
        .map(|cr| match &cr.kind {
            Some(k) => json!({ "names": [cr.value.trim()], "summary": k }),
            None => json!({ "names": [cr.value.trim()] }),
        })
        .collect();
    if !acks.is_empty() {
        vuln.insert("acknowledgments".into(), Value::Array(acks));
    }
    let refs: Vec<Value> = c
        .reference_list()
        .iter()
        .map(|r| json!({ "category": "external", "summary": r.name.as_deref().unwrap_or(&r.url).trim(), "url": r.url.trim() }))
        .collect();
    if !refs.is_empty() {
        vuln.insert("references".into(), Value::Array(refs));
    }

    Ok(json!({
        "document": document,
        "product_tree": { "branches": tree.branches },
        "vulnerabilities": [Value::Object(vuln)],
    }))
}

/// The CSAF file name for a tracking id (CSAF 2.0 section 5.1): lower case, every run of
/// characters other than `a-z`, `0-9`, `+`, `-` replaced by one `_`, then `.json`.
pub fn file_name(tracking_id: &str) -> String {
    let mut out = String::new();
    let mut in_run = false;
    for ch in tracking_id.to_lowercase().chars() {
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '+' || ch == '-' {
            out.push(ch);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out.push_str(".json");
    out
}

/// Where a document lives under the distribution directory (section 7.1.11):
/// `<year of initial release>/<file name>`, e.g. `2024/cve-2024-32114.json`.
pub fn advisory_path(tracking_id: &str, initial_release_date: &str) -> String {
    let year = initial_release_date
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("0000");
    format!("{year}/{}", file_name(tracking_id))
}

/// What `provider-metadata.json` says about the provider.
#[derive(Debug, Clone)]
pub struct ProviderMetadata {
    /// The metadata's own URL, ending in `/provider-metadata.json`.
    pub canonical_url: String,
    /// The TLP:WHITE distribution directory, e.g. `https://example.org/.well-known/csaf/white/`.
    pub directory_url: String,
    /// When the metadata last changed (RFC 3339).
    pub last_updated: String,
    /// "csaf_publisher", "csaf_provider" or "csaf_trusted_provider".
    pub role: String,
    /// OpenPGP keys that sign the advisories: (url, fingerprint).
    pub openpgp_keys: Vec<(String, Option<String>)>,
}

/// `/.well-known/csaf/provider-metadata.json` (CSAF 2.0 section 7.1.7).
pub fn provider_metadata(meta: &ProviderMetadata, publisher: &Publisher) -> Value {
    let mut publisher_json = json!({ "category": publisher.category, "name": publisher.name, "namespace": publisher.namespace });
    if let Some(d) = &publisher.contact_details {
        publisher_json["contact_details"] = json!(d);
    }
    if let Some(a) = &publisher.issuing_authority {
        publisher_json["issuing_authority"] = json!(a);
    }
    let mut out = json!({
        "canonical_url": meta.canonical_url,
        "distributions": [{ "directory_url": meta.directory_url }],
        "last_updated": meta.last_updated,
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": publisher_json,
        "role": meta.role,
    });
    if !meta.openpgp_keys.is_empty() {
        out["public_openpgp_keys"] = meta
            .openpgp_keys
            .iter()
            .map(|(url, fp)| match fp {
                Some(fp) => json!({ "url": url, "fingerprint": fp }),
                None => json!({ "url": url }),
            })
            .collect();
    }
    out
}

/// RFC 3339 UTC; CVE records sometimes omit the zone.
fn timestamp(s: &str) -> Option<String> {
    let t = s.parse::<jiff::Timestamp>().ok().or_else(|| {
        s.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })?;
    Some(t.to_string())
}

/// CSAF product status of a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Csaf {
    KnownAffected,
    Fixed,
    KnownNotAffected,
    UnderInvestigation,
}

impl Csaf {
    fn key(self) -> &'static str {
        match self {
            Self::KnownAffected => "known_affected",
            Self::Fixed => "fixed",
            Self::KnownNotAffected => "known_not_affected",
            Self::UnderInvestigation => "under_investigation",
        }
    }
}

/// A version leaf: branch category, branch name, status, fixed version, words for people.
type Leaf = (&'static str, String, Option<Csaf>, Option<String>, String);

/// A product's name, default status and version leaves.
type ProductLeaves = (String, Option<Status>, Vec<Leaf>);

/// The product tree being built, with each product id's status and fixed version.
struct ProductTree {
    branches: Vec<Value>,
    /// (product id, status, first fixed version if the range has one, product name).
    statuses: Vec<(String, Csaf, Option<String>, String)>,
}

impl ProductTree {
    fn build(products: &[Product]) -> Self {
        let mut tree = ProductTree {
            branches: Vec::new(),
            statuses: Vec::new(),
        };
        // vendor → product → leaves (category, name, status, fixed), in first-seen order.
        let mut vendors: Vec<(String, Vec<ProductLeaves>)> = Vec::new();
        for p in products {
            let vendor = p
                .vendor
                .clone()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| p.collection_url.clone())
                .unwrap_or_else(|| "unknown vendor".into());
            let name = p
                .product
                .clone()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| p.package_name.clone())
                .unwrap_or_else(|| "unknown product".into());
            let vi = match vendors.iter().position(|(v, _)| *v == vendor) {
                Some(i) => i,
                None => {
                    vendors.push((vendor, Vec::new()));
                    vendors.len() - 1
                }
            };
            let list = &mut vendors[vi].1;
            let pi = match list.iter().position(|(n, _, _)| *n == name) {
                Some(i) => i,
                None => {
                    list.push((name, p.default_status, Vec::new()));
                    list.len() - 1
                }
            };
            let leaves = &mut list[pi].2;
            for v in p.versions.iter().flatten() {
                // Abbreviated git hashes name commits, not versions anyone installs.
                if v.version_type.as_deref() == Some("git") {
                    continue;
                }
                let (category, leaf_name) = leaf(v);
                let status = match v.status {
                    Status::Affected => Some(Csaf::KnownAffected),
                    Status::Unaffected => Some(Csaf::KnownNotAffected),
                    Status::Unknown => None,
                };
                let fixed = match (&v.less_than, v.status) {
                    (Some(lt), Status::Affected) if plain_version(lt) => {
                        Some(lt.trim().to_string())
                    }
                    _ => None,
                };
                push_leaf(
                    leaves,
                    (category, leaf_name, status, fixed.clone(), describe(v)),
                );
                if let Some(f) = fixed {
                    push_leaf(
                        leaves,
                        ("product_version", f.clone(), Some(Csaf::Fixed), None, f),
                    );
                }
            }
        }
        let mut n = 0;
        let mut next_id = || {
            n += 1;
            format!("CSAFPID-{n:04}")
        };
        for (vendor, products) in vendors {
            let mut product_branches = Vec::new();
            for (name, default_status, leaves) in products {
                if leaves.is_empty() {
                    // No versions: the product itself, with its default status.
                    let id = next_id();
                    let status = match default_status {
                        Some(Status::Affected) => Csaf::KnownAffected,
                        Some(Status::Unaffected) => Csaf::KnownNotAffected,
                        _ => Csaf::UnderInvestigation,
                    };
                    tree.statuses.push((id.clone(), status, None, name.clone()));
                    product_branches.push(json!({ "category": "product_name", "name": name, "product": { "name": name, "product_id": id } }));
                    continue;
                }
                let mut leaf_branches = Vec::new();
                for (category, leaf_name, status, fixed, human) in leaves {
                    let id = next_id();
                    let full = format!("{name} {human}");
                    if let Some(s) = status {
                        tree.statuses.push((id.clone(), s, fixed, name.clone()));
                    }
                    leaf_branches.push(json!({ "category": category, "name": leaf_name, "product": { "name": full, "product_id": id } }));
                }
                product_branches.push(
                    json!({ "category": "product_name", "name": name, "branches": leaf_branches }),
                );
            }
            tree.branches.push(
                json!({ "category": "vendor", "name": vendor, "branches": product_branches }),
            );
        }
        tree
    }

    fn affected_ids(&self) -> Vec<String> {
        self.statuses
            .iter()
            .filter(|s| s.1 == Csaf::KnownAffected)
            .map(|s| s.0.clone())
            .collect()
    }

    fn product_status(&self) -> Value {
        let mut out = Map::new();
        for status in [
            Csaf::KnownAffected,
            Csaf::Fixed,
            Csaf::KnownNotAffected,
            Csaf::UnderInvestigation,
        ] {
            let ids: Vec<&str> = self
                .statuses
                .iter()
                .filter(|s| s.1 == status)
                .map(|s| s.0.as_str())
                .collect();
            if !ids.is_empty() {
                out.insert(status.key().into(), json!(ids));
            }
        }
        Value::Object(out)
    }

    /// A vendor fix per fixed version, then the record's own solutions and workarounds.
    fn remediations(&self, c: &crate::cve5::model::CnaContainer) -> Vec<Value> {
        let mut out = Vec::new();
        let mut by_fix: Vec<(String, Vec<String>)> = Vec::new();
        for (id, status, fixed, name) in &self.statuses {
            if *status != Csaf::KnownAffected {
                continue;
            }
            if let Some(f) = fixed {
                let details = format!("Upgrade {name} to {f} or later.");
                match by_fix.iter_mut().find(|(d, _)| *d == details) {
                    Some((_, ids)) => ids.push(id.clone()),
                    None => by_fix.push((details, vec![id.clone()])),
                }
            }
        }
        for (details, ids) in by_fix {
            out.push(json!({ "category": "vendor_fix", "details": details, "product_ids": ids }));
        }
        let affected = self.affected_ids();
        // 6.1.29: a remediation must name products; with none affected there is nothing to remedy.
        if affected.is_empty() {
            return out;
        }
        let text = |list: &Option<Vec<crate::cve5::model::Description>>| {
            list.iter()
                .flatten()
                .filter(|d| is_english(&d.lang))
                .map(|d| d.value.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        let solutions = text(&c.solutions);
        if !solutions.is_empty() {
            let category = if out.is_empty() {
                "mitigation"
            } else {
                "vendor_fix"
            };
            out.push(
                json!({ "category": category, "details": solutions, "product_ids": affected }),
            );
        }
        let workarounds = text(&c.workarounds);
        if !workarounds.is_empty() {
            out.push(json!({ "category": "workaround", "details": workarounds, "product_ids": affected }));
        }
        out
    }
}

/// Adds a leaf unless one of that name exists (the first status wins: 6.1.6 forbids one
/// product in contradicting groups).
fn push_leaf(leaves: &mut Vec<Leaf>, leaf: Leaf) {
    if !leaves.iter().any(|l| l.0 == leaf.0 && l.1 == leaf.1) {
        leaves.push(leaf);
    }
}

/// A range in the ASF announcement's words: "6.0.0 through 6.1.1", "before 1.11.4".
fn describe(v: &Version) -> String {
    let first = v.version.trim();
    let from = (first != "0" && !first.is_empty()).then_some(first);
    match (from, v.upper()) {
        (_, None) => first.to_string(),
        (None, Some(("*", _))) => "all versions".into(),
        (Some(f), Some(("*", _))) => format!("{f} and later"),
        (None, Some((b, false))) => format!("before {b}"),
        (None, Some((b, true))) => format!("through {b}"),
        (Some(f), Some((b, false))) => format!("{f} before {b}"),
        (Some(f), Some((b, true))) => format!("{f} through {b}"),
    }
}

/// A version string that is one version (no range words, spaces or lists).
fn plain_version(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && v != "*"
        && !v.contains([' ', ',', '<', '>', '*'])
        && ![
            "after", "all", "before", "earlier", "later", "prior", "versions",
        ]
        .iter()
        .any(|w| v.to_ascii_lowercase().contains(w))
}

/// The branch for one CVE version entry: a `product_version`, or a `product_version_range`
/// in `vers` notation (`vers:semver/>=6.0.0|<=6.1.1`).
fn leaf(v: &Version) -> (&'static str, String) {
    let first = v.version.trim();
    let Some((bound, inclusive)) = v.upper() else {
        return if plain_version(first) {
            ("product_version", first.to_string())
        } else {
            ("product_version_range", first.to_string())
        };
    };
    // As a lower bound "3.21.x" is the start of the 3.21 line; vers has no wildcards.
    let stripped = first
        .trim_end_matches(['x', 'X', '*'])
        .trim_end_matches('.');
    let first = if stripped.len() < first.len() && !stripped.is_empty() {
        let mut parts: Vec<&str> = stripped.split('.').collect();
        while parts.len() < 3 {
            parts.push("0");
        }
        parts.join(".")
    } else {
        first.to_string()
    };
    let first = first.as_str();
    let scheme = match v.version_type.as_deref() {
        Some("semver") => "semver",
        Some("maven") => "maven",
        Some("python") => "pypi",
        Some("rpm") => "rpm",
        Some("npm") => "npm",
        _ => "generic",
    };
    let bound = bound.trim();
    let mut constraints = Vec::new();
    if first != "0" && !first.is_empty() {
        constraints.push(format!(">={first}"));
    }
    if bound != "*" {
        constraints.push(format!("{}{bound}", if inclusive { "<=" } else { "<" }));
    }
    if constraints.is_empty() {
        constraints.push("*".into());
    }
    (
        "product_version_range",
        format!("vers:{scheme}/{}", constraints.join("|")),
    )
}

/// CVSS v3 (and v2) scores for the affected products, recomputed from the vector so
/// that the score always matches it (6.1.9). CSAF 2.0 has no CVSS v4 field.
fn scores(c: &crate::cve5::model::CnaContainer, affected: &[String]) -> Vec<Value> {
    if affected.is_empty() {
        return Vec::new();
    }
    let mut score = Map::new();
    score.insert("products".into(), json!(affected));
    // One v3 score per product (6.1.7): 3.1 preferred over 3.0.
    let v3 = c
        .cvss()
        .find(|(k, _)| *k == "cvssV3_1")
        .or_else(|| c.cvss().find(|(k, _)| *k == "cvssV3_0"));
    if let Some((key, cvss)) = v3
        && let Ok((value, severity)) = crate::cve5::lint::score_vector(key, &cvss.vector_string)
    {
        let version = if key == "cvssV3_1" { "3.1" } else { "3.0" };
        score.insert("cvss_v3".into(), json!({ "version": version, "vectorString": cvss.vector_string, "baseScore": value, "baseSeverity": severity }));
    }
    if let Some((key, cvss)) = c.cvss().find(|(k, _)| *k == "cvssV2_0")
        && let Ok((value, _)) = crate::cve5::lint::score_vector(key, &cvss.vector_string)
    {
        score.insert(
            "cvss_v2".into(),
            json!({ "version": "2.0", "vectorString": cvss.vector_string, "baseScore": value }),
        );
    }
    if score.len() == 1 {
        return Vec::new();
    }
    vec![Value::Object(score)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_section_5_1() {
        assert_eq!(file_name("CVE-2024-32114"), "cve-2024-32114.json");
        assert_eq!(file_name("2022_#01-A"), "2022_01-a.json");
        assert_eq!(
            file_name("Example Company - 2019-YH3234"),
            "example_company_-_2019-yh3234.json"
        );
        assert_eq!(file_name("RHBA-2019:0024"), "rhba-2019_0024.json");
        assert_eq!(
            advisory_path("CVE-2024-32114", "2024-05-02T08:29:18.219Z"),
            "2024/cve-2024-32114.json"
        );
    }

    #[test]
    fn ranges_become_vers() {
        let v = |version: &str, lt: Option<&str>, le: Option<&str>, t: &str| Version {
            version: version.into(),
            status: Status::Affected,
            version_type: Some(t.into()),
            less_than: lt.map(Into::into),
            less_than_or_equal: le.map(Into::into),
            changes: None,
            extra: Default::default(),
        };
        assert_eq!(
            leaf(&v("6.0.0", None, Some("6.1.1"), "semver")).1,
            "vers:semver/>=6.0.0|<=6.1.1"
        );
        assert_eq!(
            leaf(&v("0", Some("1.11.4"), None, "maven")).1,
            "vers:maven/<1.11.4"
        );
        assert_eq!(
            leaf(&v("2", None, Some("*"), "8.0.0 to 9.2.0")).1,
            "vers:generic/>=2"
        );
        assert_eq!(
            leaf(&v("3.21.x", None, Some("3.21.3"), "semver")).1,
            "vers:semver/>=3.21.0|<=3.21.3"
        );
        assert_eq!(
            describe(&v("3.21.x", None, Some("3.21.3"), "semver")),
            "3.21.x through 3.21.3"
        );
        assert_eq!(
            describe(&v("0", Some("1.11.4"), None, "maven")),
            "before 1.11.4"
        );
        assert_eq!(
            leaf(&v("< 34.3.1", None, None, "x")).0,
            "product_version_range"
        );
        assert_eq!(
            leaf(&v("2.4.47", None, None, "x")),
            ("product_version", "2.4.47".to_string())
        );
    }
}
