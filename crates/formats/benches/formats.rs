//! Throughput over the whole CVE corpus: each record imported, linted and exported to
//! CVE JSON 5, OSV and CSAF 2.0 (each output serialised to text, as a server would).
//! `cargo bench -p embargo-formats`; prints records/s and total time.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use embargo_formats::cve5::lint::lint_record;
use embargo_formats::cve5::{export, import};
use embargo_formats::{csaf, osv};

const ROUNDS: usize = 200;

fn main() {
    let corpus = std::env::var_os("EMBARGO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    let Ok(dir) = std::fs::read_dir(corpus.join("cve-records")) else {
        println!(
            "SKIPPED: formats benchmark (the corpus is not at {})",
            corpus.display()
        );
        return;
    };
    let texts: Vec<String> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let publisher = csaf::Publisher {
        category: "vendor".into(),
        name: "Apache Software Foundation".into(),
        namespace: "https://www.apache.org".into(),
        contact_details: None,
        issuing_authority: None,
        advisories_url: Some("https://security.apache.org/.well-known/csaf/white/".into()),
    };
    let hints = osv::EcosystemHints::default();
    let mut stages = [Duration::ZERO; 5];
    let names = ["import", "lint", "CVE JSON 5", "OSV", "CSAF"];
    let start = Instant::now();
    for _ in 0..ROUNDS {
        for text in &texts {
            let t = Instant::now();
            let record = import(black_box(text)).unwrap();
            stages[0] += t.elapsed();
            let t = Instant::now();
            black_box(lint_record(&record));
            stages[1] += t.elapsed();
            let t = Instant::now();
            black_box(serde_json::to_string(&export(&record)).unwrap());
            stages[2] += t.elapsed();
            let t = Instant::now();
            black_box(serde_json::to_string(&osv::from_cve(&record, &hints)).unwrap());
            stages[3] += t.elapsed();
            let t = Instant::now();
            if let Ok(doc) = csaf::from_cve(&record, &publisher) {
                black_box(serde_json::to_string(&doc).unwrap());
            }
            stages[4] += t.elapsed();
        }
    }
    let total = start.elapsed();
    let n = ROUNDS * texts.len();
    println!(
        "formats: {} records ({} KiB) x {ROUNDS} rounds = {n} records in {:.0} ms: {:.0} records/s (import + lint + CVE JSON 5 + OSV + CSAF)",
        texts.len(),
        bytes / 1024,
        total.as_secs_f64() * 1000.0,
        n as f64 / total.as_secs_f64()
    );
    for (name, d) in names.iter().zip(stages) {
        println!(
            "  {name:<11} {:>8.1} µs/record {:>10.0} records/s",
            d.as_secs_f64() * 1e6 / n as f64,
            n as f64 / d.as_secs_f64()
        );
    }
}
