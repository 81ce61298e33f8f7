//! Scanner reports read into findings: what a user's scanner says about a project's
//! dependencies, one [`Finding`] per (vulnerability, component) pair, ready to be
//! triaged against the project's statements (`embargo_domain::vex::matching`,
//! docs/vex.md "Scanner reports").
//!
//! This module owns format detection, the limits, the error type and the shared
//! pieces (the de-duplicating `Collector`, names out of purls); each scanner's format
//! has its own file. Pure: bytes in, findings out.

use std::collections::HashMap;

use packageurl::PackageUrl;
use serde::Deserialize;
use serde::de::IgnoredAny;

pub use embargo_domain::vex::matching::{Finding, FoundComponent};

mod cyclonedx;
mod dependency_check_json;
mod dependency_check_xml;
mod grype;
mod osv_scanner;
pub mod pasted;
mod sarif;
mod trivy;

/// The largest report read (50 MiB).
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// The most (vulnerability, component) entries a report may list, before de-duplication.
pub const MAX_FINDINGS: usize = 200_000;

/// The report formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScanFormat {
    /// OWASP Dependency-Check's XML report (`dependency-check-report.xml`).
    DependencyCheckXml,
    /// OWASP Dependency-Check's JSON report.
    DependencyCheckJson,
    /// Trivy's JSON report (`SchemaVersion` 2).
    Trivy,
    /// Grype's JSON report.
    Grype,
    /// SARIF 2.1.0 from a dependency scanner (Trivy, Dependency-Check, Grype, ...).
    Sarif,
    /// A CycloneDX JSON BOM with `vulnerabilities`.
    CycloneDx,
    /// OSV-Scanner's JSON output.
    OsvScanner,
}

impl ScanFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::DependencyCheckXml => "Dependency-Check XML",
            Self::DependencyCheckJson => "Dependency-Check JSON",
            Self::Trivy => "Trivy JSON",
            Self::Grype => "Grype JSON",
            Self::Sarif => "SARIF",
            Self::CycloneDx => "CycloneDX JSON",
            Self::OsvScanner => "OSV-Scanner JSON",
        }
    }
}

/// Why a report could not be read, worded for the person who uploaded it.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("the report is {size} bytes; at most {limit} bytes are read")]
    TooLarge { size: usize, limit: usize },
    #[error("the report lists more than {limit} findings")]
    TooManyFindings { limit: usize },
    /// Neither a format read here nor one detected.
    #[error(
        "not a scanner report Embargo reads ({0}); it reads Dependency-Check XML and JSON, \
         Trivy JSON, Grype JSON, SARIF 2.1, CycloneDX JSON with vulnerabilities and \
         OSV-Scanner JSON"
    )]
    Unknown(String),
    /// Not JSON at all, or truncated.
    #[error("{format}: not valid JSON at line {line}, column {column}: {message}")]
    Json {
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    /// Not well-formed XML.
    #[error("{format}: not well-formed XML at byte {position}: {message}")]
    Xml {
        format: &'static str,
        position: u64,
        message: String,
    },
    /// A field has the wrong shape; `path` names it (`Results[0].Vulnerabilities[3].PkgName`).
    #[error("{format}: {path}: {message}")]
    Invalid {
        format: &'static str,
        path: String,
        message: String,
    },
}

/// The format of a report, from its first bytes and its top-level fields.
pub fn detect(bytes: &[u8]) -> Result<ScanFormat, ScanError> {
    check_size(bytes)?;
    let text = skip_bom_and_space(bytes);
    match text.first() {
        Some(b'<') => dependency_check_xml::detect(text),
        Some(b'{') => detect_json(text),
        Some(b'[') => Err(ScanError::Unknown("a JSON array".into())),
        Some(_) => Err(ScanError::Unknown("neither JSON nor XML".into())),
        None => Err(ScanError::Unknown("empty".into())),
    }
}

/// The findings of a report in any of the formats read (detected), one per
/// (vulnerability, component) pair in report order.
pub fn read(bytes: &[u8]) -> Result<Vec<Finding>, ScanError> {
    let format = detect(bytes)?;
    read_as(format, bytes)
}

