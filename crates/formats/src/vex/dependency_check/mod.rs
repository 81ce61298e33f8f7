//! OWASP Dependency-Check suppression files (schema 1.3) as statements, and back
//! (docs/vex.md, "Formats"). A `<suppress>` says "do not report these vulnerabilities
//! in these dependencies": a `not_affected` statement per vulnerability id, when the
//! rule names its vulnerabilities by id and its dependency as one component.
//!
//! The mapping, both ways:
//!
//! | rule | statement |
//! | --- | --- |
//! | no filePath/sha1/gav/packageUrl | component [`ANY_COMPONENT`](crate::vex::ANY_COMPONENT) |
//! | `<packageUrl regex="true">^pkg:maven/org\.foo/bar@.*$</packageUrl>` (or a purl) | component `pkg:maven/org.foo/bar` |
//! | `<gav regex="true">^org\.foo:bar:.*$</gav>` (or `g:a:v`) | component named `org.foo:bar` |
//! | `<filePath regex="true">.*[/\\]NAME[^/\\]*$</filePath>` | component named `NAME` |
//! | each `<cve>`, each `<vulnerabilityName>` (not a regex) | one statement |
//! | `<notes>` | `impact` (indentation removed); leading `justification: NAME` and `product versions: TEXT` lines give those fields |
//! | `until` | `until` (a zone, if any, dropped) |
//!
//! Everything else (`base="true"` rules, `sha1`, other file paths and patterns, `cpe`,
//! `cwe`, `cvssBelow`, `vulnerabilityName` patterns) is kept whole as a [`DcRule`] in
//! `Imported::dependency_check_extra`, with a warning, and written back after the
//! statements on export; a rule with ids beside such matchers gives its statements
//! and keeps the rest.

use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use serde::{Deserialize, Serialize};

use super::common::{any_component, component_from_purl};
use super::{Collector, Imported, VexError, VexFormat};

mod read;
mod write;

pub(super) use read::sniff;
pub(super) use write::export;

/// The impact of a statement from a rule without notes (a `not_affected` statement
/// needs a reason; this one says there is none).
pub const NO_REASON: &str = "No reason given in the Dependency-Check suppression file.";

/// The element of a rule's match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DcElement {
    FilePath,
    Sha1,
    Gav,
    PackageUrl,
    Cpe,
    Cve,
    VulnerabilityName,
    Cwe,
    CvssBelow,
}

impl DcElement {
    const ALL: [DcElement; 9] = [
        Self::FilePath,
        Self::Sha1,
        Self::Gav,
        Self::PackageUrl,
        Self::Cpe,
        Self::Cve,
        Self::VulnerabilityName,
        Self::Cwe,
        Self::CvssBelow,
    ];

    /// The element's name in the file.
    pub fn tag(self) -> &'static str {
        match self {
            Self::FilePath => "filePath",
            Self::Sha1 => "sha1",
            Self::Gav => "gav",
            Self::PackageUrl => "packageUrl",
            Self::Cpe => "cpe",
            Self::Cve => "cve",
            Self::VulnerabilityName => "vulnerabilityName",
            Self::Cwe => "cwe",
            Self::CvssBelow => "cvssBelow",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.tag() == tag)
    }

    /// Whether it says which dependencies a rule is about (at most one per rule).
    pub fn is_selector(self) -> bool {
        matches!(
            self,
            Self::FilePath | Self::Sha1 | Self::Gav | Self::PackageUrl
        )
    }

    /// Whether it takes `regex` and `caseSensitive` (the schema's `regexStringType`).
    pub fn takes_regex(self) -> bool {
        matches!(
            self,
            Self::FilePath | Self::Gav | Self::PackageUrl | Self::Cpe | Self::VulnerabilityName
        )
    }
}

/// One match of a rule: `<packageUrl regex="true">^pkg:…@.*$</packageUrl>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcValue {
    pub element: DcElement,
    /// The text as written (typed values, such as `cve`, trimmed).
    pub value: String,
    #[serde(default)]
    pub regex: bool,
    #[serde(default)]
    pub case_sensitive: bool,
}

/// A `<suppress>` kept whole: what no statement can say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcRule {
    #[serde(default)]
    pub base: bool,
    /// The `until` attribute as written (`2014-01-01Z`).
    #[serde(default)]
    pub until: Option<String>,
    /// The notes as written.
    #[serde(default)]
    pub notes: Option<String>,
    /// filePath, sha1, gav or packageUrl.
    #[serde(default)]
    pub selector: Option<DcValue>,
    /// cpe, cve, vulnerabilityName, cwe, cvssBelow (at least one).
    pub matches: Vec<DcValue>,
}

