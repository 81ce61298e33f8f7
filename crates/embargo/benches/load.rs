//! Load figures for the closing notes, not pass/fail tests: intake through the API at
//! concurrency 1 and 8, and the team's report list with 100,000 reports stored, on
//! SQLite and (when EMBARGO_TEST_POSTGRES is set) PostgreSQL.
//!
//! `cargo bench -p embargo --bench load` (EMBARGO_BENCH_REPORTS changes the 100,000).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use embargo_domain::ids::{Email, ReportId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Contacts, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::Channel;
use embargo_domain::token::Token;
use embargo_store::test_support::fresh_store;

mod common;

use common::{App, PASSWORD, list, report_body, start, summary};

async fn intake(app: &App, concurrency: usize, total: usize) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let client = client.clone();
        let url = format!("{}/api/v1/reports", app.base);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in (w..total).step_by(concurrency) {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .json(&report_body(i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    summary(
        &format!("  intake, concurrency {concurrency}"),
        lat,
        started.elapsed(),
    );
}

/// Fills the store directly (the API path is measured above) to `target` reports.
async fn fill(app: &App, target: usize) {
    let started = Instant::now();
    let project = app
        .store
        .project_by_slug(&embargo_domain::ids::ProjectSlug::parse("kafka").unwrap())
        .await
        .unwrap()
        .unwrap();
    let contacts = Contacts {
        org_name: "Bench Org".into(),
        org_security: Email::parse("security@bench.example").unwrap(),
        team: Email::parse("security@kafka.bench.example").unwrap(),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    };
    let workers = 8;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = app.store.clone();
        let project = project.as_ref();
        let contacts = contacts.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..target).step_by(workers) {
                let new = serde_json::from_value::<Submission>(report_body(i))
                    .unwrap()
                    .parse()
                    .unwrap();
                let change = receive(
                    new,
                    ReportId::generate(),
                    Some(project.clone()),
                    Channel::Api,
                    jiff::Timestamp::now(),
                    &Policy::default(),
                    &contacts,
                )
                .unwrap();
                store
                    .create_report(&change, &Token::generate().digest())
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "  stored {target} more reports in {:.1} s ({:.0}/s, 8 writers, straight to the store)",
        started.elapsed().as_secs_f64(),
        target as f64 / started.elapsed().as_secs_f64()
    );
}

/// The HTML dashboard as a signed-in org-team member sees it (first page, 50 rows).
async fn dashboard(app: &App, label: &str, rounds: usize) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{}/login", app.base))
        .form(&[("email", "admin@bench.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        login.status().is_success() || login.status().is_redirection(),
        "login: {}",
        login.status()
    );
    let mut lat = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        let t = Instant::now();
        let r = client
            .get(format!("{}/dashboard", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("report-link"));
        lat.push(t.elapsed());
    }
    summary(label, lat, started.elapsed());
}

#[tokio::main]
async fn main() {
    let reports: usize = std::env::var("EMBARGO_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    for (backend, store, _guard) in fresh_store().await {
        println!("{backend}:");
        let app = start(store).await;
        intake(&app, 1, 300).await;
        intake(&app, 8, 1000).await;
        fill(&app, reports.saturating_sub(1300)).await;
        dashboard(
            &app,
            &format!("  HTML dashboard (first page of 50) with {reports} stored"),
            50,
        )
        .await;
        list(
            &app,
            &format!("  API report list (first page of 50) with {reports} stored"),
            "/api/v1/reports?limit=50",
            50,
        )
        .await;
        list(
            &app,
            &format!("  API list, state filter, with {reports} stored"),
            "/api/v1/reports?state=received&limit=50",
            50,
        )
        .await;
        list(
            &app,
            &format!("  API list, project filter, with {reports} stored"),
            "/api/v1/reports?project=kafka&limit=50",
            50,
        )
        .await;
        // A deep page (the 1,000th of 50, or as deep as the fill goes), by offset and
        // by the cursor the page before gives.
        let depth = (reports / 50).clamp(2, 1000) * 50 - 50;
        list(
            &app,
            &format!("  API list, page at row {depth} by offset, with {reports} stored"),
            &format!("/api/v1/reports?limit=50&offset={depth}"),
            20,
        )
        .await;
        let cursor = cursor_before(&app, depth).await;
        list(
            &app,
            &format!("  API list, page at row {depth} by cursor, with {reports} stored"),
            &format!("/api/v1/reports?limit=50&cursor={cursor}"),
            20,
        )
        .await;
    }
}

/// The cursor of the page that starts at row `depth`.
async fn cursor_before(app: &App, depth: usize) -> String {
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/reports?limit=1&offset={}",
            app.base,
            depth - 1
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["next_cursor"]
        .as_str()
        .expect("a full page")
        .to_string()
}
