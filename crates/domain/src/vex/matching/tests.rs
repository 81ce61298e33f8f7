//! The matching rules one by one: component spellings, aliases, which statement wins,
//! the JSON contract and the mail body.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::vex::{Component, Justification, Statement, VexStatus};

fn statement(vuln: &str, purl: Option<&str>, name: &str, status: VexStatus) -> Statement {
    Statement {
        vulnerability: vuln.into(),
        aliases: vec![],
        component: Component {
            purl: purl.map(Into::into),
            name: name.into(),
        },
        product_versions: None,
        status,
        justification: (status == VexStatus::NotAffected)
            .then_some(Justification::VulnerableCodeNotInExecutePath),
        impact: Some(format!("{name}: the project's words")),
        action: (status == VexStatus::Affected).then(|| "upgrade".into()),
        fixed_in: (status == VexStatus::Fixed).then(|| "3.7.1".into()),
        public: true,
        until: None,
    }
}

fn finding(vuln: &str, purl: Option<&str>, name: &str, version: Option<&str>) -> Finding {
    Finding {
        vulnerability: vuln.into(),
        aliases: vec![],
        component: FoundComponent {
            purl: purl.map(Into::into),
            name: name.into(),
            version: version.map(Into::into),
            file: None,
        },
    }
}

fn answer(statements: &[Statement], f: &Finding) -> Option<i64> {
    StatementIndex::new(statements).answer(f).map(|(id, _)| id)
}

const DATABIND: &str = "pkg:maven/com.fasterxml.jackson.core/jackson-databind";

#[test]
fn archive_names_split_into_name_and_version() {
    let cases = [
        (
            "jackson-databind-2.13.4.jar",
            ("jackson-databind", Some("2.13.4")),
        ),
        (
            "log4j-1.2-api-2.17.1.jar",
            ("log4j-1.2-api", Some("2.17.1")),
        ),
        ("guava-31.1-jre.jar", ("guava", Some("31.1-jre"))),
        (
            "netty-handler-4.1.86.Final.jar",
            ("netty-handler", Some("4.1.86.Final")),
        ),
        ("kafka_2.13-3.4.0.jar", ("kafka_2.13", Some("3.4.0"))),
        ("foo-1.0-beta-2.war", ("foo", Some("1.0-beta-2"))),
        ("tools.JAR", ("tools", None)),
    ];
    for (file, expected) in cases {
        assert_eq!(split_archive_name(file), Some(expected), "{file}");
    }
    assert_eq!(split_archive_name("libssl1.1"), None);
    assert_eq!(split_archive_name(".jar"), None);
    assert_eq!(split_archive_name("ü.jar"), Some(("ü", None)));
}

#[test]
fn a_purl_matches_with_or_without_version_and_qualifiers_in_any_case() {
    let s = [statement(
        "CVE-2022-42003",
        Some(DATABIND),
        "jackson-databind",
        VexStatus::NotAffected,
    )];
    for purl in [
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4",
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4?type=jar",
        "pkg:Maven/COM.fasterxml.jackson.core/Jackson-Databind",
    ] {
        let f = finding("cve-2022-42003", Some(purl), "whatever", None);
        assert_eq!(answer(&s, &f), Some(0), "{purl}");
    }
    // Another vulnerability, or another group, is not answered.
    let other_cve = finding("CVE-2022-42004", Some(DATABIND), "jackson-databind", None);
    assert_eq!(answer(&s, &other_cve), None);
    let other_group = finding(
        "CVE-2022-42003",
        Some("pkg:maven/org.other/jackson-databind@1"),
        "x",
        None,
    );
    assert_eq!(answer(&s, &other_group), None);
}

#[test]
fn maven_coordinates_and_jar_names_match_a_purl() {
    let s = [statement(
        "CVE-2022-42003",
        Some(DATABIND),
        "jackson-databind",
        VexStatus::NotAffected,
    )];
    let names = [
        "com.fasterxml.jackson.core:jackson-databind",
        "com.fasterxml.jackson.core:jackson-databind:2.13.4",
        "jackson-databind-2.13.4.jar",
        "/opt/kafka/libs/jackson-databind-2.13.4.jar",
        "jackson-databind",
        "Jackson-Databind@2.13.4",
    ];
    for name in names {
        let f = finding("CVE-2022-42003", None, name, None);
        assert_eq!(answer(&s, &f), Some(0), "{name}");
    }
    // Coordinates of another group are a different component.
    let f = finding("CVE-2022-42003", None, "org.other:jackson-databind", None);
    assert_eq!(answer(&s, &f), None);
}

