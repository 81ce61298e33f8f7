//! VEX statements in and out (`embargo_formats::vex`, docs/vex.md "Formats"), over the
//! corpus: every suppression file, OpenVEX and CycloneDX VEX document imports, exports
//! in its own format and imports again to the same statements (counts checked against
//! the source's own elements); every export of every source, in every format, passes
//! the official checker (schemas, the 1.3 XSD, the BSI mandatory tests); bad input gets
//! an error naming where; arbitrary and mutated bytes never panic.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use embargo_domain::vex::{Component, Statement, VexStatus};
use embargo_formats::vex::{
    self, CycloneDxVersion, DcElement, ExportMeta, Imported, Publisher, VexFormat,
};
use serde_json::Value;

mod errors;
mod oracles;
mod statements;

/// Documents by file name, as the oracles take them.
type Docs = Vec<(String, Vec<u8>)>;

fn meta() -> ExportMeta {
    ExportMeta {
        project_name: "Apache Kafka".into(),
        project_slug: "kafka".into(),
        product_purl: Some("pkg:maven/org.apache.kafka/kafka-clients".into()),
        product_version: None,
        publisher: Publisher {
            category: "vendor".into(),
            name: "Apache Software Foundation".into(),
            namespace: "https://www.apache.org".into(),
            contact_details: Some("security@apache.org".into()),
            issuing_authority: None,
            advisories_url: None,
        },
        document_id: "KAFKA-VEX".into(),
        document_url: "https://security.example.org/projects/kafka/vex".into(),
        timestamp: "2025-03-01T10:00:00Z".parse().unwrap(),
        dependency_check_extra: Vec::new(),
    }
}

