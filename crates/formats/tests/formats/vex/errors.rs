//! Bad input gets an error naming the position (line and column in XML, the JSON
//! path in JSON) and what is wrong; arbitrary bytes and mutated corpus files never
//! make `import` panic, and whatever it accepts is valid.

use embargo_formats::vex::{self, VexError, VexFormat};
use proptest::prelude::*;

use super::sources;

fn error(bytes: &[u8]) -> VexError {
    vex::import(bytes).expect_err("an error")
}

/// Asserts that importing `text` fails with a message containing `expected`.
#[track_caller]
fn says(text: &str, expected: &str) {
    let e = error(text.as_bytes()).to_string();
    assert!(e.contains(expected), "{e}\nshould contain\n{expected}");
}

const KAFKA: &str = r#"<?xml version="1.0"?>
<suppressions xmlns="https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.3.xsd">
  <suppress>
    <notes>Kafka does not use CgiServlet</notes>
    <cve>CVE-2023-36479</cve>
  </suppress>
</suppressions>"#;

#[test]
fn bad_suppression_files_are_named_by_line_and_column() {
    assert_eq!(vex::import(KAFKA.as_bytes()).unwrap().statements.len(), 1);
    let cut = &KAFKA[..KAFKA.find("</suppress>").unwrap()];
    let e = error(cut.as_bytes());
    assert!(matches!(e, VexError::Syntax { line: 6, .. }), "{e}");
    assert!(e.to_string().contains("cut short"), "{e}");
    let e = error(KAFKA.replace("</cve>", "</cwe>").as_bytes());
    assert!(matches!(e, VexError::Syntax { line: 5, .. }), "{e}");
    says(
        &KAFKA.replace("<cve>CVE-2023-36479", "<cve>GHSA-1234"),
        "Dependency-Check suppressions: line 5, column 5: <cve>GHSA-1234</cve> is not a CVE id",
    );
    says(
        &KAFKA
            .replace("<notes>", "<note>")
            .replace("</notes>", "</note>"),
        "line 4, column 5: <note> is not a suppression element",
    );
    says(
        &KAFKA.replace("<suppress>", "<suppress until=\"soon\">"),
        "line 3, column 3: until=\"soon\" is not a date",
    );
    says(
        &KAFKA
            .replace(
                "<notes>",
                "<sha1>0fa26f72729edb39b506efa96e119f953f59c5a3</sha1><notes>",
            )
            .replace("</notes>", "</notes><gav>a:b:c</gav>"),
        "line 4, column 102: <gav> after <sha1>: a <suppress> names at most one",
    );
    says(
        &KAFKA.replace("1.3.xsd", "9.9.xsd"),
        "<suppressions> in https://jeremylong",
    );
}

