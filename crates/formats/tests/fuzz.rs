//! Property-based fuzzing of every reader that takes a file from outside: CVE JSON 5
//! import (`embargo cve import`), the scanner reports (`scan`) and the VEX documents
//! (`vex`). Inputs are arbitrary bytes, arbitrary JSON built from the formats' own
//! vocabulary, and the corpus's real files mutated. The property: no panic, a clean
//! `Err` with a message, and where a round trip exists (export, then import) it holds.
//!
//! Cases per test: `EMBARGO_FUZZ_CASES` (default 2,000, for CI's budget); the full run
//! is `EMBARGO_FUZZ_CASES=100000 cargo test --release -p embargo-formats --test fuzz`
//! (docs/operations.md, "Fuzzing").

use std::path::Path;
use std::sync::OnceLock;

use embargo_domain::ids::CveId;
use embargo_formats::cve5::{self, container, lint};
use embargo_formats::{csaf, osv, scan, vex};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value};

/// Cases per property: `EMBARGO_FUZZ_CASES`, else 2,000.
fn config() -> Config {
    Config {
        cases: embargo_testkit::fuzz_cases(),
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/// Keys the readers look for, so generated objects reach past the first check.
const KEYS: &[&str] = &[
    "dataType",
    "dataVersion",
    "cveMetadata",
    "cveId",
    "state",
    "assignerOrgId",
    "containers",
    "cna",
    "adp",
    "affected",
    "vendor",
    "product",
    "versions",
    "version",
    "status",
    "lessThan",
    "lessThanOrEqual",
    "versionType",
    "changes",
    "at",
    "defaultStatus",
    "descriptions",
    "lang",
    "value",
    "problemTypes",
    "cweId",
    "references",
    "url",
    "tags",
    "metrics",
    "cvssV3_1",
    "cvssV4_0",
    "cvssV2_0",
    "vectorString",
    "baseScore",
    "baseSeverity",
    "other",
    "providerMetadata",
    "orgId",
    "credits",
    "timeline",
    "datePublished",
    "dateUpdated",
    "collectionURL",
    "packageName",
    "cpes",
    "title",
    // Scanners.
    "SchemaVersion",
    "Results",
    "Target",
    "Vulnerabilities",
    "VulnerabilityID",
    "PkgName",
    "InstalledVersion",
    "FixedVersion",
    "matches",
    "vulnerability",
    "artifact",
    "name",
    "purl",
    "id",
    "runs",
    "tool",
    "driver",
    "rules",
    "results",
    "ruleId",
    "locations",
    "bomFormat",
    "specVersion",
    "components",
    "vulnerabilities",
    "bom-ref",
    "ref",
    "analysis",
    "justification",
    "response",
    "detail",
    "dependencies",
    "packages",
    "package",
    "groups",
    "ids",
    "reportSchema",
    "scanInfo",
    "ecosystem",
    // VEX.
    "@context",
    "@id",
    "author",
    "timestamp",
    "statements",
    "products",
    "@type",
    "impact_statement",
    "action_statement",
    "document",
    "category",
    "csaf_version",
    "product_tree",
    "branches",
    "product_status",
    "known_not_affected",
    "fixed",
    "known_affected",
    "under_investigation",
    "flags",
    "label",
    "product_ids",
    "cve",
    "remediations",
    "product_id",
    "full_product_names",
    "product_identification_helper",
];

/// String values with meaning somewhere, besides the arbitrary ones.
const WORDS: &[&str] = &[
    "CVE_RECORD",
    "5.0",
    "5.1",
    "5.1.1",
    "PUBLISHED",
    "REJECTED",
    "CVE-2024-12345",
    "CVE-2023-0001",
    "en",
    "affected",
    "unaffected",
    "unknown",
    "semver",
    "custom",
    "git",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "AV:N/AC:L/Au:N/C:P/I:P/A:P",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CWE-79",
    "*",
    "pkg:maven/org.apache/kafka@3.7.0",
    "pkg:npm/%40angular/core",
    "pkg:",
    "CycloneDX",
    "1.6",
    "2.1.0",
    "https://openvex.dev/ns/v0.2.0",
    "csaf_vex",
    "not_affected",
    "fixed",
    "under_investigation",
    "code_not_reachable",
    "vulnerable_code_not_in_execute_path",
    "2024-01-01T00:00:00Z",
    "2024-13-45",
    "",
    " ",
    "\u{0}",
    "n/a",
    "<",
    "< 1.2.3",
    "GHSA-jjjh-jjxp-wpff",
    "HIGH",
    "CRITICAL",
    "Go",
    "Maven",
    "https://example.org/x",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        2 => "\\PC{0,24}",
        1 => any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-zA-Z_@-]{0,12}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        (0.0f64..10.0).prop_map(Value::from),
    ]
}

