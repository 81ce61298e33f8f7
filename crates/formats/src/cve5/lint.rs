//! Semantic checks of a CNA container: what the schema lets through but a reader of
//! the record would trip on. Each finding names the field (`affected[0].versions[1]`)
//! and says what to do.
//!
//! Errors are mistakes a CNA must fix before publishing (a range that matches nothing,
//! a score that its vector does not give); warnings are habits worth fixing (a range
//! written inside `version`, an unusual `versionType`).

use std::cmp::Ordering;

use serde::Serialize;

use super::model::{CnaContainer, CveRecord, Cvss, Product, Version, is_english};
use crate::version::{compare, looks_like_version};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth fixing; the record still means what it says.
    Warning,
    /// The record is wrong or says nothing; fix before publishing.
    Error,
}

/// One finding: where, how serious, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub level: Level,
    /// Path in the CNA container, e.g. `affected[0].versions[1].lessThan`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: {}: {}", self.path, self.message)
    }
}

/// `versionType` values in the CVE schema's examples and common use.
const KNOWN_VERSION_TYPES: [&str; 10] = [
    "semver", "custom", "git", "maven", "python", "rpm", "npm", "deb", "gem", "nuget",
];

/// Texts that stand in for a description nobody wrote yet.
const PLACEHOLDERS: [&str; 9] = [
    "tbd",
    "todo",
    "** reserved **",
    "lorem ipsum",
    "description",
    "n/a",
    "none",
    "xxx",
    "fixme",
];

/// The ASF's textual severity scale.
const TEXTUAL_SEVERITIES: [&str; 4] = ["low", "moderate", "important", "critical"];

/// Checks a whole record: the CNA container, or for a REJECTED record its reasons.
pub fn lint_record(record: &CveRecord) -> Vec<Finding> {
    if record.is_rejected() {
        let mut out = Vec::new();
        let reasons = record.cna().rejected_reasons.as_deref().unwrap_or_default();
        if !reasons
            .iter()
            .any(|d| is_english(&d.lang) && !d.value.trim().is_empty())
        {
            out.push(error("rejectedReasons", "a REJECTED record needs an English reason (e.g. \"This CVE ID is a duplicate of CVE-...\")"));
        }
        return out;
    }
    lint(record.cna())
}

/// Checks a PUBLISHED CNA container.
pub fn lint(c: &CnaContainer) -> Vec<Finding> {
    let mut out = Vec::new();
    descriptions(c, &mut out);
    if let Some(t) = &c.title
        && is_placeholder(t)
    {
        out.push(error("title", format!("{t:?} is placeholder text; write a one-line title like \"Apache Foo: path traversal in the upload servlet\"")));
    }
    affected(c, &mut out);
    problem_types(c, &mut out);
    metrics(c, &mut out);
    references(c, &mut out);
    for (i, cr) in c.credits.iter().flatten().enumerate() {
        if cr.value.trim().is_empty() {
            out.push(error(
                format!("credits[{i}].value"),
                "empty credit; name the person or organisation, or remove the entry",
            ));
        }
    }
    out
}

fn error(path: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        level: Level::Error,
        path: path.into(),
        message: message.into(),
    }
}

fn warning(path: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        level: Level::Warning,
        path: path.into(),
        message: message.into(),
    }
}

fn is_placeholder(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('.');
    t.is_empty()
        || PLACEHOLDERS.contains(&t)
        || t.contains("lorem ipsum")
        || t.contains("** reserved **")
        || t.starts_with("tbd ")
        || t.starts_with("tbd:")
}

fn descriptions(c: &CnaContainer, out: &mut Vec<Finding>) {
    let list = c.descriptions.as_deref().unwrap_or_default();
    if !list.iter().any(|d| is_english(&d.lang)) {
        out.push(error(
            "descriptions",
            "no English description; add one with lang \"en\" (the CVE Program requires it)",
        ));
    }
    for (i, d) in list.iter().enumerate() {
        if is_placeholder(&d.value) {
            out.push(error(format!("descriptions[{i}].value"), format!("{:?} is placeholder text; describe the vulnerability, the affected product and versions, and the impact", d.value.trim())));
        } else if d.value.trim().chars().count() < 20 {
            out.push(warning(format!("descriptions[{i}].value"), "very short description; say what is vulnerable, in which versions, and what an attacker can do"));
        }
    }
}

