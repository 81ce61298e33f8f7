//! [`CnaRecord`]: what the team writes for one CVE, the content of the CVE JSON 5 CNA
//! container.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::parts::{Credit, Cwe, Reference, Severity, TimelineEntry};
use super::versions::{VersionRange, VersionStatus};

/// Largest record description (CVE JSON 5 allows 4096 characters per description).
pub const MAX_RECORD_DESCRIPTION: usize = 4096;

/// What the team writes for one CVE: the CNA container's content. Every field may be
/// left out of a JSON body ([`CnaRecord::problems`] says what is still missing), so
/// records stored by earlier versions, which had fewer fields, read as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CnaRecord {
    /// e.g. "Apache Kafka: SASL/OAUTHBEARER does not validate the issuer".
    pub title: String,
    /// Plain text; the HTML twin the CVE website shows is generated from it.
    pub description: String,
    /// Product name as the vendor calls it, e.g. "Apache Kafka".
    pub product: String,
    /// Package repository (CVE `collectionURL`), e.g. `https://repo.maven.apache.org/maven2`.
    pub collection_url: Option<String>,
    /// Name in that repository (CVE `packageName`), e.g. `org.apache.kafka:kafka-clients`.
    pub package_name: Option<String>,
    /// CVE `versionType` of the ranges ("semver", "maven", "python", "custom"...);
    /// guessed from the versions when empty.
    pub version_type: Option<String>,
    pub affected: Vec<VersionRange>,
    /// The status of the product's versions outside every range (CVE `defaultStatus`);
    /// `unaffected` when not given.
    pub default_status: Option<VersionStatus>,
    /// The ASF's textual severity (low, moderate, important, critical).
    pub severity: Option<Severity>,
    /// A CVSS v3.1 vector, `CVSS:3.1/AV:N/...`; the score is computed from it.
    pub cvss_v3_1: Option<String>,
    /// A CVSS v4.0 vector, `CVSS:4.0/AV:N/...`; the score is computed from it.
    pub cvss_v4_0: Option<String>,
    /// e.g. "CWE-79", with its name in `cwe_name`.
    pub cwe: Option<String>,
    pub cwe_name: Option<String>,
    /// CWEs after the first, in the record's order.
    pub further_cwes: Vec<Cwe>,
    /// Upgrade advice (CVE `solutions`).
    pub mitigation: Option<String>,
    /// What users can do before upgrading (CVE `workarounds`).
    pub workarounds: Option<String>,
    pub credits: Vec<Credit>,
    pub references: Vec<Reference>,
    /// When the vulnerability was (or will be) made public (CVE `datePublic`).
    pub date_public: Option<Date>,
    /// Dated events, in English (CVE `timeline`).
    pub timeline: Vec<TimelineEntry>,
}

impl CnaRecord {
    /// The package URL (purl) of the product, when its repository is one purl knows.
    pub fn purl(&self) -> Option<String> {
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
}

/// Records the tests of this module's siblings share.
#[cfg(test)]
pub(super) mod samples {
    use super::*;
    use crate::record::CreditKind;

    /// A record with depth: package coordinates, an inclusive range, CVSS, workarounds.
    pub fn kafka() -> CnaRecord {
        CnaRecord {
            title: "Apache Kafka: RCE in Connect".into(),
            description: "Deserialization of untrusted data in Apache Kafka Connect.".into(),
            product: "Apache Kafka".into(),
            collection_url: Some("https://repo.maven.apache.org/maven2".into()),
            package_name: Some("org.apache.kafka:connect-runtime".into()),
            affected: vec![
                VersionRange::parse_line("2.3.0 before 3.7.1").unwrap(),
                VersionRange::parse_line("3.8.0 through 3.8.2").unwrap(),
            ],
            severity: Some(Severity::Important),
            cvss_v4_0: Some(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            ),
            cwe: Some("CWE-502".into()),
            cwe_name: Some("Deserialization of Untrusted Data".into()),
            mitigation: Some("Upgrade to 3.7.1 or 3.8.3.".into()),
            workarounds: Some("Disable the Connect REST API.".into()),
            credits: vec![Credit {
                name: "Ann".into(),
                kind: CreditKind::Finder,
            }],
            references: vec![
                Reference::parse_line("https://kafka.apache.org/cve-list [vendor-advisory]")
                    .unwrap(),
            ],
            ..CnaRecord::default()
        }
    }

