//! Triage at scale: 10,000 findings of a generated scanner report against 100,000
//! generated statements (docs/vex.md, "Scanner reports"). The findings are a realistic
//! mix: 30% answered by purl, 20% by Maven coordinates, 10% through an alias (a GHSA
//! finding, the statement on its CVE), 40% unanswered (unknown CVEs, and known CVEs in
//! other components).
//!
//! `cargo bench -p embargo-formats --bench vex_triage`; prints the time to read the
//! report (Trivy JSON), to build the index and to triage (medians of several runs),
//! and the memory the index takes (its own estimate, and the process's resident set
//! before and after building it). The goal: triage well under 100 ms.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use embargo_domain::vex::matching::{Finding, FoundComponent, StatementIndex, triage};
use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_formats::scan;

const STATEMENTS: usize = 100_000;
const FINDINGS: usize = 10_000;
/// Statements per CVE: a CVE in a library is often stated for several components.
const PER_CVE: usize = 4;
const RUNS: usize = 11;

/// A small deterministic generator (xorshift64*), so that every run measures the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn cve(i: usize) -> String {
    format!("CVE-2021-{}", 10_000 + i / PER_CVE)
}

/// A GHSA-shaped id for statement `i`'s CVE.
fn ghsa(i: usize) -> String {
    let n = i / PER_CVE;
    format!(
        "GHSA-{:04x}-{:04x}-{:04x}",
        n % 0xffff,
        (n * 7) % 0xffff,
        (n * 13) % 0xffff
    )
}

fn group(i: usize) -> String {
    format!("org.example.g{}", i % 997)
}

fn artifact(i: usize) -> String {
    format!("artifact-{i}")
}

fn statements() -> Vec<Statement> {
    let statuses = [
        VexStatus::NotAffected,
        VexStatus::Fixed,
        VexStatus::Affected,
    ];
    (0..STATEMENTS)
        .map(|i| {
            let (g, a) = (group(i), artifact(i));
            // Half by purl, half by coordinates only, as teams write them.
            let purl = (i % 2 == 0).then(|| format!("pkg:maven/{g}/{a}"));
            Statement {
                vulnerability: cve(i),
                aliases: vec![ghsa(i)],
                component: Component {
                    purl,
                    name: format!("{g}:{a}"),
                },
                product_versions: None,
                status: statuses[i % 3],
                justification: Some(Justification::VulnerableCodeNotInExecutePath),
                impact: Some("The project never deserialises untrusted input.".into()),
                action: Some("Upgrade to 3.7.1.".into()),
                fixed_in: None,
                public: true,
                until: None,
            }
        })
        .collect()
}

/// The findings, and how many of them statements answer.
fn findings(rng: &mut Rng) -> (Vec<Finding>, usize) {
    let mut out = Vec::with_capacity(FINDINGS);
    let mut answered = 0;
    let offset = rng.below(STATEMENTS);
    for n in 0..FINDINGS {
        // A different statement for every finding (7919 is prime to 100,000), so that
        // no two findings are one pair.
        let i = (offset + n * 7919) % STATEMENTS;
        let (g, a, v) = (group(i), artifact(i), format!("1.{}.{}", n % 10, n % 7));
        let share = n % 10;
        let (vulnerability, purl, name, file) = match share {
            0..=2 => (
                cve(i),
                Some(format!("pkg:maven/{g}/{a}@{v}?type=jar")),
                a.clone(),
                None,
            ),
            3..=4 => (cve(i), None, format!("{g}:{a}"), None),
            5 => (
                ghsa(i),
                None,
                a.clone(),
                Some(format!("/opt/app/lib/{a}-{v}.jar")),
            ),
            6..=7 => (format!("CVE-2030-{n}"), None, format!("{g}:{a}"), None),
            _ => (
                cve(i),
                Some(format!("pkg:maven/org.other/{a}@{v}")),
                a.clone(),
                None,
            ),
        };
        answered += usize::from(share <= 5);
        out.push(Finding {
            vulnerability,
            aliases: vec![],
            component: FoundComponent {
                purl,
                name,
                version: Some(v),
                file,
            },
        });
    }
    (out, answered)
}

/// The findings as a Trivy JSON report.
fn trivy_report(findings: &[Finding]) -> Vec<u8> {
    let vulns: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "VulnerabilityID": f.vulnerability,
                "PkgName": f.component.name,
                "PkgPath": f.component.file,
                "PkgIdentifier": {"PURL": f.component.purl},
                "InstalledVersion": f.component.version,
                "Severity": "HIGH",
                "Title": "A vulnerability in a dependency of the project",
            })
        })
        .collect();
    let report = serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": "app",
        "Results": [{"Target": "pom.xml", "Class": "lang-pkgs", "Type": "pom", "Vulnerabilities": vulns}],
    });
    serde_json::to_vec(&report).unwrap()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The process's resident set, in bytes (Linux; 0 elsewhere).
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let before_statements = rss();
    let statements = statements();
    let statements_rss = rss().saturating_sub(before_statements);

    // The first index is built on a fresh heap, so that the resident set grows by what
    // it takes; it is kept for the triage runs.
    let before_index = rss();
    let t = Instant::now();
    let index = StatementIndex::new(&statements);
    let mut build_times = vec![t.elapsed()];
    let index_rss = rss().saturating_sub(before_index);
    for _ in 1..RUNS {
        let t = Instant::now();
        let again = black_box(StatementIndex::new(black_box(&statements)));
        build_times.push(t.elapsed());
        // Dropped outside the measure: freeing is not building.
        drop(again);
    }

    let (findings, expected_answered) = findings(&mut Rng(0x9E37_79B9_7F4A_7C15));
    let report = trivy_report(&findings);
    let read_times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(scan::read(black_box(&report)).unwrap());
            t.elapsed()
        })
        .collect();
    let read = scan::read(&report).unwrap();
    assert_eq!(
        read.len(),
        findings.len(),
        "the report reads back to its findings"
    );

    let triage_times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(triage(black_box(&read), &index));
            t.elapsed()
        })
        .collect();
    let result = triage(&read, &index);
    assert_eq!(
        result.summary.answered(),
        expected_answered,
        "{:?}",
        result.summary
    );

    let triage_median = median(triage_times);
    let s = &result.summary;
    println!(
        "vex triage: {FINDINGS} findings against {STATEMENTS} statements ({RUNS} runs, medians)"
    );
    println!(
        "  read the report (Trivy JSON, {:.1} MiB): {:?}",
        mib(report.len()),
        median(read_times)
    );
    println!("  build the index: {:?}", median(build_times));
    println!("  triage: {triage_median:?} (goal: under 100 ms)");
    println!(
        "  answered {} (not affected {}, affected {}, fixed {}), needs analysis {}",
        s.answered(),
        s.not_affected,
        s.affected,
        s.fixed,
        s.needs_analysis
    );
    println!(
        "  index heap (its own estimate): {:.1} MiB",
        mib(index.heap_bytes())
    );
    println!(
        "  index resident set (growth while building): {:.1} MiB",
        mib(index_rss)
    );
    println!(
        "  the 100,000 statements themselves (resident set): {:.1} MiB",
        mib(statements_rss)
    );
    assert!(
        triage_median < Duration::from_millis(100),
        "triage took {triage_median:?}"
    );
}
