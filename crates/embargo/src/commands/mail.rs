//! `embargo ingest-mail`, and the mail parts of `embargo serve`: the SMTP receiver and
//! the outbox worker. Both doors share `embargo_mail::Ingestor`. The door's bounds
//! (`[mail.limits]`, `EMBARGO_SMTP_*`, docs/operations.md "Mail") are read here.

use std::io::Read;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use embargo_app::App;
use embargo_mail::budget::{BudgetLimits, Rate};
use embargo_mail::outbound::{self, OutboundConfig};
use embargo_mail::parse::ParseLimits;
use embargo_mail::server::SmtpLimits;
use embargo_mail::smtp::Envelope;
use embargo_mail::{Ingestor, MailError};
use serde::Deserialize;

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
    Ok(ingestor(settings, &app))
}

/// The one intake path, within every configured bound.
fn ingestor(settings: &Settings, app: &App) -> Ingestor {
    Ingestor::new(app.clone(), crate::wiring::mail_limits(settings))
        .with_parse_limits(settings.mail.bounds.parse)
}

/// `[mail.limits]`: the bounds of the mail door; each overridden by its variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailLimitsSection {
    max_parts: Option<usize>,
    max_attachments: Option<usize>,
    smtp_max_sessions: Option<usize>,
    smtp_max_per_client: Option<usize>,
    smtp_session_seconds: Option<u64>,
    smtp_idle_seconds: Option<u64>,
    /// `BURST/SECONDS` (e.g. `30/10`: 30 at once, then one every 10 s) or `off`.
    budget_per_client: Option<String>,
    budget_per_sender: Option<String>,
}

/// The mail door's bounds, resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct MailBounds {
    pub smtp: SmtpLimits,
    pub parse: ParseLimits,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A positive count from `var` or the file, else `default`.