    /// The record of a real ASF announcement (CVE-2023-35797), with only the fields the
    /// first records had.
    pub fn airflow() -> CnaRecord {
        CnaRecord {
            title: "Apache Airflow Hive Provider Beeline RCE with Principal".into(),
            description: "Improper Input Validation vulnerability in Apache Airflow Hive Provider.".into(),
            product: "Apache Airflow Hive Provider".into(),
            affected: vec![VersionRange::parse_line("before 6.1.1").unwrap()],
            severity: Some(Severity::Moderate),
            cwe: Some("CWE-20".into()),
            cwe_name: Some("Improper Input Validation".into()),
            mitigation: Some("It is recommended updating provider version to 6.1.1 in order to avoid this vulnerability.".into()),
            credits: vec![Credit { name: "id_No2015429 of 3H Secruity Team".into(), kind: CreditKind::Reporter }],
            references: vec![Reference::parse_line("https://github.com/apache/airflow/pull/31983").unwrap()],
            ..CnaRecord::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::samples::{airflow, kafka};
    use super::*;

    #[test]
    fn purl_from_the_package_coordinates() {
        assert_eq!(
            kafka().purl().as_deref(),
            Some("pkg:maven/org.apache.kafka/connect-runtime")
        );
        let mut r = kafka();
        r.collection_url = Some("https://pypi.org".into());
        r.package_name = Some("apache-airflow".into());
        assert_eq!(r.purl().as_deref(), Some("pkg:pypi/apache-airflow"));
        r.collection_url = Some("https://registry.npmjs.org".into());
        r.package_name = Some("@apache/echarts core".into());
        assert_eq!(
            r.purl().as_deref(),
            Some("pkg:npm/%40apache/echarts%20core")
        );
        r.collection_url = Some("https://pkg.go.dev".into());
        r.package_name = Some("github.com/apache/arrow-go".into());
        assert_eq!(
            r.purl().as_deref(),
            Some("pkg:golang/github.com/apache/arrow-go")
        );
        r.collection_url = Some("https://example.org/repo".into());
        assert_eq!(r.purl(), None);
    }

    /// The first records (title, description, product, ranges without inclusive
    /// bounds, bare reference URLs) read as the record they said, as stored: the store's
    /// upgrade of old reports and advisories relies on it.
    #[test]
    fn records_stored_in_the_first_shape_read_whole() {
        let first = r#"{"title":"Apache Airflow Hive Provider Beeline RCE with Principal","description":"Improper Input Validation vulnerability in Apache Airflow Hive Provider.","product":"Apache Airflow Hive Provider","affected":[{"introduced":"0","fixed":"6.1.1"}],"severity":"moderate","cwe":"CWE-20","cwe_name":"Improper Input Validation","mitigation":"It is recommended updating provider version to 6.1.1 in order to avoid this vulnerability.","credits":[{"name":"id_No2015429 of 3H Secruity Team","type":"reporter"}],"references":["https://github.com/apache/airflow/pull/31983"]}"#;
        let r: CnaRecord = serde_json::from_str(first).unwrap();
        assert_eq!(r, airflow());
        let old = r#"{"title":"t","affected":[{"introduced":"1.0","fixed":"1.1"},{"introduced":"2.0","fixed":null}],"severity":null,"references":["https://a.example/x"]}"#;
        let r: CnaRecord = serde_json::from_str(old).unwrap();
        assert_eq!(
            r.references[0],
            Reference {
                url: "https://a.example/x".into(),
                tags: vec![]
            }
        );
        assert_eq!(r.affected[0].fixed.as_deref(), Some("1.1"));
        assert_eq!(r.affected[1].describe(), "2.0 and later");
    }
}