/// The findings of a report known to be in `format`.
pub fn read_as(format: ScanFormat, bytes: &[u8]) -> Result<Vec<Finding>, ScanError> {
    check_size(bytes)?;
    let text = skip_bom_and_space(bytes);
    let mut out = Collector::default();
    match format {
        ScanFormat::DependencyCheckXml => dependency_check_xml::read(text, &mut out)?,
        ScanFormat::DependencyCheckJson => dependency_check_json::read(text, &mut out)?,
        ScanFormat::Trivy => trivy::read(text, &mut out)?,
        ScanFormat::Grype => grype::read(text, &mut out)?,
        ScanFormat::Sarif => sarif::read(text, &mut out)?,
        ScanFormat::CycloneDx => cyclonedx::read(text, &mut out)?,
        ScanFormat::OsvScanner => osv_scanner::read(text, &mut out)?,
    }
    Ok(out.findings)
}

fn check_size(bytes: &[u8]) -> Result<(), ScanError> {
    if bytes.len() > MAX_BYTES {
        return Err(ScanError::TooLarge {
            size: bytes.len(),
            limit: MAX_BYTES,
        });
    }
    Ok(())
}

fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The top-level fields that tell the JSON formats apart (values skipped unread).
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<IgnoredAny>,
    runs: Option<IgnoredAny>,
    matches: Option<IgnoredAny>,
    #[serde(rename = "SchemaVersion")]
    trivy_schema: Option<IgnoredAny>,
    #[serde(rename = "Results")]
    trivy_results: Option<IgnoredAny>,
    #[serde(rename = "reportSchema")]
    dc_schema: Option<IgnoredAny>,
    dependencies: Option<IgnoredAny>,
    results: Option<IgnoredAny>,
    vulnerabilities: Option<IgnoredAny>,
}

fn detect_json(text: &[u8]) -> Result<ScanFormat, ScanError> {
    let probe: Probe = parse_json("scanner report", text)?;
    Ok(if probe.bom_format.is_some() {
        if probe.vulnerabilities.is_none() {
            return Err(ScanError::Unknown(
                "a CycloneDX BOM without vulnerabilities".into(),
            ));
        }
        ScanFormat::CycloneDx
    } else if probe.runs.is_some() {
        ScanFormat::Sarif
    } else if probe.matches.is_some() {
        ScanFormat::Grype
    } else if probe.trivy_schema.is_some() || probe.trivy_results.is_some() {
        ScanFormat::Trivy
    } else if probe.dc_schema.is_some() || probe.dependencies.is_some() {
        ScanFormat::DependencyCheckJson
    } else if probe.results.is_some() {
        ScanFormat::OsvScanner
    } else {
        return Err(ScanError::Unknown(
            "a JSON object without the fields of any scanner's report".into(),
        ));
    })
}

/// `text` as `T`, with the path of a field of the wrong shape.
fn parse_json<'de, T: Deserialize<'de>>(
    format: &'static str,
    text: &'de [u8],
) -> Result<T, ScanError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(format, path, e.into_inner())
    })?;
    de.end().map_err(|e| json_error(format, String::new(), e))?;
    Ok(value)
}

fn json_error(format: &'static str, path: String, inner: serde_json::Error) -> ScanError {
    match inner.classify() {
        serde_json::error::Category::Data => ScanError::Invalid {
            format,
            path,
            message: inner.to_string(),
        },
        _ => ScanError::Json {
            format,
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string(),
        },
    }
}

/// The findings of one report as they are read: de-duplicated to one per
/// (vulnerability, component) pair, in the order of their first appearance, aliases
/// merged; bounded by [`MAX_FINDINGS`].
#[derive(Default)]
pub(crate) struct Collector {
    findings: Vec<Finding>,
    seen: HashMap<PairKey, usize>,
    entries: usize,
}

/// A pair's identity: the id (upper-cased), and the component's purl, name and version
/// (not where it was found: one jar in two places is one finding).
type PairKey = (String, Option<String>, String, Option<String>);

