//! Trivy's JSON report (`trivy image|fs|repo --format json`, `SchemaVersion` 2): one
//! entry per `Results[].Vulnerabilities[]`, the package by `PkgIdentifier.PURL`,
//! `PkgName` and `InstalledVersion`; `VendorIDs` (a distribution's advisory ids) as
//! aliases.

use serde::Deserialize;

use super::{Collector, FoundComponent, ScanError, parse_json};

const FORMAT: &str = "Trivy JSON";

#[derive(Deserialize)]
struct Report {
    #[serde(rename = "Results")]
    results: Option<Vec<Target>>,
}

#[derive(Deserialize)]
struct Target {
    #[serde(rename = "Target")]
    target: Option<String>,
    #[serde(rename = "Class")]
    class: Option<String>,
    #[serde(rename = "Vulnerabilities")]
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    id: String,
    #[serde(rename = "VendorIDs")]
    vendor_ids: Option<Vec<String>>,
    #[serde(rename = "PkgName")]
    pkg_name: Option<String>,
    #[serde(rename = "PkgPath")]
    pkg_path: Option<String>,
    #[serde(rename = "PkgIdentifier")]
    identifier: Option<Identifier>,
    #[serde(rename = "InstalledVersion")]
    installed_version: Option<String>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(rename = "PURL")]
    purl: Option<String>,
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let report: Report = parse_json(FORMAT, text)?;
    for target in report.results.into_iter().flatten() {
        // A language target names the file scanned (`pom.xml`); an image's is not a file.
        let lang_file = (target.class.as_deref() == Some("lang-pkgs"))
            .then_some(target.target)
            .flatten();
        for v in target.vulnerabilities.into_iter().flatten() {
            let component = FoundComponent {
                purl: v.identifier.and_then(|i| i.purl),
                name: v.pkg_name.unwrap_or_default(),
                version: v.installed_version,
                file: v.pkg_path.or_else(|| lang_file.clone()),
            };
            out.push(&v.id, v.vendor_ids.into_iter().flatten(), component)?;
        }
    }
    Ok(())
}