/// Any JSON value, a few levels deep, named with the formats' keys.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a document: at the node numbered `at` (modulo the node count).
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, Value),
    RemoveChild(usize, usize),
    AddKey(usize, String, Value),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), json()).prop_map(|(n, v)| Edit::Replace(n, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(n, i)| Edit::RemoveChild(n, i)),
        (any::<usize>(), key(), json()).prop_map(|(n, k, v)| Edit::AddKey(n, k, v)),
        (any::<usize>(), 2..64usize).prop_map(|(n, times)| Edit::Repeat(n, times)),
    ]
}

/// What happens to the serialized text after the edits.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(usize),
    Flip(usize, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::None),
        1 => any::<usize>().prop_map(Damage::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
    ]
}

fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(nodes).sum(),
        Value::Object(o) => o.values().map(nodes).sum(),
        _ => 0,
    }
}

/// The node numbered `n` in document order (the root is 0); `n < nodes(v)`.
fn nth(v: &mut Value, n: usize) -> &mut Value {
    if n == 0 {
        return v;
    }
    let mut n = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Object(o) => o.values_mut().collect(),
        _ => Vec::new(),
    };
    for child in children {
        let size = nodes(child);
        if n < size {
            return nth(child, n);
        }
        n -= size;
    }
    unreachable!("node number within the count")
}

fn apply(doc: &mut Value, edit: &Edit) {
    let at = |n: usize, doc: &Value| n % nodes(doc);
    match edit {
        Edit::Replace(n, v) => *nth(doc, at(*n, doc)) = v.clone(),
        Edit::RemoveChild(n, i) => match nth(doc, at(*n, doc)) {
            Value::Array(a) if !a.is_empty() => {
                a.remove(i % a.len());
            }
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(i % o.len()).cloned().unwrap_or_default();
                o.remove(&k);
            }
            other => *other = Value::Null,
        },
        Edit::AddKey(n, k, v) => {
            if let Value::Object(o) = nth(doc, at(*n, doc)) {
                o.insert(k.clone(), v.clone());
            }
        }
        Edit::Repeat(n, times) => {
            if let Value::Array(a) = nth(doc, at(*n, doc))
                && let Some(first) = a.first().cloned()
            {
                a.extend(std::iter::repeat_n(first, *times));
            }
        }
    }
}

fn damaged(mut bytes: Vec<u8>, damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::None => {}
        Damage::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
        Damage::Flip(at, b) if !bytes.is_empty() => {
            let i = at % bytes.len();
            bytes[i] = *b;
        }
        Damage::Flip(..) => {}
    }
    bytes
}

/// The corpus's files under `dirs` of at most 64 KB (mutating bigger ones costs more
/// than it finds), as bytes.
fn seeds(dirs: &[&str]) -> Vec<(String, Vec<u8>)> {
    let Some(corpus) = embargo_testkit::corpus_or_skip("fuzzing mutated corpus files") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dir in dirs {
        collect(&corpus.join(dir), &mut out);
    }
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "xml" || e == "sarif")
            && entry.metadata().is_ok_and(|m| m.len() <= 64 * 1024)
            && let Ok(bytes) = std::fs::read(&path)
        {
            out.push((path.display().to_string(), bytes));
        }
    }
}

