//! `embargo serve`: the web UI and API on the configured database (served within the
//! bounds of [`super::http_server`]), beside the mail tasks and the reminder pass
//! (deadlines and expiring statements, every 10 minutes).

use std::net::SocketAddr;

use anyhow::{Context, Result};
use embargo_web::{AppState, WebConfig};

use crate::cli::DataArgs;
use crate::config::Settings;
use crate::init::first_start;

pub async fn run(
    data: &DataArgs,
    listen: Option<SocketAddr>,
    smtp_listen: Option<SocketAddr>,
) -> Result<()> {
    let settings = Settings::load_with_smtp(data, listen, smtp_listen)?;
    // The first start creates the installation (crate::init); later ones open it.
    let store = settings.create_store().await?;
    tracing::info!(database = %settings.database_label(), "database ready");
    first_start(&store, &settings).await?;
    let app = crate::wiring::build(&settings, store, true)
        .await?
        .with_hashing_limit(settings.http.hashing);
    let mut mail_tasks = super::mail::start(&settings, &app).await?;
    mail_tasks.push(tokio::spawn(reminders(app.clone())));
    // Statistics: timelines of reports stored before they existed (docs/statistics.md).
    mail_tasks.push(tokio::spawn(app.clone().complete_statistics()));
    mail_tasks.push(tokio::spawn(index_for_search(app.clone())));
    mail_tasks.push(tokio::spawn(checkpoints(app.clone())));
    let state = AppState {
        app,
        config: WebConfig {
            rate_limits: settings.rate_limits,
            trusted_proxies: settings.http.trusted_proxies.clone(),
        },
    };
    // `/metrics` only with a token (docs/operations.md#running-it).
    let metrics_token = std::env::var("EMBARGO_METRICS_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    if let Some(token) = &metrics_token {
        embargo_web::metrics::check_token(token).map_err(anyhow::Error::msg)?;
    }
    let metrics_app = state.app.clone();
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    println!(
        "Embargo is listening on {} (public URL {})",
        listener.local_addr()?,
        settings.base_url
    );
    super::http_server::serve(
        listener,
        embargo_web::metrics::instrument(embargo_web::router(state), metrics_app, metrics_token),
        &settings.http,
        shutdown(),
    )
    .await;
    for task in mail_tasks {
        task.abort();
    }
    println!("Embargo stopped.");
    Ok(())
}

/// Ctrl-C or SIGTERM: finish the requests in flight, then stop.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// How often the reminder pass runs (at start, then on this period).
const REMINDER_PERIOD: std::time::Duration = std::time::Duration::from_secs(600);

/// Reminds teams of their reports' deadlines and escalates breaches
/// (docs/process.md#deadlines), and reminds them of expiring statements (docs/vex.md);
/// each nudge goes once whatever the number of passes or nodes.
async fn reminders(app: embargo_app::App) {
    loop {
        let now = jiff::Timestamp::now();
        match app.nudge_deadlines(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(nudges = n, "deadline reminders and escalations queued"),
            Err(e) => tracing::warn!(error = %e, "the deadline pass failed; it runs again later"),
        }
        match app.remind_expiring_statements(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "statement expiry reminders queued"),
            Err(e) => tracing::warn!(error = %e, "the reminder pass failed; it runs again later"),
        }
        tokio::time::sleep(REMINDER_PERIOD).await;
    }
}

/// Keeps SQLite's write-ahead log from growing through a burst of writes: a
/// checkpoint that truncates it every 30 s (nothing on PostgreSQL).
async fn checkpoints(app: embargo_app::App) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        if let Err(e) = app.checkpoint().await {
            tracing::warn!(error = %e, "the write-ahead log checkpoint failed; it runs again later");
        }
    }
}

/// Makes the reports stored before the search index existed searchable, in the
/// background and in batches (docs/search.md); a no-op once done.
async fn index_for_search(app: embargo_app::App) {
    match app.index_unindexed_reports().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reports = n, "reports indexed for search"),
        Err(e) => {
            tracing::warn!(error = %e, "indexing reports for search stopped; it resumes at the next start")
        }
    }
}
