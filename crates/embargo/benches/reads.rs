//! The team's day at scale (issue figures, not pass/fail tests): with N reports stored
//! over ten projects (`EMBARGO_BENCH_REPORTS`, 100,000 by default; 1,000,000 for the
//! big run), the dashboard and the API list under each filter and order, for the
//! organisation team and for a member of two projects, a deep page by cursor, a report
//! page, and search; p50 and p99 of each, and the database's size per report.
//!
//! `cargo bench -p embargo --bench reads` (SQLite, and PostgreSQL when
//! EMBARGO_TEST_POSTGRES is set; `EMBARGO_BENCH_BACKEND=postgres` for one backend).
//! The store is filled by its bulk loader (`Reports::create_reports`, 500 reports a
//! transaction, through the same per-report write path as intake: sealing, triage
//! columns, search terms), not over HTTP; intake itself is measured by `load`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use embargo_domain::ids::{CveId, Email, ProjectSlug, ReportId, UserId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Contacts, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::Channel;
use embargo_domain::state::ReportState;
use embargo_domain::token::Token;
use embargo_domain::triage::{Triage, TriageClass, TriageStatus};
use embargo_store::test_support::fresh_store;
use embargo_store::{CredentialKind, NewCredential, ProjectInput};

mod common;

use common::{App, PASSWORD, start, summary};

const PROJECTS: usize = 10;
const MEMBER: &str = "member@bench.example";
const ROUNDS: usize = 100;

const WHAT: [&str; 8] = [
    "Deserialization",
    "Path traversal",
    "Cross-site scripting",
    "Denial of service",
    "SQL injection",
    "Authentication bypass",
    "Server-side request forgery",
    "Information disclosure",
];
const WHERE: [&str; 6] = [
    "the REST API",
    "the admin console",
    "the file upload",
    "the JMX endpoint",
    "the connector framework",
    "the query parser",
];

/// Adds projects p0..p9 (the member on p1 and p2's teams) and returns the member's
/// id and API token.
async fn projects(app: &App) -> (UserId, String) {
    for p in 0..PROJECTS {
        let team = if p == 1 || p == 2 {
            vec![Email::parse(MEMBER).unwrap()]
        } else {
            vec![]
        };
        app.store
            .upsert_project(&ProjectInput {
                slug: ProjectSlug::parse(&format!("p{p}")).unwrap(),
                name: format!("Project {p}"),
                security_email: Some(
                    Email::parse(&format!("security@p{p}.bench.example")).unwrap(),
                ),
                users_list: None,
                security_model_url: None,
                team,
                policy: Default::default(),
                trusted: false,
            })
            .await
            .unwrap();
    }
    let member = app
        .store
        .user_by_email(&Email::parse(MEMBER).unwrap())
        .await
        .unwrap()
        .unwrap();
    let token = Token::generate();
    app.store
        .insert_credential(&NewCredential {
            digest: token.digest(),
            user: member.id,
            kind: CredentialKind::ApiToken,
            csrf: None,
            expires_at: None,
            label: None,
        })
        .await
        .unwrap();
    (member.id, token.expose().to_string())
}

/// Report `i`: its project (p0 takes 40%), received up to a year ago, words of varied
/// frequency for search (one in 1,000 has a rare one), and its [`shape`].
fn report(
    i: usize,
    projects: &[embargo_domain::report::ProjectRef],
    owner: UserId,
) -> embargo_domain::lifecycle::Change {
    let p = if i % 10 < 4 {
        0
    } else {
        1 + i % (PROJECTS - 1)
    };
    let project = projects[p].clone();
    let rare = if i.is_multiple_of(1000) {
        format!(" canary{i}")
    } else {
        String::new()
    };
    let body = serde_json::json!({
        "project": project.slug.as_str(),
        "title": format!("{} in {}{rare}", WHAT[i % WHAT.len()], WHERE[(i / 8) % WHERE.len()]),
        "description": format!(
            "Steps to reproduce:\n1. send a crafted request to {}\n2. observe the effect. Report number {i}.\n{}",
            WHERE[i % WHERE.len()],
            "A realistic paragraph of analysis. ".repeat(30)
        ),
        "affected_versions": "3.0 - 3.7",
        "reporter_name": format!("Researcher {}", i % 500),
        "reporter_email": format!("researcher{}@lab{}.example", i % 500, i % 37),
    });
    let new = serde_json::from_value::<Submission>(body)
        .unwrap()
        .parse()
        .unwrap();
    let received =
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(((i * 7919) % 8760) as i64);
    let contacts = Contacts {
        org_name: "Bench Org".into(),
        org_security: Email::parse("security@bench.example").unwrap(),
        team: Email::parse(&format!("security@p{p}.bench.example")).unwrap(),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    };
    let mut change = receive(
        new,
        ReportId::generate(),
        Some(project),
        Channel::Api,
        received,
        &Policy::default(),
        &contacts,
    )
    .unwrap();
    shape(&mut change.report, i, received, owner);
    change
}

