//! The JSON shapes a [`CnaRecord`] is read from: today's, with its products in
//! `products`, and the single-product shape of the versions before several products
//! (`product`, `collection_url`, `package_name`, `version_type`, `affected` and
//! `default_status` at the top level). Records stored in that shape (sealed in reports,
//! record versions, advisories) and API clients written for it read as a record of one
//! product; a record is always written in today's shape.

use jiff::civil::Date;
use serde::Deserialize;

use super::model::CnaRecord;
use super::parts::{Credit, Cwe, Reference, Severity, TimelineEntry};
use super::product::AffectedProduct;
use super::versions::{VersionRange, VersionStatus};

/// A record as JSON says it, in either shape.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RecordJson {
    title: String,
    description: String,
    /// Today's products; `None` when the body does not name them.
    products: Option<Vec<AffectedProduct>>,
    // The one product of the earlier shape.
    product: String,
    collection_url: Option<String>,
    package_name: Option<String>,
    version_type: Option<String>,
    affected: Vec<VersionRange>,
    default_status: Option<VersionStatus>,
    severity: Option<Severity>,
    cvss_v3_1: Option<String>,
    cvss_v4_0: Option<String>,
    cwe: Option<String>,
    cwe_name: Option<String>,
    further_cwes: Vec<Cwe>,
    mitigation: Option<String>,
    workarounds: Option<String>,
    credits: Vec<Credit>,
    references: Vec<Reference>,
    date_public: Option<Date>,
    timeline: Vec<TimelineEntry>,
}

impl TryFrom<RecordJson> for CnaRecord {
    type Error = String;

    fn try_from(j: RecordJson) -> Result<Self, String> {
        // The single-product shape's product, unless it says nothing.
        let single = Some(AffectedProduct {
            vendor: None,
            product: j.product,
            collection_url: j.collection_url,
            package_name: j.package_name,
            package_url: None,
            version_type: j.version_type,
            versions: j.affected,
            default_status: j.default_status,
        })
        .filter(|p| !p.is_blank());
        let products = match (j.products, single) {
            (Some(_), Some(_)) => {
                return Err(
                    "give the affected products in `products`, or one product in the \
                     single-product fields (`product`, `affected`, `collection_url`, \
                     `package_name`, `version_type`, `default_status`), not both"
                        .into(),
                );
            }
            (Some(products), None) => products,
            (None, single) => single.into_iter().collect(),
        };
        // Every field named, so that a field added to the record is read here too.
        Ok(CnaRecord {
            title: j.title,
            description: j.description,
            products,
            severity: j.severity,
            cvss_v3_1: j.cvss_v3_1,
            cvss_v4_0: j.cvss_v4_0,
            cwe: j.cwe,
            cwe_name: j.cwe_name,
            further_cwes: j.further_cwes,
            mitigation: j.mitigation,
            workarounds: j.workarounds,
            credits: j.credits,
            references: j.references,
            date_public: j.date_public,
            timeline: j.timeline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::samples::{activemq, airflow, kafka};
    use super::*;

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
        let ranges = &r.products[0].versions;
        assert_eq!(ranges[0].fixed.as_deref(), Some("1.1"));
        assert_eq!(ranges[1].describe(), "2.0 and later");
    }

    /// A record of the single-product shape with every product field (as the versions
    /// before several products stored it) reads as that one product; a record that
    /// names no product reads with none.
    #[test]
    fn the_single_product_shape_reads_as_one_product() {
        let stored = serde_json::json!({
            "title": "Apache Kafka: RCE in Connect",
            "description": "Deserialization of untrusted data in Apache Kafka Connect.",
            "product": "Apache Kafka",
            "collection_url": "https://repo.maven.apache.org/maven2",
            "package_name": "org.apache.kafka:connect-runtime",
            "version_type": null,
            "affected": [
                {"introduced": "2.3.0", "fixed": "3.7.1"},
                {"introduced": "3.8.0", "last_affected": "3.8.2"}
            ],
            "default_status": null,
            "severity": "important",
            "cvss_v4_0": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "cwe": "CWE-502",
            "cwe_name": "Deserialization of Untrusted Data",
            "mitigation": "Upgrade to 3.7.1 or 3.8.3.",
            "workarounds": "Disable the Connect REST API.",
            "credits": [{"name": "Ann", "type": "finder"}],
            "references": [{"url": "https://kafka.apache.org/cve-list", "tags": ["vendor-advisory"]}]
        });
        let r: CnaRecord = serde_json::from_value(stored).unwrap();
        assert_eq!(r, kafka());
        let r: CnaRecord = serde_json::from_str(r#"{"title":"t","product":""}"#).unwrap();
        assert!(r.products.is_empty(), "{r:?}");
    }

    /// Today's shape is what is written, and it reads back as written; a body that says
    /// both shapes is refused rather than guessed at.
    #[test]
    fn records_are_written_with_their_products_and_read_back() {
        for r in [activemq(), kafka(), airflow(), CnaRecord::default()] {
            let json = serde_json::to_value(&r).unwrap();
            assert!(json.get("product").is_none() && json.get("affected").is_none());
            assert_eq!(
                json["products"].as_array().map(Vec::len),
                Some(r.products.len())
            );
            assert_eq!(serde_json::from_value::<CnaRecord>(json).unwrap(), r);
        }
        let both =
            r#"{"title":"t","product":"Apache Kafka","products":[{"product":"Apache Kafka"}]}"#;
        let e = serde_json::from_str::<CnaRecord>(both)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not both"), "{e}");
        // A product may carry its ranges under the single-product name, too.
        let alias =
            r#"{"products":[{"product":"P","affected":[{"introduced":"1.0","fixed":"1.1"}]}]}"#;
        let r: CnaRecord = serde_json::from_str(alias).unwrap();
        assert_eq!(r.products[0].versions[0].fixed.as_deref(), Some("1.1"));
    }
}