const FORMAT: VexFormat = VexFormat::DependencyCheck;

/// The statements of a suppression file, and its other rules.
pub(super) fn import(bytes: &[u8]) -> Result<Imported, VexError> {
    let text = read::utf8(bytes)?;
    let mut out = Collector::new(FORMAT);
    let mut extra = Vec::new();
    for raw in read::read(text)? {
        map_rule(raw, &mut out, &mut extra)?;
    }
    Ok(out.finish(extra))
}

const KEPT: &str = "kept as a Dependency-Check rule, written back on export";

/// One rule: statements where it names (ids, one component), the rest kept.
fn map_rule(
    raw: read::RawRule,
    out: &mut Collector,
    extra: &mut Vec<DcRule>,
) -> Result<(), VexError> {
    let at = raw.at.to_string();
    let rule = raw.rule;
    let mut keep = |out: &mut Collector, rule: DcRule, why: String| {
        out.warnings.add(at.clone(), format!("{why}: {KEPT}"));
        extra.push(rule);
    };
    let (statements, rest) = match split_rule(&rule, &at, out) {
        Ok(split) => split,
        Err(why) => {
            keep(out, rule, why);
            return Ok(());
        }
    };
    for s in statements {
        out.push_valid(s)?;
    }
    if !rest.is_empty() {
        let tags: Vec<&str> = rest.iter().map(|m| m.element.tag()).collect();
        let why = format!(
            "the vulnerability ids became statements; the rule's {} matching",
            tags.join(", ")
        );
        keep(
            out,
            DcRule {
                matches: rest,
                ..rule
            },
            why,
        );
    }
    Ok(())
}

/// The statements of a rule and its matchers that are no vulnerability id; or why the
/// whole rule is kept.
fn split_rule(
    rule: &DcRule,
    at: &str,
    out: &mut Collector,
) -> Result<(Vec<Statement>, Vec<DcValue>), String> {
    if rule.base {
        return Err("a base=\"true\" rule (Dependency-Check's own false-positive list)".into());
    }
    let (component, dropped) = match &rule.selector {
        None => (any_component(), None),
        Some(sel) => selector_component(sel)?,
    };
    let (ids, rest): (Vec<DcValue>, Vec<DcValue>) = rule.matches.iter().cloned().partition(|m| {
        m.element == DcElement::Cve || (m.element == DcElement::VulnerabilityName && !m.regex)
    });
    if ids.is_empty() {
        return Err("a rule by cpe, cwe, cvssBelow or a vulnerabilityName pattern names no vulnerability id".into());
    }
    let statements = rule_statements(rule, &ids, component)?;
    if let (Some(v), Some(sel)) = (dropped, &rule.selector) {
        out.warnings.add(
            at,
            format!("version {v} of <{}> dropped: a statement covers the component in every version the project ships", sel.element.tag()),
        );
    }
    if rule.until.as_deref().is_some_and(|u| u.len() > 10) {
        out.warnings.add(
            at,
            "the time zone of until dropped (a statement's until is a date)",
        );
    }
    if rule.notes.as_deref().is_none_or(|n| n.trim().is_empty()) {
        out.warnings.add(
            at,
            format!("a rule without notes: its statements say {NO_REASON:?}"),
        );
    }
    Ok((statements, rest))
}

/// The statements of a rule naming `ids` in `component`, each validated; or why the
/// rule cannot be statements.
fn rule_statements(
    rule: &DcRule,
    ids: &[DcValue],
    component: Component,
) -> Result<Vec<Statement>, String> {
    let notes = Notes::parse(rule.notes.as_deref().unwrap_or_default());
    let impact = match (&notes.impact, notes.justification) {
        (None, None) => Some(NO_REASON.to_string()),
        (impact, _) => impact.clone(),
    };
    let until = match rule.until.as_deref() {
        Some(u) => Some(
            u.get(..10)
                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                .ok_or_else(|| format!("until {u:?} is not a date"))?,
        ),
        None => None,
    };
    ids.iter()
        .map(|id| {
            Statement {
                vulnerability: id.value.trim().to_string(),
                aliases: Vec::new(),
                component: component.clone(),
                product_versions: notes.product_versions.clone(),
                status: VexStatus::NotAffected,
                justification: notes.justification,
                impact: impact.clone(),
                action: None,
                fixed_in: None,
                public: false,
                until,
            }
            .validate()
            .map_err(|e| format!("a rule that is no valid statement ({e})"))
        })
        .collect()
}

