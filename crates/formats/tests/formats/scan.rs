//! Scanner reports (`embargo_formats::scan`) over the real reports in the corpus, and
//! their triage against statements (`embargo_domain::vex::matching`): every report's
//! pairs counted against an independent reading (`scan/independent.rs`), statements made
//! from some of each report's findings answer exactly the findings they should, aliases
//! and the spellings of components, refused input, and no panic on any bytes.

#![allow(clippy::unwrap_used)]

mod independent;
mod inputs;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use embargo_domain::vex::matching::{
    Finding, FindingStatus, StatementIndex, Triage, plain_text, triage,
};
use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_formats::scan::{self, ScanFormat};
use serde_json::Value;

/// Every report of the corpus with its format: `scanner-reports/` and the CycloneDX
/// documents with vulnerabilities under `vex/cyclonedx/`.
fn corpus_reports(corpus: &Path) -> Vec<(PathBuf, ScanFormat)> {
    let mut out = Vec::new();
    let mut dirs = vec![corpus.join("scanner-reports"), corpus.join("vex/cyclonedx")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let format = match path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
            {
                "dependency-check" if text.trim_start().starts_with('<') => {
                    ScanFormat::DependencyCheckXml
                }
                "dependency-check" => ScanFormat::DependencyCheckJson,
                "trivy" => ScanFormat::Trivy,
                "grype" => ScanFormat::Grype,
                "sarif" => ScanFormat::Sarif,
                "osv-scanner" => ScanFormat::OsvScanner,
                "cyclonedx" if text.contains("\"vulnerabilities\"") => ScanFormat::CycloneDx,
                "cyclonedx" => continue,
                other => panic!("a scanner report in an unknown folder: {other}"),
            };
            out.push((path, format));
        }
    }
    out.sort();
    assert!(
        out.len() >= 15,
        "expected the corpus' reports, found {}",
        out.len()
    );
    out
}

fn independent_pairs(format: ScanFormat, bytes: &[u8]) -> independent::Pairs {
    if format == ScanFormat::DependencyCheckXml {
        return independent::dependency_check_xml(std::str::from_utf8(bytes).unwrap());
    }
    let doc: Value = serde_json::from_slice(bytes).unwrap();
    match format {
        ScanFormat::DependencyCheckJson => independent::dependency_check_json(&doc),
        ScanFormat::Trivy => independent::trivy(&doc),
        ScanFormat::Grype => independent::grype(&doc),
        ScanFormat::Sarif => independent::sarif(&doc),
        ScanFormat::CycloneDx => independent::cyclonedx(&doc),
        ScanFormat::OsvScanner => independent::osv_scanner(&doc),
        ScanFormat::DependencyCheckXml => unreachable!(),
    }
}

#[test]
fn every_corpus_report_reads_to_the_pairs_an_independent_reading_counts() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("scanner reports") else {
        return;
    };
    let mut formats = BTreeSet::new();
    for (path, format) in corpus_reports(&corpus) {
        let name = path.display();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(scan::detect(&bytes).unwrap(), format, "{name}");
        let findings = scan::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = independent_pairs(format, &bytes);
        assert!(
            !expected.is_empty(),
            "{name}: the independent reading found nothing"
        );
        assert_eq!(findings.len(), expected.len(), "{name}: {findings:#?}");
        let ids: BTreeSet<String> = findings
            .iter()
            .map(|f| f.vulnerability.to_uppercase())
            .collect();
        let expected_ids: BTreeSet<String> = expected.iter().map(|(v, _)| v.clone()).collect();
        assert_eq!(ids, expected_ids, "{name}");
        for f in &findings {
            assert!(!f.component.name.is_empty(), "{name}: {f:?}");
        }
        formats.insert(format!("{format:?}"));
    }
    // Every format read has a real report in the corpus.
    assert_eq!(formats.len(), 7, "{formats:?}");
}

#[test]
fn corpus_components_are_named_as_the_scanners_name_them() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("scanner reports") else {
        return;
    };
    let read = |p: &str| scan::read(&std::fs::read(corpus.join(p)).unwrap()).unwrap();
    let dc = read("scanner-reports/dependency-check/defectdojo-version-6.5.3.xml");
    assert_eq!(dc.len(), 1);
    let c = &dc[0].component;
    assert_eq!(dc[0].vulnerability, "CVE-2020-9488");
    assert_eq!(
        c.purl.as_deref(),
        Some("pkg:maven/org.apache.logging.log4j/log4j-api@2.12.4")
    );
    assert_eq!(
        (c.name.as_str(), c.version.as_deref()),
        ("org.apache.logging.log4j:log4j-api", Some("2.12.4"))
    );
    assert!(c.file.as_deref().unwrap().ends_with("log4j-api-2.12.4.jar"));

    let sarif = read("scanner-reports/sarif/trivy-alpine-310.sarif");
    let c = &sarif[0].component;
    assert_eq!(
        (c.name.as_str(), c.version.as_deref()),
        ("libcrypto1.1", Some("1.1.1c-r0"))
    );

    let grype = read("scanner-reports/grype/defectdojo-grype-0.96-issue_9618.json");
    let avro: Vec<&Finding> = grype
        .iter()
        .filter(|f| f.component.name == "avro")
        .collect();
    assert_eq!(avro.len(), 2, "two versions of avro are two components");
    assert_eq!(avro[0].aliases, ["GHSA-rhrv-645h-fjfh"]);
    assert!(
        avro[1]
            .component
            .file
            .as_deref()
            .unwrap()
            .ends_with("avro-1.9.2.jar")
    );

    let osv = read("scanner-reports/osv-scanner/defectdojo-osv-scanner-some_findings.json");
    assert_eq!(osv[0].vulnerability, "MAL-2023-1035");
    assert_eq!(osv[0].aliases, ["GHSA-8348-2q94-ffjx"]);
    assert_eq!(
        osv[0].component.purl.as_deref(),
        Some("pkg:npm/flot-axis@0.0.0")
    );

    let vex = read("vex/cyclonedx/bom-examples-vex.cdx.json");
    let purl = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar";
    assert_eq!(
        vex[0].component.purl.as_deref(),
        Some(purl),
        "a BOM-Link resolves to its purl"
    );
    assert_eq!(
        vex[0].component.name,
        "com.fasterxml.jackson.core:jackson-databind"
    );
}

