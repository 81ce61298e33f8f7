//! Round trip over every PUBLISHED CVE record in the corpus: import → [`to_cna_record`]
//! → [`container::build`] → compare the substance with the original.
//!
//! What must survive: title, English description, every product in order (vendor,
//! product, `collectionURL`/`packageName`, `packageURL`, `defaultStatus`), each one's
//! ranges with their status (affected, unaffected, unknown), bounds (`lessThan`,
//! `lessThanOrEqual`, a single version as "v through v") and `changes`, every CWE in
//! order, CVSS v3.1 and v4.0 vectors, the ASF textual severity, credits with their
//! types, references with their tags, solutions, workarounds, the English timeline,
//! `datePublic`.
//!
//! Genuine losses, because a [`CnaRecord`] is written by one team (the test counts
//! each and prints them; anything else lost fails the test):
//! - in a product, a `versionType` differing from its first range's; a product without
//!   `defaultStatus` is written with `unaffected`, one without a vendor with the CNA's;
//!   `cpes`, `modules`, `platforms`, `programFiles`, `programRoutines`, `repo`;
//! - an upper bound given twice (`lessThan` and `lessThanOrEqual`): `lessThan` wins;
//! - CVSS v2.0 and v3.0 metrics, `other` metrics that are not a textual severity the
//!   ASF scale knows, scenarios;
//! - problem types without a CWE id, and a CWE named twice (kept once);
//! - non-English text (timeline entries included), the HTML twin (`supportingMedia`,
//!   regenerated from the plain text), reference names, credit `user` ids;
//! - configurations, exploits, impacts, source, x_ fields; ADP containers (the CNA
//!   writes only its own container; `embargo cve import` keeps the whole record).
//!
//! REJECTED records have no content to round-trip (they say why in `rejectedReasons`);
//! `embargo cve import`/`export` keep them whole (`crates/embargo/tests/end_to_end/cve_cli.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use embargo_domain::ids::CveId;
use embargo_domain::record::{CnaRecord, Severity};
use embargo_formats::cve5::container::{self, Dates};
use embargo_formats::cve5::model::{CnaContainer, RecordState, Status, is_english};
use embargo_formats::cve5::{Cna, CveRecord, import, to_cna_record};
use jiff::Timestamp;

/// (version, lessThan, lessThanOrEqual, status, changes as (at, status)).
type Range = (
    String,
    Option<String>,
    Option<String>,
    Status,
    Vec<(String, Status)>,
);

/// What a product of a [`CnaRecord`] can carry, read from an `affected[]` entry.
#[derive(Debug, Clone, PartialEq)]
struct ProductSubstance {
    vendor: Option<String>,
    /// The product, or the package name when it has none.
    name: Option<String>,
    collection_url: Option<String>,
    package_name: Option<String>,
    package_url: Option<String>,
    ranges: Vec<Range>,
    default_status: Option<Status>,
    version_type: Option<String>,
}