fn cve_seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds(&["cve-records"]))
}

fn scan_seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds(&["scanner-reports"]))
}

fn vex_seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds(&["vex", "suppressions", "csaf"]))
}

/// A corpus file (picked by `pick`) changed by `edits` and `damage`: JSON files as
/// documents, the others (XML) as bytes.
fn mutated(seeds: &[(String, Vec<u8>)], pick: usize, edits: &[Edit], damage: &Damage) -> Vec<u8> {
    let Some((_, bytes)) = seeds.get(pick % seeds.len().max(1)) else {
        return Vec::new();
    };
    let bytes = match serde_json::from_slice::<Value>(bytes) {
        Ok(mut doc) => {
            for e in edits {
                apply(&mut doc, e);
            }
            serde_json::to_vec(&doc).unwrap_or_default()
        }
        Err(_) => bytes.clone(),
    };
    damaged(bytes, damage)
}

// ---------------------------------------------------------------------------------------
// CVE JSON 5 import
// ---------------------------------------------------------------------------------------

/// What `embargo cve import` and the exports do with a record, and the round trip:
/// what is exported reads back as the same record.
fn check_cve(bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(bytes);
    let record = match cve5::import(&text) {
        Ok(r) => r,
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            return Ok(());
        }
    };
    let _ = lint::lint_record(&record);
    let cna_record = cve5::to_cna_record(&record);
    let _ = container::scores(&cna_record);
    let cna = &record.containers.cna;
    let _ = (cna.cwe_ids(), cna.textual_severity(), cna.cvss().count());
    let _ = osv::from_cve(&record, &osv::EcosystemHints::default());
    let _ = csaf::from_cve(&record, &publisher());
    let cve = CveId::parse(&record.cve_metadata.cve_id);
    prop_assert!(cve.is_ok(), "an imported record has a valid id");
    if let Ok(cve) = cve {
        let cna = cve5::Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: "apache".into(),
            vendor: "Apache Software Foundation".into(),
        };
        let at = jiff::Timestamp::UNIX_EPOCH;
        let _ = container::build(&cve, &cna_record, &cna, container::Dates::at(at));
    }
    let exported = cve5::export(&record);
    let again = cve5::import(&exported.to_string());
    prop_assert!(again.is_ok(), "the export reads back: {:?}", again.err());
    if let Ok(again) = again {
        prop_assert_eq!(cve5::export(&again), exported);
    }
    Ok(())
}

fn publisher() -> csaf::Publisher {
    csaf::Publisher {
        category: "vendor".into(),
        name: "Apache Software Foundation".into(),
        namespace: "https://www.apache.org".into(),
        contact_details: None,
        issuing_authority: None,
        advisories_url: Some("https://security.example.org/csaf/".into()),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cve_import_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_cve(&bytes)?;
    }

    #[test]
    fn cve_import_of_arbitrary_json_never_panics(doc in json()) {
        check_cve(&serde_json::to_vec(&doc).unwrap_or_default())?;
    }

    #[test]
    fn cve_import_of_a_generated_record_never_panics(
        id in prop_oneof![Just("CVE-2024-12345".to_string()), "CVE-[0-9]{4}-[0-9]{4,7}", text()],
        version in prop::sample::select(&["5.0", "5.1", "5.1.1", "4.0", ""][..]),
        state in prop::sample::select(&["PUBLISHED", "REJECTED", "RESERVED"][..]),
        cna in json(),
        adp in prop::option::of(json()),
    ) {
        let mut record = serde_json::json!({
            "dataType": "CVE_RECORD",
            "dataVersion": version,
            "cveMetadata": {"cveId": id, "state": state, "assignerOrgId": "f0158376-9dc2-43b6-827c-5f631a4d8d09"},
            "containers": {"cna": cna},
        });
        if let Some(adp) = adp {
            record["containers"]["adp"] = Value::Array(vec![adp]);
        }
        check_cve(&serde_json::to_vec(&record).unwrap_or_default())?;
    }

    #[test]
    fn cve_import_of_mutated_corpus_records_never_panics(
        pick in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..4),
        damage in damage(),
    ) {
        check_cve(&mutated(cve_seeds(), pick, &edits, &damage))?;
    }
}

