//! `/metrics`: the operator's figures in the Prometheus text format
//! (docs/operations.md#running-it), and the layer that counts every HTTP request.
//!
//! Not public: the route exists only when the operator configures a token
//! (`EMBARGO_METRICS_TOKEN`), and answers only a request that presents it as
//! `Authorization: Bearer <token>`. Counts only — route classes, status codes,
//! channels, queue states — never a path, a report, an address or a CVE id, so a
//! scrape reveals nothing of an embargo.
//!
//! The request and intake counters are this process's (hand-written atomics: a few
//! counters do not need a metrics crate); the outbox, open and overdue figures are read
//! from the database at each scrape, so every node reports the same values for them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use embargo_app::App;
use embargo_app::operations::OperationalFigures;
use subtle::ConstantTimeEq;

/// The shortest token accepted: a guessable one would make the figures public.
pub const MIN_TOKEN_CHARS: usize = 24;

/// The channels a report arrives by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public report form.
    Web,
    /// `POST /api/v1/reports`.
    Api,
    /// Mail, through the SMTP receiver of this process.
    Mail,
}

impl Channel {
    const ALL: [Channel; 3] = [Channel::Web, Channel::Api, Channel::Mail];

    fn label(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Mail => "mail",
        }
    }
}

/// Reports taken by this process, by channel (indexed as [`Channel::ALL`]).
static INTAKE: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Requests by (route class, status code), and time spent by route class.
static REQUESTS: Mutex<Requests> = Mutex::new(Requests {
    answered: BTreeMap::new(),
    time: BTreeMap::new(),
});

#[derive(Debug, Default, Clone)]
struct Requests {
    answered: BTreeMap<(&'static str, u16), u64>,
    /// Per class: seconds spent, requests.
    time: BTreeMap<&'static str, (f64, u64)>,
}

/// Counts one report taken by `channel` (doors other than HTTP call this).
pub fn count_intake(channel: Channel) {
    let i = Channel::ALL.iter().position(|c| *c == channel).unwrap_or(0);
    INTAKE[i].fetch_add(1, Ordering::Relaxed);
}

/// A bounded label for a request path: which part of the application it is for.
/// Paths themselves are never labels (they hold ids and tokens).
pub fn route_class(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "api" => "api",
        "healthz" => "health",
        "metrics" => "metrics",
        "static" => "static",
        "login" | "logout" | "setup" => "auth",
        "dashboard" | "reports" | "held" | "senders" | "statements" | "statistics"
        | "statistics.csv" | "overdue" => "team",
        "projects" if is_team_project_path(path) => "team",
        _ => "public",
    }
}

/// `/projects/{slug}/statements…` and `/projects/{slug}/scans` are the team's; the
/// rest under `/projects/` is public.
fn is_team_project_path(path: &str) -> bool {
    matches!(
        path.trim_start_matches('/').split('/').nth(2),
        Some("statements" | "scans")
    )
}

/// The channel a request takes a report by, if it is a successful intake.
fn intake_of(method: &Method, path: &str, status: StatusCode) -> Option<Channel> {
    if method != Method::POST {
        return None;
    }
    match path.trim_end_matches('/') {
        // The form redirects to its receipt page once the report is stored.
        "/report" if status == StatusCode::SEE_OTHER => Some(Channel::Web),
        "/api/v1/reports" if status == StatusCode::CREATED => Some(Channel::Api),
        _ => None,
    }
}

fn record(class: &'static str, status: StatusCode, took: Duration) {
    let mut requests = REQUESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *requests
        .answered
        .entry((class, status.as_u16()))
        .or_default() += 1;
    let time = requests.time.entry(class).or_default();
    time.0 += took.as_secs_f64();
    time.1 += 1;
}

/// Counts every request by class and status, and intake by channel.
async fn count(request: Request, next: Next) -> Response {
    let class = route_class(request.uri().path());
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    record(class, response.status(), started.elapsed());
    if let Some(channel) = intake_of(&method, &path, response.status()) {
        count_intake(channel);
    }
    response
}

