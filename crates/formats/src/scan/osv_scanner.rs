//! OSV-Scanner's JSON output (`osv-scanner --format json`): per
//! `results[].packages[]`, one entry per group of `groups` (the OSV records that are one
//! vulnerability under several ids: the first id is the finding's, the rest and the
//! records' `aliases` its aliases); records outside any group are entries of their own.
//! The package's purl is made from its OSV ecosystem where purl has a type for it.

use packageurl::PackageUrl;
use serde::Deserialize;

use super::{Collector, FoundComponent, ScanError, parse_json};

const FORMAT: &str = "OSV-Scanner JSON";

#[derive(Deserialize)]
struct Report {
    results: Option<Vec<Source>>,
}

#[derive(Deserialize)]
struct Source {
    source: Option<SourceFile>,
    packages: Option<Vec<PackageEntry>>,
}

#[derive(Deserialize)]
struct SourceFile {
    path: Option<String>,
}

#[derive(Deserialize)]
struct PackageEntry {
    package: Package,
    vulnerabilities: Option<Vec<Record>>,
    groups: Option<Vec<Group>>,
}

#[derive(Deserialize)]
struct Package {
    name: Option<String>,
    version: Option<String>,
    ecosystem: Option<String>,
}

#[derive(Deserialize)]
struct Record {
    id: String,
    aliases: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Group {
    ids: Vec<String>,
    aliases: Option<Vec<String>>,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let report: Report = parse_json(FORMAT, text)?;
    for source in report.results.into_iter().flatten() {
        let file = source.source.and_then(|s| s.path);
        for entry in source.packages.into_iter().flatten() {
            read_package(entry, file.as_deref(), out)?;
        }
    }
    Ok(())
}

fn read_package(
    entry: PackageEntry,
    file: Option<&str>,
    out: &mut Collector,
) -> Result<(), ScanError> {
    let p = entry.package;
    let name = p.name.unwrap_or_default();
    let component = FoundComponent {
        purl: p
            .ecosystem
            .as_deref()
            .and_then(|e| purl(e, &name, p.version.as_deref())),
        name,
        version: p.version,
        file: file.map(str::to_string),
    };
    let records = entry.vulnerabilities.unwrap_or_default();
    let groups = entry.groups.unwrap_or_default();
    // The `aliases` of the records a group names.
    let aliases_of = |ids: &[String]| -> Vec<String> {
        records
            .iter()
            .filter(|r| ids.contains(&r.id))
            .flat_map(|r| r.aliases.iter().flatten().cloned())
            .collect()
    };
    for group in &groups {
        let Some((first, others)) = group.ids.split_first() else {
            continue;
        };
        let aliases = others
            .iter()
            .cloned()
            .chain(group.aliases.iter().flatten().cloned())
            .chain(aliases_of(&group.ids));
        out.push(first, aliases, component.clone())?;
    }
    let ungrouped = records
        .iter()
        .filter(|r| !groups.iter().any(|g| g.ids.contains(&r.id)));
    for record in ungrouped {
        let aliases = record.aliases.iter().flatten().cloned();
        out.push(&record.id, aliases, component.clone())?;
    }
    Ok(())
}

/// The purl of a package of an OSV ecosystem, where purl has a type for it.
fn purl(ecosystem: &str, name: &str, version: Option<&str>) -> Option<String> {
    let ty = match ecosystem.split(':').next().unwrap_or_default() {
        "npm" => "npm",
        "PyPI" => "pypi",
        "Maven" => "maven",
        "Go" => "golang",
        "crates.io" => "cargo",
        "RubyGems" => "gem",
        "NuGet" => "nuget",
        "Packagist" => "composer",
        "Pub" => "pub",
        "Hex" => "hex",
        "Hackage" => "hackage",
        "SwiftURL" => "swift",
        _ => return None,
    };
    // Maven names are `group:artifact`; the others' namespaces are path-like.
    let (namespace, bare) = match ty {
        "maven" => name.split_once(':')?,
        "npm" | "golang" | "composer" | "swift" => name.rsplit_once('/').unwrap_or(("", name)),
        _ => ("", name),
    };
    let mut p = PackageUrl::new(ty, bare).ok()?;
    if !namespace.is_empty() {
        p.with_namespace(namespace).ok()?;
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        p.with_version(v).ok()?;
    }
    Some(p.to_string())
}

#[cfg(test)]
mod tests {
    use super::purl;

    #[test]
    fn ecosystems_become_purl_types() {
        let maven = purl("Maven", "org.apache.avro:avro", Some("1.9.2"));
        assert_eq!(
            maven.as_deref(),
            Some("pkg:maven/org.apache.avro/avro@1.9.2")
        );
        let npm = purl("npm", "@angular/core", None);
        assert_eq!(npm.as_deref(), Some("pkg:npm/%40angular/core"));
        let go = purl("Go", "github.com/gogo/protobuf", Some("1.1.1"));
        assert_eq!(
            go.as_deref(),
            Some("pkg:golang/github.com/gogo/protobuf@1.1.1")
        );
        assert_eq!(purl("Debian:11", "openssl", None), None);
        assert_eq!(purl("Maven", "no-group", None), None);
    }
}