// ---------------------------------------------------------------------------------------
// Scanner reports
// ---------------------------------------------------------------------------------------

const SCAN_FORMATS: [scan::ScanFormat; 7] = [
    scan::ScanFormat::DependencyCheckXml,
    scan::ScanFormat::DependencyCheckJson,
    scan::ScanFormat::Trivy,
    scan::ScanFormat::Grype,
    scan::ScanFormat::Sarif,
    scan::ScanFormat::CycloneDx,
    scan::ScanFormat::OsvScanner,
];

/// Detection, reading as detected, and reading as every format: findings or an error
/// with a message, within the bound.
fn check_scan(bytes: &[u8]) -> Result<(), TestCaseError> {
    let _ = scan::detect(bytes);
    for result in std::iter::once(scan::read(bytes))
        .chain(SCAN_FORMATS.iter().map(|f| scan::read_as(*f, bytes)))
    {
        match result {
            Ok(findings) => prop_assert!(findings.len() <= scan::MAX_FINDINGS),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
    let _ = scan::pasted::read_text(&String::from_utf8_lossy(bytes));
    Ok(())
}

/// XML in the shapes Dependency-Check writes, from generated pieces.
fn dependency_check_xml() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("<dependency>".to_string()),
        Just("</dependency>".to_string()),
        Just("<vulnerability source=\"NVD\"><name>CVE-2024-1234</name>".to_string()),
        Just("</vulnerability>".to_string()),
        Just("<fileName>a.jar</fileName>".to_string()),
        Just("<identifiers><package><id>pkg:maven/a/b@1</id></package></identifiers>".to_string()),
        Just("<![CDATA[x]]>".to_string()),
        Just("<!DOCTYPE x [<!ENTITY e \"e\">]>&e;".to_string()),
        Just("&amp;&lt;&#0;&#x110000;".to_string()),
        text(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| {
        format!(
            "<?xml version=\"1.0\"?><analysis xmlns=\"https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd\"><dependencies>{}</dependencies></analysis>",
            pieces.concat()
        )
        .into_bytes()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scan_readers_of_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_scan(&bytes)?;
    }

    #[test]
    fn scan_readers_of_arbitrary_json_never_panic(doc in json()) {
        check_scan(&serde_json::to_vec(&doc).unwrap_or_default())?;
    }

    #[test]
    fn scan_readers_of_generated_xml_never_panic(xml in dependency_check_xml(), damage in damage()) {
        check_scan(&damaged(xml, &damage))?;
    }

    #[test]
    fn scan_readers_of_mutated_corpus_reports_never_panic(
        pick in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..4),
        damage in damage(),
    ) {
        check_scan(&mutated(scan_seeds(), pick, &edits, &damage))?;
    }
}

// ---------------------------------------------------------------------------------------
// VEX documents
// ---------------------------------------------------------------------------------------

fn export_meta() -> vex::ExportMeta {
    vex::ExportMeta {
        project_name: "Apache Kafka".into(),
        project_slug: "kafka".into(),
        product_purl: None,
        product_version: None,
        publisher: publisher(),
        document_id: "KAFKA-VEX".into(),
        document_url: "https://security.example.org/vex/kafka.json".into(),
        timestamp: jiff::Timestamp::UNIX_EPOCH,
        dependency_check_extra: Vec::new(),
    }
}

/// Import; every statement imported is valid as it is; and written back in its own
/// format it reads back as the same statements (as a set).
fn check_vex(bytes: &[u8]) -> Result<(), TestCaseError> {
    let _ = vex::detect(bytes);
    let imported = match vex::import(bytes) {
        Ok(i) => i,
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            return Ok(());
        }
    };
    for s in &imported.statements {
        prop_assert_eq!(&s.clone().validate().ok(), &Some(s.clone()));
    }
    let meta = vex::ExportMeta {
        dependency_check_extra: imported.dependency_check_extra.clone(),
        ..export_meta()
    };
    for format in vex::VexFormat::ALL {
        let Ok(written) = vex::export(format, &imported.statements, &meta) else {
            continue;
        };
        if format != imported.format {
            continue;
        }
        let again = vex::import(&written);
        prop_assert!(
            again.is_ok(),
            "{format:?} export reads back: {:?}",
            again.err()
        );
        if let Ok(again) = again {
            let (before, after) = (sorted(&imported.statements), sorted(&again.statements));
            let lost: Vec<_> = before.iter().filter(|s| !after.contains(s)).collect();
            let new: Vec<_> = after.iter().filter(|s| !before.contains(s)).collect();
            prop_assert!(
                lost.is_empty() && new.is_empty(),
                "{format:?}: lost {lost:?}, new {new:?}"
            );
        }
    }
    Ok(())
}

