//! Settings: one TOML file, overridden by EMBARGO_* variables and options.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use embargo_domain::ids::Email;
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_formats::cve5::Cna;
use embargo_store::{Sealer, SqlStore};
use serde::Deserialize;

use crate::cli::DataArgs;

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
    pub default_policy: Policy,
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
        let file: FileConfig = match &data.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the configuration file {}", path.display()))?;
                crate::projects_file::from_toml(&text)
                    .with_context(|| format!("the configuration file {} is not valid", path.display()))?
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
        file.policy.validate().context("the [policy] section of the configuration")?;
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
            default_policy: file.policy.apply_to(&Policy::default()),
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

    /// Opens (and migrates) the database, creating the data directory and key as needed.
    pub async fn open_store(&self) -> Result<SqlStore> {
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
        SqlStore::connect(&url, sealer)
            .await
            .with_context(|| format!("opening the database ({})", self.database_label()))
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

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://emb:s3cr3t@db:5432/embargo"), "postgres://emb:***@db:5432/embargo");
        assert_eq!(redact("postgres://db/embargo"), "postgres://db/embargo");
    }
}
