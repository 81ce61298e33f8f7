//! Statements made up to cover every status, justification and kind of component:
//! through each format and back, keeping what the format can say; each export passes
//! its official checker; what a format cannot hold is refused with the statement named.

use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_formats::vex::{self, CycloneDxVersion, DcRule, VexFormat};
use proptest::prelude::*;
use serde_json::Value;

use super::{carried, export_as, meta, oracles};

/// Statements of every status, justification and kind of component.
fn made_up() -> Vec<Statement> {
    let base = Statement {
        vulnerability: "CVE-2022-42003".into(),
        aliases: Vec::new(),
        component: Component {
            purl: Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind".into()),
            name: "com.fasterxml.jackson.core:jackson-databind".into(),
        },
        product_versions: None,
        status: VexStatus::NotAffected,
        justification: Some(Justification::VulnerableCodeNotInExecutePath),
        impact: Some("Kafka never deserialises untrusted JSON\nwith default typing.".into()),
        action: None,
        fixed_in: None,
        public: false,
        until: None,
    };
    let named = |name: &str| Component {
        purl: None,
        name: name.into(),
    };
    let mut list = vec![base.clone()];
    for (i, j) in Justification::ALL.into_iter().enumerate() {
        list.push(Statement {
            vulnerability: format!("CVE-2024-{:05}", 10000 + i),
            justification: Some(j),
            impact: None,
            component: named("netty-handler"),
            until: Some("2026-01-31".parse().unwrap()),
            ..base.clone()
        });
    }
    list.push(Statement {
        vulnerability: "GHSA-jjjh-jjxp-wpff".into(),
        aliases: vec!["CVE-2022-42004".into()],
        product_versions: Some(">= 3.6.0, < 3.8".into()),
        component: named("org.foo:bar"),
        ..base.clone()
    });
    list.push(Statement {
        status: VexStatus::Affected,
        justification: None,
        action: Some("Upgrade to Kafka 3.7.1.".into()),
        component: Component {
            purl: Some("pkg:npm/%40angular/core".into()),
            name: "@angular/core".into(),
        },
        product_versions: Some("3.7.0".into()),
        ..base.clone()
    });
    list.push(Statement {
        vulnerability: "CVE-2023-0001".into(),
        status: VexStatus::Fixed,
        justification: None,
        impact: None,
        fixed_in: Some("3.7.1".into()),
        component: vex::any_component(),
        ..base.clone()
    });
    list.push(Statement {
        vulnerability: "CVE-2023-0002".into(),
        status: VexStatus::UnderInvestigation,
        justification: None,
        impact: Some("Looking into it.".into()),
        component: named("libssl3"),
        ..base.clone()
    });
    list.into_iter().map(|s| s.validate().unwrap()).collect()
}

