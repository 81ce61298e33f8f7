//! Snapshot tests of the announcement Embargo writes from real CVE records: each corpus
//! record below is imported, turned into the record the editor holds, and announced;
//! the text must stay what `tests/snapshots/announcements/` holds (reviewed by hand
//! against the ASF's real announcements). `UPDATE_SNAPSHOTS=1` rewrites them after an
//! intended change; review the diff before committing.
//!
//! Where the corpus also has the real announcement (CVE-2024-32114), the sections are
//! compared side by side; so are those of a record of two products (CVE-2023-46604,
//! ActiveMQ and its Legacy OpenWire Module), whose OSV is compared with GitHub's.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use embargo_domain::ids::CveId;
use embargo_domain::record::{AffectedProduct, CnaRecord, Reference, VersionRange};
use embargo_formats::cve5::container::{self, Dates};
use embargo_formats::cve5::{Cna, import, to_cna_record};
use embargo_formats::osv;
use serde_json::Value;

/// Apache records with variety: CNA CVSS, ranges with `changes`, credits of several
/// types, `lessThanOrEqual`, legacy v4 conversions.
const RECORDS: [&str; 6] = [
    "CVE-2021-31618",
    "CVE-2022-40705",
    "CVE-2023-22946",
    "CVE-2023-26464",
    "CVE-2023-34149",
    "CVE-2024-32114",
];

fn announce(corpus: &std::path::Path, id: &str) -> String {
    let text = std::fs::read_to_string(corpus.join(format!("cve-records/{id}.json"))).unwrap();
    let record = import(&text).unwrap();
    let cve = CveId::parse(id).unwrap();
    let a = to_cna_record(&record).announcement(&cve);
    format!("Subject: {}\n\n{}", a.subject, a.body)
}