/// Where report `i` stands: most closed, some acknowledged or waiting, one in 20
/// accepted with a CVE id, one in 50 owned by the member, a triage class each.
fn shape(
    r: &mut embargo_domain::report::Report,
    i: usize,
    received: jiff::Timestamp,
    owner: UserId,
) {
    r.state = match i % 10 {
        0..=6 => ReportState::Rejected,
        7 | 8 => ReportState::Acknowledged,
        _ => ReportState::Received,
    };
    if r.state != ReportState::Received {
        r.acknowledged_at = Some(received + jiff::SignedDuration::from_hours(30));
    }
    if i % 20 == 5 {
        r.state = ReportState::Accepted;
        r.accepted_at = Some(received + jiff::SignedDuration::from_hours(60));
        r.cve = Some(CveId::parse(&format!("CVE-2025-{}", 100_000 + i)).unwrap());
    }
    if i % 50 == 3 {
        r.owner = Some(owner);
    }
    // Most reports are reports; some are noise the team closed or has yet to decide.
    let (class, status) = match i % 40 {
        0 => (TriageClass::Spam, TriageStatus::Suggested),
        1 | 2 => (TriageClass::UsersListQuestion, TriageStatus::Confirmed),
        3 => (TriageClass::ScannerOutput, TriageStatus::Suggested),
        _ => (TriageClass::Report, TriageStatus::Suggested),
    };
    r.triage = Some(Triage {
        class,
        reasons: vec![],
        duplicate_of: None,
        status,
    });
}

