//! The durability loop (docs/durability.md): `embargo serve` killed with
//! SIGKILL at a random moment of an intake burst over HTTP and SMTP at once, restarted
//! on the same database, and every report it acknowledged (HTTP 201, SMTP 250) must be
//! there. One installation per backend goes through every trial, so each restart also
//! opens a database left by the previous kill.
//!
//! A normal run does `EMBARGO_DURABILITY_TRIALS` trials (default 5, to keep CI short);
//! the figure for the notes comes from
//! `EMBARGO_DURABILITY_TRIALS=100 cargo test -p embargo --test end_to_end durability -- --nocapture`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use embargo_domain::ids::ReportId;
use embargo_store::test_support::{TestBackend, backends, fresh_database_url};
use embargo_store::{Mailbox, Reports, SqlStore};

use crate::nodes::{Acked, NodeSetup, http_burst, random_below, smtp_burst};
use crate::support::random_hex;

const DEFAULT_TRIALS: usize = 5;
/// More than a burst gets through before the kill: the kill always lands mid-burst.
const BURST: usize = 5_000;
const CONNECTIONS: usize = 8;
/// The kill comes this long after the burst starts, plus up to `KILL_SPREAD_MS`.
const KILL_AFTER_MS: u64 = 150;
const KILL_SPREAD_MS: u64 = 1_200;
/// The node's `/metrics` credential: the test reads how many intakes shared a commit.
const METRICS_TOKEN: &str = "durability-metrics-token-0123456789";

fn trials() -> usize {
    match std::env::var("EMBARGO_DURABILITY_TRIALS") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("EMBARGO_DURABILITY_TRIALS={v:?} is not a number")),
        Err(_) => DEFAULT_TRIALS,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_http_and_smtp_bursts_loses_no_acknowledged_report() {
    for backend in backends() {
        run_trials(backend, trials()).await;
    }
}

async fn run_trials(backend: TestBackend, trials: usize) {
    let name = backend.name();
    let (url, _db) = fresh_database_url(backend).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = (backend == TestBackend::Postgres).then_some(url.as_str());
    let mut setup = NodeSetup::new(dir.path(), database);
    setup
        .env
        .push(("EMBARGO_METRICS_TOKEN".into(), METRICS_TOKEN.into()));
    let run = random_hex();
    let started = Instant::now();
    // The first start creates the installation; every later one follows a kill.
    let mut node = setup.start();
    let store = setup.open_store().await;
    let (mut reports, mut mails, mut empty) = (0, 0, 0);
    // Group commit's figures just before each kill: (transactions, intakes they held).
    let (mut commits, mut committed) = (0, 0);
    for trial in 1..=trials {
        let tag = format!("{run}-{trial}");
        let stop = Arc::new(AtomicBool::new(false));
        let http = tokio::spawn(http_burst(
            node.http,
            tag.clone(),
            BURST,
            CONNECTIONS,
            stop.clone(),
        ));
        let smtp = tokio::spawn(smtp_burst(
            node.smtp,
            tag.clone(),
            BURST,
            CONNECTIONS,
            stop.clone(),
        ));
        let wait = KILL_AFTER_MS + random_below(KILL_SPREAD_MS);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        if let Some((c, j)) = intake_commits(node.http).await {
            commits += c;
            committed += j;
        }
        node.kill_9();
        stop.store(true, Ordering::SeqCst);
        let (http, smtp) = (http.await.unwrap(), smtp.await.unwrap());
        assert!(
            !http.refused.contains(&500) && !smtp.refused.iter().any(|c| *c >= 500),
            "{name}, trial {trial}: refused with {:?} / {:?}",
            http.refused,
            smtp.refused
        );
        node = setup.start();
        check_present(
            &store,
            &http,
            &smtp,
            &format!("{name}, trial {trial} ({wait} ms)"),
        )
        .await;
        reports += http.reports.len();
        mails += smtp.mails.len();
        empty += usize::from(http.reports.is_empty() && smtp.mails.is_empty());
    }
    eprintln!(
        "durability ({name}): {trials} trials of kill -9 during intake, {} acknowledged \
         ({reports} over HTTP, {mails} over SMTP), lost 0; {empty} trials killed before the \
         first acknowledgement; group commit before the kills: {committed} intakes in \
         {commits} transactions; {:.0} s",
        reports + mails,
        started.elapsed().as_secs_f64()
    );
    if backend == TestBackend::Sqlite {
        // The kills landed on batched commits: 16 clients at once share transactions.
        assert!(
            committed > commits && commits > 0,
            "{name}: intakes did not share commits ({committed} in {commits})"
        );
    }
    assert!(
        reports > 0 && mails > 0,
        "{name}: the bursts never got an answer before the kill"
    );
    drop(node);
    store.close().await;
}

/// The node's group-commit counters (`embargo_intake_commits_total`,
/// `embargo_intake_committed_total`), if it answers and has them (SQLite).
async fn intake_commits(http: std::net::SocketAddr) -> Option<(u64, u64)> {
    let text = reqwest::Client::new()
        .get(format!("http://{http}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    embargo_testkit::intake_commits(&text)
}

/// Every report answered 201 and every message answered 250 is in the database.
async fn check_present(store: &SqlStore, http: &Acked, smtp: &Acked, what: &str) {
    for id in &http.reports {
        let id = ReportId::parse(id).unwrap();
        assert!(
            store.report(&id).await.unwrap().is_some(),
            "{what}: {id:?} was answered 201 but is lost after the restart"
        );
    }
    for mid in &smtp.mails {
        assert!(
            store.mail_seen(mid).await.unwrap(),
            "{what}: {mid} was answered 250 but is lost after the restart"
        );
    }
}