#[test]
fn announcements_match_their_snapshots() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("announcement snapshots") else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/announcements");
    let update = std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1");
    let mut differ = Vec::new();
    for id in RECORDS {
        let ours = announce(&corpus, id);
        let path = dir.join(format!("{id}.txt"));
        if update {
            std::fs::write(&path, &ours).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
                path.display()
            )
        });
        if ours != expected {
            differ.push(format!("{id}:\n--- snapshot\n{expected}\n+++ now\n{ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "announcements changed:\n{}",
        differ.join("\n")
    );
}

/// The sections of an announcement ("Affected versions:" → its lines), trimmed.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.ends_with(':') && !t.contains(' ')
            || ["Affected versions:", "Unaffected versions:"].contains(&t)
        {
            out.push((t.to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut()
            && !t.is_empty()
        {
            lines.push(t.to_string());
        }
    }
    out
}

#[test]
fn side_by_side_with_the_real_announcement() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("announcement side by side") else {
        return;
    };
    let ours = announce(&corpus, "CVE-2024-32114");
    let real = std::fs::read_to_string(
        corpus.join("announcements/activemq-website_CVE-2024-32114-announcement.txt"),
    )
    .unwrap();
    let (ours, real) = (sections(&ours), sections(&real));
    let get = |s: &[(String, Vec<String>)], h: &str| {
        s.iter()
            .find(|(k, _)| k == h)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // Same layout: the real mail's sections appear in ours, in the same order.
    let heads = |s: &[(String, Vec<String>)]| s.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    let ours_heads = heads(&ours);
    let mut at = 0;
    for h in heads(&real) {
        let i = ours_heads[at..]
            .iter()
            .position(|o| *o == h)
            .unwrap_or_else(|| panic!("section {h} missing or out of order in {ours_heads:?}"));
        at += i + 1;
    }
    // Affected versions: the record says 6.0.0 <= v <= 6.1.1 (lessThanOrEqual), which
    // ours now says as written; the website's mail rounds it to "6.x before 6.1.2".
    assert_eq!(
        get(&ours, "Affected versions:"),
        vec!["- Apache ActiveMQ 6.0.0 through 6.1.1"]
    );
    assert_eq!(
        get(&real, "Affected versions:"),
        vec!["- Apache ActiveMQ 6.x before 6.1.2"]
    );
    // The description is the record's, word for word.
    let words = |v: Vec<String>| {
        v.join(" ")
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let ours_desc = words(get(&ours, "Description:"));
    let real_desc = words(get(&real, "Description:"));
    assert!(ours_desc.len() > 40);
    assert_eq!(
        ours_desc[..40],
        real_desc[..40],
        "the description starts as the real one does"
    );
    // References: both point at the CVE page.
    let cve_page = "https://www.cve.org/CVERecord?id=CVE-2024-32114".to_string();
    assert!(get(&ours, "References:").contains(&cve_page));
    assert!(get(&real, "References:").contains(&cve_page));
}

/// CVE-2023-46604 as its CNA wrote it: the broker and its Legacy OpenWire Module, four
/// release lines each, with the real announcement's text and GitHub's package names
/// (`corpus/announcements/activemq-website_CVE-2023-46604-announcement.txt`,
/// `corpus/osv/GHSA-crg9-44h2-xw35.json`; the CVE record itself is not in the corpus).
fn activemq() -> CnaRecord {
    let product = |name: &str, package: &str, ranges: &[&str]| AffectedProduct {
        product: name.into(),
        collection_url: Some("https://repo.maven.apache.org/maven2".into()),
        package_name: Some(package.into()),
        version_type: Some("maven".into()),
        versions: ranges
            .iter()
            .map(|l| VersionRange::parse_line(l).unwrap())
            .collect(),
        ..AffectedProduct::default()
    };
    CnaRecord {
        title: "Apache ActiveMQ: Unbounded deserialization causes ActiveMQ to be vulnerable to a remote code execution (RCE) attack".into(),
        description: "The Java OpenWire protocol marshaller is vulnerable to Remote Code Execution. This vulnerability may allow a remote attacker with network access to either a Java-based OpenWire broker or client to run arbitrary shell commands by manipulating serialized class types in the OpenWire protocol to cause either the client or the broker (respectively) to instantiate any class on the classpath.\n\nUsers are recommended to upgrade both brokers and clients to version 5.15.16, 5.16.7, 5.17.6, or 5.18.3 which fixes this issue.\n\nThis issue is being tracked as AMQ-9370".into(),
        products: vec![
            product(
                "Apache ActiveMQ",
                "org.apache.activemq:activemq-client",
                &["5.18.0 before 5.18.3", "5.17.0 before 5.17.6", "5.16.0 before 5.16.7", "before 5.15.16"],
            ),
            product(
                "Apache ActiveMQ Legacy OpenWire Module",
                "org.apache.activemq:activemq-openwire-legacy",
                &["5.18.0 before 5.18.3", "5.17.0 before 5.17.6", "5.16.0 before 5.16.7", "5.8.0 before 5.15.16"],
            ),
        ],
        cwe: Some("CWE-502".into()),
        cwe_name: Some("Deserialization of Untrusted Data".into()),
        references: [
            "https://activemq.apache.org/security-advisories.data/CVE-2023-46604",
            "https://activemq.apache.org/",
            "https://issues.apache.org/jira/browse/AMQ-9370",
        ]
        .map(|u| Reference::parse_line(u).unwrap())
        .to_vec(),
        ..CnaRecord::default()
    }
}

/// (package, introduced, fixed) of every OSV range.
fn osv_ranges(doc: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for a in doc["affected"].as_array().unwrap() {
        let name = a["package"]["name"].as_str().unwrap().to_string();
        for r in a["ranges"].as_array().unwrap() {
            let event = |key: &str| {
                r["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find_map(|e| e[key].as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            out.insert((name.clone(), event("introduced"), event("fixed")));
        }
    }
    out
}

/// The announcement of a record of two products lists each one's versions, the
/// product first, exactly as the real ActiveMQ announcement does (and stays as its
/// snapshot); its OSV has the packages and ranges of GitHub's advisory.
#[test]
fn a_record_of_two_products_is_announced_as_the_real_activemq_advisory() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("two products' announcement") else {
        return;
    };
    let cve = CveId::parse("CVE-2023-46604").unwrap();
    let a = activemq().announcement(&cve);
    let ours = format!("Subject: {}\n\n{}", a.subject, a.body);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/announcements/CVE-2023-46604.txt");
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::write(&path, &ours).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert_eq!(ours, expected, "the announcement changed");

    let real = std::fs::read_to_string(
        corpus.join("announcements/activemq-website_CVE-2023-46604-announcement.txt"),
    )
    .unwrap();
    let (ours, real) = (sections(&a.body), sections(&real));
    let get = |s: &[(String, Vec<String>)], h: &str| {
        s.iter()
            .find(|(k, _)| k == h)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let affected = get(&real, "Affected versions:");
    assert_eq!(affected.len(), 8, "{affected:?}");
    assert_eq!(get(&ours, "Affected versions:"), affected);
    assert_eq!(get(&ours, "Description:"), get(&real, "Description:"));
    let refs =
        |s: &[(String, Vec<String>)]| get(s, "References:").into_iter().collect::<BTreeSet<_>>();
    assert_eq!(refs(&ours), refs(&real));

    let cna = Cna {
        org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
        short_name: "apache".into(),
        vendor: "Apache Software Foundation".into(),
    };
    let at = "2023-10-27T14:59:00Z".parse().unwrap();
    let built = container::build(&cve, &activemq(), &cna, Dates::at(at)).unwrap();
    assert!(built.blocking().is_empty(), "{:?}", built.findings);
    let ours = osv::from_cve(&built.record, &osv::EcosystemHints::default());
    let github: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("osv/GHSA-crg9-44h2-xw35.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(osv_ranges(&ours), osv_ranges(&github));
    assert_eq!(osv_ranges(&ours).len(), 8);
}
