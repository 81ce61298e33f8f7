//! Settings: one TOML file, overridden by EMBARGO_* variables and options.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use embargo_domain::ids::Email;
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_formats::cve5::Cna;
use embargo_store::{Sealer, SqlStore, Usage};
use embargo_web::limit::{Rate, RateLimits};
use serde::Deserialize;
use std::time::Duration;

use crate::cli::DataArgs;

mod http;
pub use http::HttpSettings;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    base_url: Option<String>,
    database_url: Option<String>,
    #[serde(default)]
    organisation: OrgSection,
    #[serde(default)]
    cna: CnaSection,
    #[serde(default)]
    policy: PolicyOverrides,
    #[serde(default)]
    mail: MailSection,
    #[serde(default)]
    rate_limits: RateLimitSection,
    #[serde(default)]
    http: http::HttpSection,
}

/// `[rate_limits]`: per client address; a burst, then one request per interval.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitSection {
    /// `false` turns every limit off (e.g. behind a proxy that limits already).
    enabled: Option<bool>,
    intake_burst: Option<u32>,
    intake_every_seconds: Option<u64>,
    login_burst: Option<u32>,
    login_every_seconds: Option<u64>,
}

impl RateLimitSection {
    fn resolve(&self) -> Result<RateLimits> {
        if self.enabled == Some(false) || env("EMBARGO_RATE_LIMITS").as_deref() == Some("off") {
            return Ok(RateLimits::unlimited());
        }
        let d = RateLimits::default();
        let rate = |burst: Option<u32>,
                    every: Option<u64>,
                    default: Option<Rate>|
         -> Result<Option<Rate>> {
            let default = default.unwrap_or(Rate {
                burst: 1,
                every: Duration::from_secs(1),
            });
            let burst = burst.unwrap_or(default.burst);
            let every = every.map_or(default.every, Duration::from_secs);
            if burst == 0 || every.is_zero() {
                bail!("[rate_limits]: bursts and intervals must be at least 1");
            }
            Ok(Some(Rate { burst, every }))
        };
        Ok(RateLimits {
            intake: rate(self.intake_burst, self.intake_every_seconds, d.intake)?,
            login: rate(self.login_burst, self.login_every_seconds, d.login)?,
        })
    }
}

