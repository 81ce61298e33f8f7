//! The official CVE schema inside the product: every corpus record passes it, and a
//! record that breaks it gets findings that name the place.

use embargo_formats::cve5::schema::OfficialSchema;
use embargo_formats::cve5::{export, import};

#[test]
fn corpus_records_pass_and_broken_ones_are_named() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("official schema in the product") else {
        return;
    };
    // The schema CVE Services takes now (5.2.0), and the one before it, which an
    // installation may still point at.
    for version in ["5.1.1", "5.2.0"] {
        let schema = OfficialSchema::load(&corpus.join(format!(
            "schemas/cve/CVE_Record_Format_bundled_{version}.json"
        )))
        .unwrap();
        let mut checked = 0;
        for entry in std::fs::read_dir(corpus.join("cve-records")).unwrap() {
            let path = entry.unwrap().path();
            let record = import(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let findings = schema.check(&export(&record));
            assert!(
                findings.is_empty(),
                "{version}: {}: {findings:?}",
                path.display()
            );
            checked += 1;
        }
        assert_eq!(checked, 43);
    }
    let schema =
        OfficialSchema::load(&corpus.join("schemas/cve/CVE_Record_Format_bundled_5.2.0.json"))
            .unwrap();

    let text = std::fs::read_to_string(corpus.join("cve-records/CVE-2024-32114.json")).unwrap();
    let mut broken = export(&import(&text).unwrap());
    broken["containers"]["cna"]["title"] = "x".repeat(300).into();
    broken["containers"]["cna"]["affected"] = serde_json::json!([]);
    let findings = schema.check(&broken);
    let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"/containers/cna/title"), "{findings:?}");
    assert!(paths.contains(&"/containers/cna/affected"), "{findings:?}");
    assert!(
        findings
            .iter()
            .all(|f| f.level == "error" && f.message.starts_with("official schema: "))
    );

    let osv = OfficialSchema::load(&corpus.join("schemas/osv/schema.json")).unwrap_err();
    assert!(
        osv.to_string().contains("not the CVE JSON 5 record schema"),
        "{osv}"
    );
    let missing = OfficialSchema::load(&corpus.join("schemas/cve/nope.json")).unwrap_err();
    assert!(
        missing.to_string().contains("cannot read the schema"),
        "{missing}"
    );
}
