//! Grype's JSON report (`grype -o json`): one entry per `matches[]`, the package from
//! `artifact` (purl, name, version, first location), the ids of
//! `relatedVulnerabilities` (a GHSA's CVE, or the reverse) as aliases.

use serde::Deserialize;

use super::{Collector, FoundComponent, ScanError, parse_json};

const FORMAT: &str = "Grype JSON";

#[derive(Deserialize)]
struct Report {
    matches: Option<Vec<Match>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Match {
    vulnerability: Vulnerability,
    related_vulnerabilities: Option<Vec<Vulnerability>>,
    artifact: Artifact,
}

#[derive(Deserialize)]
struct Vulnerability {
    id: String,
}

#[derive(Deserialize)]
struct Artifact {
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    locations: Option<Vec<Location>>,
}

#[derive(Deserialize)]
struct Location {
    path: Option<String>,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let report: Report = parse_json(FORMAT, text)?;
    for m in report.matches.into_iter().flatten() {
        let a = m.artifact;
        let component = FoundComponent {
            purl: a.purl,
            name: a.name.unwrap_or_default(),
            version: a.version,
            file: a.locations.into_iter().flatten().find_map(|l| l.path),
        };
        let aliases = m
            .related_vulnerabilities
            .into_iter()
            .flatten()
            .map(|r| r.id);
        out.push(&m.vulnerability.id, aliases, component)?;
    }
    Ok(())
}