/// `[mail]`: the SMTP receiver and the outgoing relay (README, "E-mail"; docs/mail.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailSection {
    smtp_listen: Option<SocketAddr>,
    smtp_hostname: Option<String>,
    relay: Option<String>,
    from: Option<String>,
    max_message_bytes: Option<usize>,
    max_attachment_bytes: Option<usize>,
    retry_base_ms: Option<u64>,
    templates_dir: Option<PathBuf>,
    /// `[mail.limits]`: the mail door's bounds (docs/operations.md, "Mail").
    #[serde(default)]
    limits: crate::commands::mail::MailLimitsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgSection {
    name: Option<String>,
    security_email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CnaSection {
    short_name: Option<String>,
    org_id: Option<String>,
    vendor: Option<String>,
    /// The CVE Program's `CVE_Record_Format_bundled.json`, checked on every record save.
    record_schema: Option<PathBuf>,
}

/// Everything a command needs to know about this installation.
pub struct Settings {
    pub data_dir: PathBuf,
    database_url: Option<String>,
    pub listen: SocketAddr,
    pub base_url: String,
    pub org_name: String,
    pub org_security_email: Email,
    pub cna: Cna,
    /// Where the official CVE record schema is, when the site provides it.
    pub record_schema: Option<PathBuf>,
    pub default_policy: Policy,
    pub mail: MailSettings,
    pub rate_limits: RateLimits,
    /// The HTTP door's bounds (`[http]`).
    pub http: HttpSettings,
}

/// Mail settings: everything off unless configured.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Where the SMTP receiver listens; `None` leaves it off.
    pub smtp_listen: Option<SocketAddr>,
    /// The name the receiver greets with.
    pub smtp_hostname: String,
    /// The relay for outgoing mail, `host:port`; `None` leaves mail queued.
    pub relay: Option<(String, u16)>,
    /// The From of outgoing mail; the organisation's address when unset.
    pub from: Option<String>,
    pub max_message_bytes: usize,
    pub max_attachment_bytes: usize,
    /// The first retry's wait (doubling after each failure).
    pub retry_base: std::time::Duration,
    /// The site's mail templates (`<kind>.txt`, `<project>/<kind>.txt`); `None` keeps
    /// the built-in wording.
    pub templates_dir: Option<PathBuf>,
    /// Sessions, message structure and intake budget of the mail door.
    pub bounds: crate::commands::mail::MailBounds,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database_label())
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    pub fn load(data: &DataArgs, listen: Option<SocketAddr>) -> Result<Self> {
        Self::load_with_smtp(data, listen, None)
    }

    /// As [`Settings::load`], with the `--smtp-listen` option of `serve`.
    pub fn load_with_smtp(
        data: &DataArgs,
        listen: Option<SocketAddr>,
        smtp_listen: Option<SocketAddr>,
    ) -> Result<Self> {
        let file: FileConfig = match &data.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("reading the configuration file {}", path.display())
                })?;
                crate::projects_file::from_toml(&text).with_context(|| {
                    format!("the configuration file {} is not valid", path.display())
                })?
            }
            None => FileConfig::default(),
        };
        let listen = match listen.or(file.listen) {
            Some(l) => l,
            None => DEFAULT_LISTEN.parse()?,
        };
        let base_url = env("EMBARGO_BASE_URL")
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            bail!("EMBARGO_BASE_URL / base_url must be an http(s) URL, not {base_url:?}");
        }
        let org_security_email = env("EMBARGO_ORG_SECURITY_EMAIL")
            .or(file.organisation.security_email)
            .unwrap_or_else(|| "security@example.org".into());
        file.policy
            .validate()
            .context("the [policy] section of the configuration")?;
        Ok(Self {
            data_dir: data.data_dir.clone(),
            database_url: data.database_url.clone().or(file.database_url),
            listen,
            base_url,
            org_name: env("EMBARGO_ORG_NAME")
                .or(file.organisation.name)
                .unwrap_or_else(|| "Example Organisation".into()),
            org_security_email: Email::parse(&org_security_email)
                .context("EMBARGO_ORG_SECURITY_EMAIL / organisation.security_email")?,
            cna: Cna {
                short_name: env("EMBARGO_CNA_SHORT_NAME")
                    .or(file.cna.short_name)
                    .unwrap_or_else(|| "example".into()),
                // A placeholder UUID until the CNA's real one is configured.
                org_id: env("EMBARGO_CNA_ORG_ID")
                    .or(file.cna.org_id)
                    .unwrap_or_else(|| "00000000-0000-4000-8000-000000000000".into()),
                vendor: env("EMBARGO_CNA_VENDOR")
                    .or(file.cna.vendor)
                    .unwrap_or_else(|| "Example Organisation".into()),
            },
            record_schema: env("EMBARGO_CVE_SCHEMA")
                .map(PathBuf::from)
                .or(file.cna.record_schema.clone()),
            default_policy: file.policy.apply_to(&Policy::default()),
            rate_limits: file.rate_limits.resolve()?,
            http: file.http.resolve()?,
            mail: MailSettings {
                smtp_listen: match smtp_listen {
                    Some(l) => Some(l),
                    None => match env("EMBARGO_SMTP_LISTEN") {
                        Some(l) => {
                            Some(l.parse().context("EMBARGO_SMTP_LISTEN must be host:port")?)
                        }
                        None => file.mail.smtp_listen,
                    },
                },
                smtp_hostname: env("EMBARGO_SMTP_HOSTNAME")
                    .or(file.mail.smtp_hostname)
                    .unwrap_or_else(|| "embargo.localhost".into()),
                relay: match env("EMBARGO_SMTP_RELAY").or(file.mail.relay) {
                    Some(r) => Some(
                        host_port(&r)
                            .context("EMBARGO_SMTP_RELAY / mail.relay must be host:port")?,
                    ),
                    None => None,
                },
                from: env("EMBARGO_MAIL_FROM").or(file.mail.from),
                max_message_bytes: match env("EMBARGO_MAIL_MAX_BYTES") {
                    Some(v) => v
                        .parse()
                        .context("EMBARGO_MAIL_MAX_BYTES must be a number of bytes")?,
                    None => file
                        .mail
                        .max_message_bytes
                        .unwrap_or(embargo_mail::ingest::DEFAULT_MAX_MESSAGE_BYTES),
                },
                max_attachment_bytes: file
                    .mail
                    .max_attachment_bytes
                    .unwrap_or(embargo_mail::ingest::DEFAULT_MAX_ATTACHMENT_BYTES),
                retry_base: std::time::Duration::from_millis(
                    match env("EMBARGO_MAIL_RETRY_BASE_MS") {
                        Some(v) => v.parse().context(
                            "EMBARGO_MAIL_RETRY_BASE_MS must be a number of milliseconds",
                        )?,
                        None => file.mail.retry_base_ms.unwrap_or(30_000),
                    },
                ),
                templates_dir: env("EMBARGO_MAIL_TEMPLATES")
                    .map(PathBuf::from)
                    .or(file.mail.templates_dir),
                bounds: file.mail.limits.resolve()?,
            },
        })
    }

    /// The database as it may be logged: PostgreSQL URLs without their password.
    pub fn database_label(&self) -> String {
        match &self.database_url {
            Some(url) => redact(url),
            None => format!("SQLite at {}", self.sqlite_path().display()),
        }
    }

    fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("embargo.db")
    }

    /// Opens (and migrates) an existing installation's database for one command;
    /// refuses, creating nothing, when there is none (only `serve` and `init` create
    /// one, through [`Settings::create_store`]).
    pub async fn open_store(&self) -> Result<SqlStore> {
        crate::init::require_files(
            &self.data_dir,
            self.database_url.is_some(),
            env("EMBARGO_DATA_KEY").is_some(),
        )?;
        self.connect_store(Usage::Command).await
    }

    /// Opens (and migrates) the database for `serve` or `init`, creating the data
    /// directory and key as needed.
    pub async fn create_store(&self) -> Result<SqlStore> {
        self.connect_store(Usage::Server).await
    }

    async fn connect_store(&self, usage: Usage) -> Result<SqlStore> {
        create_private_dir(&self.data_dir)?;
        let sealer = match env("EMBARGO_DATA_KEY") {
            Some(hex) => Sealer::from_hex(&hex).context("EMBARGO_DATA_KEY")?,
            None => Sealer::load_or_create(&self.data_dir.join("data.key"))
                .with_context(|| format!("the data key in {}", self.data_dir.display()))?,
        };
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.sqlite_path().display()),
        };
        let store = SqlStore::connect_for(&url, sealer, usage)
            .await
            .with_context(|| format!("opening the database ({})", self.database_label()))?;
        self.with_mail(store)
    }

    /// Lifecycle mails worded by the site's templates (checked now: a broken template
    /// stops the start with its file and line), with Message-IDs in the sender's domain.
    fn with_mail(&self, store: SqlStore) -> Result<SqlStore> {
        let templates = match &self.mail.templates_dir {
            Some(dir) => {
                embargo_mail::templates::Templates::load(dir, &self.org_name).map_err(|errors| {
                    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    anyhow::anyhow!("mail templates refused:\n{}", lines.join("\n"))
                })?
            }
            None => embargo_mail::templates::Templates::builtin(&self.org_name),
        };
        let from = self
            .mail
            .from
            .clone()
            .unwrap_or_else(|| self.org_security_email.to_string());
        let domain = from
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .trim_end_matches(['>', ' '])
            .to_string();
        Ok(store
            .with_mail_renderer(std::sync::Arc::new(templates))
            .with_mail_domain(&domain))
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {} to its owner", dir.display()))?;
    }
    Ok(())
}

