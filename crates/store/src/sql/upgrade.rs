//! Stored data of earlier versions, read as today's model. What SQL can convert, the
//! migrations convert; what is sealed, SQL cannot open, so it is converted here when
//! read, and stored in today's shape the next time it is written.
//!
//! - A report's record: reports written before the full record existed kept a thin
//!   record under `record` (title, description, product, ranges without inclusive
//!   bounds, bare reference URLs) and no `cna_record`. That JSON reads as the full
//!   record as it is, so it becomes the report's `cna_record`. (Advisories, which are
//!   not sealed, had theirs moved by migration 0008.)
//! - A record of one product: records written before several products existed keep
//!   `product`, `affected`... at the top level. `CnaRecord` reads that shape itself
//!   (`embargo_domain::record`, `shapes`), wherever it is kept: reports, record
//!   versions, advisories.

use embargo_domain::report::Report;
use serde_json::Value;

/// A report from its stored JSON, whichever version wrote it.
pub(super) fn report_from_json(json: &[u8]) -> serde_json::Result<Report> {
    let mut value: Value = serde_json::from_slice(json)?;
    if let Some(fields) = value.as_object_mut()
        && let Some(thin) = fields.remove("record")
        && !thin.is_null()
        && fields.get("cna_record").is_none_or(Value::is_null)
    {
        fields.insert("cna_record".into(), thin);
    }
    serde_json::from_value(value)
}

#[cfg(test)]
mod tests {
    use embargo_domain::record::{
        AffectedProduct, CnaRecord, Credit, CreditKind, RecordState, Reference, Severity,
        VersionRange,
    };

    use super::*;

    /// A report as the versions before the full record stored it: every field of the
    /// time, and the thin record.
    const STORED: &str = r#"{"id":"EMB-ABCDEFGHJKMN","project":null,"state":"cve_assigned",
        "title":"RCE in Connect","description":"An attacker can run code.","affected_versions":null,
        "reporter":{"name":null,"email":"ann@example.org","credit":"Ann"},"channel":"api",
        "received_at":"2026-11-19T10:00:00Z","acknowledged_at":"2026-11-19T11:00:00Z",
        "accepted_at":"2026-11-19T12:00:00Z","announced_at":null,
        "deadlines":{"acknowledge_by":null,"discuss_by":null,"announce_by":"2026-12-19T12:00:00Z"},
        "discussants":[1,2],"disclosure_date":"2026-12-01","cve_summary":"RCE in Kafka Connect",
        "cve":"CVE-2026-10000","fix_ref":null,"release_ref":null,
        "record":{"title":"Apache Kafka: RCE in Connect","description":"An attacker can run code.",
            "product":"Apache Kafka","affected":[{"introduced":"3.0.0","fixed":"3.7.1"},{"introduced":"4.0","fixed":null}],
            "severity":"important","cwe":"CWE-502","cwe_name":null,"mitigation":null,
            "credits":[{"name":"Ann","type":"finder"}],"references":["https://kafka.example.org/cve"]},
        "version":7}"#;

    fn full() -> CnaRecord {
        CnaRecord {
            title: "Apache Kafka: RCE in Connect".into(),
            description: "An attacker can run code.".into(),
            products: vec![AffectedProduct {
                product: "Apache Kafka".into(),
                versions: vec![
                    VersionRange::parse_line("3.0.0 before 3.7.1").unwrap(),
                    VersionRange::parse_line("4.0 and later").unwrap(),
                ],
                ..AffectedProduct::default()
            }],
            severity: Some(Severity::Important),
            cwe: Some("CWE-502".into()),
            credits: vec![Credit {
                name: "Ann".into(),
                kind: CreditKind::Finder,
            }],
            references: vec![Reference::parse_line("https://kafka.example.org/cve").unwrap()],
            ..CnaRecord::default()
        }
    }

    #[test]
    fn a_thin_record_becomes_the_full_record() {
        let report = report_from_json(STORED.as_bytes()).unwrap();
        assert_eq!(report.cna_record, Some(full()));
        assert_eq!(report.record_state(), Some(RecordState::Draft));
        // Written back, it is in today's shape, and reads the same.
        let json = serde_json::to_value(&report).unwrap();
        assert!(json.get("record").is_none(), "{json}");
        assert!(json["cna_record"].get("product").is_none(), "{json}");
        assert_eq!(json["cna_record"]["products"][0]["product"], "Apache Kafka");
        let again = report_from_json(json.to_string().as_bytes()).unwrap();
        assert_eq!(again, report);
    }

    #[test]
    fn a_full_record_wins_and_no_record_stays_none() {
        // Reports written while both were kept hold both; the full one is the record.
        let mut both: Value = serde_json::from_str(STORED).unwrap();
        let mut richer = full();
        richer.workarounds = Some("Disable the REST API.".into());
        both["cna_record"] = serde_json::to_value(&richer).unwrap();
        let report = report_from_json(both.to_string().as_bytes()).unwrap();
        assert_eq!(report.cna_record, Some(richer));
        let mut none: Value = serde_json::from_str(STORED).unwrap();
        none["record"] = Value::Null;
        let report = report_from_json(none.to_string().as_bytes()).unwrap();
        assert_eq!(report.cna_record, None);
        assert_eq!(report.record_state(), Some(RecordState::Reserved));
    }
}