/// The component without version and qualifiers, lower-cased: what a statement about it
/// is about (the independent form of the matching rule, for the corpus' components).
fn identity(f: &Finding) -> String {
    if let Some(purl) = &f.component.purl {
        let base = purl.split(['?', '#']).next().unwrap();
        let cut = base.rfind('/').map_or(base.len(), |slash| {
            base[slash..].find('@').map_or(base.len(), |at| slash + at)
        });
        return base[..cut].to_lowercase();
    }
    f.component.name.to_lowercase()
}

fn ids(f: &Finding) -> BTreeSet<String> {
    std::iter::once(&f.vulnerability)
        .chain(&f.aliases)
        .map(|id| id.to_uppercase())
        .collect()
}

const STATUSES: [VexStatus; 4] = [
    VexStatus::NotAffected,
    VexStatus::Affected,
    VexStatus::Fixed,
    VexStatus::UnderInvestigation,
];

/// A statement about `f`'s vulnerability in its component, the component spelled in
/// one of the ways people write it (by `spelling`).
fn statement_for(f: &Finding, spelling: usize, status: VexStatus) -> Statement {
    let c = &f.component;
    let purl_without_version = c.purl.as_ref().map(|_| identity(f));
    let (purl, name) = match spelling % 3 {
        0 => (purl_without_version, c.name.clone()),
        1 => (None, c.name.clone()),
        _ => (None, c.name.to_uppercase()),
    };
    Statement {
        vulnerability: f.vulnerability.clone(),
        aliases: f.aliases.clone(),
        component: Component { purl, name },
        product_versions: None,
        status,
        justification: Some(Justification::ComponentNotPresent),
        impact: Some("The project does not ship this.".into()),
        action: Some("Upgrade.".into()),
        fixed_in: Some("1.2.3".into()),
        public: true,
        until: None,
    }
}

/// Statements from every third finding of each corpus report: exactly the findings
/// with the same component and an id in common are answered (with a statement about
/// them), the others need analysis, and the counts add up.
#[test]
fn corpus_reports_triage_against_statements_made_from_their_findings() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("scanner reports") else {
        return;
    };
    for (path, _) in corpus_reports(&corpus) {
        let name = path.display();
        let findings = scan::read(&std::fs::read(&path).unwrap()).unwrap();
        let chosen: Vec<&Finding> = findings.iter().step_by(3).collect();
        let statements: Vec<Statement> = chosen
            .iter()
            .enumerate()
            .map(|(i, f)| statement_for(f, i, STATUSES[i % 4]))
            .collect();
        let result = triage(&findings, &StatementIndex::new(&statements));
        assert_eq!(result.findings.len(), findings.len(), "{name}");
        for (f, t) in findings.iter().zip(&result.findings) {
            let answerable = chosen
                .iter()
                .any(|c| identity(c) == identity(f) && !ids(c).is_disjoint(&ids(f)));
            assert_eq!(t.statement.is_some(), answerable, "{name}: {f:?} -> {t:?}");
            assert_eq!(t.vulnerability, f.vulnerability);
            match t.statement {
                Some(i) => {
                    let source = chosen[usize::try_from(i).unwrap()];
                    assert_eq!(identity(source), identity(f), "{name}: {f:?}");
                    assert_eq!(t.status, FindingStatus::from(statements[i as usize].status));
                    assert_eq!(t.justification, Some(Justification::ComponentNotPresent));
                }
                None => assert_eq!(t.status, FindingStatus::NeedsAnalysis),
            }
        }
        check_summary(&result);
        let text = plain_text(&result, "Apache Kafka");
        assert!(
            text.contains("Already answered by Apache Kafka"),
            "{name}: {text}"
        );
    }
}

fn check_summary(t: &Triage) {
    let count = |s: FindingStatus| t.findings.iter().filter(|f| f.status == s).count();
    let s = &t.summary;
    assert_eq!(s.total, t.findings.len());
    assert_eq!(s.not_affected, count(FindingStatus::NotAffected));
    assert_eq!(s.affected, count(FindingStatus::Affected));
    assert_eq!(s.fixed, count(FindingStatus::Fixed));
    assert_eq!(
        s.under_investigation,
        count(FindingStatus::UnderInvestigation)
    );
    assert_eq!(s.needs_analysis, count(FindingStatus::NeedsAnalysis));
    let json = serde_json::to_value(t).unwrap();
    let keys: Vec<&str> = json["findings"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "component",
            "impact",
            "justification",
            "statement",
            "status",
            "vulnerability"
        ]
    );
}
