//! Exported CVE JSON 5 records validate against the CVE Program's official bundled
//! schema (`corpus/schemas/cve/`), checked by Python's `jsonschema` (the reference
//! Draft-07 implementation that `cvelib` uses).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use embargo_domain::ids::{CveId, ProjectId, ReportId};
use embargo_domain::lifecycle::Advisory;
use embargo_domain::record::{
    AffectedRange, Credit, CreditKind, RecordDraft, Severity, announcement,
};
use embargo_formats::cve5::{Cna, published_record};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("EMBARGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    dir.is_dir().then_some(dir)
}

fn skip(what: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} is missing under CI=true"
    );
    eprintln!("SKIPPED: CVE JSON 5 schema validation ({what} not found)");
}

fn advisory(record: RecordDraft) -> Advisory {
    let cve = CveId::parse("CVE-2026-10000").unwrap();
    Advisory {
        announcement: announcement(&cve, &record),
        cve,
        report: ReportId::generate(),
        project: ProjectId(1),
        title: record.title.clone(),
        record,
        published_at: "2026-11-22T10:00:00Z".parse().unwrap(),
    }
}

fn full() -> RecordDraft {
    RecordDraft {
        title: "Apache Kafka: deserialization of untrusted data in Connect".into(),
        description: "Deserialization of Untrusted Data vulnerability in Apache Kafka Connect.\n\nUsers are recommended to upgrade to 3.7.1 <or later>.".into(),
        product: "Apache Kafka".into(),
        affected: vec![
            AffectedRange { introduced: "3.0.0".into(), fixed: Some("3.7.1".into()) },
            AffectedRange { introduced: "4.0.0-M1".into(), fixed: None },
        ],
        severity: Some(Severity::Important),
        cwe: Some("CWE-502".into()),
        cwe_name: Some("Deserialization of Untrusted Data".into()),
        mitigation: Some("Upgrade to 3.7.1.".into()),
        credits: vec![Credit { name: "Ann Researcher".into(), kind: CreditKind::Finder }],
        references: vec!["https://kafka.apache.org/cve-list".into()],
    }
}

fn minimal() -> RecordDraft {
    RecordDraft {
        title: "Minimal".into(),
        description: "d".into(),
        product: "P".into(),
        affected: vec![AffectedRange {
            introduced: "0".into(),
            fixed: Some("1.0".into()),
        }],
        ..Default::default()
    }
}

#[test]
fn exported_records_validate_against_the_official_schema() {
    let Some(corpus) = corpus() else {
        return skip("the corpus (EMBARGO_CORPUS or ../shared/corpus)");
    };
    let schema = corpus.join("schemas/cve/CVE_Record_Format_bundled_5.1.1.json");
    let has_jsonschema = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_jsonschema {
        return skip("python3 with the jsonschema package");
    }
    let cna = Cna {
        org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
        short_name: "apache".into(),
        vendor: "Apache Software Foundation".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, record) in [("full", full()), ("minimal", minimal())] {
        let json = published_record(&advisory(record), &cna);
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
    let mut broken = published_record(&advisory(minimal()), &cna);
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
    let j = published_record(&advisory(full()), &cna);
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
