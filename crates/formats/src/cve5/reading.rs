//! The way back from CVE JSON 5: [`to_cna_record`] reads an imported or published
//! record into the [`CnaRecord`] the team edits, every product of it.
//!
//! What a record from elsewhere says beyond what a [`CnaRecord`] holds is dropped on
//! purpose, and listed in `tests/cna_round_trip.rs`: CVSS v2/v3.0 and other metrics
//! than the textual severity, problem types without a CWE id, non-English text,
//! configurations, exploits, impacts, ADP containers.

use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, CreditKind, Cwe, Reference, Severity, TimelineEntry,
    VersionChange, VersionRange, VersionStatus,
};

use super::model::{CveRecord, Status, is_english};

fn joined_english(d: Option<&Vec<super::model::Description>>) -> Option<String> {
    d.into_iter()
        .flatten()
        .filter(|d| is_english(&d.lang) && !d.value.trim().is_empty())
        .map(|d| d.value.trim().to_string())
        .reduce(|a, b| format!("{a}\n\n{b}"))
}

fn bound(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim())
        .filter(|s| !s.is_empty() && *s != "*")
        .map(str::to_string)
}

/// The record's content as the [`CnaRecord`] the team edits: title, English
/// description, every product (`product_of`), textual severity, CVSS v3.1 and v4.0
/// vectors, every CWE, solutions, workarounds, credits with their types, references
/// with their tags, the English timeline, and `datePublic`.
pub fn to_cna_record(record: &CveRecord) -> CnaRecord {
    let c = record.cna();
    let description = c
        .english_description()
        .map(|d| d.value.trim().to_string())
        .unwrap_or_default();
    let products = c.products().iter().map(product_of).collect();
    let vector = |key: &str| {
        c.metrics
            .iter()
            .flatten()
            .flat_map(|m| m.cvss())
            .find(|(k, _)| *k == key)
            .map(|(_, cvss)| cvss.vector_string.trim().to_string())
    };
    // Every CWE once, in the record's order, named in English where it says so.
    let mut cwes: Vec<Cwe> = Vec::new();
    for d in c
        .problem_types
        .iter()
        .flatten()
        .flat_map(|p| &p.descriptions)
    {
        let Some(id) = d.cwe_id.as_deref().map(str::trim) else {
            continue;
        };
        let name = d
            .description
            .trim()
            .strip_prefix(id)
            .unwrap_or(&d.description);
        let name = name.trim_start_matches([':', ' ']).trim().to_string();
        let name = (!name.is_empty() && is_english(&d.lang)).then_some(name);
        match cwes.iter_mut().find(|w| w.id == id) {
            Some(w) => w.name = w.name.take().or(name),
            None => cwes.push(Cwe {
                id: id.to_string(),
                name,
            }),
        }
    }
    let mut cwes = cwes.into_iter();
    let (cwe, cwe_name) = cwes.next().map_or((None, None), |w| (Some(w.id), w.name));
    let further_cwes = cwes.collect();
    let timeline = c
        .timeline
        .iter()
        .flatten()
        .filter(|t| is_english(&t.lang) && !t.value.trim().is_empty())
        .map(|t| TimelineEntry {
            time: t.time.trim().to_string(),
            value: t.value.trim().to_string(),
        })
        .collect();
    let credits = c
        .credits
        .iter()
        .flatten()
        .filter(|cr| is_english(&cr.lang) && !cr.value.trim().is_empty())
        .map(|cr| Credit {
            name: cr.value.trim().to_string(),
            // The schema's default type is "finder"; a type the record cannot name is "other".
            kind: cr.kind.as_deref().map_or(CreditKind::Finder, |k| {
                CreditKind::parse(k).unwrap_or(CreditKind::Other)
            }),
        })
        .collect();
    let references = c
        .reference_list()
        .iter()
        .map(|r| Reference {
            url: r.url.trim().to_string(),
            tags: r.tags.clone().unwrap_or_default(),
        })
        .collect();
    let date_public = c
        .date_public
        .as_deref()
        .and_then(|d| d.get(..10))
        .and_then(|d| d.parse().ok());
    CnaRecord {
        title: c.title.as_deref().map_or_else(
            || title_of(description.lines().next().unwrap_or_default()),
            |t| t.trim().to_string(),
        ),
        description,
        products,
        severity: c.textual_severity().and_then(|s| Severity::parse(s).ok()),
        cvss_v3_1: vector("cvssV3_1"),
        cvss_v4_0: vector("cvssV4_0"),
        cwe,
        cwe_name,
        further_cwes,
        mitigation: joined_english(c.solutions.as_ref()),
        workarounds: joined_english(c.workarounds.as_ref()),
        credits,
        references,
        date_public,
        timeline,
    }
}

/// One `affected[]` entry as the editor's product: vendor, name (the package name when
/// it has none), `collectionURL`/`packageName`, `packageURL`, `defaultStatus`, and its
/// ranges with their status, `lessThan`/`lessThanOrEqual`, `changes` and the first
/// `versionType`. A single affected version (no range) becomes "that version through
/// that version".
fn product_of(p: &super::model::Product) -> AffectedProduct {
    let versions: Vec<_> = p.versions.iter().flatten().collect();
    let ranges = versions
        .iter()
        .map(|v| {
            let fixed = bound(v.less_than.as_ref());
            let last = bound(v.less_than_or_equal.as_ref());
            let single = v.less_than.is_none() && v.less_than_or_equal.is_none();
            VersionRange {
                introduced: v.version.trim().to_string(),
                last_affected: if single && !matches!(v.version.trim(), "" | "0" | "*") {
                    Some(v.version.trim().to_string())
                } else if fixed.is_none() {
                    last
                } else {
                    None
                },
                fixed,
                status: status(v.status),
                changes: v
                    .changes
                    .iter()
                    .flatten()
                    .map(|c| VersionChange {
                        at: c.at.trim().to_string(),
                        status: status(c.status),
                    })
                    .collect(),
            }
        })
        .collect();
    let version_type = versions
        .iter()
        .find_map(|v| v.version_type.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    AffectedProduct {
        vendor: p.vendor.clone(),
        product: p
            .product
            .as_deref()
            .or(p.package_name.as_deref())
            .unwrap_or_default()
            .trim()
            .to_string(),
        collection_url: p.collection_url.clone(),
        package_name: p.package_name.clone(),
        package_url: p.package_url.clone(),
        version_type,
        versions: ranges,
        default_status: p.default_status.map(status),
    }
}

/// A title for a record that has none: its description's first line, shortened at a
/// word to the schema's 256 characters.
fn title_of(first_line: &str) -> String {
    let line = first_line.trim();
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line.to_string();
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS - 3).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}...", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// CVE JSON 5's longest title.
const MAX_TITLE_CHARS: usize = 256;

fn status(s: Status) -> VersionStatus {
    match s {
        Status::Affected => VersionStatus::Affected,
        Status::Unaffected => VersionStatus::Unaffected,
        Status::Unknown => VersionStatus::Unknown,
    }
}