#[test]
fn a_statement_by_name_matches_purls_and_file_names() {
    let s = [
        statement("CVE-2019-1549", None, "libssl1.1", VexStatus::NotAffected),
        statement(
            "CVE-2024-1",
            None,
            "commons-compress-1.21.jar",
            VexStatus::Fixed,
        ),
        statement("CVE-2024-2", None, "com.example:lib", VexStatus::Affected),
        statement(
            "CVE-2021-3121",
            None,
            "github.com/gogo/protobuf",
            VexStatus::NotAffected,
        ),
    ];
    let apk = "pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2";
    assert_eq!(
        answer(&s, &finding("CVE-2019-1549", Some(apk), "libssl1.1", None)),
        Some(0)
    );
    let jar = finding(
        "CVE-2024-1",
        Some("pkg:maven/org.apache.commons/commons-compress@1.26"),
        "",
        None,
    );
    assert_eq!(answer(&s, &jar), Some(1));
    assert_eq!(
        answer(
            &s,
            &finding("CVE-2024-2", Some("pkg:maven/com.example/lib@2"), "", None)
        ),
        Some(2)
    );
    let go = finding(
        "CVE-2021-3121",
        None,
        "github.com/gogo/protobuf:1.1.1",
        None,
    );
    assert_eq!(answer(&s, &go), Some(3));
}

#[test]
fn strong_keys_of_different_ecosystems_do_not_match() {
    let s = [statement(
        "CVE-2023-0286",
        Some("pkg:deb/debian/openssl"),
        "openssl",
        VexStatus::NotAffected,
    )];
    let apk = finding(
        "CVE-2023-0286",
        Some("pkg:apk/alpine/openssl@3.0.7-r0"),
        "openssl",
        None,
    );
    assert_eq!(answer(&s, &apk), None);
    let bare = finding("CVE-2023-0286", None, "openssl", Some("3.0.7"));
    assert_eq!(answer(&s, &bare), Some(0));
}

#[test]
fn python_and_go_names_are_normalised() {
    let s = [
        statement(
            "PYSEC-1",
            Some("pkg:pypi/Foo_Bar"),
            "Foo_Bar",
            VexStatus::Fixed,
        ),
        statement(
            "GO-1",
            Some("pkg:golang/github.com/cespare/xxhash/v2"),
            "xxhash",
            VexStatus::Fixed,
        ),
    ];
    assert_eq!(
        answer(
            &s,
            &finding("PYSEC-1", Some("pkg:pypi/foo.bar@1.0"), "", None)
        ),
        Some(0)
    );
    let go = finding("GO-1", None, "github.com/cespare/xxhash/v2", Some("2.1.1"));
    assert_eq!(answer(&s, &go), Some(1));
    // `v2` alone is not the module's name.
    let other = finding("GO-1", None, "github.com/other/v2", None);
    assert_eq!(answer(&s, &other), None);
}

#[test]
fn aliases_answer_on_both_sides() {
    let mut cve = statement(
        "CVE-2023-39410",
        Some("pkg:maven/org.apache.avro/avro"),
        "avro",
        VexStatus::NotAffected,
    );
    cve.aliases = vec!["GHSA-rhrv-645h-fjfh".into()];
    let s = [cve];
    // A GHSA finding answered by the CVE statement listing the GHSA.
    let ghsa = finding(
        "ghsa-rhrv-645h-fjfh",
        Some("pkg:maven/org.apache.avro/avro@1.9.2"),
        "avro",
        None,
    );
    assert_eq!(answer(&s, &ghsa), Some(0));
    // A finding that carries the CVE as its alias.
    let mut other = finding("GHSA-xxxx-xxxx-xxxx", None, "avro-1.11.1.jar", None);
    other.aliases = vec!["CVE-2023-39410".into()];
    assert_eq!(answer(&s, &other), Some(0));
}

#[test]
fn the_closest_statement_wins() {
    let mut by_alias = statement("CVE-2000-1", None, "lib", VexStatus::Affected);
    by_alias.vulnerability = "GHSA-aaaa-bbbb-cccc".into();
    by_alias.aliases = vec!["CVE-2000-1".into()];
    let s = [
        by_alias,
        statement("CVE-2000-1", None, "lib", VexStatus::NotAffected),
        statement(
            "CVE-2000-1",
            Some("pkg:maven/g/lib"),
            "lib",
            VexStatus::Fixed,
        ),
    ];
    // Own id before alias; then the purl's strong match before the bare name.
    assert_eq!(
        answer(
            &s,
            &finding("CVE-2000-1", Some("pkg:maven/g/lib@1"), "lib", None)
        ),
        Some(2)
    );
    assert_eq!(
        answer(&s, &finding("CVE-2000-1", None, "lib", None)),
        Some(1)
    );
    assert_eq!(
        answer(&s, &finding("GHSA-AAAA-BBBB-CCCC", None, "lib", None)),
        Some(0)
    );
}

