//! The ASF-style announcement written from the record (docs/process.md#step-11-announce;
//! compare `corpus/announcements/`), in the format of the ASF's Vulnogram "email" output.

use serde::{Deserialize, Serialize};

use super::model::CnaRecord;
use super::versions::VersionStatus;
use crate::ids::CveId;

/// The announcement's subject and body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub subject: String,
    pub body: String,
}

/// The announcement's subject, `CVE-YYYY-NNNN: Apache Foo: title`. Record titles
/// usually start with the product already ("Apache Foo: …", "Apache Foo Beeline RCE"),
/// and then the ASF does not say it twice (compare `corpus/announcements/`).
pub fn announcement_subject(cve: &CveId, product: &str, title: &str) -> String {
    let (p, t) = (product.trim().to_lowercase(), title.trim().to_lowercase());
    let names_product = !p.is_empty()
        && t.strip_prefix(&p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', ',']));
    if names_product {
        format!("{cve}: {}", title.trim())
    } else {
        format!("{cve}: {}: {}", product.trim(), title.trim())
    }
}

impl CnaRecord {
    /// The announcement of this record as `cve`.
    pub fn announcement(&self, cve: &CveId) -> Announcement {
        let title = self.title.trim();
        let subject = announcement_subject(cve, self.first_product(), title);
        let mut body = String::new();
        if let Some(s) = self.severity {
            body.push_str(&format!("Severity: {}\n\n", s.as_str()));
        }
        self.write_versions(&mut body);
        body.push_str("\nDescription:\n\n");
        body.push_str(self.description.trim());
        body.push('\n');
        if let Some(w) = &self.workarounds {
            body.push_str("\nWorkarounds:\n\n");
            body.push_str(w.trim());
            body.push('\n');
        }
        if let Some(m) = &self.mitigation {
            body.push('\n');
            body.push_str(m.trim());
            body.push('\n');
        }
        if !self.credits.is_empty() {
            body.push_str("\nCredit:\n\n");
            for c in &self.credits {
                body.push_str(&format!("{} ({})\n", c.name.trim(), c.kind.cve_name()));
            }
        }
        body.push_str("\nReferences:\n\n");
        for r in &self.references {
            body.push_str(&r.url);
            body.push('\n');
        }
        body.push_str(&format!("https://www.cve.org/CVERecord?id={cve}\n"));
        Announcement { subject, body }
    }

    /// "Affected versions:" and, when some ranges say so, "Unaffected versions:": each
    /// product's lines in the record's order, as the ASF lists a product and its
    /// modules (compare `corpus/announcements/activemq-website_CVE-2023-46604-announcement.txt`).
    fn write_versions(&self, body: &mut String) {
        body.push_str("Affected versions:\n\n");
        for p in &self.products {
            let product = p.name();
            for r in p
                .versions
                .iter()
                .filter(|r| r.status == VersionStatus::Affected)
            {
                body.push_str(&format!("- {product} {}\n", r.describe()));
            }
            if p.default_status == Some(VersionStatus::Affected) {
                body.push_str(&format!("- {product}: all other versions\n"));
            }
        }
        // Only written when there are some, so announcements of records without them
        // read as before.
        let not_affected: Vec<_> = self
            .products
            .iter()
            .flat_map(|p| p.versions.iter().map(move |r| (p.name(), r)))
            .filter(|(_, r)| r.status == VersionStatus::Unaffected)
            .collect();
        if !not_affected.is_empty() {
            body.push_str("\nUnaffected versions:\n\n");
            for (product, r) in not_affected {
                body.push_str(&format!("- {product} {}\n", r.describe_bounds()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::samples::{activemq, airflow, kafka};
    use super::*;

    #[test]
    fn announcement_follows_the_asf_layout() {
        let a = airflow().announcement(&CveId::parse("CVE-2023-35797").unwrap());
        assert_eq!(
            a.subject,
            // Exactly the subject of the real announcement in the corpus.
            "CVE-2023-35797: Apache Airflow Hive Provider Beeline RCE with Principal"
        );
        assert!(a.body.starts_with("Severity: moderate\n\nAffected versions:\n\n- Apache Airflow Hive Provider before 6.1.1\n"));
        assert!(
            a.body
                .contains("\nCredit:\n\nid_No2015429 of 3H Secruity Team (reporter)\n")
        );
        assert!(a.body.ends_with("https://github.com/apache/airflow/pull/31983\nhttps://www.cve.org/CVERecord?id=CVE-2023-35797\n"));
    }

    #[test]
    fn title_with_product_prefix_is_not_doubled() {
        let mut r = airflow();
        r.title = "Apache Airflow Hive Provider: RCE".into();
        let a = r.announcement(&CveId::parse("CVE-2023-35797").unwrap());
        assert_eq!(
            a.subject,
            "CVE-2023-35797: Apache Airflow Hive Provider: RCE"
        );
        let cve = CveId::parse("CVE-2023-35797").unwrap();
        assert_eq!(
            announcement_subject(&cve, "Apache Foo", "XSS in login"),
            "CVE-2023-35797: Apache Foo: XSS in login"
        );
        assert_eq!(
            announcement_subject(&cve, "Apache Foo", "Apache Foobar: XSS"),
            "CVE-2023-35797: Apache Foo: Apache Foobar: XSS",
            "a longer name is another product"
        );
        assert_eq!(
            announcement_subject(&cve, "apache foo", "Apache Foo XSS"),
            "CVE-2023-35797: Apache Foo XSS"
        );
    }

    #[test]
    fn announcement_says_through_and_workarounds() {
        let a = kafka().announcement(&CveId::parse("CVE-2026-10000").unwrap());
        assert_eq!(a.subject, "CVE-2026-10000: Apache Kafka: RCE in Connect");
        assert!(
            a.body.contains(
                "- Apache Kafka 2.3.0 before 3.7.1\n- Apache Kafka 3.8.0 through 3.8.2\n"
            ),
            "{}",
            a.body
        );
        assert!(
            a.body
                .contains("\nWorkarounds:\n\nDisable the Connect REST API.\n"),
            "{}",
            a.body
        );
    }

    /// Several products: each one's ranges in the record's order, exactly as the real
    /// ActiveMQ announcement lists the broker and its module; the subject names the
    /// first product.
    #[test]
    fn every_product_is_listed_in_the_affected_versions() {
        let a = activemq().announcement(&CveId::parse("CVE-2023-46604").unwrap());
        assert_eq!(
            a.subject,
            "CVE-2023-46604: Apache ActiveMQ: Unbounded deserialization causes ActiveMQ to be vulnerable to a remote code execution (RCE) attack"
        );
        assert!(
            a.body.starts_with(
                "Severity: critical\n\nAffected versions:\n\n\
                 - Apache ActiveMQ 5.18.0 before 5.18.3\n\
                 - Apache ActiveMQ 5.17.0 before 5.17.6\n\
                 - Apache ActiveMQ 5.16.0 before 5.16.7\n\
                 - Apache ActiveMQ before 5.15.16\n\
                 - Apache ActiveMQ Legacy OpenWire Module 5.18.0 before 5.18.3\n\
                 - Apache ActiveMQ Legacy OpenWire Module 5.17.0 before 5.17.6\n\
                 - Apache ActiveMQ Legacy OpenWire Module 5.16.0 before 5.16.7\n\
                 - Apache ActiveMQ Legacy OpenWire Module 5.8.0 before 5.15.16\n\nDescription:"
            ),
            "{}",
            a.body
        );
    }
}