#[test]
fn statements_survive_each_format_but_for_what_it_cannot_say() {
    let statements = made_up();
    for (format, version) in [
        (VexFormat::DependencyCheck, None),
        (VexFormat::OpenVex, None),
        (VexFormat::CycloneDx, Some(CycloneDxVersion::V1_6)),
        (VexFormat::CycloneDx, Some(CycloneDxVersion::V1_7)),
        (VexFormat::Csaf, None),
    ] {
        let out = export_as(format, version, &statements);
        assert_eq!(vex::detect(&out).unwrap(), format);
        let back = vex::import(&out).unwrap();
        let mut expected: Vec<Statement> =
            statements.iter().flat_map(|s| carried(format, s)).collect();
        if format == VexFormat::DependencyCheck {
            // A Maven-style name is written as a gav pattern and read as one.
            assert!(
                String::from_utf8_lossy(&out)
                    .contains(r#"<gav regex="true">^org\.foo:bar:.*$</gav>"#)
            );
            assert!(
                String::from_utf8_lossy(&out)
                    .contains(r#"<filePath regex="true">.*[/\\]netty\-handler[^/\\]*$</filePath>"#)
            );
            assert!(String::from_utf8_lossy(&out).contains("until=\"2026-01-31\""));
        }
        if format == VexFormat::OpenVex {
            let doc: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(
                doc["statements"][8]["products"][0]["@id"],
                "pkg:maven/org.apache.kafka/kafka-clients@3.7.1",
                "fixed in that version"
            );
            assert!(
                doc["statements"][8]["products"][0]
                    .get("subcomponents")
                    .is_none()
            );
        }
        expected.sort_by_key(|s| format!("{s:?}"));
        let mut got = back.statements.clone();
        got.sort_by_key(|s| format!("{s:?}"));
        assert_eq!(got, expected, "{format} {version:?}");
    }
    let Some(corpus) = embargo_testkit::corpus_or_skip("made-up statements' exports") else {
        return;
    };
    let csaf = export_as(VexFormat::Csaf, None, &statements);
    let doc: Value = serde_json::from_slice(&csaf).unwrap();
    assert_eq!(doc["document"]["category"], "csaf_vex");
    let ghsa = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["ids"][0]["text"] == "GHSA-jjjh-jjxp-wpff")
        .unwrap();
    assert_eq!(ghsa["cve"], "CVE-2022-42004");
    let docs = vec![("made-up.json".to_string(), csaf)];
    if oracles::json_schema("csaf", &corpus, &docs) {
        oracles::bsi_mandatory_tests(&docs);
    }
    let xml = vec![(
        "made-up.xml".to_string(),
        export_as(VexFormat::DependencyCheck, None, &statements),
    )];
    oracles::dependency_check_xsd(&corpus, &xml);
    let open = vec![(
        "made-up.json".to_string(),
        export_as(VexFormat::OpenVex, None, &statements),
    )];
    oracles::json_schema("openvex", &corpus, &open);
    for v in [CycloneDxVersion::V1_6, CycloneDxVersion::V1_7] {
        let cdx = vec![(
            "made-up.json".to_string(),
            export_as(VexFormat::CycloneDx, Some(v), &statements),
        )];
        oracles::json_schema(&format!("cyclonedx-{}", v.as_str()), &corpus, &cdx);
    }
}

#[test]
fn exports_refuse_what_their_format_cannot_hold() {
    let mut statements = made_up();
    assert!(vex::export(VexFormat::OpenVex, &[], &meta()).is_err());
    assert!(vex::export(VexFormat::Csaf, &[], &meta()).is_err());
    assert!(vex::export(VexFormat::DependencyCheck, &[], &meta()).is_ok());
    // One product, one status per vulnerability in CSAF (6.1.6).
    let mut other = statements[0].clone();
    other.impact = Some("Something else.".into());
    statements.push(other);
    let e = vex::export(VexFormat::Csaf, &statements, &meta())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("statement 11: says otherwise than statement 1"),
        "{e}"
    );
    // A statement that does not validate is named.
    statements[2].status = VexStatus::Affected;
    let e = vex::export(VexFormat::OpenVex, &statements, &meta())
        .unwrap_err()
        .to_string();
    assert!(e.contains("statement 3: action"), "{e}");
}

