//! One affected product of a record ([`AffectedProduct`], a CVE JSON 5 `affected[]`
//! entry): who makes it, what it is called, where its packages live, its package URL,
//! and which of its versions are affected. Real records list several: a product and
//! its module (Apache ActiveMQ and its Legacy OpenWire Module), a library and its
//! plugins.

use serde::{Deserialize, Serialize};

use super::versions::{VersionRange, VersionStatus};

/// One affected product and its versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AffectedProduct {
    /// Who makes it (CVE `vendor`); the installation's CNA vendor when left out.
    pub vendor: Option<String>,
    /// The product's name as the vendor calls it, e.g. "Apache Kafka".
    pub product: String,
    /// Package repository (CVE `collectionURL`), e.g. `https://repo.maven.apache.org/maven2`.
    pub collection_url: Option<String>,
    /// Name in that repository (CVE `packageName`), e.g. `org.apache.kafka:kafka-clients`.
    pub package_name: Option<String>,
    /// The package URL without a version (CVE `packageURL`), e.g.
    /// `pkg:maven/org.apache.kafka/kafka-clients`; when left out, the one the package
    /// coordinates give (Maven, PyPI, npm, Go, crates.io, RubyGems, NuGet).
    pub package_url: Option<String>,
    /// CVE `versionType` of the ranges ("semver", "maven", "python", "custom"...);
    /// guessed from the versions when empty.
    pub version_type: Option<String>,
    /// The version ranges, each affected unless it says otherwise (CVE `versions`).
    /// `affected` is read too: the ranges' name in the single-product records.
    #[serde(alias = "affected")]
    pub versions: Vec<VersionRange>,
    /// The status of the versions outside every range (CVE `defaultStatus`);
    /// `unaffected` when not given.
    pub default_status: Option<VersionStatus>,
}

impl AffectedProduct {
    /// The product's package URL without a version: the one given (normalised), or the
    /// one its package coordinates make. `None` when neither is known, or when the one
    /// given is not a package URL without a version ([`CnaRecord::problems`] says so).
    ///
    /// [`CnaRecord::problems`]: super::CnaRecord::problems
    pub fn purl(&self) -> Option<String> {
        match self.package_url.as_deref().map(str::trim) {
            Some(given) if !given.is_empty() => versionless_purl(given).ok(),
            _ => self.derived_purl(),
        }
    }

    /// The purl of the package coordinates, when the repository is one purl knows.
    fn derived_purl(&self) -> Option<String> {
        let name = self.package_name.as_deref()?.trim();
        let repo = self.collection_url.as_deref()?.trim().to_ascii_lowercase();
        let is = |hosts: &[&str]| hosts.iter().any(|h| repo.contains(h));
        // Maven's `group:artifact`, an npm scope and a Go path are the purl's namespace;
        // everything else is one name.
        let (kind, namespace, name) = if is(&["maven"]) {
            let (group, artifact) = name.split_once(':')?;
            ("maven", Some(group), artifact)
        } else if is(&["npmjs", "golang", "go.dev"]) {
            let kind = if is(&["npmjs"]) { "npm" } else { "golang" };
            match name.rsplit_once('/') {
                Some((namespace, name)) => (kind, Some(namespace), name),
                None => (kind, None, name),
            }
        } else if is(&["pypi", "python.org"]) {
            ("pypi", None, name)
        } else if is(&["crates.io"]) {
            ("cargo", None, name)
        } else if is(&["rubygems"]) {
            ("gem", None, name)
        } else if is(&["nuget"]) {
            ("nuget", None, name)
        } else {
            return None;
        };
        let mut purl = packageurl::PackageUrl::new(kind, name).ok()?;
        if let Some(namespace) = namespace {
            purl.with_namespace(namespace).ok()?;
        }
        Some(purl.to_string())
    }

    /// The product's name for people: its name, else its package name.
    pub fn name(&self) -> &str {
        match self.product.trim() {
            "" => self.package_name.as_deref().map_or("", str::trim),
            name => name,
        }
    }

    /// True when nothing at all is filled in (an editor's spare row).
    pub fn is_blank(&self) -> bool {
        *self == Self::default()
    }
}

/// `text` as a package URL in its canonical form, refused (with what to do) when it
/// is not one or names a version: CVE JSON 5.2's `packageURL` must not.
pub fn versionless_purl(text: &str) -> Result<String, String> {
    let text = text.trim();
    let purl: packageurl::PackageUrl = text.parse().map_err(|e| {
        format!("{text:?} is not a package URL like pkg:maven/org.apache.kafka/kafka-clients ({e})")
    })?;
    if let Some(v) = purl.version() {
        return Err(format!(
            "{text:?} names version {v}; a product's package URL names no version (the ranges say which are affected)"
        ));
    }
    Ok(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(repo: &str, name: &str) -> AffectedProduct {
        AffectedProduct {
            product: "P".into(),
            collection_url: Some(repo.into()),
            package_name: Some(name.into()),
            ..AffectedProduct::default()
        }
    }

    #[test]
    fn purl_from_the_package_coordinates() {
        let maven = package(
            "https://repo.maven.apache.org/maven2",
            "org.apache.kafka:connect-runtime",
        );
        assert_eq!(
            maven.purl().as_deref(),
            Some("pkg:maven/org.apache.kafka/connect-runtime")
        );
        assert_eq!(
            package("https://pypi.org", "apache-airflow")
                .purl()
                .as_deref(),
            Some("pkg:pypi/apache-airflow")
        );
        assert_eq!(
            package("https://registry.npmjs.org", "@apache/echarts core")
                .purl()
                .as_deref(),
            Some("pkg:npm/%40apache/echarts%20core")
        );
        assert_eq!(
            package("https://pkg.go.dev", "github.com/apache/arrow-go")
                .purl()
                .as_deref(),
            Some("pkg:golang/github.com/apache/arrow-go")
        );
        assert_eq!(package("https://example.org/repo", "x").purl(), None);
    }

    #[test]
    fn a_given_purl_wins_and_must_name_no_version() {
        let mut p = package("https://example.org/repo", "x");
        p.package_url = Some(" pkg:github/apache/kafka ".into());
        assert_eq!(p.purl().as_deref(), Some("pkg:github/apache/kafka"));
        p.package_url = Some("pkg:maven/org.apache.kafka/kafka-clients@3.7.0".into());
        assert_eq!(p.purl(), None);
        let e = versionless_purl("pkg:maven/org.apache.kafka/kafka-clients@3.7.0").unwrap_err();
        assert!(e.contains("names version 3.7.0"), "{e}");
        let e = versionless_purl("maven:org.apache.kafka").unwrap_err();
        assert!(e.contains("is not a package URL"), "{e}");
    }
}
