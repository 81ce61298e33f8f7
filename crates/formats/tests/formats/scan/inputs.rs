//! Reports written for one rule each: aliases, the spellings of a component, the SARIF
//! of Dependency-Check, refused input with the place named, and no panic on any bytes.

use embargo_domain::vex::matching::{FindingStatus, StatementIndex, triage};
use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_formats::scan::{self, MAX_BYTES, MAX_FINDINGS, ScanError, ScanFormat};
use proptest::prelude::*;
use std::sync::OnceLock;

fn not_affected(vuln: &str, aliases: &[&str], purl: Option<&str>, name: &str) -> Statement {
    Statement {
        vulnerability: vuln.into(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        component: Component {
            purl: purl.map(Into::into),
            name: name.into(),
        },
        product_versions: None,
        status: VexStatus::NotAffected,
        justification: Some(Justification::VulnerableCodeNotInExecutePath),
        impact: None,
        action: None,
        fixed_in: None,
        public: false,
        until: None,
    }
}

fn statuses(report: &str, statements: &[Statement]) -> Vec<FindingStatus> {
    let findings = scan::read(report.as_bytes()).unwrap();
    let t = triage(&findings, &StatementIndex::new(statements));
    t.findings.iter().map(|f| f.status).collect()
}

const NA: FindingStatus = FindingStatus::NotAffected;
const OPEN: FindingStatus = FindingStatus::NeedsAnalysis;

#[test]
fn a_ghsa_finding_is_answered_by_the_cve_statement_that_lists_it() {
    let trivy = r#"{"SchemaVersion": 2, "Results": [{"Target": "pom.xml", "Class": "lang-pkgs",
        "Vulnerabilities": [
          {"VulnerabilityID": "GHSA-rhrv-645h-fjfh", "PkgName": "org.apache.avro:avro",
           "InstalledVersion": "1.9.2"},
          {"VulnerabilityID": "GHSA-aaaa-bbbb-cccc", "PkgName": "org.apache.avro:avro",
           "InstalledVersion": "1.9.2"}]}]}"#;
    let cve = not_affected(
        "CVE-2023-39410",
        &["GHSA-rhrv-645h-fjfh"],
        Some("pkg:maven/org.apache.avro/avro"),
        "avro",
    );
    assert_eq!(statuses(trivy, std::slice::from_ref(&cve)), [NA, OPEN]);
    // Without the alias on the statement, nothing answers.
    let bare = Statement {
        aliases: vec![],
        ..cve
    };
    assert_eq!(statuses(trivy, &[bare]), [OPEN, OPEN]);
}

#[test]
fn a_finding_that_carries_an_alias_is_answered_by_a_statement_on_it() {
    let grype = r#"{"matches": [{"vulnerability": {"id": "CVE-2023-39410"},
        "relatedVulnerabilities": [{"id": "GHSA-rhrv-645h-fjfh"}],
        "artifact": {"name": "avro", "version": "1.11.1",
                     "purl": "pkg:maven/org.apache.avro/avro@1.11.1",
                     "locations": [{"path": "/opt/kafka/libs/avro-1.11.1.jar"}]}}]}"#;
    let ghsa = not_affected("ghsa-rhrv-645h-fjfh", &[], None, "org.apache.avro:avro");
    assert_eq!(statuses(grype, &[ghsa]), [NA]);
}

#[test]
fn versions_jar_names_and_case_are_tolerated() {
    // Dependency-Check knows this jar by its file name only.
    let xml = r#"<?xml version="1.0"?>
        <analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.4.0.xsd">
          <dependencies>
            <dependency isVirtual="false">
              <fileName>jackson-databind-2.13.4.jar</fileName>
              <filePath>/opt/app/lib/jackson-databind-2.13.4.jar</filePath>
              <vulnerabilities>
                <vulnerability source="NVD"><name>CVE-2022-42003</name>
                  <references><reference><name>CVE-2099-0001</name></reference></references>
                </vulnerability>
              </vulnerabilities>
              <relatedDependencies>
                <relatedDependency><fileName>other-1.0.jar</fileName></relatedDependency>
              </relatedDependencies>
              <suppressedVulnerabilities>
                <suppressedVulnerability><name>CVE-2022-42004</name></suppressedVulnerability>
              </suppressedVulnerabilities>
            </dependency>
          </dependencies>
        </analysis>"#;
    let findings = scan::read(xml.as_bytes()).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let c = &findings[0].component;
    assert_eq!(
        (c.name.as_str(), c.version.as_deref()),
        ("jackson-databind", Some("2.13.4"))
    );
    let by_purl = not_affected(
        "cve-2022-42003",
        &[],
        Some("pkg:Maven/com.fasterxml.jackson.core/Jackson-Databind"),
        "x",
    );
    assert_eq!(statuses(xml, &[by_purl]), [NA]);
    let by_jar = not_affected("CVE-2022-42003", &[], None, "jackson-databind-2.12.0.jar");
    assert_eq!(statuses(xml, &[by_jar]), [NA]);
    let other = not_affected(
        "CVE-2022-42003",
        &[],
        Some("pkg:maven/org.other/jackson-core"),
        "x",
    );
    assert_eq!(statuses(xml, &[other]), [OPEN]);
}