impl Collector {
    /// Adds one entry of the report. Entries without a vulnerability id or without any
    /// name for the component say nothing to triage, and are left out.
    pub(crate) fn push(
        &mut self,
        vulnerability: &str,
        aliases: impl IntoIterator<Item = String>,
        mut component: FoundComponent,
    ) -> Result<(), ScanError> {
        self.entries += 1;
        if self.entries > MAX_FINDINGS {
            return Err(ScanError::TooManyFindings {
                limit: MAX_FINDINGS,
            });
        }
        let vulnerability = vulnerability.trim();
        tidy(&mut component);
        if vulnerability.is_empty() || component.name.is_empty() {
            return Ok(());
        }
        let key: PairKey = (
            vulnerability.to_ascii_uppercase(),
            component.purl.clone(),
            component.name.clone(),
            component.version.clone(),
        );
        let at = *self.seen.entry(key).or_insert_with(|| {
            self.findings.push(Finding {
                vulnerability: vulnerability.to_string(),
                aliases: Vec::new(),
                component,
            });
            self.findings.len() - 1
        });
        let finding = &mut self.findings[at];
        for alias in aliases {
            let alias = alias.trim();
            let known = alias.eq_ignore_ascii_case(&finding.vulnerability)
                || finding
                    .aliases
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(alias));
            if !alias.is_empty() && !known {
                finding.aliases.push(alias.to_string());
            }
        }
        Ok(())
    }
}

/// Empty strings as absent; a name from the purl or the file where the scanner gave
/// none.
fn tidy(c: &mut FoundComponent) {
    for field in [&mut c.purl, &mut c.version, &mut c.file] {
        if field.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *field = None;
        }
    }
    c.name = c.name.trim().to_string();
    if c.name.is_empty()
        && let Some((name, version)) = c.purl.as_deref().and_then(name_from_purl)
    {
        c.name = name;
        c.version = c.version.take().or(version);
    }
    if c.name.is_empty()
        && let Some(file) = &c.file
    {
        c.name = file_name(file).to_string();
    }
}

/// The name scanners print for a purl's package (`group:artifact` for Maven,
/// `namespace/name` elsewhere) and its version.
pub(crate) fn name_from_purl(purl: &str) -> Option<(String, Option<String>)> {
    let base = purl.trim().split(['?', '#']).next().unwrap_or_default();
    let p: PackageUrl = base.parse().ok()?;
    let name = match (p.ty(), p.namespace()) {
        ("maven", Some(ns)) => format!("{ns}:{}", p.name()),
        (_, Some(ns)) => format!("{ns}/{}", p.name()),
        (_, None) => p.name().to_string(),
    };
    Some((name, p.version().map(str::to_string)))
}

/// The last segment of a path (`/` or `\`).
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The first CVE or GHSA id in `text` (`[HIGH] CVE-2020-1234`, `CVE-2021-1-libc6`), as
/// written.
pub(crate) fn find_advisory_id(text: &str) -> Option<&str> {
    embargo_domain::advisory::find_ids(text).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_ids_are_found_in_rule_ids() {
        assert_eq!(find_advisory_id("CVE-2019-1549"), Some("CVE-2019-1549"));
        assert_eq!(
            find_advisory_id("[HIGH] CVE-2019-1549"),
            Some("CVE-2019-1549")
        );
        assert_eq!(
            find_advisory_id("CVE-2021-12345-libc6"),
            Some("CVE-2021-12345")
        );
        assert_eq!(
            find_advisory_id("ghsa-rhrv-645h-fjfh"),
            Some("ghsa-rhrv-645h-fjfh")
        );
        assert_eq!(find_advisory_id("XCVE-2019-1549"), None);
        assert_eq!(find_advisory_id("CVE-19-1"), None);
        assert_eq!(find_advisory_id("java/sql-injection"), None);
        assert_eq!(find_advisory_id("é CVE-2019-1549"), Some("CVE-2019-1549"));
    }

    #[test]
    fn names_come_from_purls() {
        let maven = name_from_purl("pkg:maven/org.apache.avro/avro@1.9.2?type=jar");
        assert_eq!(
            maven,
            Some(("org.apache.avro:avro".into(), Some("1.9.2".into())))
        );
        let npm = name_from_purl("pkg:npm/%40angular/core@16.0.0");
        assert_eq!(npm, Some(("@angular/core".into(), Some("16.0.0".into()))));
        assert_eq!(name_from_purl("not a purl"), None);
    }
}