/// Checks a configured token: long enough not to be guessed.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.trim().chars().count() < MIN_TOKEN_CHARS {
        return Err(format!(
            "EMBARGO_METRICS_TOKEN must be at least {MIN_TOKEN_CHARS} characters \
             (e.g. `openssl rand -hex 32`)"
        ));
    }
    Ok(())
}

#[derive(Clone)]
struct Scrape {
    app: App,
    token: Arc<str>,
}

/// The application's router with every request counted and, when `token` is given,
/// `GET /metrics` answering the requests that present it.
pub fn instrument(router: Router, app: App, token: Option<String>) -> Router {
    let router = match token {
        Some(token) => router.merge(Router::new().route("/metrics", get(scrape)).with_state(
            Scrape {
                app,
                token: token.trim().into(),
            },
        )),
        None => router,
    };
    router.layer(middleware::from_fn(count))
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = scrape.token.as_bytes();
    if !bool::from(presented.trim().as_bytes().ct_eq(expected)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer")],
            "the metrics need the token configured as EMBARGO_METRICS_TOKEN\n",
        )
            .into_response();
    }
    let figures = match scrape.app.operational_figures(jiff::Timestamp::now()).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            None
        }
    };
    let requests = REQUESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let intake: Vec<u64> = INTAKE.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        render(&requests, &intake, figures.as_ref()),
    )
        .into_response()
}

/// Writes one metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The exposition text: pure, so the format is tested without a server.
fn render(requests: &Requests, intake: &[u64], figures: Option<&OperationalFigures>) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "embargo_http_requests_total",
        "counter",
        "HTTP requests answered by this node, by route class and status code.",
    );
    for ((class, code), n) in &requests.answered {
        let _ = writeln!(
            out,
            "embargo_http_requests_total{{class=\"{class}\",code=\"{code}\"}} {n}"
        );
    }
    family(
        &mut out,
        "embargo_http_request_duration_seconds",
        "summary",
        "Time this node took to answer HTTP requests, by route class.",
    );
    for (class, (seconds, n)) in &requests.time {
        let _ = writeln!(
            out,
            "embargo_http_request_duration_seconds_sum{{class=\"{class}\"}} {seconds}\n\
             embargo_http_request_duration_seconds_count{{class=\"{class}\"}} {n}"
        );
    }
    family(
        &mut out,
        "embargo_reports_received_total",
        "counter",
        "Reports taken by this node, by channel.",
    );
    for (channel, n) in Channel::ALL.iter().zip(intake) {
        let _ = writeln!(
            out,
            "embargo_reports_received_total{{channel=\"{}\"}} {n}",
            channel.label()
        );
    }
    family(
        &mut out,
        "embargo_database_up",
        "gauge",
        "1 when the database answered this scrape.",
    );
    let _ = writeln!(out, "embargo_database_up {}", u8::from(figures.is_some()));
    if let Some(f) = figures {
        render_figures(&mut out, f);
    }
    out
}