fn affected(c: &CnaContainer, out: &mut Vec<Finding>) {
    let products = c.products();
    if products.is_empty() {
        out.push(error("affected", "no affected product; name at least one vendor/product (or collectionURL/packageName) with its versions"));
    }
    for (i, p) in products.iter().enumerate() {
        product(&format!("affected[{i}]"), p, out);
    }
}

fn product(path: &str, p: &Product, out: &mut Vec<Finding>) {
    let named = p.vendor.as_deref().is_some_and(|s| !s.trim().is_empty())
        && p.product.as_deref().is_some_and(|s| !s.trim().is_empty());
    let packaged = p.collection_url.is_some() && p.package_name.is_some();
    if !named && !packaged {
        out.push(error(
            path,
            "name the product: vendor and product, or collectionURL and packageName",
        ));
    }
    if let Some(purl) = &p.package_url
        && let Err(message) = embargo_domain::record::versionless_purl(purl)
    {
        // CVE JSON 5.2: "The Package URL MUST NOT include a version."
        out.push(error(format!("{path}.packageURL"), message));
    }
    let versions = p.versions.as_deref().unwrap_or_default();
    if versions.is_empty() && p.default_status.is_none() {
        out.push(error(path, "no versions and no defaultStatus: the entry says nothing about which versions are affected; add a range like version \"1.0.0\" lessThan \"1.2.3\""));
    }
    for (j, v) in versions.iter().enumerate() {
        version(&format!("{path}.versions[{j}]"), v, out);
    }
}

/// Words that show a range written into a single `version` string.
fn range_in_text(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l.contains('<')
        || l.contains('>')
        || l.contains(" to ")
        || l.contains("before")
        || l.contains("prior")
        || l.contains(" through ")
        || l.contains("earlier")
        || l.contains("later")
}

fn version(path: &str, v: &Version, out: &mut Vec<Finding>) {
    let upper = v.upper();
    if upper.is_none() && range_in_text(&v.version) {
        out.push(warning(
            format!("{path}.version"),
            format!("{:?} is a range written as text, which tools cannot read; use version (first affected) with lessThan or lessThanOrEqual and a versionType", v.version),
        ));
    }
    if upper.is_some() && v.version_type.is_none() {
        out.push(error(
            path,
            "a range needs a versionType (\"semver\", \"maven\", \"custom\"...)",
        ));
    }
    if let Some(t) = v.version_type.as_deref()
        && !KNOWN_VERSION_TYPES.contains(&t)
    {
        out.push(warning(format!("{path}.versionType"), format!("unusual versionType {t:?}; use \"semver\", \"maven\", \"python\", \"git\" or \"custom\"")));
    }
    let Some((bound, inclusive)) = upper else {
        return;
    };
    let field = if inclusive {
        "lessThanOrEqual"
    } else {
        "lessThan"
    };
    if bound.contains(',') {
        out.push(error(
            format!("{path}.{field}"),
            format!("{bound:?} lists several versions; write one range per release line (one version entry each)"),
        ));
        return;
    }
    // Git hashes and other non-numeric schemes have no order we can check.
    if v.version_type.as_deref() == Some("git") {
        return;
    }
    if bound != "*" && !looks_like_version(bound) {
        out.push(warning(format!("{path}.{field}"), format!("{bound:?} does not look like a version; give the first fixed (lessThan) or last affected (lessThanOrEqual) version, or \"*\"")));
        return;
    }
    if !looks_like_version(&v.version) || bound == "*" {
        return;
    }
    // As a lower bound, "3.21.x" means the start of the 3.21 line.
    let start = v
        .version
        .trim()
        .trim_end_matches(['x', 'X', '*'])
        .trim_end_matches('.');
    let ord = compare(start, bound);
    let empty = if inclusive {
        ord == Ordering::Greater
    } else {
        ord != Ordering::Less
    };
    if empty {
        let op = if inclusive { "<=" } else { "<" };
        out.push(error(
            format!("{path}.{field}"),
            format!("the range {} {op} {bound} cannot match any version: the upper bound must be above the first affected version", v.version),
        ));
    }
}