/// Statements of any status, with text of any kind (markup, `]]>`, control characters,
/// non-ASCII) where a format has text.
fn any_statement() -> impl Strategy<Value = Statement> {
    let component = prop_oneof![
        Just(vex::any_component()),
        "[a-z][a-z0-9.-]{0,12}(:[a-z][a-z0-9-]{0,8})?"
            .prop_map(|name| Component { purl: None, name }),
        "[a-z][a-z0-9-]{0,10}".prop_map(|n| Component {
            purl: Some(format!("pkg:npm/{n}")),
            name: n,
        }),
    ];
    let id = prop::sample::select(vec![
        "CVE-2024-12345",
        "GHSA-jjjh-jjxp-wpff",
        "GO-2024-0001",
        "OSV-2020-1",
    ]);
    let text = proptest::option::of(any::<String>());
    (
        (
            id,
            proptest::collection::vec("CVE-20[0-9]{2}-[0-9]{4,5}", 0..3),
            component,
        ),
        (
            0..4usize,
            proptest::option::of(0..5usize),
            text.clone(),
            text,
        ),
        (
            proptest::option::of("[0-9][0-9.x<>= ]{0,8}"),
            proptest::option::of("[0-9]\\.[0-9]\\.[0-9]"),
        ),
        proptest::option::of((2000i16..2100, 1i8..13, 1i8..29)),
    )
        .prop_filter_map(
            "valid statements",
            |((id, aliases, component), (status, j, impact, action), (versions, fixed), until)| {
                Statement {
                    vulnerability: id.to_string(),
                    aliases,
                    component,
                    product_versions: versions,
                    status: VexStatus::ALL[status],
                    justification: j.map(|j| Justification::ALL[j]),
                    // Blank text is no text (exports treat it so).
                    impact: impact.filter(|t| !t.trim().is_empty()),
                    action: action.filter(|t| !t.trim().is_empty()),
                    fixed_in: fixed,
                    public: false,
                    until: until.map(|(y, m, d)| jiff::civil::date(y, m, d)),
                }
                .validate()
                .ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_export_of_valid_statements_imports(statements in proptest::collection::vec(any_statement(), 1..6)) {
        for format in VexFormat::ALL {
            match vex::export(format, &statements, &meta()) {
                Ok(out) => {
                    let back = vex::import(&out);
                    prop_assert!(back.is_ok(), "{format}: {:?}\n{}", back, String::from_utf8_lossy(&out));
                    if format == VexFormat::CycloneDx {
                        // Lossless, but for aliases said twice and statements said twice.
                        let mut expected: Vec<Statement> = Vec::new();
                        for s in &statements {
                            let mut s = s.clone();
                            let mut aliases = Vec::new();
                            for a in s.aliases.drain(..) {
                                if a != s.vulnerability && !aliases.contains(&a) {
                                    aliases.push(a);
                                }
                            }
                            s.aliases = aliases;
                            if !expected.contains(&s) {
                                expected.push(s);
                            }
                        }
                        prop_assert_eq!(back.unwrap().statements, expected);
                    }
                }
                // Only CSAF refuses statements that contradict each other.
                Err(e) => prop_assert!(format == VexFormat::Csaf && e.to_string().contains("says otherwise"), "{format}: {e}"),
            }
        }
    }
}

#[test]
fn kept_rules_that_break_the_schema_are_refused() {
    let mut m = meta();
    m.dependency_check_extra = vec![DcRule::default()];
    let e = vex::export(VexFormat::DependencyCheck, &[], &m)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dependency_check_extra[0]: a rule needs at least one"),
        "{e}"
    );
}

#[test]
fn large_documents_go_through_every_format() {
    // 10,000 statements of distinct vulnerabilities and components: any work quadratic
    // in the statements shows here as minutes. (Pretty-printed CSAF takes ~1.5 KB a
    // statement: 10,000 stay under the 20 MB an import reads.)
    let statements: Vec<Statement> = (0..10_000)
        .map(|i| Statement {
            vulnerability: format!("CVE-2024-{:05}", 10_000 + i),
            aliases: vec![format!("GHSA-{i:04x}-aaaa-bbbb")],
            component: Component {
                purl: Some(format!("pkg:maven/org.example/lib{i}")),
                name: format!("org.example:lib{i}"),
            },
            product_versions: None,
            status: VexStatus::NotAffected,
            justification: Some(Justification::ALL[i % 5]),
            impact: Some(format!("Reason {i}.")),
            action: None,
            fixed_in: None,
            public: false,
            until: None,
        })
        .collect();
    let started = std::time::Instant::now();
    for format in VexFormat::ALL {
        let out = vex::export(format, &statements, &meta()).unwrap();
        let back = vex::import(&out).unwrap();
        let expected = if format == VexFormat::DependencyCheck {
            20_000 // the aliases become statements of their own
        } else {
            10_000
        };
        assert_eq!(back.statements.len(), expected, "{format}");
    }
    eprintln!(
        "10,000 statements through four formats in {:?}",
        started.elapsed()
    );
}
