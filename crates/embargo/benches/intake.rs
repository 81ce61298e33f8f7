//! Intake at the machine's limit (docs/performance.md), in one run, on SQLite and (when
//! `EMBARGO_TEST_POSTGRES` is set) PostgreSQL:
//!
//! - the durable-insert ceiling of the database under the store's own settings (one
//!   1 KB row per commit, and 100 rows per commit);
//! - new reports through the API at concurrency 1, 8 and 64, and by SMTP on 1, 8 and
//!   64 connections, into a real `embargo serve` process: throughput, latency, and the
//!   server's own CPU time per report (read from `/proc`, so the client's share is
//!   not counted);
//! - `embargo ingest-mail`, a process per message as an MTA's pipe runs it;
//! - the server's resident memory after all of it.
//!
//! `cargo bench -p embargo --bench intake` (`EMBARGO_BENCH_SCALE=4` runs four times as
//! many requests per step; `EMBARGO_BENCH_BACKEND=sqlite|postgres` runs one backend).
//! Figures for the notes, never pass/fail.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use embargo_store::test_support::{
    TestBackend, backends, durable_insert_ceiling, fresh_database_url,
};
use embargo_store::{Sealer, SqlStore};

mod common;

use common::node::{Install, KAFKA_LIST, Node};
use common::{report_body, smtp, summary};

/// Requests per step at scale 1, by concurrency.
fn requests(concurrency: usize) -> usize {
    let scale: usize = std::env::var("EMBARGO_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    scale
        * match concurrency {
            1 => 400,
            _ => 3_000,
        }
}

/// Runs `load` against `node` and prints its figures with the server's CPU per report.
async fn step<F, Fut>(node: &Node, label: &str, n: usize, load: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Vec<Duration>>,
{
    let (cpu, written, commits) = (node.cpu(), node.written(), node.intake_commits().await);
    let started = Instant::now();
    let lat = load().await;
    let wall = started.elapsed();
    let (cpu, written) = (node.cpu() - cpu, node.written() - written);
    assert_eq!(lat.len(), n, "{label}: every request answered");
    summary(label, lat, wall);
    println!(
        "    server CPU {:.3} ms per report ({:.0}% of one core); wrote {:.0} KB per report",
        cpu.as_secs_f64() * 1000.0 / n as f64,
        cpu.as_secs_f64() * 100.0 / wall.as_secs_f64(),
        written as f64 / 1024.0 / n as f64
    );
    if let (Some((c0, j0)), Some((c1, j1))) = (commits, node.intake_commits().await) {
        println!(
            "    group commit: {} intakes in {} transactions ({:.1} a commit)",
            j1 - j0,
            c1 - c0,
            (j1 - j0) as f64 / (c1 - c0).max(1) as f64
        );
    }
}

async fn http(node: &Node, concurrency: usize, n: usize) -> Vec<Duration> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let url = format!("http://{}/api/v1/reports", node.http);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return lat;
                }
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .json(&report_body(i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    lat
}

async fn mail(node: &Node, run: &str, connections: usize, n: usize) -> Vec<Duration> {
    let addr = node.smtp;
    let run = run.to_string();
    tokio::task::spawn_blocking(move || {
        let next = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..connections)
            .map(|_| {
                let (next, run) = (next.clone(), run.clone());
                std::thread::spawn(move || {
                    let mut session = smtp::Session::open(addr);
                    let mut lat = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            session.quit();
                            return lat;
                        }
                        let from = format!("r{i}@researcher.example");
                        let id = format!("{run}-{i}@bench");
                        let raw = smtp::report_mail(&from, KAFKA_LIST, &id, i);
                        let t = Instant::now();
                        assert_eq!(session.send(&from, KAFKA_LIST, &raw), 250);
                        lat.push(t.elapsed());
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    })
    .await
    .unwrap()
}

/// `embargo ingest-mail` once per message, one after the other.
fn ingest_mail(install: &Install, n: usize) {
    let started = Instant::now();
    let mut lat = Vec::new();
    for i in 0..n {
        let from = format!("pipe{i}@researcher.example");
        let raw = smtp::report_mail(&from, KAFKA_LIST, &format!("pipe-{i}@bench"), i);
        let t = Instant::now();
        let mut child = install
            .command()
            .args(["ingest-mail", "--recipient", KAFKA_LIST, "--sender", &from])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(raw.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "ingest-mail failed");
        lat.push(t.elapsed());
    }
    summary(
        "  ingest-mail, a process per message",
        lat,
        started.elapsed(),
    );
}

async fn ceiling(backend: TestBackend) {
    let (url, _db) = fresh_database_url(backend).await.unwrap();
    let store = SqlStore::connect(&url, Sealer::random()).await.unwrap();
    let c = durable_insert_ceiling(&store, 3.0).await;
    println!(
        "  durable-insert ceiling: {:.0} single-row commits/s; {:.0} rows/s at 100 rows a commit",
        c.single_row_commits, c.batched_rows
    );
    store.close().await;
}

fn chosen(backend: TestBackend) -> bool {
    match std::env::var("EMBARGO_BENCH_BACKEND") {
        Ok(b) if !b.is_empty() => b == backend.name(),
        _ => true,
    }
}

#[tokio::main]
async fn main() {
    for backend in backends().into_iter().filter(|b| chosen(*b)) {
        println!("{}:", backend.name());
        ceiling(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let (url, _db) = fresh_database_url(backend).await.unwrap();
        let database = (backend == TestBackend::Postgres).then_some(url);
        let install = Install::new(dir.path(), database);
        let node = install.serve();
        // For a profiler to attach to (docs/performance.md#profile).
        println!("  server pid {}", node.pid());
        for c in [1, 8, 64] {
            let n = requests(c);
            let label = format!("  API intake, concurrency {c}");
            step(&node, &label, n, || http(&node, c, n)).await;
        }
        for c in [1, 8, 64] {
            let n = requests(c);
            let label = format!("  SMTP intake, {c} connections");
            let run = format!("smtp{c}");
            step(&node, &label, n, || mail(&node, &run, c, n)).await;
        }
        let (rss, peak) = node.memory_mib();
        println!("  server memory: {rss:.0} MiB resident, {peak:.0} MiB at its peak");
        drop(node);
        ingest_mail(&install, requests(1) / 2);
    }
}