/// The component a rule's filePath/sha1/gav/packageUrl names, and a version it named
/// that the statement drops; or why it names no one component.
fn selector_component(sel: &DcValue) -> Result<(Component, Option<String>), String> {
    let wide = |what: &str| format!("a rule by {what} that matches more than one component");
    match sel.element {
        DcElement::PackageUrl => {
            let purl = if sel.regex {
                pattern_literal(&sel.value, "", "@.*")
                    .ok_or_else(|| wide("a packageUrl pattern"))?
            } else {
                sel.value.trim().to_string()
            };
            let (c, version) =
                component_from_purl(&purl).map_err(|e| format!("a rule by packageUrl: {e}"))?;
            if sel.regex && version.is_some() {
                return Err(wide("a packageUrl pattern"));
            }
            Ok((c, version))
        }
        DcElement::Gav => {
            let (gav, version) = if sel.regex {
                let ga =
                    pattern_literal(&sel.value, "", ":.*").ok_or_else(|| wide("a gav pattern"))?;
                (ga, None)
            } else {
                let v = sel.value.trim();
                match v.splitn(3, ':').collect::<Vec<_>>()[..] {
                    [g, a, version] => (format!("{g}:{a}"), Some(version.to_string())),
                    _ => (v.to_string(), None),
                }
            };
            match gav.split(':').collect::<Vec<_>>()[..] {
                [g, a] if !g.is_empty() && !a.is_empty() => Ok((
                    Component {
                        purl: None,
                        name: gav.clone(),
                    },
                    version,
                )),
                _ => Err(wide("a gav pattern")),
            }
        }
        DcElement::FilePath => {
            let name = sel
                .regex
                .then(|| pattern_literal(&sel.value, write::FILE_PREFIX, write::FILE_SUFFIX))
                .flatten()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| "a rule by file path names no component".to_string())?;
            Ok((Component { purl: None, name }, None))
        }
        _ => Err("a rule by sha1 (one file's checksum) names no component".into()),
    }
}

/// The literal between `prefix` and `suffix` of a Java regex (`^` and `$` optional, as
/// Dependency-Check matches the whole value), unescaped; `None` when the middle is a
/// pattern rather than one string.
fn pattern_literal(regex: &str, prefix: &str, suffix: &str) -> Option<String> {
    let r = regex.trim();
    let r = r.strip_prefix('^').unwrap_or(r);
    let r = r
        .strip_suffix('$')
        .filter(|r| !r.ends_with('\\'))
        .unwrap_or(r);
    let r = r.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let mut out = String::new();
    let mut chars = r.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if !n.is_alphanumeric() => out.push(n),
                _ => return None,
            },
            '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => return None,
            // An unescaped dot, common sloppiness for a literal one, is taken as one.
            _ => out.push(c),
        }
    }
    Some(out)
}

/// A rule's notes as a statement reads them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Notes {
    justification: Option<Justification>,
    product_versions: Option<String>,
    impact: Option<String>,
}

const JUSTIFICATION: &str = "justification: ";
const PRODUCT_VERSIONS: &str = "product versions: ";

impl Notes {
    /// Leading `justification: NAME` / `product versions: TEXT` lines, then the
    /// impact, with the indentation of the XML around it removed.
    fn parse(raw: &str) -> Notes {
        let text = tidy(raw);
        let mut notes = Notes::default();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.peek() {
            if let Some(j) = line.strip_prefix(JUSTIFICATION)
                && let Ok(j) = Justification::parse(j)
                && notes.justification.is_none()
            {
                notes.justification = Some(j);
            } else if let Some(v) = line.strip_prefix(PRODUCT_VERSIONS)
                && !v.trim().is_empty()
                && notes.product_versions.is_none()
            {
                notes.product_versions = Some(v.trim().to_string());
            } else {
                break;
            }
            lines.next();
        }
        let rest: Vec<&str> = lines.collect();
        let rest = rest.join("\n");
        notes.impact = Some(rest.trim().to_string()).filter(|t| !t.is_empty());
        notes
    }

    /// The notes text for a statement's fields (see [`parse`](Self::parse)).
    fn write(s: &Statement) -> String {
        let mut lines = Vec::new();
        if let Some(j) = s.justification {
            lines.push(format!("{JUSTIFICATION}{}", j.as_str()));
        }
        if let Some(v) = &s.product_versions {
            lines.push(format!("{PRODUCT_VERSIONS}{}", v.trim()));
        }
        if let Some(i) = s.impact.as_deref().map(tidy).filter(|i| !i.is_empty()) {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.push(i);
        }
        lines.join("\n")
    }
}

