//! OWASP Dependency-Check's JSON report (`--format JSON`, `reportSchema` 1.1): one
//! entry per `dependencies[].vulnerabilities[]`, the component from the dependency's
//! package ids (purls), else its file name. Suppressed vulnerabilities (the user has
//! already dismissed them) and related dependencies (copies of the same file that the
//! report lists under the first) are not findings. Also the component rule the XML
//! report shares ([`component`]).

use embargo_domain::vex::matching::split_archive_name;
use serde::Deserialize;

use super::{Collector, FoundComponent, ScanError, file_name, name_from_purl, parse_json};

const FORMAT: &str = "Dependency-Check JSON";

#[derive(Deserialize)]
struct Report {
    dependencies: Option<Vec<Dependency>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    file_name: Option<String>,
    file_path: Option<String>,
    packages: Option<Vec<Package>>,
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Deserialize)]
struct Package {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    name: String,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let report: Report = parse_json(FORMAT, text)?;
    for d in report.dependencies.into_iter().flatten() {
        let Some(vulnerabilities) = d.vulnerabilities.filter(|v| !v.is_empty()) else {
            continue;
        };
        let ids: Vec<String> = d
            .packages
            .into_iter()
            .flatten()
            .filter_map(|p| p.id)
            .collect();
        let component = component(d.file_name, d.file_path, &ids, None);
        for v in vulnerabilities {
            out.push(&v.name, [], component.clone())?;
        }
    }
    Ok(())
}

/// A Dependency-Check dependency as a component: named by its first purl, else by
/// Maven coordinates (older reports' `maven` identifiers), else by its file name (a
/// jar's split into name and version).
pub(super) fn component(
    file_name_field: Option<String>,
    file_path: Option<String>,
    package_ids: &[String],
    maven: Option<&str>,
) -> FoundComponent {
    let purl = package_ids
        .iter()
        .find(|id| id.starts_with("pkg:"))
        .cloned();
    let file = file_name_field
        .filter(|f| !f.trim().is_empty())
        .or_else(|| file_path.as_deref().map(|p| file_name(p).to_string()))
        .unwrap_or_default();
    let (name, version) = if let Some(named) = purl.as_deref().and_then(name_from_purl) {
        named
    } else if let Some(gav) = maven {
        let mut parts = gav.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(g), Some(a), v) => (format!("{g}:{a}"), v.map(str::to_string)),
            _ => (gav.to_string(), None),
        }
    } else if let Some((bare, version)) = split_archive_name(&file) {
        (bare.to_string(), version.map(str::to_string))
    } else {
        (file, None)
    };
    FoundComponent {
        purl,
        name,
        version,
        file: file_path,
    }
}
