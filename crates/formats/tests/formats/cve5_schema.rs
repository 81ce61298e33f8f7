//! Exported CVE JSON 5 records validate against the CVE Program's official bundled
//! schema 5.2.0 (`corpus/schemas/cve/`, the version CVE Services takes), checked by
//! Python's `jsonschema` (the reference Draft-07 implementation that `cvelib` uses).

#![allow(clippy::unwrap_used)]

use std::process::Command;

use embargo_domain::ids::CveId;
use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, CreditKind, Reference, Severity, VersionRange,
};
use embargo_formats::cve5::container::{self, Dates};
use embargo_formats::cve5::{Cna, export};
use serde_json::Value;

/// What the skips below name.
const TEST: &str = "CVE JSON 5 schema validation";

/// The PUBLISHED record of `record`, as an announced advisory's is written.
fn published(record: CnaRecord, cna: &Cna) -> Value {
    let cve = CveId::parse("CVE-2026-10000").unwrap();
    let at = "2026-11-22T10:00:00Z".parse().unwrap();
    export(
        &container::build(&cve, &record, cna, Dates::at(at))
            .unwrap()
            .record,
    )
}

fn full() -> CnaRecord {
    CnaRecord {
        title: "Apache Kafka: deserialization of untrusted data in Connect".into(),
        description: "Deserialization of Untrusted Data vulnerability in Apache Kafka Connect.\n\nUsers are recommended to upgrade to 3.7.1 <or later>.".into(),
        // A product and its module, each with its package URL.
        products: vec![
            AffectedProduct {
                product: "Apache Kafka".into(),
                collection_url: Some("https://repo.maven.apache.org/maven2".into()),
                package_name: Some("org.apache.kafka:kafka-clients".into()),
                versions: vec![
                    VersionRange::parse_line("3.0.0 before 3.7.1").unwrap(),
                    VersionRange::parse_line("4.0.0-M1 and later").unwrap(),
                ],
                ..AffectedProduct::default()
            },
            AffectedProduct {
                product: "Apache Kafka Connect".into(),
                package_url: Some("pkg:maven/org.apache.kafka/connect-runtime".into()),
                versions: vec![VersionRange::parse_line("2.3.0 before 3.7.1").unwrap()],
                ..AffectedProduct::default()
            },
        ],
        severity: Some(Severity::Important),
        cwe: Some("CWE-502".into()),
        cwe_name: Some("Deserialization of Untrusted Data".into()),
        mitigation: Some("Upgrade to 3.7.1.".into()),
        credits: vec![Credit { name: "Ann Researcher".into(), kind: CreditKind::Finder }],
        references: vec![Reference::parse_line("https://kafka.apache.org/cve-list").unwrap()],
        ..CnaRecord::default()
    }
}

fn minimal() -> CnaRecord {
    CnaRecord {
        title: "Minimal".into(),
        description: "d".into(),
        products: vec![AffectedProduct {
            product: "P".into(),
            versions: vec![VersionRange::parse_line("before 1.0").unwrap()],
            ..AffectedProduct::default()
        }],
        ..CnaRecord::default()
    }
}

#[test]
fn exported_records_validate_against_the_official_schema() {
    let Some(corpus) = embargo_testkit::corpus_or_skip(TEST) else {
        return;
    };
    let schema = corpus.join("schemas/cve/CVE_Record_Format_bundled_5.2.0.json");
    if !embargo_testkit::require_python(TEST, &["jsonschema"]) {
        return;
    }
    let cna = Cna {
        org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
        short_name: "apache".into(),
        vendor: "Apache Software Foundation".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, record) in [("full", full()), ("minimal", minimal())] {
        let json = published(record, &cna);
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
        let out = Command::new("python3")
            .arg("-c")
            .arg(
                "import json,sys,jsonschema\n\
                 s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n\
                 errs=sorted(jsonschema.Draft7Validator(s).iter_errors(d), key=str)\n\
                 [print(e.message, list(e.absolute_path)) for e in errs]\n\
                 sys.exit(1 if errs else 0)",
            )
            .arg(&schema)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} record is not schema-valid:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            serde_json::to_string_pretty(&json).unwrap()
        );
    }
    // The validator does reject a broken record, so a pass above means something.
    let mut broken = published(minimal(), &cna);
    broken["containers"]["cna"]["affected"] = serde_json::json!([]);
    let path = dir.path().join("broken.json");
    std::fs::write(&path, serde_json::to_vec(&broken).unwrap()).unwrap();
    let status = Command::new("python3")
        .args(["-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))"])
        .arg(&schema)
        .arg(&path)
        .output()
        .unwrap()
        .status;
    assert!(
        !status.success(),
        "an empty affected list must fail validation"
    );
    // 5.2.0 closes the product object: a field it does not name fails, so the
    // packageURL written above passes as the schema's own field.
    let mut unknown = published(full(), &cna);
    unknown["containers"]["cna"]["affected"][0]["packageUrl"] = "pkg:maven/x/y".into();
    std::fs::write(&path, serde_json::to_vec(&unknown).unwrap()).unwrap();
    let status = Command::new("python3")
        .args(["-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))"])
        .arg(&schema)
        .arg(&path)
        .output()
        .unwrap()
        .status;
    assert!(!status.success(), "5.2.0 refuses unknown product fields");
}

#[test]
fn record_carries_what_the_team_wrote() {
    let cna = Cna {
        org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
        short_name: "apache".into(),
        vendor: "Apache Software Foundation".into(),
    };
    let j = published(full(), &cna);
    assert_eq!(j["cveMetadata"]["cveId"], "CVE-2026-10000");
    assert_eq!(j["dataVersion"], "5.2.0");
    let c = &j["containers"]["cna"];
    assert_eq!(c["affected"][0]["vendor"], "Apache Software Foundation");
    assert_eq!(c["affected"][0]["versions"][0]["lessThan"], "3.7.1");
    assert_eq!(
        c["affected"][0]["packageURL"],
        "pkg:maven/org.apache.kafka/kafka-clients"
    );
    assert_eq!(c["affected"][1]["product"], "Apache Kafka Connect");
    assert_eq!(
        c["affected"][1]["packageURL"],
        "pkg:maven/org.apache.kafka/connect-runtime"
    );
    assert_eq!(c["problemTypes"][0]["descriptions"][0]["cweId"], "CWE-502");
    assert_eq!(c["metrics"][0]["other"]["content"]["text"], "important");
    assert_eq!(c["credits"][0]["type"], "finder");
    assert!(
        c["descriptions"][0]["supportingMedia"][0]["value"]
            .as_str()
            .unwrap()
            .contains("&lt;or later&gt;")
    );
}
