//! What the VEX formats share: components out of package URLs (and back), the
//! "any component" convention, advisory ids and where they are published, version
//! strings.

use embargo_domain::vex::Component;
use packageurl::PackageUrl;

pub use embargo_domain::vex::ANY_COMPONENT;

/// The component of a statement about the product as a whole ([`ANY_COMPONENT`]).
pub fn any_component() -> Component {
    Component::any()
}

/// Whether `c` is [`any_component`].
pub fn is_any_component(c: &Component) -> bool {
    c.is_any()
}

/// The component a package URL names, with the version it carried (a statement is
/// about the component as the project ships it, so version, qualifiers and subpath go).
/// The name is how scanners print it: `group:artifact` for Maven, `namespace/name`
/// where there is a namespace, else the name.
pub fn component_from_purl(purl: &str) -> Result<(Component, Option<String>), String> {
    let mut p: PackageUrl = purl
        .trim()
        .parse()
        .map_err(|e| format!("{purl:?} is not a package URL: {e}"))?;
    let version = p.version().map(str::to_string);
    p.without_version().without_subpath().clear_qualifiers();
    let name = name_of(&p);
    Ok((
        Component {
            purl: Some(p.to_string()),
            name,
        },
        version,
    ))
}

fn name_of(p: &PackageUrl) -> String {
    match (p.ty(), p.namespace()) {
        ("maven", Some(ns)) => format!("{ns}:{}", p.name()),
        (_, Some(ns)) => format!("{ns}/{}", p.name()),
        (_, None) => p.name().to_string(),
    }
}

/// A component as an identifier for formats that name components only by IRI
/// (OpenVEX): its purl, or `pkg:generic/<name>` for a component known by name alone.
pub fn component_iri(c: &Component) -> Result<String, String> {
    if let Some(p) = &c.purl {
        return Ok(p.clone());
    }
    PackageUrl::new("generic", c.name.as_str())
        .map(|p| p.to_string())
        .map_err(|e| format!("{:?} cannot be named by a package URL: {e}", c.name))
}

/// The reverse of [`component_iri`]: a generic purl without namespace, version or
/// qualifiers names a component by name alone; other purls give the purl's component;
/// anything else (an IRI, a CPE) is the component's name.
pub fn component_from_iri(iri: &str) -> Result<Component, String> {
    let iri = iri.trim();
    if !iri.starts_with("pkg:") {
        return Ok(Component {
            purl: None,
            name: iri.to_string(),
        });
    }
    let p: PackageUrl = iri
        .parse()
        .map_err(|e| format!("{iri:?} is not a package URL: {e}"))?;
    if p.ty() == "generic"
        && p.namespace().is_none()
        && p.version().is_none()
        && p.qualifiers().is_empty()
        && p.subpath().is_none()
    {
        return Ok(Component {
            purl: None,
            name: p.name().to_string(),
        });
    }
    component_from_purl(iri).map(|(c, _)| c)
}

/// The project's package URL with `version`: `meta.product_purl`, or
/// `pkg:generic/<slug>`.
pub fn product_purl(
    product_purl: Option<&str>,
    slug: &str,
    version: Option<&str>,
) -> Result<String, String> {
    let mut p: PackageUrl = match product_purl {
        Some(s) => s
            .trim()
            .parse()
            .map_err(|e| format!("product purl {s:?} is not a package URL: {e}"))?,
        None => PackageUrl::new("generic", slug.trim())
            .map_err(|e| format!("project slug {slug:?} cannot name a package: {e}"))?,
    };
    p.without_version();
    if let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) {
        p.with_version(v)
            .map_err(|e| format!("version {v:?} cannot be in a package URL: {e}"))?;
    }
    Ok(p.to_string())
}

/// The version a package URL carries, if it is one.
pub fn purl_version(s: &str) -> Option<String> {
    let p: PackageUrl = s.trim().parse().ok()?;
    p.version().map(str::to_string)
}