fn count(var: &str, file: Option<usize>, key: &str, default: usize) -> Result<usize> {
    let value = match env(var) {
        Some(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{var} must be a whole number, not {v:?}"))?,
        None => file.unwrap_or(default),
    };
    if value == 0 {
        bail!("{var} / mail.limits.{key} must be at least 1");
    }
    Ok(value)
}

/// A budget: `BURST/SECONDS` or `off`.
fn rate(var: &str, file: Option<&str>, key: &str, default: Option<Rate>) -> Result<Option<Rate>> {
    let Some(text) = env(var).or(file.map(str::to_string)) else {
        return Ok(default);
    };
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let parsed = text.split_once('/').and_then(|(burst, secs)| {
        let burst: u32 = burst.trim().parse().ok()?;
        let secs: u64 = secs.trim().parse().ok()?;
        (burst > 0 && secs > 0).then(|| Rate {
            burst,
            every: Duration::from_secs(secs),
        })
    });
    match parsed {
        Some(r) => Ok(Some(r)),
        None => bail!(
            "{var} / mail.limits.{key} must be BURST/SECONDS with both at least 1 (e.g. 30/10), or off; not {text:?}"
        ),
    }
}

impl MailLimitsSection {
    /// The bounds of the file, each overridden by its `EMBARGO_*` variable.
    pub fn resolve(&self) -> Result<MailBounds> {
        let d = MailBounds::default();
        let secs = |var, file: Option<u64>, key, default: Duration| -> Result<Duration> {
            let n = count(
                var,
                file.map(|s| s as usize),
                key,
                default.as_secs() as usize,
            )?;
            Ok(Duration::from_secs(n as u64))
        };
        Ok(MailBounds {
            parse: ParseLimits {
                max_parts: count(
                    "EMBARGO_MAIL_MAX_PARTS",
                    self.max_parts,
                    "max_parts",
                    d.parse.max_parts,
                )?,
                max_attachments: count(
                    "EMBARGO_MAIL_MAX_ATTACHMENTS",
                    self.max_attachments,
                    "max_attachments",
                    d.parse.max_attachments,
                )?,
            },
            smtp: SmtpLimits {
                max_sessions: count(
                    "EMBARGO_SMTP_MAX_SESSIONS",
                    self.smtp_max_sessions,
                    "smtp_max_sessions",
                    d.smtp.max_sessions,
                )?,
                max_per_client: count(
                    "EMBARGO_SMTP_MAX_PER_CLIENT",
                    self.smtp_max_per_client,
                    "smtp_max_per_client",
                    d.smtp.max_per_client,
                )?,
                session_limit: secs(
                    "EMBARGO_SMTP_SESSION_SECONDS",
                    self.smtp_session_seconds,
                    "smtp_session_seconds",
                    d.smtp.session_limit,
                )?,
                idle_timeout: secs(
                    "EMBARGO_SMTP_IDLE_SECONDS",
                    self.smtp_idle_seconds,
                    "smtp_idle_seconds",
                    d.smtp.idle_timeout,
                )?,
                budget: BudgetLimits {
                    per_client: rate(
                        "EMBARGO_SMTP_BUDGET_PER_CLIENT",
                        self.budget_per_client.as_deref(),
                        "budget_per_client",
                        d.smtp.budget.per_client,
                    )?,
                    per_sender: rate(
                        "EMBARGO_SMTP_BUDGET_PER_SENDER",
                        self.budget_per_sender.as_deref(),
                        "budget_per_sender",
                        d.smtp.budget.per_sender,
                    )?,
                },
            },
        })
    }
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
        let hostname = settings.mail.smtp_hostname.clone();
        tasks.push(tokio::spawn(embargo_mail::server::serve_with(
            listener,
            ingestor(settings, app).on_taken(count_taken),
            hostname,
            settings.mail.bounds.smtp,
            std::future::pending(),
        )));
    }
    if let Some((host, port)) = &settings.mail.relay {
        let from = outgoing_from(settings.mail.from.as_deref(), organisation)?;
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

/// The From of outgoing mail: `[mail] from` (`Name <address>` or an address; the name
/// needs no quotes), else "`<organisation> Security`" at the organisation's address. The
/// display name is any text: lettre quotes it as RFC 5322 needs, so an organisation
/// called "Example, Inc." or "Foo (Security)" is one name, not two addresses or a comment.
pub fn outgoing_from(
    configured: Option<&str>,
    organisation: &embargo_store::Organisation,
) -> Result<embargo_mail::outbound::Address> {
    if let Some(f) = configured {
        let sender = embargo_domain::announce::Sender::parse(f)
            .with_context(|| format!("EMBARGO_MAIL_FROM / [mail] from {f:?}"))?;
        return embargo_mail::outbound::sender_address(&sender)
            .with_context(|| format!("EMBARGO_MAIL_FROM / [mail] from {f:?}"));
    }
    let address = organisation
        .security_email
        .as_str()
        .parse()
        .with_context(|| {
            format!(
                "the organisation's security address {} is not one mail can be sent from",
                organisation.security_email
            )
        })?;
    let name = format!("{} Security", organisation.name.trim());
    Ok(embargo_mail::outbound::Address::new(Some(name), address))
}

/// A new report taken by the SMTP receiver counts in `/metrics` as mail intake, as
/// the web doors count theirs; replies, held and duplicate mail make no report.
fn count_taken(outcome: &embargo_mail::Outcome) {
    if matches!(outcome, embargo_mail::Outcome::NewReport(_)) {
        embargo_web::metrics::count_intake(embargo_web::metrics::Channel::Mail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A variable no test sets, so only the file's value counts.
    const UNSET: &str = "EMBARGO_TEST_UNSET_MAIL_LIMIT";

    #[test]
    fn names_with_commas_and_parentheses_are_one_quoted_display_name() {
        for name in ["Example, Inc.", "Foo (Security)", "Caf\u{e9} \"Noir\""] {
            let org = embargo_store::Organisation {
                name: name.into(),
                security_email: embargo_domain::ids::Email::parse("security@example.org").unwrap(),
            };
            let from = outgoing_from(None, &org).unwrap();
            // Written and read back by lettre's RFC 5322 parser: the same one name.
            let back: embargo_mail::outbound::Address = from.to_string().parse().unwrap();
            assert_eq!(
                back.name.as_deref(),
                Some(format!("{name} Security").as_str())
            );
            assert_eq!(back.email.to_string(), "security@example.org");
        }
        let configured = outgoing_from(
            Some("Example, Inc. PSIRT <psirt@example.org>"),
            &embargo_store::Organisation {
                name: "x".into(),
                security_email: embargo_domain::ids::Email::parse("security@example.org").unwrap(),
            },
        )
        .unwrap();
        assert_eq!(configured.name.as_deref(), Some("Example, Inc. PSIRT"));
        let err = format!(
            "{:#}",
            outgoing_from(
                Some("PSIRT <not an address>"),
                &embargo_store::Organisation {
                    name: "x".into(),
                    security_email: embargo_domain::ids::Email::parse("security@example.org")
                        .unwrap(),
                },
            )
            .unwrap_err()
        );
        assert!(err.contains("[mail] from"), "{err}");
    }

    #[test]
    fn budgets_are_burst_per_seconds_or_off() {
        let default = Some(Rate {
            burst: 1,
            every: Duration::from_secs(1),
        });
        assert_eq!(
            rate(UNSET, Some("30/10"), "k", None).unwrap(),
            Some(Rate {
                burst: 30,
                every: Duration::from_secs(10)
            })
        );
        assert_eq!(rate(UNSET, Some("OFF"), "k", default).unwrap(), None);
        assert_eq!(rate(UNSET, None, "k", default).unwrap(), default);
        for bad in ["30", "0/10", "30/0", "x/y", "-1/5"] {
            let e = rate(UNSET, Some(bad), "budget_per_client", default).unwrap_err();
            assert!(
                e.to_string()
                    .contains("mail.limits.budget_per_client must be BURST/SECONDS"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn counts_are_at_least_one() {
        assert_eq!(count(UNSET, Some(7), "max_parts", 500).unwrap(), 7);
        assert_eq!(count(UNSET, None, "max_parts", 500).unwrap(), 500);
        let e = count(UNSET, Some(0), "max_parts", 500).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{UNSET} / mail.limits.max_parts must be at least 1")
        );
        assert_eq!(
            MailLimitsSection::default().resolve().unwrap().parse,
            ParseLimits::default(),
            "nothing configured: the defaults"
        );
    }
}