#[test]
fn dependency_check_sarif_names_the_component_by_its_logical_location() {
    // The shape Dependency-Check's sarifReport.vsl writes.
    let sarif = r#"{"$schema": "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
      "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "dependency-check", "rules": [{"id": "CVE-2020-9488"}]}},
        "artifacts": [{"location": {"uri": "/lib/log4j-api-2.12.4.jar"}}],
        "results": [
          {"ruleId": "CVE-2020-9488", "level": "warning",
           "message": {"text": "CVE-2020-9488 - Improper validation"},
           "locations": [{"physicalLocation": {"artifactLocation": {"uri": "/lib/log4j-api-2.12.4.jar", "index": 0}},
                          "logicalLocations": [{"fullyQualifiedName": "pkg:maven/org.apache.logging.log4j/log4j-api@2.12.4"}]}]},
          {"ruleId": "CVE-2021-44228", "message": {"text": "by file name"},
           "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}]},
          {"ruleId": "java/sql-injection", "message": {"text": "not a dependency"}}
        ]}]}"#;
    assert_eq!(scan::detect(sarif.as_bytes()).unwrap(), ScanFormat::Sarif);
    let findings = scan::read(sarif.as_bytes()).unwrap();
    assert_eq!(findings.len(), 2, "{findings:?}");
    let c = &findings[0].component;
    assert_eq!(
        c.purl.as_deref(),
        Some("pkg:maven/org.apache.logging.log4j/log4j-api@2.12.4")
    );
    assert_eq!(c.file.as_deref(), Some("/lib/log4j-api-2.12.4.jar"));
    let c = &findings[1].component;
    assert_eq!(
        (c.name.as_str(), c.version.as_deref()),
        ("log4j-api", Some("2.12.4"))
    );
    assert_eq!(
        c.file.as_deref(),
        Some("/lib/log4j-api-2.12.4.jar"),
        "by the artifact's index"
    );
}

#[test]
fn duplicates_are_one_finding_with_the_aliases_merged() {
    let grype = r#"{"matches": [
        {"vulnerability": {"id": "CVE-1"}, "relatedVulnerabilities": [{"id": "GHSA-a"}],
         "artifact": {"name": "a", "version": "1", "locations": [{"path": "/x/a.so"}]}},
        {"vulnerability": {"id": "cve-1"}, "relatedVulnerabilities": [{"id": "GHSA-b"}, {"id": "CVE-1"}],
         "artifact": {"name": "a", "version": "1", "locations": [{"path": "/y/a.so"}]}},
        {"vulnerability": {"id": "CVE-1"}, "artifact": {"name": "a", "version": "2"}}]}"#;
    let findings = scan::read(grype.as_bytes()).unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0].aliases, ["GHSA-a", "GHSA-b"]);
    assert_eq!(findings[0].component.file.as_deref(), Some("/x/a.so"));
}

fn error(bytes: &[u8]) -> String {
    scan::read(bytes).unwrap_err().to_string()
}

#[test]
fn bad_input_is_refused_with_the_place_named() {
    assert!(error(b"").contains("empty"));
    assert!(error(b"hello").contains("neither JSON nor XML"));
    assert!(error(b"[1, 2]").contains("JSON array"));
    assert!(error(br#"{"some": "thing"}"#).contains("without the fields"));
    let truncated = error(b"{\"matches\": [\n{\"vulnerability\": ");
    assert!(
        truncated.contains("not valid JSON at line 2"),
        "{truncated}"
    );
    let shape = error(
        br#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": 5}]}]}"#,
    );
    assert!(
        shape.contains("Results[0].Vulnerabilities[0].VulnerabilityID"),
        "{shape}"
    );
    let trailing = error(br#"{"matches": []} {"#);
    assert!(trailing.contains("trailing characters"), "{trailing}");
    let bom = error(br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}"#);
    assert!(bom.contains("without vulnerabilities"), "{bom}");
    assert!(error(b"<suppressions/>").contains("root element is <suppressions>"));
    let xml = error(b"<analysis><dependencies><dependency></dependencies></analysis>");
    assert!(xml.contains("not well-formed XML at byte"), "{xml}");
    let open = error(b"<analysis><dependencies>");
    assert!(open.contains("ends inside <dependencies>"), "{open}");
    let deep = format!("<analysis>{}", "<a>".repeat(200));
    assert!(error(deep.as_bytes()).contains("nested deeper"));
}

#[test]
fn sizes_are_bounded() {
    let mut big = vec![b' '; MAX_BYTES + 1];
    big[0] = b'{';
    assert!(matches!(scan::read(&big), Err(ScanError::TooLarge { .. })));
    let one = r#"{"VulnerabilityID":"CVE-2020-0001","PkgName":"a"},"#;
    let mut many = String::from(r#"{"SchemaVersion":2,"Results":[{"Vulnerabilities":["#);
    many.push_str(&one.repeat(MAX_FINDINGS + 1));
    many.pop();
    many.push_str("]}]}");
    assert!(matches!(
        scan::read(many.as_bytes()),
        Err(ScanError::TooManyFindings { .. })
    ));
}

/// The corpus' reports, read once for the mutation property (empty without a corpus:
/// the first test of this file already said SKIPPED or failed under CI).
fn corpus_bytes() -> &'static [Vec<u8>] {
    static REPORTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    REPORTS.get_or_init(read_corpus_bytes)
}

fn read_corpus_bytes() -> Vec<Vec<u8>> {
    let Some(corpus) = embargo_testkit::corpus() else {
        return vec![b"{}".to_vec()];
    };
    let mut out = Vec::new();
    let mut dirs = vec![corpus.join("scanner-reports")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(std::fs::read(path).unwrap());
            }
        }
    }
    out.sort();
    out
}

/// Any byte, or one that keeps a JSON string a string (so that reading gets past it).
fn edit_byte() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), prop::sample::select(b"aZ09-:@./#? ".to_vec())]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reading_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = scan::read(&bytes);
    }

    #[test]
    fn reading_a_mutated_corpus_report_never_panics(
        file in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), edit_byte()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let reports = corpus_bytes();
        let mut bytes = reports[file.index(reports.len())].clone();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        let _ = scan::read(&bytes);
    }
}
