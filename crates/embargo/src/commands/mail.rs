//! `embargo ingest-mail`, and the mail parts of `embargo serve`: the SMTP receiver and
//! the outbox worker. Both doors share `embargo_mail::Ingestor`.

use std::io::Read;

use anyhow::{Context, Result};
use embargo_app::App;
use embargo_mail::outbound::{self, OutboundConfig};
use embargo_mail::smtp::Envelope;
use embargo_mail::{Ingestor, MailError};

use crate::cli::DataArgs;
use crate::config::Settings;

/// sysexits EX_DATAERR: the message will never be taken.
const EX_DATAERR: i32 = 65;
/// sysexits EX_TEMPFAIL: the MTA should keep the message and try again.
const EX_TEMPFAIL: i32 = 75;

/// Reads one message on stdin and takes it. Exits the process with 65 or 75 when the
/// message is not taken, so that the MTA bounces it or keeps it for a retry; returns
/// (exit 0) only once it is committed.
pub async fn ingest(
    data: &DataArgs,
    recipients: Vec<String>,
    sender: Option<String>,
) -> Result<()> {
    let settings = match Settings::load(data, None) {
        Ok(s) => s,
        Err(e) => fail(EX_TEMPFAIL, &format!("{e:#}")),
    };
    let limit = settings.mail.max_message_bytes;
    let mut raw = Vec::new();
    // One byte past the limit is enough to know it is too large.
    if let Err(e) = std::io::stdin()
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut raw)
    {
        fail(EX_TEMPFAIL, &format!("reading the message: {e}"));
    }
    if raw.len() > limit {
        fail(
            EX_DATAERR,
            &MailError::TooLarge {
                size: raw.len(),
                limit,
            }
            .to_string(),
        );
    }
    let ingestor = match open_ingestor(&settings).await {
        Ok(i) => i,
        Err(e) => fail(EX_TEMPFAIL, &format!("{e:#}")),
    };
    let envelope = (!recipients.is_empty() || sender.is_some()).then(|| Envelope {
        mail_from: sender
            .map(|s| {
                s.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .unwrap_or_else(|| "unknown".into()),
        recipients,
    });
    match ingestor.ingest(&raw, envelope.as_ref()).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "mail taken");
            Ok(())
        }
        Err(e) => fail(i32::from(e.exit_code()), &e.to_string()),
    }
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("embargo ingest-mail: {message}");
    std::process::exit(code)
}

async fn open_ingestor(settings: &Settings) -> Result<Ingestor> {
    let app = crate::wiring::open_app(settings, false).await?;
    Ok(Ingestor::new(app, crate::wiring::mail_limits(settings)))
}

/// Starts the SMTP receiver (when configured) and the outbox worker (when a relay is
/// configured) beside the web server; they stop with the returned handles.
pub async fn start(settings: &Settings, app: &App) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let organisation = &app.settings().organisation;
    let mut tasks = Vec::new();
    if let Some(addr) = settings.mail.smtp_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("SMTP listening on {addr}"))?;
        println!("SMTP receiver listening on {}", listener.local_addr()?);
        let ingestor = Ingestor::new(app.clone(), crate::wiring::mail_limits(settings));
        let hostname = settings.mail.smtp_hostname.clone();
        tasks.push(tokio::spawn(embargo_mail::server::serve(
            listener,
            ingestor,
            hostname,
            std::future::pending(),
        )));
    }
    if let Some((host, port)) = &settings.mail.relay {
        let from = match &settings.mail.from {
            Some(f) => f
                .parse()
                .with_context(|| format!("EMBARGO_MAIL_FROM {f:?} is not an address"))?,
            None => format!(
                "{} Security <{}>",
                organisation.name.replace(['<', '>', '"'], ""),
                organisation.security_email
            )
            .parse()
            .context("the organisation's security address")?,
        };
        let mut config = OutboundConfig::new(host.clone(), *port, from);
        config.retry_base = settings.mail.retry_base;
        println!("Outgoing mail goes to the relay {host}:{port}");
        tasks.push(tokio::spawn(outbound::run(
            app.clone(),
            config,
            std::future::pending(),
        )));
    } else {
        println!("No mail relay configured (EMBARGO_SMTP_RELAY): outgoing mail stays queued.");
    }
    Ok(tasks)
}