#[test]
fn a_statement_on_any_component_answers_every_component_after_the_specific_ones() {
    let s = [
        statement(
            "CVE-2021-44228",
            None,
            ANY_COMPONENT,
            VexStatus::NotAffected,
        ),
        statement("CVE-2021-44228", None, "log4j-core", VexStatus::Fixed),
    ];
    let core = finding("CVE-2021-44228", None, "log4j-core-2.14.1.jar", None);
    assert_eq!(answer(&s, &core), Some(1));
    let api = finding(
        "CVE-2021-44228",
        Some("pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"),
        "",
        None,
    );
    assert_eq!(answer(&s, &api), Some(0));
    assert_eq!(
        answer(&s, &finding("CVE-2021-45046", None, "log4j-core", None)),
        None
    );
    // A component matched through an alias still comes before "any".
    let mut by_alias = statement(
        "GHSA-aaaa-bbbb-cccc",
        None,
        "log4j-api",
        VexStatus::Affected,
    );
    by_alias.aliases = vec!["CVE-2021-44228".into()];
    let s = [s[0].clone(), by_alias];
    assert_eq!(answer(&s, &api), Some(1));
    // A purl, or another name, is a component, not "any".
    let named = [statement(
        "CVE-1",
        Some("pkg:generic/x"),
        ANY_COMPONENT,
        VexStatus::Fixed,
    )];
    assert_eq!(answer(&named, &finding("CVE-1", None, "y", None)), None);
}

#[test]
fn triage_serialises_to_the_contract() {
    let s = [
        statement("CVE-1", None, "a", VexStatus::NotAffected),
        statement("CVE-2", None, "b", VexStatus::Fixed),
    ];
    let findings = [
        finding("CVE-1", None, "a", Some("1.0")),
        finding("CVE-2", Some("pkg:npm/b@2?arch=x86_64#sub"), "b", None),
        finding("CVE-3", None, "c", None),
    ];
    let t = triage(&findings, &StatementIndex::new(&s));
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(
        json["findings"][0],
        serde_json::json!({
            "vulnerability": "CVE-1",
            "component": "a@1.0",
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact": "a: the project's words",
            "statement": 0
        })
    );
    assert_eq!(json["findings"][1]["component"], "pkg:npm/b@2");
    assert_eq!(json["findings"][1]["status"], "fixed");
    assert_eq!(
        json["findings"][2],
        serde_json::json!({
            "vulnerability": "CVE-3", "component": "c", "status": "needs_analysis",
            "justification": null, "impact": null, "statement": null
        })
    );
    assert_eq!(
        json["summary"],
        serde_json::json!({
            "not_affected": 1, "affected": 0, "fixed": 1, "under_investigation": 0,
            "needs_analysis": 1, "total": 3
        })
    );
}

#[test]
fn stored_statements_are_named_by_id() {
    let stored = [crate::vex::StoredStatement {
        id: 42,
        statement: statement("CVE-1", None, "a", VexStatus::UnderInvestigation),
        author: "x".into(),
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        version: 1,
    }];
    let index = StatementIndex::from_stored(&stored);
    assert_eq!(index.len(), 1);
    let t = triage(&[finding("CVE-1", None, "a", None)], &index);
    assert_eq!(t.findings[0].statement, Some(42));
    assert_eq!(t.findings[0].status, FindingStatus::UnderInvestigation);
    assert!(index.heap_bytes() > 0);
}

#[test]
fn the_mail_body_groups_answered_and_open_findings() {
    let s = [
        statement("CVE-1", None, "a", VexStatus::NotAffected),
        statement("CVE-2", None, "b", VexStatus::Fixed),
        statement("CVE-4", None, "d", VexStatus::Affected),
    ];
    let findings = [
        finding("CVE-1", None, "a", None),
        finding("CVE-3\nBcc: evil@example.org", None, "c", None),
        finding("CVE-2", None, "b", None),
        finding("CVE-4", None, "d", None),
    ];
    let text = plain_text(&triage(&findings, &StatementIndex::new(&s)), "Apache Kafka");
    let answered = text.find("Already answered by Apache Kafka").unwrap();
    let open = text.find("Needs analysis by the security team").unwrap();
    assert!(answered < open, "{text}");
    assert!(
        text.contains("Not affected (1):\n\n  - CVE-1 in a\n"),
        "{text}"
    );
    assert!(
        text.contains("Justification: vulnerable code not in execute path"),
        "{text}"
    );
    assert!(text.contains("Fixed in Apache Kafka 3.7.1"), "{text}");
    assert!(text.contains("What to do: upgrade"), "{text}");
    assert!(
        text.contains("  - CVE-3\u{fffd}Bcc: evil@example.org in c"),
        "{text}"
    );
    assert!(!text.contains("\nBcc:"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // Nothing open: no second section.
    let all = plain_text(&triage(&findings[..1], &StatementIndex::new(&s)), "P");
    assert!(!all.contains("Needs analysis"), "{all}");
}
