//! Scanner output pasted into a report's text: what a user copied from a terminal
//! (Trivy and Grype tables, `npm audit`, Dependency-Check's console lines, a Maven
//! coordinate beside a CVE id), read into findings as far as the text allows, so that
//! a report classed as scanner output can be answered with the project's statements.
//!
//! Best effort by construction: a whole JSON or XML report pasted as it is goes through
//! [`super::read`]; otherwise each line that names a CVE or GHSA id becomes a finding
//! of the component the line (or the block it stands in) names. A line whose component
//! cannot be told is left out rather than guessed. Bounded: the first
//! [`MAX_LINES`] lines, at most [`MAX_PASTED_FINDINGS`] findings.

use std::collections::HashSet;

use embargo_domain::advisory::ids_in;
use embargo_domain::vex::matching::split_archive_name;

use super::{Finding, FoundComponent};

/// Lines of a text read at most.
pub const MAX_LINES: usize = 20_000;
/// Findings one text gives at most.
pub const MAX_PASTED_FINDINGS: usize = 5_000;

/// Severity words and labels that are never a component.
const NOT_A_COMPONENT: &[&str] = &[
    "low",
    "medium",
    "moderate",
    "high",
    "critical",
    "unknown",
    "negligible",
    "info",
    "more",
    "severity",
    "fixed",
    "affected",
    "will_not_fix",
    "fix_deferred",
    "vulnerability",
];
/// Labels after which a table or block names its package.
const PACKAGE_LABELS: &[&str] = &["package", "library", "module", "dependency", "artifact"];

/// The findings a pasted text holds, in the order it names them.
pub fn read_text(text: &str) -> Vec<Finding> {
    if let Some(report) = embedded_report(text) {
        return report;
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // The package a block names on a line without ids (`braces  <3.0.3`, `Package │ ws`),
    // for the lines of the block that name ids but no package (npm audit).
    let mut context: Option<FoundComponent> = None;
    for line in text.lines().take(MAX_LINES) {
        let tokens = tokens(line);
        let ids = ids_in(line);
        if ids.is_empty() {
            if let Some(c) = labelled(&tokens).or_else(|| leading_package(&tokens)) {
                context = Some(c);
            }
            continue;
        }
        let Some(component) = line_component(&tokens).or_else(|| context.clone()) else {
            continue;
        };
        for id in ids {
            if out.len() >= MAX_PASTED_FINDINGS {
                return out;
            }
            if seen.insert((
                id.clone(),
                component.name.clone(),
                component.version.clone(),
            )) {
                out.push(Finding {
                    vulnerability: id,
                    aliases: vec![],
                    component: component.clone(),
                });
            }
        }
    }
    out
}

/// A whole JSON or XML report pasted as it is, if the text holds one.
fn embedded_report(text: &str) -> Option<Vec<Finding>> {
    let start = text.find(['{', '<'])?;
    let end = text.rfind(['}', '>'])?;
    let body = text.get(start..=end)?;
    super::read(body.as_bytes()).ok().filter(|f| !f.is_empty())
}

/// The line's words, table rules and pipes taken for spaces.
fn tokens(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || c == '|' || ('\u{2500}'..='\u{257f}').contains(&c))
        .map(|t| {
            t.trim_matches(|c: char| {
                matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '"' | '\'' | '`')
            })
            // A sentence's full stop or a label's colon is not part of a name.
            .trim_end_matches(['.', ':', '!', '?'])
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// A component named after a label (`Package │ minimist`).
fn labelled(tokens: &[&str]) -> Option<FoundComponent> {
    let at = tokens.iter().position(|t| {
        PACKAGE_LABELS.contains(&t.trim_end_matches(':').to_ascii_lowercase().as_str())
    })?;
    let name = tokens.get(at + 1)?;
    component(name, tokens.get(at + 2).copied())
}

/// The first token of a line without ids, when it looks like a package.
fn leading_package(tokens: &[&str]) -> Option<FoundComponent> {
    let first = tokens.first()?;
    let c = component(first, tokens.get(1).copied())?;
    (looks_like_package(first) || c.version.is_some()).then_some(c)
}

/// The component a line with ids names: its first package-like token.
fn line_component(tokens: &[&str]) -> Option<FoundComponent> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| ids_in(t).is_empty() && !t.contains("://"))
        .find_map(|(i, t)| {
            let c = component(t, tokens.get(i + 1).copied())?;
            (looks_like_package(t) || c.version.is_some()).then_some(c)
        })
}