/// What a [`CnaRecord`] can carry, read from a container.
#[derive(Debug, PartialEq)]
struct Substance {
    title: Option<String>,
    description: Option<String>,
    products: Vec<ProductSubstance>,
    cwes: Vec<String>,
    /// (time, English value).
    timeline: Vec<(String, String)>,
    vectors: Vec<(&'static str, String)>,
    severity: Option<String>,
    credits: Vec<(String, String)>,
    references: Vec<(String, Vec<String>)>,
    solutions: Option<String>,
    workarounds: Option<String>,
    date_public: Option<String>,
}

fn english(d: Option<&Vec<embargo_formats::cve5::model::Description>>) -> Option<String> {
    d.into_iter()
        .flatten()
        .filter(|d| is_english(&d.lang) && !d.value.trim().is_empty())
        .map(|d| d.value.trim().to_string())
        .reduce(|a, b| format!("{a}\n\n{b}"))
}

/// The substance of `c`, counting in `lost` what a [`CnaRecord`] cannot hold.
fn substance(c: &CnaContainer, lost: &mut BTreeMap<&'static str, usize>) -> Substance {
    let mut lose = |what: &'static str, n: usize| {
        if n > 0 {
            *lost.entry(what).or_default() += n;
        }
    };
    let products = c
        .products()
        .iter()
        .map(|p| product_substance(p, &mut lose))
        .collect();
    let mut cwes: Vec<String> = Vec::new();
    for d in c
        .problem_types
        .iter()
        .flatten()
        .flat_map(|p| &p.descriptions)
    {
        match d.cwe_id.as_deref().map(str::trim) {
            Some(id) if !cwes.iter().any(|w| w == id) => cwes.push(id.to_string()),
            Some(_) => lose("a CWE named twice", 1),
            None => lose("problem types without a CWE id", 1),
        }
    }
    let mut timeline = Vec::new();
    for t in c.timeline.iter().flatten() {
        if is_english(&t.lang) && !t.value.trim().is_empty() {
            timeline.push((t.time.trim().to_string(), t.value.trim().to_string()));
        } else {
            lose("non-English timeline entries", 1);
        }
    }
    let mut vectors = Vec::new();
    for m in c.metrics.iter().flatten() {
        for (key, cvss) in m.cvss() {
            if matches!(key, "cvssV3_1" | "cvssV4_0") && !vectors.iter().any(|(k, _)| *k == key) {
                vectors.push((key, cvss.vector_string.trim().to_string()));
            } else {
                lose("CVSS v2.0/v3.0 or repeated metrics", 1);
            }
        }
    }
    vectors.sort();
    let severity = c
        .textual_severity()
        .and_then(|s| Severity::parse(s).ok())
        .map(|s| s.as_str().to_string());
    if c.textual_severity().is_some() && severity.is_none() {
        lose("textual severity outside the ASF scale", 1);
    }
    let credits = c
        .credits
        .iter()
        .flatten()
        .filter(|cr| is_english(&cr.lang) && !cr.value.trim().is_empty())
        .map(|cr| {
            let kind = cr.kind.as_deref().unwrap_or("finder").to_string();
            (cr.value.trim().to_string(), kind)
        })
        .collect();
    lose(
        "reference names",
        c.reference_list()
            .iter()
            .filter(|r| r.name.is_some())
            .count(),
    );
    let references = c
        .reference_list()
        .iter()
        .map(|r| (r.url.trim().to_string(), r.tags.clone().unwrap_or_default()))
        .collect();
    for (what, n) in [
        (
            "configurations",
            c.configurations.as_ref().map_or(0, Vec::len),
        ),
        ("exploits", c.exploits.as_ref().map_or(0, Vec::len)),
        ("impacts", c.impacts.as_ref().map_or(0, Vec::len)),
    ] {
        lose(what, n);
    }
    Substance {
        title: c.title.as_deref().map(|t| t.trim().to_string()),
        description: c.english_description().map(|d| d.value.trim().to_string()),
        products,
        cwes,
        timeline,
        vectors,
        severity,
        credits,
        references,
        solutions: english(c.solutions.as_ref()),
        workarounds: english(c.workarounds.as_ref()),
        date_public: c
            .date_public
            .as_deref()
            .and_then(|d| d.get(..10))
            .map(str::to_string),
    }
}

