//! Snapshot tests of the announcement Embargo writes from real CVE records: each corpus
//! record below is imported, turned into the record the editor holds, and announced;
//! the text must stay what `tests/snapshots/announcements/` holds (reviewed by hand
//! against the ASF's real announcements). `UPDATE_SNAPSHOTS=1` rewrites them after an
//! intended change; review the diff before committing.
//!
//! Where the corpus also has the real announcement (CVE-2024-32114), the sections are
//! compared side by side.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use embargo_domain::ids::CveId;
use embargo_formats::cve5::{import, to_cna_record};

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