/// Text without the indentation of the XML it stood in: blank lines at either end
/// and trailing spaces dropped, the first line trimmed, the others' common indentation
/// removed.
fn tidy(raw: &str) -> String {
    let lines: Vec<&str> = raw.lines().map(str::trim_end).collect();
    let Some(first) = lines.iter().position(|l| !l.is_empty()) else {
        return String::new();
    };
    let last = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(first);
    let lines = &lines[first..=last];
    let indent = lines[1..]
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.chars().take_while(|c| c.is_whitespace()).count())
        .min()
        .unwrap_or(0);
    let mut out = vec![lines[0].trim_start().to_string()];
    out.extend(
        lines[1..]
            .iter()
            .map(|l| l.chars().skip(indent).collect::<String>()),
    );
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_lose_their_indentation_and_keep_their_fields() {
        let raw = "\n      The attack cannot\n      be achieved.\n        (indented)\n    ";
        assert_eq!(tidy(raw), "The attack cannot\nbe achieved.\n  (indented)");
        let n = Notes::parse(
            "justification: vulnerable_code_not_present\nproduct versions: 3.7.x\n\nWhy.",
        );
        assert_eq!(
            n.justification,
            Some(Justification::VulnerableCodeNotPresent)
        );
        assert_eq!(n.product_versions.as_deref(), Some("3.7.x"));
        assert_eq!(n.impact.as_deref(), Some("Why."));
        let n = Notes::parse("justification: because I say so");
        assert_eq!(n.justification, None);
        assert_eq!(n.impact.as_deref(), Some("justification: because I say so"));
    }

    #[test]
    fn patterns_naming_one_component_are_read() {
        let lit = |r| pattern_literal(r, "", "@.*");
        assert_eq!(
            lit(r"^pkg:maven/org\.scalaz/scalaz\-core_2\.12@.*$").as_deref(),
            Some("pkg:maven/org.scalaz/scalaz-core_2.12")
        );
        assert_eq!(lit(r"^pkg:maven/org\.eclipse\.jetty/jetty\-.*@.*$"), None);
        assert_eq!(
            lit(r"^pkg:maven/org\.apache\.logging\.log4j/log4j\-(api|web)@.*$"),
            None
        );
        assert_eq!(lit(r".*unicode.*$"), None);
        assert_eq!(
            pattern_literal(r"^org\.foo:bar:.*$", "", ":.*").as_deref(),
            Some("org.foo:bar")
        );
    }

    #[test]
    fn selectors_name_one_component_or_keep_the_rule() {
        let xml = r#"<suppressions xmlns="https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.2.xsd">
  <suppress><notes>a</notes><packageUrl>pkg:maven/org.foo/bar@1.2.3</packageUrl><cve>CVE-2024-0001</cve></suppress>
  <suppress><notes>b</notes><gav>org.foo:baz:2.0</gav><vulnerabilityName>GHSA-aaaa-bbbb-cccc</vulnerabilityName></suppress>
  <suppress><notes>c</notes><filePath regex="true">.*[/\\]netty\-handler[^/\\]*$</filePath><cve>CVE-2024-0002</cve></suppress>
  <suppress><notes>d</notes><packageUrl regex="true">^pkg:maven/org\.foo/bar@1\.0$</packageUrl><cve>CVE-2024-0003</cve></suppress>
  <suppress until="2030-01-01+02:00"><vulnerabilityName regex="true">CVE-2024-.*</vulnerabilityName><cve>CVE-2024-0004</cve></suppress>
</suppressions>"#;
        let imported = import(xml.as_bytes()).unwrap();
        let names: Vec<(&str, Option<&str>)> = imported
            .statements
            .iter()
            .map(|s| (s.component.name.as_str(), s.component.purl.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("org.foo:bar", Some("pkg:maven/org.foo/bar")),
                ("org.foo:baz", None),
                ("netty-handler", None),
                ("*", None),
            ]
        );
        assert_eq!(imported.statements[1].vulnerability, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(
            imported.statements[3].until,
            Some(jiff::civil::date(2030, 1, 1))
        );
        assert_eq!(imported.statements[3].impact.as_deref(), Some(NO_REASON));
        // The exact-version pattern, and the regex beside CVE-2024-0004.
        assert_eq!(imported.dependency_check_extra.len(), 2);
        assert!(imported.dependency_check_extra[1].matches[0].regex);
        let text: Vec<String> = imported.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            text.iter()
                .any(|w| w.contains("version 1.2.3 of <packageUrl> dropped")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|w| w.contains("the time zone of until dropped")),
            "{text:?}"
        );
    }
}