/// The database's figures (the same on every node).
fn render_figures(out: &mut String, f: &OperationalFigures) {
    family(
        out,
        "embargo_database_query_seconds",
        "gauge",
        "Time the database took to answer this scrape's questions.",
    );
    let _ = writeln!(
        out,
        "embargo_database_query_seconds {}",
        f.database_latency.as_secs_f64()
    );
    family(
        out,
        "embargo_outbox_mails",
        "gauge",
        "Mails in the outbox by delivery state (failing: retrying; failed: given up).",
    );
    let o = &f.outbox;
    for (state, n) in [
        ("queued", o.queued),
        ("failing", o.failing),
        ("failed", o.failed),
        ("sent", o.sent),
    ] {
        let _ = writeln!(out, "embargo_outbox_mails{{state=\"{state}\"}} {n}");
    }
    family(
        out,
        "embargo_outbox_queue_depth",
        "gauge",
        "Mails waiting to be delivered (queued and failing).",
    );
    let _ = writeln!(out, "embargo_outbox_queue_depth {}", o.queued + o.failing);
    family(out, "embargo_reports_open", "gauge", "Reports not closed.");
    let _ = writeln!(out, "embargo_reports_open {}", f.open_reports);
    family(
        out,
        "embargo_reports_overdue",
        "gauge",
        "Open reports past their next deadline (deadline breaches not yet resolved).",
    );
    let _ = writeln!(out, "embargo_reports_overdue {}", f.overdue_reports);
    if let Some(c) = f.intake_commits {
        family(
            out,
            "embargo_intake_commits_total",
            "counter",
            "Transactions this node's intake committed (SQLite: concurrent intakes share one).",
        );
        let _ = writeln!(out, "embargo_intake_commits_total {}", c.commits);
        family(
            out,
            "embargo_intake_committed_total",
            "counter",
            "Intakes (reports and mails) those transactions held.",
        );
        let _ = writeln!(out, "embargo_intake_committed_total {}", c.jobs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embargo_app::outbox::OutboxStats;

    #[test]
    fn paths_become_a_few_classes_never_ids() {
        assert_eq!(route_class("/api/v1/reports/EMB-123"), "api");
        assert_eq!(route_class("/reports/EMB-123"), "team");
        assert_eq!(route_class("/projects/kafka/statements/4"), "team");
        assert_eq!(route_class("/projects/kafka"), "public");
        assert_eq!(route_class("/status/secret-token"), "public");
        assert_eq!(route_class("/setup/secret-token"), "auth");
        assert_eq!(route_class("/healthz"), "health");
        assert_eq!(route_class("/"), "public");
    }

    #[test]
    fn only_a_stored_report_counts_as_intake() {
        let post = Method::POST;
        assert_eq!(
            intake_of(&post, "/report", StatusCode::SEE_OTHER),
            Some(Channel::Web)
        );
        assert_eq!(intake_of(&post, "/report", StatusCode::OK), None);
        assert_eq!(
            intake_of(&post, "/api/v1/reports", StatusCode::CREATED),
            Some(Channel::Api)
        );
        assert_eq!(
            intake_of(&post, "/api/v1/reports", StatusCode::TOO_MANY_REQUESTS),
            None
        );
        assert_eq!(
            intake_of(&Method::GET, "/api/v1/reports", StatusCode::CREATED),
            None
        );
    }

    #[test]
    fn the_exposition_has_every_family_with_its_type() {
        let mut requests = Requests::default();
        requests.answered.insert(("api", 201), 2);
        requests.time.insert("api", (0.5, 2));
        let figures = OperationalFigures {
            outbox: OutboxStats {
                queued: 3,
                failing: 1,
                sent: 7,
                failed: 2,
            },
            open_reports: 5,
            overdue_reports: 2,
            database_latency: Duration::from_millis(4),
            intake_commits: Some(embargo_store::IntakeCommits {
                commits: 3,
                jobs: 10,
            }),
        };
        let text = render(&requests, &[1, 2, 0], Some(&figures));
        for line in [
            "# TYPE embargo_http_requests_total counter",
            "embargo_http_requests_total{class=\"api\",code=\"201\"} 2",
            "embargo_http_request_duration_seconds_count{class=\"api\"} 2",
            "embargo_reports_received_total{channel=\"api\"} 2",
            "embargo_reports_received_total{channel=\"mail\"} 0",
            "embargo_database_up 1",
            "embargo_outbox_mails{state=\"failed\"} 2",
            "embargo_outbox_queue_depth 4",
            "embargo_reports_overdue 2",
            "embargo_database_query_seconds 0.004",
            "embargo_intake_commits_total 3",
            "embargo_intake_committed_total 10",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
        let down = render(&requests, &[0, 0, 0], None);
        assert!(down.contains("embargo_database_up 0"), "{down}");
        assert!(!down.contains("embargo_outbox_mails"), "{down}");
    }

    #[test]
    fn short_tokens_are_refused() {
        assert!(check_token("secret").is_err());
        assert!(check_token(&"x".repeat(MIN_TOKEN_CHARS)).is_ok());
    }
}