/// `CVE-YYYY-NNNN…` as CSAF's `cve` field takes it.
pub fn is_cve(id: &str) -> bool {
    id.starts_with("CVE-") && embargo_domain::advisory::is_cve(id)
}

/// Who publishes an advisory id, and where it is read: (source name, URL).
pub fn advisory_source(id: &str) -> (&'static str, String) {
    let upper = id.to_ascii_uppercase();
    if upper.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if upper.starts_with("GHSA-") {
        (
            "GitHub Advisories",
            format!("https://github.com/advisories/{id}"),
        )
    } else if upper.starts_with("GO-") {
        (
            "Go Vulnerability Database",
            format!("https://pkg.go.dev/vuln/{id}"),
        )
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    }
}

/// The CSAF `ids[].system_name` of an advisory id.
pub fn id_system(id: &str) -> &'static str {
    let upper = id.to_ascii_uppercase();
    [
        ("CVE-", "CVE"),
        ("GHSA-", "GitHub Security Advisory"),
        ("GO-", "Go Vulnerability Database"),
        ("PYSEC-", "PyPI Advisory Database"),
        ("RUSTSEC-", "RustSec Advisory Database"),
        ("OSV-", "OSV"),
        ("SNYK-", "Snyk"),
    ]
    .into_iter()
    .find(|(prefix, _)| upper.starts_with(prefix))
    .map_or("Other", |(_, name)| name)
}

/// A version that is one version (`3.7.1`), not a range or pattern (`3.7.x`,
/// `>= 3.6.0`, `all versions`).
pub fn plain_version(v: &str) -> bool {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    !v.is_empty()
        && !v.contains([' ', ',', '<', '>', '=', '*', '|', '/'])
        && !lower.split(['.', '-']).any(|part| part == "x")
        && ![
            "after", "all", "before", "earlier", "later", "prior", "versions",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Free text as written (an impact, an action; not trimmed, so that it reads back as
/// it was written), blank text being no text.
pub fn free_text(s: Option<&str>) -> Option<String> {
    s.filter(|t| !t.trim().is_empty()).map(str::to_string)
}

/// Empty or blank text is no text.
pub fn some_text(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_become_components_without_versions() {
        let (c, v) = component_from_purl("pkg:maven/org.apache.avro/avro@1.9.2?type=jar").unwrap();
        assert_eq!(c.purl.as_deref(), Some("pkg:maven/org.apache.avro/avro"));
        assert_eq!(c.name, "org.apache.avro:avro");
        assert_eq!(v.as_deref(), Some("1.9.2"));
        let (c, _) = component_from_purl("pkg:npm/%40angular/core@16.0.0").unwrap();
        assert_eq!(c.name, "@angular/core");
        assert!(component_from_purl("not a purl").is_err());
    }

    #[test]
    fn names_alone_travel_as_generic_purls() {
        let c = Component {
            purl: None,
            name: "netty-handler".into(),
        };
        let iri = component_iri(&c).unwrap();
        assert_eq!(iri, "pkg:generic/netty-handler");
        assert_eq!(component_from_iri(&iri).unwrap(), c);
        let odd = Component {
            purl: None,
            name: "org.foo:bar baz".into(),
        };
        assert_eq!(
            component_from_iri(&component_iri(&odd).unwrap()).unwrap(),
            odd
        );
        assert_eq!(
            component_from_iri("https://example.org/x").unwrap().name,
            "https://example.org/x"
        );
    }

    #[test]
    fn ids_and_versions() {
        assert!(is_cve("CVE-2021-44228"));
        assert!(!is_cve("CVE-21-1"));
        assert!(!is_cve("GHSA-jjjh-jjxp-wpff"));
        assert_eq!(id_system("GHSA-jjjh-jjxp-wpff"), "GitHub Security Advisory");
        assert!(plain_version("3.7.1"));
        assert!(!plain_version("3.7.x"));
        assert!(!plain_version(">= 3.6.0"));
        assert_eq!(
            product_purl(None, "kafka", Some("3.7.1")).unwrap(),
            "pkg:generic/kafka@3.7.1"
        );
    }
}
