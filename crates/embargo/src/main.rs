//! `embargo`: private vulnerability intake and coordinated disclosure, in one binary.

mod cli;
mod commands;
mod config;
mod init;
mod projects_file;
mod wiring;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if let Err(e) = init_logs() {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to standard error, filtered by `EMBARGO_LOG`; `EMBARGO_LOG_FORMAT=json` writes
/// one JSON object a line (for log collectors: journald, Loki, Elasticsearch) instead of
/// text for people (docs/operations.md#running-it).
fn init_logs() -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EMBARGO_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match std::env::var("EMBARGO_LOG_FORMAT")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("" | "text") => builder.init(),
        Some("json") => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        Some(other) => {
            return Err(format!(
                "EMBARGO_LOG_FORMAT must be `text` or `json`, not {other:?}"
            ));
        }
    }
    Ok(())
}
