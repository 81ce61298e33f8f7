//! SARIF 2.1.0 from dependency scanners: one entry per result whose rule is a CVE or
//! GHSA id (`ruleId`, else `rule.id` or the rule at `ruleIndex`; an id inside the rule id
//! as in Trivy's old `[HIGH] CVE-…` or Grype's `CVE-…-libc6`). Other results (a static
//! analyser's) are not about dependencies and are left out.
//!
//! SARIF has no field for the package, so each producer puts it elsewhere; the first of
//! these that names one wins:
//! 1. the result's `properties` (`purl`, `packageName` + `packageVersion`, ...);
//! 2. a logical location whose name is a purl or a CPE (Dependency-Check writes the
//!    dependency's first identifier there);
//! 3. the message's `Package:` and `Installed Version:` lines (Trivy);
//! 4. the artifact's file name (a jar's split into name and version).

use embargo_domain::vex::matching::split_archive_name;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Collector, FoundComponent, ScanError, file_name, find_advisory_id, parse_json};

const FORMAT: &str = "SARIF";

#[derive(Deserialize)]
struct Log {
    runs: Option<Vec<Run>>,
}

#[derive(Deserialize)]
struct Run {
    tool: Option<Tool>,
    results: Option<Vec<SarifResult>>,
    artifacts: Option<Vec<Artifact>>,
}

#[derive(Deserialize)]
struct Tool {
    driver: Option<Driver>,
}

#[derive(Deserialize)]
struct Driver {
    rules: Option<Vec<Rule>>,
}

#[derive(Deserialize)]
struct Rule {
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<usize>,
    rule: Option<RuleReference>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct RuleReference {
    id: Option<String>,
    index: Option<usize>,
}

#[derive(Deserialize)]
struct Message {
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Option<PhysicalLocation>,
    logical_locations: Option<Vec<LogicalLocation>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
}

#[derive(Deserialize)]
struct ArtifactLocation {
    uri: Option<String>,
    index: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    location: Option<ArtifactLocation>,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let log: Log = parse_json(FORMAT, text)?;
    for run in log.runs.into_iter().flatten() {
        let rules = run
            .tool
            .and_then(|t| t.driver)
            .and_then(|d| d.rules)
            .unwrap_or_default();
        let artifacts = run.artifacts.unwrap_or_default();
        for result in run.results.into_iter().flatten() {
            let Some(vulnerability) = vulnerability(&result, &rules) else {
                continue;
            };
            if let Some(component) = component(&result, &artifacts) {
                out.push(&vulnerability, [], component)?;
            }
        }
    }
    Ok(())
}

/// The advisory id a result is about, if its rule is one.
fn vulnerability(result: &SarifResult, rules: &[Rule]) -> Option<String> {
    let reference = result.rule.as_ref();
    let index = result.rule_index.or(reference.and_then(|r| r.index));
    let from_rules = index
        .and_then(|i| rules.get(i))
        .and_then(|r| r.id.as_deref());
    [
        result.rule_id.as_deref(),
        reference.and_then(|r| r.id.as_deref()),
        from_rules,
    ]
    .into_iter()
    .flatten()
    .find_map(find_advisory_id)
    .map(str::to_string)
}

fn component(result: &SarifResult, artifacts: &[Artifact]) -> Option<FoundComponent> {
    let file = artifact_uri(result, artifacts);
    let named = from_properties(result.properties.as_ref())
        .or_else(|| from_logical_locations(result))
        .or_else(|| from_message(result.message.as_ref()?.text.as_deref()?))
        .or_else(|| from_file(file.as_deref()?));
    named.map(|c| FoundComponent { file, ..c })
}

fn artifact_uri(result: &SarifResult, artifacts: &[Artifact]) -> Option<String> {
    let location = result
        .locations
        .iter()
        .flatten()
        .find_map(|l| l.physical_location.as_ref()?.artifact_location.as_ref())?;
    let by_index = || {
        artifacts
            .get(location.index?)?
            .location
            .as_ref()?
            .uri
            .clone()
    };
    location.uri.clone().or_else(by_index)
}

/// Package fields some producers put in the result's property bag.
fn from_properties(properties: Option<&Map<String, Value>>) -> Option<FoundComponent> {
    let props = properties?;
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| props.get(*k)?.as_str().filter(|s| !s.trim().is_empty()))
            .map(str::to_string)
    };
    let purl = get(&["purl", "packageUrl", "package_url", "PURL"]);
    let name = get(&[
        "packageName",
        "package_name",
        "pkgName",
        "PkgName",
        "package",
    ]);
    if purl.is_none() && name.is_none() {
        return None;
    }
    Some(FoundComponent {
        purl,
        name: name.unwrap_or_default(),
        version: get(&[
            "packageVersion",
            "installedVersion",
            "InstalledVersion",
            "version",
        ]),
        file: None,
    })
}

/// A logical location named by a purl or a CPE (Dependency-Check).
fn from_logical_locations(result: &SarifResult) -> Option<FoundComponent> {
    let names = result
        .locations
        .iter()
        .flatten()
        .flat_map(|l| l.logical_locations.iter().flatten())
        .flat_map(|l| [l.fully_qualified_name.as_deref(), l.name.as_deref()])
        .flatten();
    names.map(str::trim).find_map(|n| {
        if n.starts_with("pkg:") {
            Some(FoundComponent {
                purl: Some(n.to_string()),
                name: String::new(),
                version: None,
                file: None,
            })
        } else {
            from_cpe(n)
        }
    })
}

/// `cpe:2.3:a:vendor:product:version:…` or `cpe:/a:vendor:product:version`: the product
/// and its version.
fn from_cpe(cpe: &str) -> Option<FoundComponent> {
    let rest = cpe
        .strip_prefix("cpe:2.3:")
        .or_else(|| cpe.strip_prefix("cpe:/"))?;
    let mut parts = rest.split(':').skip(2);
    let product = parts.next().filter(|p| !matches!(*p, "" | "*" | "-"))?;
    let version = parts.next().filter(|v| !matches!(*v, "" | "*" | "-"));
    Some(FoundComponent {
        purl: None,
        name: product.to_string(),
        version: version.map(str::to_string),
        file: None,
    })
}

/// Trivy's message: `Package: libssl1.1\nInstalled Version: 1.1.1c-r0\n…`.
fn from_message(text: &str) -> Option<FoundComponent> {
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some(FoundComponent {
        purl: None,
        name: field("Package:")?,
        version: field("Installed Version:"),
        file: None,
    })
}

/// A jar's file name, split; any other file by its name.
fn from_file(uri: &str) -> Option<FoundComponent> {
    let file = file_name(uri.trim_end_matches('/'));
    let (name, version) = split_archive_name(file).unwrap_or((file, None));
    (!name.is_empty()).then(|| FoundComponent {
        purl: None,
        name: name.to_string(),
        version: version.map(str::to_string),
        file: None,
    })
}