/// The statements as a set, each alias once: a document may repeat a statement or an
/// alias word for word, and an export writes it once (import keeps repeated aliases:
/// reported, not a loss).
fn sorted(statements: &[embargo_domain::vex::Statement]) -> Vec<String> {
    let once = |s: &embargo_domain::vex::Statement| {
        let mut s = s.clone();
        let mut seen = std::collections::HashSet::new();
        s.aliases.retain(|a| seen.insert(a.clone()));
        format!("{s:?}")
    };
    let mut v: Vec<String> = statements.iter().map(once).collect();
    v.sort();
    v.dedup();
    v
}

/// Regression (found here): a control character in a suppression file was read into a
/// statement and written back as U+FFFD. XML does not allow it: the file is refused
/// with the place named.
#[test]
fn a_control_character_in_a_suppression_file_is_refused_with_its_place() {
    let xml = "<?xml version=\"1.0\"?>\n<suppressions xmlns=\"https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.3.xsd\">\n<suppress><notes>\u{0}edium</notes><packageUrl>pkg:maven/a/b</packageUrl><cve>CVE-2025-31672</cve></suppress>\n</suppressions>\n";
    let err = vex::import(xml.as_bytes())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("line 3, column 18"), "{err}");
    assert!(err.contains("U+0000"), "{err}");
}

/// A document of one of the JSON formats, its statements generated.
fn vex_json() -> impl Strategy<Value = Value> {
    (0..3usize, prop::collection::vec(json(), 0..4), json()).prop_map(|(kind, items, extra)| {
        match kind {
            0 => serde_json::json!({
                "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a",
                "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": items,
            }),
            1 => serde_json::json!({
                "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                "components": extra, "vulnerabilities": items,
            }),
            _ => serde_json::json!({
                "document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "t",
                    "publisher": extra, "tracking": {"id": "x"}},
                "product_tree": {"branches": items.first().cloned().unwrap_or_default()},
                "vulnerabilities": items,
            }),
        }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn vex_import_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_vex(&bytes)?;
    }

    #[test]
    fn vex_import_of_generated_documents_never_panics(doc in vex_json()) {
        check_vex(&serde_json::to_vec(&doc).unwrap_or_default())?;
    }

    #[test]
    fn vex_import_of_mutated_corpus_documents_never_panics(
        pick in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..4),
        damage in damage(),
    ) {
        check_vex(&mutated(vex_seeds(), pick, &edits, &damage))?;
    }
}