async fn fill(app: &App, target: usize, owner: UserId) {
    let mut projects = Vec::new();
    for p in 0..PROJECTS {
        let slug = ProjectSlug::parse(&format!("p{p}")).unwrap();
        projects.push(
            app.store
                .project_by_slug(&slug)
                .await
                .unwrap()
                .unwrap()
                .as_ref(),
        );
    }
    let started = Instant::now();
    let writers = 2;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = app.store.clone();
        let projects = projects.clone();
        tasks.push(tokio::spawn(async move {
            let mut batch = Vec::new();
            let mut batches = 0usize;
            for i in (w..target).step_by(writers) {
                batch.push((report(i, &projects, owner), Token::generate().digest()));
                if batch.len() == 500 {
                    store.create_reports(&batch).await.unwrap();
                    batch.clear();
                    // As `serve` does every 30 s: the log stays small through the fill.
                    batches += 1;
                    if batches.is_multiple_of(20) {
                        store.checkpoint().await.unwrap();
                    }
                }
            }
            if !batch.is_empty() {
                store.create_reports(&batch).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  stored {target} reports in {secs:.0} s ({:.0}/s, bulk loader, 500 a transaction)",
        target as f64 / secs
    );
}

/// A signed-in client of the organisation team.
async fn signed_in(app: &App) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/login", app.base))
        .form(&[("email", "admin@bench.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    client
}

/// `path` as an HTML page of `client`, `ROUNDS` times.
async fn page(client: &reqwest::Client, app: &App, label: &str, path: &str) {
    let mut lat = Vec::new();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let _ = r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    summary(label, lat, started.elapsed());
}

/// The API list as `token` sees it, `ROUNDS` times; returns the first page's ids.
async fn api(app: &App, token: &str, label: &str, path: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    let mut lat: Vec<Duration> = Vec::new();
    let started = Instant::now();
    let mut last = serde_json::Value::Null;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = client
            .get(format!("{}/api/v1{path}", app.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        last = r.json().await.unwrap();
        lat.push(t.elapsed());
    }
    let rows = last["reports"].as_array().map_or(0, Vec::len);
    summary(&format!("{label} [{rows} rows]"), lat, started.elapsed());
    last
}

async fn size(backend: &str, reports: usize, db: &embargo_store::test_support::TestDb) {
    if let Some(bytes) = db.size_bytes().await {
        println!(
            "  database: {:.1} MB, {:.1} KB per report ({backend})",
            bytes as f64 / 1e6,
            bytes as f64 / reports as f64 / 1e3
        );
    }
    for (table, bytes) in db.largest_tables(6).await {
        println!(
            "    {table}: {:.1} KB per report",
            bytes as f64 / reports as f64 / 1e3
        );
    }
}

/// Who reads: the organisation team or the member of two projects.
#[derive(Clone, Copy)]
enum Who {
    Org,
    Member,
}

/// The API reads measured, by whom, with their query.
const API_READS: &[(Who, &str, &str)] = &[
    (Who::Org, "API list, organisation team", "/reports"),
    (Who::Member, "API list, member of two projects", "/reports"),
    (
        Who::Member,
        "API list, member of two projects, owner=me",
        "/reports?owner=me",
    ),
    (Who::Org, "API list, cve=assigned", "/reports?cve=assigned"),
    (
        Who::Org,
        "API list, triage=report, cve=none",
        "/reports?triage=report&cve=none",
    ),
    (Who::Org, "API list, triage=spam", "/reports?triage=spam"),
    (Who::Org, "API list, sort=updated", "/reports?sort=updated"),
    (Who::Org, "search, a rare word", "/reports?q=canary1000"),
    (Who::Org, "search, a common word", "/reports?q=injection"),
    (
        Who::Org,
        "search, a phrase",
        "/reports?q=%22path%20traversal%22",
    ),
    (
        Who::Org,
        "search, a CVE id prefix",
        "/reports?q=CVE-2025-1000",
    ),
    (
        Who::Member,
        "search, member of two projects, two words",
        "/reports?q=denial%20console",
    ),
];

/// The HTML pages measured (the organisation team signed in).
const PAGE_READS: &[(&str, &str)] = &[
    ("dashboard, organisation team, first page", "/dashboard"),
    (
        "dashboard, project + state filter",
        "/dashboard?project=p3&state=acknowledged",
    ),
    (
        "dashboard, overdue, newest first",
        "/dashboard?overdue=1&sort=received",
    ),
    (
        "statistics page, one project, last 12 months",
        "/statistics?project=p3",
    ),
];

/// The cursor of the page at row `depth`, walked to by cursor (500 rows a step).
async fn cursor_at(app: &App, depth: usize) -> String {
    let client = reqwest::Client::new();
    let mut cursor = String::new();
    for _ in 0..(depth / 500) {
        let page: serde_json::Value = client
            .get(format!(
                "{}/api/v1/reports?limit=500&cursor={cursor}",
                app.base
            ))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
    }
    cursor
}

/// Every read, measured, with `reports` stored.
async fn reads(app: &App, member_token: &str, reports: usize) {
    let html = signed_in(app).await;
    for (label, path) in PAGE_READS {
        page(&html, app, &format!("  {label}"), path).await;
    }
    for (who, label, path) in API_READS {
        let token = match who {
            Who::Org => app.token.as_str(),
            Who::Member => member_token,
        };
        api(app, token, &format!("  {label}"), path).await;
    }
    let day = |days: i64| {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days))
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    };
    let month = format!(
        "/reports?received_from={}&received_to={}&sort=received",
        day(60),
        day(30)
    );
    api(app, &app.token, "  API list, received in one month", &month).await;
    let depth = (reports / 2).min(500_000);
    let cursor = cursor_at(app, depth).await;
    let deep = format!("/reports?cursor={cursor}");
    let label = format!("  API list, page at row {depth} by cursor");
    api(app, &app.token, &label, &deep).await;
    let found = api(
        app,
        &app.token,
        "  (a report to open)",
        "/reports?q=canary1000",
    )
    .await;
    if let Some(id) = found["reports"][0]["id"].as_str() {
        page(&html, app, "  report page", &format!("/reports/{id}")).await;
    }
}

#[tokio::main]
async fn main() {
    let reports: usize = std::env::var("EMBARGO_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("EMBARGO_BENCH_BACKEND").ok();
    for (backend, store, db) in fresh_store().await {
        if only.as_deref().is_some_and(|b| b != backend) {
            continue;
        }
        println!("{backend}, {reports} reports:");
        let app = start(store).await;
        let (member, member_token) = projects(&app).await;
        fill(&app, reports, member).await;
        size(backend, reports, &db).await;
        reads(&app, &member_token, reports).await;
    }
}