fn problem_types(c: &CnaContainer, out: &mut Vec<Finding>) {
    for (i, p) in c.problem_types.iter().flatten().enumerate() {
        for (j, d) in p.descriptions.iter().enumerate() {
            let path = format!("problemTypes[{i}].descriptions[{j}]");
            if let Some(id) = &d.cwe_id {
                if !is_cwe_id(id) {
                    out.push(error(
                        format!("{path}.cweId"),
                        format!("{id:?} is not a CWE id; write it as CWE-79"),
                    ));
                } else if let Some(named) = leading_cwe(&d.description)
                    && named != id
                {
                    out.push(error(
                        format!("{path}.description"),
                        format!("the description names {named} but cweId is {id}"),
                    ));
                }
            } else if d.kind.as_deref() == Some("CWE") {
                out.push(warning(
                    format!("{path}.cweId"),
                    "type is CWE but no cweId is given; add cweId like \"CWE-79\"",
                ));
            } else if let Some(named) = leading_cwe(&d.description) {
                out.push(warning(
                    format!("{path}.cweId"),
                    format!(
                        "the description names {named}; put it in cweId too so tools can read it"
                    ),
                ));
            }
        }
    }
}

/// `CWE-` followed by a number without leading zero.
pub fn is_cwe_id(id: &str) -> bool {
    id.strip_prefix("CWE-").is_some_and(|n| {
        !n.is_empty()
            && n.len() <= 6
            && !n.starts_with('0')
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// "CWE-611: Improper..." or "CWE-611 Improper..." → "CWE-611".
fn leading_cwe(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let rest = t.strip_prefix("CWE-")?;
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| &t[..4 + n])
}

fn metrics(c: &CnaContainer, out: &mut Vec<Finding>) {
    for (i, m) in c.metrics.iter().flatten().enumerate() {
        for (key, cvss) in m.cvss() {
            cvss_metric(&format!("metrics[{i}].{key}"), key, cvss, out);
        }
        if let Some(o) = &m.other
            && o.kind == super::model::TEXTUAL_SEVERITY
        {
            let text = o
                .content
                .get("text")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            if !TEXTUAL_SEVERITIES.contains(&text.trim().to_ascii_lowercase().as_str()) {
                out.push(warning(
                    format!("metrics[{i}].other.content.text"),
                    format!("{text:?} is not on the scale low, moderate, important, critical"),
                ));
            }
        }
    }
}

/// What a vector scores, by the `cvss` crate: (score, severity in FIRST's spelling).
pub fn score_vector(key: &str, vector: &str) -> Result<(f64, String), String> {
    let severity = |s: cvss::Severity| s.as_str().to_ascii_uppercase();
    match key {
        "cvssV3_1" | "cvssV3_0" => {
            let v: cvss::v3::Vector = vector.parse().map_err(|e: cvss::Error| e.to_string())?;
            let s = v.score();
            Ok((s.value(), severity(s.severity())))
        }
        "cvssV4_0" => {
            let v: cvss::v4::Vector = vector.parse().map_err(|e: cvss::Error| e.to_string())?;
            let s = v.score();
            Ok((s.value(), severity(v.score().severity())))
        }
        "cvssV2_0" => {
            let v: cvss::v2::Vector = vector.parse().map_err(|e: cvss::Error| e.to_string())?;
            // FIRST's CVSS v2 schema has no baseSeverity: nothing to compare it with.
            Ok((v.score().value(), String::new()))
        }
        _ => Err(format!("unknown CVSS field {key}")),
    }
}

fn cvss_metric(path: &str, key: &str, c: &Cvss, out: &mut Vec<Finding>) {
    let want_prefix = match key {
        "cvssV4_0" => Some("CVSS:4.0/"),
        "cvssV3_1" => Some("CVSS:3.1/"),
        "cvssV3_0" => Some("CVSS:3.0/"),
        _ => None,
    };
    if let Some(prefix) = want_prefix
        && !c.vector_string.starts_with(prefix)
    {
        out.push(error(
            format!("{path}.vectorString"),
            format!(
                "a {key} vector must start with {prefix:?}, found {:?}",
                c.vector_string
            ),
        ));
        return;
    }
    match score_vector(key, &c.vector_string) {
        Err(e) => out.push(error(
            format!("{path}.vectorString"),
            format!("{:?} is not a valid vector: {e}", c.vector_string),
        )),
        Ok((score, severity)) => {
            let given = c.base_score.as_f64().unwrap_or(f64::NAN);
            if (given - score).abs() > 0.05 {
                out.push(error(format!("{path}.baseScore"), format!("baseScore is {given} but the vector {} scores {score:.1}; fix the score or the vector", c.vector_string)));
            }
            if let Some(given) = &c.base_severity
                && !severity.is_empty()
                && !given.eq_ignore_ascii_case(&severity)
            {
                out.push(error(
                    format!("{path}.baseSeverity"),
                    format!("baseSeverity is {given} but a score of {score:.1} is {severity}"),
                ));
            }
        }
    }
}

fn references(c: &CnaContainer, out: &mut Vec<Finding>) {
    let refs = c.reference_list();
    if refs.is_empty() {
        out.push(error(
            "references",
            "no references; add at least the advisory or announcement URL",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, r) in refs.iter().enumerate() {
        let url = r.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("ftp://"))
        {
            out.push(error(
                format!("references[{i}].url"),
                format!("{url:?} is not an http(s) URL"),
            ));
        }
        if !seen.insert(url) {
            out.push(warning(
                format!("references[{i}].url"),
                format!("{url} is listed twice"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cve5::model::{Description, Reference, Status};

    fn container() -> CnaContainer {
        CnaContainer {
            title: Some("Apache Foo: path traversal".into()),
            descriptions: Some(vec![Description {
                lang: "en".into(),
                value: "Path traversal in Apache Foo 1.0 before 1.2.".into(),
                ..Default::default()
            }]),
            affected: Some(vec![Product {
                vendor: Some("Apache Software Foundation".into()),
                product: Some("Apache Foo".into()),
                default_status: Some(Status::Unaffected),
                versions: Some(vec![range("1.0", Some("1.2"), None)]),
                ..Default::default()
            }]),
            references: Some(vec![Reference {
                url: "https://foo.apache.org/security".into(),
                name: None,
                tags: None,
                extra: Default::default(),
            }]),
            ..Default::default()
        }
    }

    fn range(v: &str, lt: Option<&str>, le: Option<&str>) -> Version {
        Version {
            version: v.into(),
            status: Status::Affected,
            version_type: Some("semver".into()),
            less_than: lt.map(Into::into),
            less_than_or_equal: le.map(Into::into),
            changes: None,
            extra: Default::default(),
        }
    }

    fn messages(c: &CnaContainer) -> Vec<String> {
        lint(c).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_good_container_is_clean() {
        assert_eq!(messages(&container()), Vec::<String>::new());
    }

    #[test]
    fn placeholders_and_missing_english() {
        let mut c = container();
        c.descriptions = Some(vec![Description {
            lang: "en".into(),
            value: "** RESERVED ** This candidate...".into(),
            ..Default::default()
        }]);
        assert!(
            messages(&c)[0].starts_with("error: descriptions[0].value: "),
            "{:?}",
            messages(&c)
        );
        c.descriptions = Some(vec![Description {
            lang: "de".into(),
            value: "Eine lange Beschreibung der Lücke.".into(),
            ..Default::default()
        }]);
        assert!(
            messages(&c)
                .iter()
                .any(|m| m.contains("no English description"))
        );
        c.descriptions = Some(vec![Description {
            lang: "en".into(),
            value: "TBD".into(),
            ..Default::default()
        }]);
        assert!(messages(&c).iter().any(|m| m.contains("placeholder")));
        c.descriptions = Some(vec![Description {
            lang: "en".into(),
            value: "Lorem ipsum dolor sit amet, consectetur.".into(),
            ..Default::default()
        }]);
        assert!(messages(&c).iter().any(|m| m.contains("placeholder")));
    }

    #[test]
    fn products_must_say_something() {
        let mut c = container();
        c.affected = Some(vec![]);
        assert!(
            messages(&c)
                .iter()
                .any(|m| m.starts_with("error: affected: no affected product"))
        );
        c.affected = Some(vec![Product {
            vendor: Some("V".into()),
            product: Some("P".into()),
            ..Default::default()
        }]);
        assert!(
            messages(&c)
                .iter()
                .any(|m| m.contains("no versions and no defaultStatus"))
        );
        c.affected = Some(vec![Product {
            vendor: Some("V".into()),
            product: Some("P".into()),
            default_status: Some(Status::Affected),
            package_url: Some("pkg:pypi/p@1.0".into()),
            ..Default::default()
        }]);
        assert_eq!(
            messages(&c),
            [
                "error: affected[0].packageURL: \"pkg:pypi/p@1.0\" names version 1.0; a product's package URL names no version (the ranges say which are affected)"
            ]
        );
    }

    #[test]
    fn ranges_that_cannot_match() {
        let mut c = container();
        let p = &mut c.affected.as_mut().unwrap()[0];
        p.versions = Some(vec![
            range("2.0", Some("1.9"), None),
            range("2.0", Some("2.0.0"), None),
            range("2.0", None, Some("2.0")),
            range("11.0.0-M1", None, Some("11.0.0-M10")),
            range("0", Some("4.0.4, 3.6.3, 3.5.8"), None),
            range("3.21.x", None, Some("3.21.3")),
            range("1.0", Some("Apache SOAP*"), None),
        ]);
        let m = messages(&c);
        assert!(
            m[0].contains("versions[0].lessThan: the range 2.0 < 1.9 cannot match"),
            "{m:?}"
        );
        assert!(m[1].contains("versions[1].lessThan"), "{m:?}");
        assert!(
            m[2].contains("versions[4].lessThan") && m[2].contains("several versions"),
            "{m:?}"
        );
        assert!(m[3].starts_with("warning: affected[0].versions[6].lessThan: \"Apache SOAP*\" does not look like a version"), "{m:?}");
        assert_eq!(m.len(), 4, "{m:?}");
    }

    #[test]
    fn cwe_and_cvss() {
        let mut c = container();
        c.problem_types = serde_json::from_value(serde_json::json!([{ "descriptions": [
            { "lang": "en", "description": "CWE-79 XSS", "cweId": "CWE-079", "type": "CWE" },
            { "lang": "en", "description": "CWE-22 Path Traversal", "cweId": "CWE-23", "type": "CWE" },
        ]}]))
        .unwrap();
        c.metrics = serde_json::from_value(serde_json::json!([
            { "cvssV3_1": { "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 7.5, "baseSeverity": "HIGH" } },
            { "cvssV4_0": { "version": "4.0", "vectorString": "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "baseScore": 9.2, "baseSeverity": "CRITICAL" } },
            { "cvssV3_1": { "version": "3.1", "vectorString": "CVSS:3.1/AV:X", "baseScore": 1 } },
            { "other": { "type": "Textual description of severity", "content": { "text": "severe" } } },
        ]))
        .unwrap();
        let m = messages(&c);
        assert!(
            m.iter()
                .any(|x| x.contains("cweId: \"CWE-079\" is not a CWE id")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("names CWE-22 but cweId is CWE-23")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x
                    .contains("metrics[0].cvssV3_1.baseScore: baseScore is 7.5 but the vector")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("metrics[0].cvssV3_1.baseSeverity")),
            "{m:?}"
        );
        assert!(!m.iter().any(|x| x.contains("metrics[1]")), "{m:?}");
        assert!(
            m.iter()
                .any(|x| x.contains("metrics[2].cvssV3_1.vectorString")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x.contains("\"severe\" is not on the scale")),
            "{m:?}"
        );
    }
}
