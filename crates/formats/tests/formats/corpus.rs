//! Conformance over the real data in `shared/corpus`: every CVE record imports and
//! exports back unchanged and schema-valid; every record lints without crashing; OSV
//! and CSAF exports of every record validate against the official schemas (Python
//! `jsonschema`, one process per format) and the CSAF ones pass the BSI validator's
//! mandatory tests (`@secvisogram/csaf-validator-lib`, run with node); the announcement
//! written from an imported record is compared with the real one.
//!
//! Needs, beyond Rust: python3 with `jsonschema` and `referencing`; node with
//! `@secvisogram/csaf-validator-lib` installed under `EMBARGO_NPM_PREFIX` (default
//! `$HOME/.cache/embargo-npm`). Missing pieces print SKIPPED, and fail under CI=true.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use embargo_domain::ids::CveId;
use embargo_formats::cve5::lint::{Level, lint_record};
use embargo_formats::cve5::{CveRecord, export, import, to_cna_record};
use embargo_formats::{FormatError, csaf, osv};
use serde_json::Value;

/// The Python modules the schema checks need.
const PYTHON_MODULES: &[&str] = &["jsonschema", "referencing"];

/// The BSI's CSAF validator, from npm.
const VALIDATOR: &str = "@secvisogram/csaf-validator-lib";