#[test]
fn bad_json_is_named_by_its_path() {
    let openvex = r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,
      "statements":[{"vulnerability":{"name":"CVE-2021-44228"},"products":[{"@id":"pkg:maven/a/b"}],"status":"not_affected","justification":"component_not_present"},
                    {"vulnerability":{"name":"CVE-2021-44228"},"status":"not_affected_at_all"}]}"#;
    says(
        openvex,
        "OpenVEX: statements[1].status: unknown variant `not_affected_at_all`",
    );
    let affected = openvex.replace("not_affected_at_all", "affected");
    says(
        &affected,
        "statements[1] (component 1): action: an affected statement needs an action",
    );
    // (Fields are read in name order: a valid status first, so the vulnerability is named.)
    let string = openvex.replace(
        r#"{"name":"CVE-2021-44228"},"status":"not_affected_at_all""#,
        r#""CVE-2021-44228","status":"fixed""#,
    );
    says(
        &string,
        "OpenVEX: statements[1].vulnerability: invalid type: string",
    );
    let e = error(&openvex.as_bytes()[..120]);
    assert!(
        matches!(
            e,
            VexError::Syntax {
                line: 2,
                syntax: "JSON",
                ..
            }
        ),
        "{e}"
    );

    let cdx = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[{"id":"CVE-2021-44228","analysis":{"state":"not_affected","justification":"because"}}]}"#;
    says(
        cdx,
        "CycloneDX: vulnerabilities[0].analysis.justification: unknown variant `because`",
    );
    let old = cdx
        .replace("because", "code_not_present")
        .replace("1.6", "1.2");
    says(
        &old,
        "CycloneDX: specVersion: \"1.2\": Embargo reads CycloneDX 1.4 to 1.7",
    );
    let no_reason = cdx.replace(r#","justification":"because""#, "");
    says(
        &no_reason,
        "vulnerabilities[0].affects[0]: justification: a not_affected statement needs",
    );

    let csaf = r#"{"document":{"category":"csaf_vex"},"vulnerabilities":[{"cve":"CVE-2021-44228","product_status":{"known_affected":["CSAFPID-0009"]}}]}"#;
    says(
        csaf,
        "vulnerabilities[0].product_status.known_affected[0]: product id \"CSAFPID-0009\" is not defined",
    );
    says(
        &csaf.replace(r#""cve":"CVE-2021-44228","#, ""),
        "vulnerabilities[0]: a vulnerability needs a cve or ids",
    );
}

#[test]
fn unknown_formats_and_limits_are_refused() {
    for unknown in [
        &b"{\"hello\": 1}"[..],
        b"",
        b"   ",
        b"just text",
        b"<html><body/></html>",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#,
        br#"{"document":{"category":"csaf_security_advisory"}}"#,
        br#"{"@context":"https://schema.org"}"#,
    ] {
        assert!(
            matches!(error(unknown), VexError::UnknownFormat(_)),
            "{unknown:?}"
        );
        assert!(
            matches!(vex::detect(unknown), Err(VexError::UnknownFormat(_))),
            "{unknown:?}"
        );
    }
    says(
        r#"{"document":{"category":"csaf_security_advisory"}}"#,
        "Embargo reads csaf_vex",
    );
    assert!(matches!(
        VexFormat::parse("spdx"),
        Err(VexError::UnknownFormat(_))
    ));
    for f in VexFormat::ALL {
        assert_eq!(VexFormat::parse(f.as_str()).unwrap(), f);
    }
    let huge = vec![b' '; vex::MAX_INPUT_BYTES + 1];
    assert!(matches!(error(&huge), VexError::TooLarge { .. }));
    // One OpenVEX statement naming more components than a document may hold.
    let subs: Vec<String> = (0..=vex::MAX_STATEMENTS)
        .map(|i| format!(r#"{{"@id":"pkg:npm/c{i}"}}"#))
        .collect();
    let many = format!(
        r#"{{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{{"vulnerability":{{"name":"CVE-2021-44228"}},
          "products":[{{"@id":"pkg:npm/p","subcomponents":[{}]}}],"status":"under_investigation"}}]}}"#,
        subs.join(",")
    );
    assert!(
        matches!(
            error(many.as_bytes()),
            VexError::TooLarge {
                what: "statements",
                ..
            }
        ),
        "{}",
        error(many.as_bytes())
    );
}

fn mutated(bytes: &[u8], at: usize, how: u8, junk: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = at % (out.len() + 1);
    match how % 4 {
        0 => out.truncate(at),
        1 => {
            if let Some(b) = out.get_mut(at) {
                *b ^= junk.first().copied().unwrap_or(0x55) | 1;
            }
        }
        2 => {
            let end = (at + junk.len()).min(out.len());
            out.drain(at..end);
        }
        _ => {
            out.splice(at..at, junk.iter().copied());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn import_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = vex::import(&bytes);
        let _ = vex::detect(&bytes);
    }
}

#[test]
fn import_never_panics_on_mutated_corpus_files() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("VEX import fuzzing") else {
        return;
    };
    // Every source, the 274 KB base suppression file among them.
    let inputs: Vec<Vec<u8>> = sources(&corpus)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let strategy = (
        0..inputs.len(),
        any::<usize>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 1..12),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(300));
    runner
        .run(&strategy, |(file, at, how, junk)| {
            let bad = mutated(&inputs[file], at, how, &junk);
            if let Ok(imported) = vex::import(&bad) {
                for s in &imported.statements {
                    prop_assert!(s.clone().validate().is_ok());
                }
            }
            Ok(())
        })
        .unwrap();
}