/// `host:port` (the port is required: a relay on the wrong port fails silently).
fn host_port(s: &str) -> Result<(String, u16)> {
    let (host, port) = s.trim().rsplit_once(':').context("no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("no host");
    }
    Ok((
        host.to_string(),
        port.parse().context("the port is not a number")?,
    ))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, and
/// `?password=secret` → `?password=***` (the store's rule, [`embargo_store::redact_url`]).
pub fn redact(url: &str) -> String {
    embargo_store::redact_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embargo.toml");
        std::fs::write(&path, text).unwrap();
        let data = DataArgs {
            data_dir: dir.path().join("data"),
            database_url: None,
            config: Some(path),
        };
        Settings::load(&data, None)
    }

    #[test]
    fn the_organisation_sets_where_announcements_go_by_default() {
        let s = load(
            "[policy]\nannounce_to = [\"security_list\", \"reporter\", \"oss-security@lists.openwall.com\"]\n\
             announce_from = \"Example, Inc. PSIRT <psirt@example.org>\"\n",
        )
        .unwrap();
        let to: Vec<String> = s
            .default_policy
            .announce_to
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            to,
            [
                "security_list",
                "reporter",
                "oss-security@lists.openwall.com"
            ]
        );
        let from = s.default_policy.announce_from.unwrap();
        assert_eq!(
            (from.name.as_str(), from.address.as_str()),
            ("Example, Inc. PSIRT", "psirt@example.org")
        );
        // Without it: the security list, the reporter and the organisation, as before.
        assert_eq!(
            load("").unwrap().default_policy.announce_to,
            embargo_domain::announce::Destination::defaults()
        );
        let err = format!(
            "{:#}",
            load("[policy]\nannounce_to = [\"everyone\"]\n").unwrap_err()
        );
        assert!(
            err.contains("announce_to") && err.contains("everyone"),
            "{err}"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://emb:s3cr3t@db:5432/embargo"),
            "postgres://emb:***@db:5432/embargo"
        );
        assert_eq!(redact("postgres://db/embargo"), "postgres://db/embargo");
        assert_eq!(
            redact("postgres://db/embargo?user=emb&password=s3cr3t"),
            "postgres://db/embargo?user=emb&password=***"
        );
    }
}