/// (file name, text) of every CVE record in the corpus, sorted.
fn records(corpus: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(corpus.join("cve-records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 40,
        "expected the corpus' 43 CVE records, found {}",
        out.len()
    );
    out
}

fn imported(corpus: &Path) -> Vec<(String, CveRecord)> {
    records(corpus)
        .into_iter()
        .map(|(name, text)| {
            let r = import(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, r)
        })
        .collect()
}

/// The loop over the documents; the validator comes from the testkit.
const VALIDATE_PY: &str = r#"
mode, corpus, files = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
v = validator(mode, corpus)
bad = 0
for f in files:
    errs = sorted(v.iter_errors(load(f)), key=lambda e: [str(p) for p in e.absolute_path])
    for e in errs[:5]:
        print("%s: /%s: %s" % (pathlib.Path(f).name, "/".join(map(str, e.absolute_path)), e.message[:300]))
    bad += bool(errs)
print("%s: %d documents, %d invalid" % (mode, len(files), bad))
sys.exit(1 if bad else 0)
"#;

/// Validates the documents with the official schema of `mode` (cve, osv, csaf,
/// provider) in one Python process; panics with the validator's messages. A broken
/// copy of the first document is checked too, and must fail, so a pass means something.
fn validate_with_python(mode: &str, corpus: &Path, docs: &[(String, Value)]) {
    let mut broken = docs[0].1.clone();
    let key = match mode {
        "cve" => "dataType",
        "osv" => "id",
        "csaf" => "document",
        _ => "role",
    };
    broken[key] = serde_json::json!(42);
    assert!(
        !run_python(mode, corpus, &[("broken.json".into(), broken)]).0,
        "{mode}: the validator accepted a broken document"
    );
    let (ok, report) = run_python(mode, corpus, docs);
    eprintln!("{report}");
    assert!(ok, "{mode} schema validation failed:\n{report}");
}

/// (passed, output) of the Python validator over `docs`.
fn run_python(mode: &str, corpus: &Path, docs: &[(String, Value)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("validate.py");
    std::fs::write(
        &script,
        format!("{}{VALIDATE_PY}", embargo_testkit::SCHEMA_VALIDATOR_PY),
    )
    .unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(mode).arg(corpus);
    for (name, doc) in docs {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        cmd.arg(path);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn every_record_imports_and_exports_back_unchanged_and_valid() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("CVE round trip") else {
        return;
    };
    let mut exported = Vec::new();
    for (name, text) in records(&corpus) {
        let original: Value = serde_json::from_str(&text).unwrap();
        let record = import(&text).unwrap_or_else(|e| panic!("{name} does not import: {e}"));
        let out = export(&record);
        // The CNA container first, for a readable failure; then the whole record
        // (metadata and ADP containers included). Value equality ignores key order.
        assert_eq!(
            out["containers"]["cna"], original["containers"]["cna"],
            "{name}: CNA container changed in the round trip"
        );
        assert_eq!(out, original, "{name}: record changed in the round trip");
        // And the model itself is stable: importing the export gives the same record.
        assert_eq!(import(&out.to_string()).unwrap(), record, "{name}");
        exported.push((name, out));
    }
    let rejected = exported
        .iter()
        .filter(|(_, r)| r["cveMetadata"]["state"] == "REJECTED")
        .count();
    let with_adp = exported
        .iter()
        .filter(|(_, r)| r["containers"].get("adp").is_some())
        .count();
    assert_eq!(rejected, 2, "the corpus has two REJECTED records");
    assert!(with_adp >= 30, "ADP containers kept: {with_adp}");
    if !embargo_testkit::require_python("CVE schema validation of exports", PYTHON_MODULES) {
        return;
    }
    validate_with_python("cve", &corpus, &exported);
}

/// Every PUBLISHED record, read into the editor's record and written again as Embargo
/// writes records (CVE JSON 5.2.0, every product, package URLs), is valid under the
/// 5.2.0 schema.
#[test]
fn every_record_rewritten_from_the_editor_s_record_is_valid_5_2() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("CVE 5.2.0 rewrite") else {
        return;
    };
    let cna = embargo_formats::cve5::Cna {
        org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
        short_name: "apache".into(),
        vendor: "Apache Software Foundation".into(),
    };
    let mut rewritten = Vec::new();
    for (name, record) in imported(&corpus) {
        if record.is_rejected() {
            continue;
        }
        let cve = CveId::parse(&record.cve_metadata.cve_id).unwrap();
        let at = "2026-01-02T03:04:05Z".parse().unwrap();
        let dates = embargo_formats::cve5::container::Dates::at(at);
        let built =
            embargo_formats::cve5::container::build(&cve, &to_cna_record(&record), &cna, dates)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = export(&built.record);
        assert_eq!(out["dataVersion"], "5.2.0", "{name}");
        assert_eq!(
            out["containers"]["cna"]["affected"]
                .as_array()
                .map(Vec::len),
            Some(record.cna().products().len()),
            "{name}: every product is written"
        );
        rewritten.push((name, out));
    }
    assert!(rewritten.len() >= 40, "{}", rewritten.len());
    if !embargo_testkit::require_python("CVE 5.2.0 validation of rewrites", PYTHON_MODULES) {
        return;
    }
    validate_with_python("cve", &corpus, &rewritten);
}

#[test]
fn import_errors_say_what_to_fix() {
    let err = |s: &str| import(s).unwrap_err().to_string();
    assert!(
        err("{\"dataType\": ").starts_with("not valid JSON at line 1"),
        "{}",
        err("{\"dataType\": ")
    );
    assert_eq!(
        err(r#"{"data_type":"CVE","data_format":"MITRE","data_version":"4.0","CVE_data_meta":{}}"#),
        "unsupported CVE record dataVersion \"4.0\": Embargo reads CVE JSON 5.0, 5.1 and 5.2 records"
    );
    assert!(
        err(r#"{"providerMetadata":{"orgId":"x"},"descriptions":[]}"#)
            .contains("CNA container alone")
    );
    assert!(
        err(r#"{"schema_version":"1.6.0","id":"GHSA-x","modified":"2024-01-01T00:00:00Z"}"#)
            .contains("OSV record")
    );
    let bad_status = r#"{"dataType":"CVE_RECORD","dataVersion":"5.1",
        "cveMetadata":{"cveId":"CVE-2024-0001","assignerOrgId":"x","state":"PUBLISHED"},
        "containers":{"cna":{"providerMetadata":{"orgId":"x"},
          "affected":[{"vendor":"V","product":"P","versions":[{"version":"1.0","status":"afected"}]}]}}}"#;
    let e = err(bad_status);
    assert!(
        e.starts_with("containers.cna.affected[0].versions[0].status: unknown variant `afected`"),
        "{e}"
    );
    let bad_id = bad_status
        .replace("CVE-2024-0001", "CVE-24-1")
        .replace("afected", "affected");
    assert!(
        err(&bad_id).starts_with("cveMetadata.cveId: "),
        "{}",
        err(&bad_id)
    );
    assert!(matches!(
        import(
            &bad_status
                .replace("\"5.1\"", "\"6.0\"")
                .replace("afected", "affected")
        ),
        Err(FormatError::UnsupportedVersion { .. })
    ));
}

/// Real records carry real mistakes. These are the errors the linter finds in the
/// corpus; each was checked by hand against the record.
/// Real records carry real mistakes. These are the errors the linter finds in the
/// corpus; each was checked by hand against the record.
const EXPECTED_LINT_ERRORS: &[&str] = &[
    // "lessThan": "4.0.4, 3.6.3, 3.5.8": three fixed versions in one bound.
    "CVE-2024-28752.json error: affected[0].versions[0].lessThan",
];

#[test]
fn corpus_records_lint_with_known_findings_only() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("lint over the corpus") else {
        return;
    };
    let mut errors = Vec::new();
    let mut warnings = 0;
    for (name, record) in imported(&corpus) {
        for f in lint_record(&record) {
            eprintln!("{name}: {f}");
            match f.level {
                Level::Error => errors.push(format!("{name} error: {}", f.path)),
                Level::Warning => warnings += 1,
            }
        }
    }
    errors.sort();
    errors.dedup();
    let mut expected: Vec<String> = EXPECTED_LINT_ERRORS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(errors, expected);
    assert!(
        warnings > 0,
        "the corpus' quirks (ranges in version strings, odd versionType) give warnings"
    );
}

#[test]
fn lint_flags_the_documented_quirks() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("lint quirks") else {
        return;
    };
    let all = imported(&corpus);
    let findings = |id: &str| -> Vec<String> {
        let (_, r) = all
            .iter()
            .find(|(n, _)| n == &format!("{id}.json"))
            .unwrap();
        lint_record(r).iter().map(ToString::to_string).collect()
    };
    assert!(
        findings("CVE-2024-42369")
            .iter()
            .any(|f| f.contains("\"< 34.3.1\" is a range written as text"))
    );
    assert!(
        findings("CVE-2022-47184")
            .iter()
            .any(|f| f.contains("unusual versionType \"8.0.0 to 9.2.0\""))
    );
    // Vulnogram put the product name into lessThan.
    assert!(
        findings("CVE-2022-40705")
            .iter()
            .any(|f| f.contains("\"Apache SOAP*\" does not look like a version"))
    );
    // "3.21.x" <= "3.21.3" starts the 3.21 line: a real range, not an empty one.
    assert!(
        !findings("CVE-2024-22371")
            .iter()
            .any(|f| f.starts_with("error"))
    );
    // Linux's git ranges are not ordered, and its "6.10.*" wildcard is above 6.10.5.
    assert!(
        !findings("CVE-2024-44932")
            .iter()
            .any(|f| f.starts_with("error"))
    );
    // A CVSS 4.0 score computed by the cvss crate matches the CNA's.
    assert!(
        !findings("CVE-2024-47561")
            .iter()
            .any(|f| f.contains("metrics"))
    );
    assert!(
        !findings("CVE-2024-4800")
            .iter()
            .any(|f| f.contains("metrics")),
        "{:?}",
        findings("CVE-2024-4800")
    );
    // REJECTED records are checked for their reason only.
    assert_eq!(findings("CVE-2024-31861"), Vec::<String>::new());
}

#[test]
fn osv_exports_validate_and_corpus_osv_parses() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("OSV export") else {
        return;
    };
    let hints = osv::EcosystemHints::default();
    let docs: Vec<(String, Value)> = imported(&corpus)
        .iter()
        .map(|(n, r)| (n.clone(), osv::from_cve(r, &hints)))
        .collect();
    let by = |id: &str| {
        &docs
            .iter()
            .find(|(n, _)| n == &format!("{id}.json"))
            .unwrap()
            .1
    };
    // Maven Central + packageName: a Maven package named groupId:artifactId.
    assert_eq!(
        by("CVE-2024-47561")["affected"][0]["package"],
        serde_json::json!({ "ecosystem": "Maven", "name": "org.apache.avro:avro" })
    );
    assert_eq!(by("CVE-2024-47561")["severity"][0]["type"], "CVSS_V4");
    assert_eq!(
        by("CVE-2024-47554")["affected"][0]["package"]["name"],
        "commons-io:commons-io"
    );
    assert_eq!(
        by("CVE-2024-29733")["affected"][0]["package"]["ecosystem"],
        "PyPI"
    );
    assert_eq!(
        by("CVE-2024-34158")["affected"][0]["package"],
        serde_json::json!({ "ecosystem": "Go", "name": "stdlib" })
    );
    assert_eq!(
        by("CVE-2024-32114")["affected"][0]["ranges"][0]["type"],
        "SEMVER"
    );
    assert_eq!(
        by("CVE-2024-32114")["affected"][0]["ranges"][0]["events"][1]["last_affected"],
        "6.1.1"
    );
    assert!(
        by("CVE-2024-31861").get("withdrawn").is_some(),
        "a REJECTED record is withdrawn"
    );
    // The corpus' own OSV files parse as JSON with the fields we write.
    let mut n = 0;
    for e in std::fs::read_dir(corpus.join("osv")).unwrap() {
        let p = e.unwrap().path();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert!(
            v["id"].is_string() && v["modified"].is_string(),
            "{}",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 10);
    if !embargo_testkit::require_python("OSV schema validation", PYTHON_MODULES) {
        return;
    }
    let mut all = docs;
    for e in std::fs::read_dir(corpus.join("osv")).unwrap() {
        let p = e.unwrap().path();
        all.push((
            format!("corpus-{}", p.file_name().unwrap().to_string_lossy()),
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
        ));
    }
    validate_with_python("osv", &corpus, &all);
}

fn publisher() -> csaf::Publisher {
    csaf::Publisher {
        category: "vendor".into(),
        name: "Apache Software Foundation".into(),
        namespace: "https://www.apache.org".into(),
        contact_details: Some("security@apache.org".into()),
        issuing_authority: Some("The Apache Security Team, a CVE Numbering Authority".into()),
        advisories_url: Some("https://security.apache.org/.well-known/csaf/white/".into()),
    }
}

/// The official CWE names, read from the validator's own catalogue (so the CWE
/// test 6.1.11 is judged against the list it uses).
fn cwe_names(lib: &Path) -> csaf::CweNames {
    let script = format!(
        "import({:?}).then(m => console.log(JSON.stringify(m.default.weaknesses)))",
        url(&lib.join("lib/shared/cwec.js"))
    );
    let out = Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    csaf::CweNames::from_pairs(list.iter().map(|w| {
        (
            w["id"].as_str().unwrap().to_string(),
            w["name"].as_str().unwrap().to_string(),
        )
    }))
}

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn csaf_documents(corpus: &Path, cwes: &csaf::CweNames) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for (name, record) in imported(corpus) {
        match csaf::from_cve_with(&record, &publisher(), cwes) {
            Ok(doc) => docs.push((name, doc)),
            Err(FormatError::Rejected { .. }) => assert!(record.is_rejected()),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(docs.len(), 41, "one advisory per PUBLISHED record");
    docs
}

#[test]
fn csaf_exports_validate_against_the_schema() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("CSAF schema validation") else {
        return;
    };
    let cwes = embargo_testkit::npm_package(VALIDATOR)
        .map(|l| cwe_names(&l))
        .unwrap_or_default();
    let docs = csaf_documents(&corpus, &cwes);
    let by = |id: &str| {
        &docs
            .iter()
            .find(|(n, _)| n == &format!("{id}.json"))
            .unwrap()
            .1
    };
    let d = by("CVE-2024-32114");
    assert_eq!(d["document"]["tracking"]["id"], "CVE-2024-32114");
    assert_eq!(
        d["document"]["references"][0]["url"],
        "https://security.apache.org/.well-known/csaf/white/2024/cve-2024-32114.json"
    );
    assert_eq!(
        d["product_tree"]["branches"][0]["branches"][0]["branches"][0]["name"],
        "vers:semver/>=6.0.0|<=6.1.1"
    );
    assert_eq!(
        d["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"],
        8.5
    );
    let d = by("CVE-2024-47561");
    assert_eq!(
        d["vulnerabilities"][0]["product_status"]["fixed"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        d["vulnerabilities"][0]["remediations"][0]["category"],
        "vendor_fix"
    );
    let provider = csaf::provider_metadata(
        &csaf::ProviderMetadata {
            canonical_url: "https://security.apache.org/.well-known/csaf/provider-metadata.json"
                .into(),
            directory_url: "https://security.apache.org/.well-known/csaf/white/".into(),
            last_updated: "2024-10-24T00:00:00Z".into(),
            role: "csaf_provider".into(),
            openpgp_keys: vec![(
                "https://security.apache.org/.well-known/csaf/openpgp/key.asc".into(),
                Some("0123456789ABCDEF0123456789ABCDEF01234567".into()),
            )],
        },
        &publisher(),
    );
    if !embargo_testkit::require_python("CSAF schema validation", PYTHON_MODULES) {
        return;
    }
    validate_with_python("csaf", &corpus, &docs);
    validate_with_python(
        "provider",
        &corpus,
        &[("provider-metadata.json".into(), provider)],
    );
}

const BSI_JS: &str = r#"
import { readFileSync } from 'node:fs'
const [lib, ...files] = process.argv.slice(2)
const { default: validate } = await import(`file://${lib}/validate.js`)
const mandatory = await import(`file://${lib}/mandatoryTests.js`)
const tests = Object.entries(mandatory).filter(([k, f]) => k.startsWith('mandatoryTest') && typeof f === 'function').map(([, f]) => f)
let bad = 0
for (const f of files) {
  const result = await validate(tests, JSON.parse(readFileSync(f, 'utf8')))
  if (!result.isValid) {
    bad++
    for (const t of result.tests.filter((t) => !t.isValid)) {
      for (const e of t.errors) console.log(`${f.split('/').pop()}: ${t.name}: ${e.instancePath}: ${e.message}`)
    }
  }
}
console.log(`BSI mandatory tests (${tests.length}): ${files.length} documents, ${bad} invalid`)
process.exit(bad ? 1 : 0)
"#;

#[test]
fn csaf_exports_pass_the_bsi_mandatory_tests() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("BSI CSAF validator") else {
        return;
    };
    let Some(lib) = embargo_testkit::require_npm_package("BSI CSAF validator", VALIDATOR) else {
        return;
    };
    let docs = csaf_documents(&corpus, &cwe_names(&lib));
    assert!(
        docs.iter()
            .filter(|(_, d)| d["vulnerabilities"][0].get("cwe").is_some())
            .count()
            > 20,
        "most records get a structured CWE"
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bsi.mjs");
    std::fs::write(&script, BSI_JS).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(&script).arg(&lib);
    for (name, doc) in &docs {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        cmd.arg(path);
    }
    // The validator itself must reject a broken document, or a pass means nothing.
    let mut broken = docs[0].1.clone();
    broken["vulnerabilities"][0]["product_status"]["known_affected"] =
        serde_json::json!(["CSAFPID-9999"]);
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "BSI mandatory tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("{} documents, 0 invalid", docs.len())));
    let out = Command::new("node")
        .arg(&script)
        .arg(&lib)
        .arg(&broken_path)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "an undefined product id must fail 6.1.1: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The sections of an ASF announcement: header line ("Credit:") → its lines, trimmed,
/// blank lines dropped.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let is_header = t.ends_with(':')
            && t.len() < 40
            && t.chars().next().is_some_and(char::is_uppercase)
            && !t.contains("://");
        if is_header {
            out.push((t.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some(last) = out.last_mut()
            && !t.is_empty()
        {
            last.1
                .push(t.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out
}

fn section<'a>(s: &'a [(String, Vec<String>)], name: &str) -> &'a [String] {
    s.iter()
        .find(|(n, _)| n == name)
        .map(|(_, l)| l.as_slice())
        .unwrap_or_default()
}

#[test]
fn announcement_from_imported_record_matches_the_real_one() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("announcement comparison") else {
        return;
    };
    // The only CVE with both a record and an announcement in the corpus (the others'
    // records, e.g. CVE-2023-35797, CVE-2023-46604, are not in cve-records/).
    let text = std::fs::read_to_string(corpus.join("cve-records/CVE-2024-32114.json")).unwrap();
    let real = std::fs::read_to_string(
        corpus.join("announcements/activemq-website_CVE-2024-32114-announcement.txt"),
    )
    .unwrap();
    let record = import(&text).unwrap();
    let cve = CveId::parse("CVE-2024-32114").unwrap();
    let ours = to_cna_record(&record).announcement(&cve);
    assert_eq!(
        ours.subject,
        "CVE-2024-32114: Apache ActiveMQ: Jolokia and REST API were not secured with default configuration"
    );
    let (ours, real) = (sections(&ours.body), sections(&real));

    // Affected versions: the same product; the ranges differ genuinely. The record says
    // 6.0.0 <= v <= 6.1.1 (lessThanOrEqual), which ours says as written; the
    // announcement says "6.x before 6.1.2".
    assert_eq!(
        section(&ours, "Affected versions"),
        ["- Apache ActiveMQ 6.0.0 through 6.1.1"]
    );
    assert_eq!(
        section(&real, "Affected versions"),
        ["- Apache ActiveMQ 6.x before 6.1.2"]
    );
    assert!(section(&ours, "Affected versions")[0].starts_with("- Apache ActiveMQ 6."));

    // Description: the same text, modulo whitespace and the line the website adds.
    let norm = |l: &[String]| {
        l.join(" ")
            .replace('\u{a0}', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (ours_d, real_d) = (
        norm(section(&ours, "Description")),
        norm(section(&real, "Description")),
    );
    for sentence in [
        "the default configuration doesn't secure the API web context",
        "Or we encourage users to upgrade to Apache ActiveMQ 6.1.2",
    ] {
        assert!(
            ours_d.contains(sentence) && real_d.contains(sentence),
            "{sentence}"
        );
    }

    // Credit: the record credits the finder; the website's announcement has no Credit section.
    assert_eq!(section(&ours, "Credit"), ["Martin Zeissig (finder)"]);
    assert!(section(&real, "Credit").is_empty());

    // References: both end with (or contain) the cve.org page. The record's only other
    // reference is the announcement's own .txt URL, which the announcement lists as its
    // page URL without ".txt"; the website adds the project page and the Jira issue.
    let cve_page = "https://www.cve.org/CVERecord?id=CVE-2024-32114".to_string();
    assert!(section(&ours, "References").contains(&cve_page));
    assert!(section(&real, "References").contains(&cve_page));
    assert_eq!(
        section(&ours, "References"),
        [
            "https://activemq.apache.org/security-advisories.data/CVE-2024-32114-announcement.txt",
            cve_page.as_str()
        ]
    );
    assert!(section(&real, "References").contains(
        &"https://activemq.apache.org/security-advisories.data/CVE-2024-32114".to_string()
    ));
}