/// The files of a corpus folder (recursively), sorted.
fn files(corpus: &Path, dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![corpus.join(dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `statements` in `format` (CycloneDX in `version`, 1.6 by default).
fn export_as(
    format: VexFormat,
    version: Option<CycloneDxVersion>,
    statements: &[Statement],
) -> Vec<u8> {
    match version {
        Some(v) => vex::export_cyclonedx(v, statements, &meta()),
        None => vex::export(format, statements, &meta()),
    }
    .unwrap_or_else(|e| panic!("{format} export: {e}"))
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

fn import_file(p: &Path) -> Imported {
    vex::import(&std::fs::read(p).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The suppression files, OpenVEX and CycloneDX VEX documents and CSAF VEX documents
/// of the corpus.
fn sources(corpus: &Path) -> Vec<PathBuf> {
    let mut all = files(corpus, "suppressions", ".xml");
    all.extend(files(corpus, "vex/openvex", ".json"));
    all.extend(
        files(corpus, "vex/cyclonedx", ".json")
            .into_iter()
            .filter(|p| !name(p).ends_with("-bom.cdx.json")),
    );
    all.extend([
        corpus.join("csaf/sec-vex-2022-0001.json"),
        corpus.join("csaf/2022-evd-uc-01-na-001.json"),
    ]);
    all
}

/// `text` without XML comments and CDATA sections (notes quote elements at times).
fn markup_only(text: &str) -> String {
    let mut text = text.to_string();
    for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>")] {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            rest = rest[i..].split_once(close).map_or("", |(_, r)| r);
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// How many statements a JSON document holds, counted on its own elements: OpenVEX
/// statements × distinct subcomponents, CycloneDX vulnerabilities × affects.
fn json_count(doc: &Value) -> usize {
    let list = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    if let Some(statements) = doc["statements"].as_array() {
        return statements
            .iter()
            .map(|s| {
                let mut subs: Vec<Value> = list(s, "products")
                    .iter()
                    .flat_map(|p| list(p, "subcomponents"))
                    .map(|c| c["@id"].clone())
                    .collect();
                subs.sort_by_key(Value::to_string);
                subs.dedup();
                subs.len().max(1)
            })
            .sum();
    }
    list(doc, "vulnerabilities")
        .iter()
        .map(|v| list(v, "affects").len().max(1))
        .sum()
}

#[test]
fn suppression_files_round_trip_and_stay_xsd_valid() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("suppression round trip") else {
        return;
    };
    let mut exported = Vec::new();
    let paths = files(&corpus, "suppressions", ".xml");
    assert_eq!(paths.len(), 5, "the corpus' five suppression files");
    for p in paths {
        let text = markup_only(&std::fs::read_to_string(&p).unwrap());
        let first = import_file(&p);
        assert_eq!(first.format, VexFormat::DependencyCheck);
        let kept = |e: &[DcElement]| {
            first
                .dependency_check_extra
                .iter()
                .flat_map(|r| &r.matches)
                .filter(|m| e.contains(&m.element))
                .count()
        };
        // Every id element became a statement or stayed in a kept rule; every other
        // matcher stayed.
        let ids = text.matches("<cve>").count() + text.matches("<vulnerabilityName").count();
        let id_elements = [DcElement::Cve, DcElement::VulnerabilityName];
        assert_eq!(
            first.statements.len() + kept(&id_elements),
            ids,
            "{}",
            p.display()
        );
        let others = ["<cpe", "<cwe>", "<cvssBelow>"].map(|t| text.matches(t).count());
        let other_elements = [DcElement::Cpe, DcElement::Cwe, DcElement::CvssBelow];
        assert_eq!(
            kept(&other_elements),
            others.iter().sum::<usize>(),
            "{}",
            p.display()
        );

        let mut m = meta();
        m.dependency_check_extra = first.dependency_check_extra.clone();
        let out = vex::export(VexFormat::DependencyCheck, &first.statements, &m).unwrap();
        let second = vex::import(&out).unwrap();
        assert_eq!(second.statements, first.statements, "{}", p.display());
        assert_eq!(second.dependency_check_extra, first.dependency_check_extra);
        m.dependency_check_extra = second.dependency_check_extra.clone();
        let again = vex::export(VexFormat::DependencyCheck, &second.statements, &m).unwrap();
        assert_eq!(again, out, "{}: the export is a fixed point", p.display());
        exported.push((name(&p), out));
    }
    let by = |n: &str| exported.iter().find(|(f, _)| f.contains(n)).unwrap();
    let kafka = String::from_utf8(by("kafka").1.clone()).unwrap();
    assert_eq!(kafka.matches("<suppress>").count(), 3, "{kafka}");
    assert!(kafka.contains("<cve>CVE-2020-8908</cve>\n    <cve>CVE-2023-2976</cve>"));
    assert!(kafka.contains("      Kafka does not use CgiServlet\n"));
    if oracles::dependency_check_xsd(&corpus, &exported) {
        // The originals validate too: the oracle and the corpus agree.
        let originals: Vec<(String, Vec<u8>)> = files(&corpus, "suppressions", ".xml")
            .iter()
            .filter(|p| !name(p).contains("base"))
            .map(|p| (name(p), std::fs::read(p).unwrap()))
            .collect();
        oracles::dependency_check_xsd(&corpus, &originals);
    }
}

#[test]
fn suppressions_map_to_statements_as_documented() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("suppression mapping") else {
        return;
    };
    let kafka =
        import_file(&corpus.join("suppressions/apache-kafka-dependencycheck-suppressions.xml"));
    let ids: Vec<&str> = kafka
        .statements
        .iter()
        .map(|s| s.vulnerability.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "CVE-2023-35116",
            "CVE-2020-8908",
            "CVE-2023-2976",
            "CVE-2023-36479"
        ]
    );
    assert!(
        kafka
            .statements
            .iter()
            .all(|s| vex::is_any_component(&s.component)
                && s.status == VexStatus::NotAffected
                && s.justification.is_none())
    );
    assert_eq!(
        kafka.statements[0].impact.as_deref(),
        Some(
            "The attack described in CVE-2023-35116, like in most application, cannot\nbe achieved by an external attacker."
        )
    );
    assert!(kafka.warnings.is_empty() && kafka.dependency_check_extra.is_empty());

    let koski = import_file(
        &corpus.join("suppressions/opetushallitus-koski-owasp-dependency-check-suppressions.xml"),
    );
    assert_eq!(koski.statements.len(), 9);
    let scalaz = koski
        .statements
        .iter()
        .find(|s| s.vulnerability == "CVE-2022-2393")
        .unwrap();
    assert_eq!(
        scalaz.component,
        Component {
            purl: Some("pkg:maven/org.scalaz/scalaz-core_2.12".into()),
            name: "org.scalaz:scalaz-core_2.12".into()
        }
    );
    // The Jetty rule matches many artifacts; the JLine rule's cpe stays beside its CVE.
    assert_eq!(koski.dependency_check_extra.len(), 2);
    assert!(
        koski.dependency_check_extra[0]
            .matches
            .iter()
            .all(|m| m.element == DcElement::Cve)
    );
    assert_eq!(
        koski.dependency_check_extra[1].matches[0].element,
        DcElement::Cpe
    );
    assert!(
        koski
            .statements
            .iter()
            .any(|s| s.vulnerability == "CVE-2023-50572")
    );
    assert_eq!(koski.warnings.len(), 3, "{:?}", koski.warnings);
}

#[test]
fn rules_without_one_component_are_kept_whole() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("suppression mapping") else {
        return;
    };
    let base = import_file(&corpus.join("suppressions/dependency-check-base-suppression.xml"));
    assert!(base.statements.is_empty());
    assert_eq!(base.dependency_check_extra.len(), 866);
    assert!(base.dependency_check_extra.iter().all(|r| r.base));
    assert_eq!(base.warnings.len(), 1);
    assert!(
        base.warnings[0].at.ends_with("and 861 more"),
        "{}",
        base.warnings[0]
    );

    let test = import_file(&corpus.join("suppressions/dependency-check-test-suppressions_1_3.xml"));
    assert_eq!(
        test.dependency_check_extra[3].until.as_deref(),
        Some("2014-01-01Z")
    );
    assert_eq!(
        test.dependency_check_extra[4].matches[0].element,
        DcElement::CvssBelow
    );
}

#[test]
fn openvex_and_cyclonedx_documents_round_trip_and_validate() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("OpenVEX/CycloneDX round trip") else {
        return;
    };
    let mut openvex = Vec::new();
    let mut cdx16 = Vec::new();
    let mut cdx17 = Vec::new();
    let paths: Vec<PathBuf> = sources(&corpus)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/vex/"))
        .collect();
    assert_eq!(paths.len(), 3 + 7);
    // The BOM the VEX refers to lists no vulnerabilities: no VEX, and refused as such.
    let bom = std::fs::read(corpus.join("vex/cyclonedx/bom-examples-bom.cdx.json")).unwrap();
    assert!(matches!(
        vex::import(&bom),
        Err(vex::VexError::UnknownFormat(_))
    ));
    for p in paths {
        let source: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let first = import_file(&p);
        assert_eq!(
            first.statements.len(),
            json_count(&source),
            "{}",
            p.display()
        );
        let targets = match first.format {
            VexFormat::OpenVex => vec![(None, &mut openvex)],
            VexFormat::CycloneDx => vec![
                (Some(CycloneDxVersion::V1_6), &mut cdx16),
                (Some(CycloneDxVersion::V1_7), &mut cdx17),
            ],
            other => panic!("{}: detected as {other:?}", p.display()),
        };
        for (version, list) in targets {
            let out = export_as(first.format, version, &first.statements);
            assert_eq!(
                json_count(&serde_json::from_slice(&out).unwrap()),
                first.statements.len()
            );
            let second = vex::import(&out).unwrap();
            assert_eq!(second.format, first.format);
            assert_eq!(second.statements, first.statements, "{}", p.display());
            let again = export_as(first.format, version, &second.statements);
            assert_eq!(again, out, "{}: the export is a fixed point", p.display());
            list.push((name(&p), out));
        }
    }
    oracles::json_schema("openvex", &corpus, &openvex);
    oracles::json_schema("cyclonedx-1.6", &corpus, &cdx16);
    oracles::json_schema("cyclonedx-1.7", &corpus, &cdx17);
    let doc: Value = serde_json::from_slice(&cdx17[0].1).unwrap();
    assert_eq!(doc["specVersion"], "1.7");
}

/// What a statement keeps through `format` (docs/vex.md, "What is lossy"), for
/// statements read from elsewhere; `None` when the format has no place for it.
fn carried(format: VexFormat, s: &Statement) -> Vec<Statement> {
    let mut s = s.clone();
    match format {
        VexFormat::CycloneDx => vec![s],
        VexFormat::OpenVex => {
            s.product_versions = None;
            s.until = None;
            if s.status != VexStatus::Fixed {
                s.fixed_in = None;
            }
            vec![s]
        }
        VexFormat::Csaf => {
            s.until = None;
            if s.status == VexStatus::Fixed && s.fixed_in.is_some() {
                s.product_versions = None;
            }
            vec![s]
        }
        VexFormat::DependencyCheck => {
            if s.status != VexStatus::NotAffected {
                return Vec::new();
            }
            s.action = None;
            s.fixed_in = None;
            let ids: Vec<String> = std::iter::once(s.vulnerability.clone())
                .chain(std::mem::take(&mut s.aliases))
                .collect();
            ids.into_iter()
                .map(|id| Statement {
                    vulnerability: id,
                    ..s.clone()
                })
                .collect()
        }
    }
}

#[test]
fn every_source_exports_valid_documents_in_every_format() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("VEX exports in every format") else {
        return;
    };
    let mut docs: Vec<(VexFormat, Option<CycloneDxVersion>, Docs)> = vec![
        (VexFormat::DependencyCheck, None, Vec::new()),
        (VexFormat::OpenVex, None, Vec::new()),
        (
            VexFormat::CycloneDx,
            Some(CycloneDxVersion::V1_6),
            Vec::new(),
        ),
        (
            VexFormat::CycloneDx,
            Some(CycloneDxVersion::V1_7),
            Vec::new(),
        ),
        (VexFormat::Csaf, None, Vec::new()),
    ];
    for p in sources(&corpus) {
        let first = import_file(&p);
        for (format, version, list) in &mut docs {
            if first.statements.is_empty() && matches!(format, VexFormat::OpenVex | VexFormat::Csaf)
            {
                continue; // they have no document without a statement
            }
            let out = export_as(*format, *version, &first.statements);
            let back =
                vex::import(&out).unwrap_or_else(|e| panic!("{format} of {}: {e}", p.display()));
            let expected: Vec<Statement> = first
                .statements
                .iter()
                .flat_map(|s| carried(*format, s))
                .collect();
            assert_eq!(back.statements, expected, "{format} of {}", p.display());
            let suffix = if *format == VexFormat::DependencyCheck {
                "xml"
            } else {
                "json"
            };
            list.push((format!("{}.{suffix}", name(&p)), out));
        }
    }
    for (format, version, list) in &docs {
        match (format, version) {
            (VexFormat::DependencyCheck, _) => oracles::dependency_check_xsd(&corpus, list),
            (VexFormat::OpenVex, _) => oracles::json_schema("openvex", &corpus, list),
            (VexFormat::CycloneDx, Some(v)) => {
                oracles::json_schema(&format!("cyclonedx-{}", v.as_str()), &corpus, list)
            }
            _ => oracles::json_schema("csaf", &corpus, list) && oracles::bsi_mandatory_tests(list),
        };
    }
}