/// The substance of one product, counting with `lose` what a product cannot hold.
fn product_substance(
    p: &embargo_formats::cve5::model::Product,
    lose: &mut impl FnMut(&'static str, usize),
) -> ProductSubstance {
    let mut ranges = Vec::new();
    let mut version_type = None;
    for v in p.versions.iter().flatten() {
        match (&version_type, &v.version_type) {
            (None, Some(t)) => version_type = Some(t.trim().to_string()),
            (Some(a), Some(b)) if a != b.trim() => lose("a second versionType", 1),
            _ => {}
        }
        fn star(b: &Option<String>) -> Option<&str> {
            b.as_deref().map(str::trim).filter(|b| *b != "*")
        }
        let version = match v.version.trim() {
            "" => "0".to_string(),
            x => x.to_string(),
        };
        let (lt, le) = match (star(&v.less_than), star(&v.less_than_or_equal)) {
            (Some(lt), le) => {
                lose("lessThanOrEqual beside lessThan", usize::from(le.is_some()));
                (Some(lt.to_string()), None)
            }
            (None, Some(le)) => (None, Some(le.to_string())),
            (None, None) if v.less_than.is_none() && v.less_than_or_equal.is_none() => {
                (None, Some(version.clone()))
            }
            (None, None) => (Some("*".to_string()), None),
        };
        let changes = v
            .changes
            .iter()
            .flatten()
            .map(|c| (c.at.trim().to_string(), c.status))
            .collect();
        ranges.push((version, lt, le, v.status, changes));
    }
    for (what, n) in [
        ("cpes", p.cpes.as_ref().map_or(0, Vec::len)),
        ("modules", p.modules.as_ref().map_or(0, Vec::len)),
        ("platforms", p.platforms.as_ref().map_or(0, Vec::len)),
        ("programFiles", p.program_files.as_ref().map_or(0, Vec::len)),
        (
            "programRoutines",
            p.program_routines.as_ref().map_or(0, Vec::len),
        ),
        ("repo", usize::from(p.repo.is_some())),
    ] {
        lose(what, n);
    }
    ProductSubstance {
        vendor: p.vendor.clone(),
        name: p.product.clone().or_else(|| p.package_name.clone()),
        collection_url: p.collection_url.clone(),
        package_name: p.package_name.clone(),
        package_url: p.package_url.clone(),
        ranges,
        default_status: p.default_status,
        version_type,
    }
}

#[test]
fn every_published_corpus_record_survives_the_editor_s_record() {
    let Some(corpus) = embargo_testkit::corpus_or_skip(
        "every_published_corpus_record_survives_the_editor_s_record",
    ) else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("cve-records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut lost = BTreeMap::new();
    let mut checked = 0;
    let mut several = 0;
    let mut purls_gained = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let original: CveRecord = import(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if original.cve_metadata.state == RecordState::Rejected {
            continue;
        }
        let edited: CnaRecord = to_cna_record(&original);
        several += usize::from(edited.products.len() > 1);
        let c = original.cna();
        let cna = Cna {
            org_id: c.provider_metadata.org_id.clone(),
            short_name: c.provider_metadata.short_name.clone().unwrap_or_default(),
            vendor: c
                .products()
                .first()
                .and_then(|p| p.vendor.clone())
                .unwrap_or_default(),
        };
        let cve = CveId::parse(&original.cve_metadata.cve_id).unwrap();
        let built = container::build(&cve, &edited, &cna, Dates::at(Timestamp::UNIX_EPOCH))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut want = substance(c, &mut lost);
        let got = substance(built.record.cna(), &mut BTreeMap::new());
        // A record without references gets the cve.org page, which every record has.
        if want.references.is_empty() {
            want.references = got.references.clone();
        }
        // A record without datePublic is dated when it is published.
        if want.date_public.is_none() {
            want.date_public = got.date_public.clone();
        }
        // A record without a title is given its description's first line.
        if want.title.is_none() {
            want.title = got.title.clone();
        }
        assert_eq!(
            got.products.len(),
            want.products.len(),
            "{name}: every product is kept"
        );
        for (want, got) in want.products.iter_mut().zip(&got.products) {
            if want.default_status.is_none() {
                want.default_status = got.default_status;
            }
            if want.version_type.is_none() {
                want.version_type = got.version_type.clone();
            }
            if want.vendor.is_none() {
                *lost.entry("a product without vendor").or_default() += 1;
                want.vendor = got.vendor.clone();
            }
            // Not a loss but a gain: Maven, PyPI, npm... coordinates give the product
            // its packageURL (CVE JSON 5.2), always without a version.
            if want.package_url.is_none()
                && let Some(purl) = &got.package_url
            {
                assert!(
                    purl.starts_with("pkg:") && !purl.contains('@'),
                    "{name}: {purl}"
                );
                purls_gained += 1;
                want.package_url = Some(purl.clone());
            }
        }
        assert_eq!(got, want, "{name}: the rebuilt record differs");
        checked += 1;
    }
    assert!(
        checked >= 40,
        "only {checked} PUBLISHED records in the corpus"
    );
    eprintln!(
        "{checked} records round-tripped; {purls_gained} products gained a packageURL; genuine losses: {lost:?}"
    );
    assert!(purls_gained > 0, "Maven Central records give package URLs");
    assert_eq!(
        several, 2,
        "the corpus' two records of several products keep them all"
    );
    // Every loss counted is one the module documentation lists.
    let documented = [
        "CVSS v2.0/v3.0 or repeated metrics",
        "a CWE named twice",
        "a product without vendor",
        "a second versionType",
        "configurations",
        "cpes",
        "exploits",
        "impacts",
        "modules",
        "platforms",
        "programFiles",
        "programRoutines",
        "repo",
        "lessThanOrEqual beside lessThan",
        "non-English timeline entries",
        "problem types without a CWE id",
        "reference names",
        "textual severity outside the ASF scale",
    ];
    for what in lost.keys() {
        assert!(documented.contains(what), "undocumented loss: {what}");
    }
}