/// The component a token names, with the version from the token itself (a jar file,
/// Maven coordinates) or from the next token when that looks like a version.
fn component(token: &str, next: Option<&str>) -> Option<FoundComponent> {
    let token = token.trim_end_matches(':');
    let lower = token.to_ascii_lowercase();
    if lower.is_empty()
        || NOT_A_COMPONENT.contains(&lower.as_str())
        || !token.chars().any(char::is_alphabetic)
        || is_version(token)
    {
        return None;
    }
    if token.starts_with("pkg:") {
        return Some(FoundComponent {
            purl: Some(token.to_string()),
            name: token.to_string(),
            version: None,
            file: None,
        });
    }
    if let Some((name, version)) = split_archive_name(token) {
        return Some(FoundComponent {
            purl: None,
            name: name.to_string(),
            version: version.map(String::from),
            file: Some(token.to_string()),
        });
    }
    // Maven coordinates: group:artifact[:version].
    let parts: Vec<&str> = token.split(':').collect();
    if let [group, artifact, rest @ ..] = parts.as_slice()
        && !group.is_empty()
        && !artifact.is_empty()
    {
        return Some(FoundComponent {
            purl: None,
            name: format!("{group}:{artifact}"),
            version: rest.first().map(|v| v.to_string()),
            file: None,
        });
    }
    let version = next
        .map(|n| n.trim_start_matches(['<', '>', '=', '~', '^', 'v']))
        .filter(|n| is_version(n))
        .map(String::from);
    Some(FoundComponent {
        purl: None,
        name: token.trim_start_matches("node_modules/").to_string(),
        version,
        file: None,
    })
}

/// A package name rather than a word of prose: it has a separator or a digit.
fn looks_like_package(token: &str) -> bool {
    token.starts_with("pkg:")
        || token.contains(['-', '_', '.', ':', '/', '@'])
        || token.chars().any(|c| c.is_ascii_digit())
}

/// `1.2.3`, `30.1-jre`, `2.5.0-1+deb12u1`: starts with a digit and has a dot.
fn is_version(token: &str) -> bool {
    token.starts_with(|c: char| c.is_ascii_digit()) && token.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String, Option<String>)> {
        read_text(text)
            .into_iter()
            .map(|f| (f.vulnerability, f.component.name, f.component.version))
            .collect()
    }

    fn p(id: &str, name: &str, v: Option<&str>) -> (String, String, Option<String>) {
        (id.into(), name.into(), v.map(String::from))
    }

    #[test]
    fn tables_blocks_and_console_lines_become_findings() {
        let grype = "NAME                INSTALLED  FIXED-IN  TYPE          VULNERABILITY        SEVERITY\n\
                     commons-beanutils   1.9.3      1.9.4     java-archive  GHSA-6phf-73q6-gh87  High\n\
                     guava               30.1-jre   32.0.0    java-archive  GHSA-7g45-4rm6-3mm3  Medium\n";
        assert_eq!(
            pairs(grype),
            vec![
                p("GHSA-6phf-73q6-gh87", "commons-beanutils", Some("1.9.3")),
                p("GHSA-7g45-4rm6-3mm3", "guava", Some("30.1-jre")),
            ]
        );
        let trivy = "│ libexpat1    │ CVE-2024-45491 │ CRITICAL │ fixed        │ 2.5.0-1           │ 2.5.0-1+deb12u1 │ expat: null pointer │";
        assert_eq!(pairs(trivy), vec![p("CVE-2024-45491", "libexpat1", None)]);
        let npm = "braces  <3.0.3\nSeverity: high\nUncontrolled resource consumption in braces - https://github.com/advisories/GHSA-grv7-fg5c-xmjg\nfix available via `npm audit fix`\nnode_modules/braces\n";
        assert_eq!(
            pairs(npm),
            vec![p("GHSA-grv7-fg5c-xmjg", "braces", Some("3.0.3"))]
        );
        let npm_table = "│ Package       │ minimist │\n│ More info     │ https://github.com/advisories/GHSA-xvch-5gv4-984h │";
        assert_eq!(
            pairs(npm_table),
            vec![p("GHSA-xvch-5gv4-984h", "minimist", None)]
        );
        let dc = "jackson-databind-2.13.4.jar: CVE-2022-42003, CVE-2022-42004\n\
                  org.yaml:snakeyaml:1.33 (CVE-2022-1471)";
        assert_eq!(
            pairs(dc),
            vec![
                p("CVE-2022-42003", "jackson-databind", Some("2.13.4")),
                p("CVE-2022-42004", "jackson-databind", Some("2.13.4")),
                p("CVE-2022-1471", "org.yaml:snakeyaml", Some("1.33")),
            ]
        );
    }

    #[test]
    fn prose_without_a_package_gives_nothing_and_a_pasted_report_is_read_whole() {
        assert!(
            pairs("Your product is vulnerable to CVE-2021-44228, please fix it asap.").is_empty()
        );
        let json = r#"Output: {"SchemaVersion": 2, "Results": [{"Target": "pom.xml", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2022-1471", "PkgName": "org.yaml:snakeyaml", "InstalledVersion": "1.33"}]}]} thanks"#;
        let found = read_text(json);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].vulnerability, "CVE-2022-1471");
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panic(text in "\\PC{0,2000}") {
            let _ = read_text(&text);
        }
    }
}
