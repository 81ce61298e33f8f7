//! [`CnaRecord`]: what the team writes for one CVE, the content of the CVE JSON 5 CNA
//! container.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::parts::{Credit, Cwe, Reference, Severity, TimelineEntry};
use super::product::AffectedProduct;

/// Largest record description (CVE JSON 5 allows 4096 characters per description).
pub const MAX_RECORD_DESCRIPTION: usize = 4096;

/// What the team writes for one CVE: the CNA container's content. Every field may be
/// left out of a JSON body ([`CnaRecord::problems`] says what is still missing), so
/// records stored by earlier versions, which had fewer fields, read as they are; so
/// does a record of one product in the earlier shape (see `products`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
// `default` is for the OpenAPI document (every field may be left out); reading goes
// through `RecordJson`, which has its own defaults.
#[serde(default, try_from = "super::shapes::RecordJson")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CnaRecord {
    /// e.g. "Apache Kafka: SASL/OAUTHBEARER does not validate the issuer".
    pub title: String,
    /// Plain text; the HTML twin the CVE website shows is generated from it.
    pub description: String,
    /// The affected products, in the record's order (CVE `affected[]`); the
    /// announcement's subject names the first. A body in the earlier single-product
    /// shape (`product`, `collection_url`, `package_name`, `version_type`, `affected`
    /// and `default_status` at the top level, without `products`) reads as one product.
    pub products: Vec<AffectedProduct>,
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
    /// The name of the first product, which the announcement's subject carries ("" when
    /// the record names none yet).
    pub fn first_product(&self) -> &str {
        self.products.first().map_or("", AffectedProduct::name)
    }

    /// The package URLs of the products, in order, each once.
    pub fn purls(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for purl in self.products.iter().filter_map(AffectedProduct::purl) {
            if !out.contains(&purl) {
                out.push(purl);
            }
        }
        out
    }
}

/// Records the tests of this module's siblings share.
#[cfg(test)]
pub(super) mod samples {
    use super::*;
    use crate::record::{CreditKind, VersionRange};

    /// A product with its ranges, one per line as people write them.
    pub fn product(name: &str, ranges: &[&str]) -> AffectedProduct {
        AffectedProduct {
            product: name.into(),
            versions: ranges
                .iter()
                .map(|l| VersionRange::parse_line(l).unwrap())
                .collect(),
            ..AffectedProduct::default()
        }
    }

    /// A record with depth: package coordinates, an inclusive range, CVSS, workarounds.
    pub fn kafka() -> CnaRecord {
        CnaRecord {
            title: "Apache Kafka: RCE in Connect".into(),
            description: "Deserialization of untrusted data in Apache Kafka Connect.".into(),
            products: vec![AffectedProduct {
                collection_url: Some("https://repo.maven.apache.org/maven2".into()),
                package_name: Some("org.apache.kafka:connect-runtime".into()),
                ..product(
                    "Apache Kafka",
                    &["2.3.0 before 3.7.1", "3.8.0 through 3.8.2"],
                )
            }],
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
            products: vec![product("Apache Airflow Hive Provider", &["before 6.1.1"])],
            severity: Some(Severity::Moderate),
            cwe: Some("CWE-20".into()),
            cwe_name: Some("Improper Input Validation".into()),
            mitigation: Some("It is recommended updating provider version to 6.1.1 in order to avoid this vulnerability.".into()),
            credits: vec![Credit { name: "id_No2015429 of 3H Secruity Team".into(), kind: CreditKind::Reporter }],
            references: vec![Reference::parse_line("https://github.com/apache/airflow/pull/31983").unwrap()],
            ..CnaRecord::default()
        }
    }

    /// Two products, as the real announcement of CVE-2023-46604 lists them
    /// (`corpus/announcements/activemq-website_CVE-2023-46604-announcement.txt`): the
    /// broker and its Legacy OpenWire Module, four release lines each.
    pub fn activemq() -> CnaRecord {
        CnaRecord {
            title: "Apache ActiveMQ: Unbounded deserialization causes ActiveMQ to be vulnerable to a remote code execution (RCE) attack".into(),
            description: "The Java OpenWire protocol marshaller is vulnerable to Remote Code Execution.".into(),
            products: vec![
                AffectedProduct {
                    collection_url: Some("https://repo.maven.apache.org/maven2".into()),
                    package_name: Some("org.apache.activemq:activemq-client".into()),
                    ..product("Apache ActiveMQ", &["5.18.0 before 5.18.3", "5.17.0 before 5.17.6", "5.16.0 before 5.16.7", "before 5.15.16"])
                },
                AffectedProduct {
                    collection_url: Some("https://repo.maven.apache.org/maven2".into()),
                    package_name: Some("org.apache.activemq:activemq-openwire-legacy".into()),
                    ..product("Apache ActiveMQ Legacy OpenWire Module", &["5.18.0 before 5.18.3", "5.17.0 before 5.17.6", "5.16.0 before 5.16.7", "5.8.0 before 5.15.16"])
                },
            ],
            severity: Some(Severity::Critical),
            cwe: Some("CWE-502".into()),
            cwe_name: Some("Deserialization of Untrusted Data".into()),
            mitigation: Some("Users are recommended to upgrade both brokers and clients to version 5.15.16, 5.16.7, 5.17.6, or 5.18.3 which fixes this issue.".into()),
            references: vec![Reference::parse_line("https://activemq.apache.org/security-advisories.data/CVE-2023-46604").unwrap()],
            ..CnaRecord::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::samples::{activemq, kafka};
    use super::*;

    #[test]
    fn each_product_has_its_purl_and_the_first_names_the_record() {
        assert_eq!(
            kafka().purls(),
            ["pkg:maven/org.apache.kafka/connect-runtime"]
        );
        let mut r = activemq();
        assert_eq!(r.first_product(), "Apache ActiveMQ");
        assert_eq!(
            r.purls(),
            [
                "pkg:maven/org.apache.activemq/activemq-client",
                "pkg:maven/org.apache.activemq/activemq-openwire-legacy"
            ]
        );
        // The same package twice is listed once; a product without one adds none.
        r.products[1].package_name = r.products[0].package_name.clone();
        r.products.push(AffectedProduct {
            product: "Apache ActiveMQ Artemis".into(),
            ..AffectedProduct::default()
        });
        assert_eq!(r.purls(), ["pkg:maven/org.apache.activemq/activemq-client"]);
        assert_eq!(CnaRecord::default().first_product(), "");
    }
}
