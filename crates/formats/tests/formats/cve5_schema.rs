//! Exported CVE JSON 5 records validate against the CVE Program's official bundled
//! schema (`corpus/schemas/cve/`), checked by Python's `jsonschema` (the reference
//! Draft-07 implementation that `cvelib` uses).

#![allow(clippy::unwrap_used)]

use std::process::Command;

use embargo_domain::ids::CveId;
use embargo_domain::record::{CnaRecord, Credit, CreditKind, Reference, Severity, VersionRange};
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
        product: "Apache Kafka".into(),
        affected: vec![
            VersionRange::parse_line("3.0.0 before 3.7.1").unwrap(),
            VersionRange::parse_line("4.0.0-M1 and later").unwrap(),
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
        product: "P".into(),
        affected: vec![VersionRange::parse_line("before 1.0").unwrap()],
        ..CnaRecord::default()
    }
}

#[test]
fn exported_records_validate_against_the_official_schema() {
    let Some(corpus) = embargo_testkit::corpus_or_skip(TEST) else {
        return;
    };
    let schema = corpus.join("schemas/cve/CVE_Record_Format_bundled_5.1.1.json");
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
    let c = &j["containers"]["cna"];
    assert_eq!(c["affected"][0]["vendor"], "Apache Software Foundation");
    assert_eq!(c["affected"][0]["versions"][0]["lessThan"], "3.7.1");
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
