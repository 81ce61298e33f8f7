//! The installation's administration, as `embargo projects|user|token|cve pool` do it:
//! projects from the projects file, members and their setup links, API tokens, and
//! the organisation's CVE pool, and the database's upkeep (the write-ahead log's
//! checkpoint). Credentials are stored as digests; a token or link is returned once,
//! to be shown once.

use embargo_domain::ids::{CveId, Email, UserId};
use embargo_domain::token::Token;
use embargo_store::{
    CredentialKind, NewCredential, NewUser, PoolStats, ProjectInput, UpsertOutcome,
};
use jiff::{SignedDuration, Timestamp};

use crate::App;
use crate::error::{Error, Result};

/// How long a setup link works.
pub const SETUP_LINK_HOURS: i64 = 72;

/// What importing one project did.
pub type ProjectImport = UpsertOutcome;

impl App {
    /// Moves SQLite's write-ahead log into the database and truncates it (nothing on
    /// PostgreSQL); `serve` runs it every 30 s.
    pub async fn checkpoint(&self) -> Result<()> {
        Ok(self.store().checkpoint().await?)
    }

    /// Creates or updates each project (idempotent); the caller checked the whole
    /// file before calling.
    pub async fn import_projects(&self, projects: &[ProjectInput]) -> Result<Vec<ProjectImport>> {
        let mut out = Vec::with_capacity(projects.len());
        for p in projects {
            out.push(self.store().upsert_project(p).await?);
        }
        Ok(out)
    }

    /// A new API token for the member with this address, shown once.
    pub async fn create_token(&self, email: &str, label: Option<String>) -> Result<Token> {
        let email = Email::parse(email)?;
        let user = self.store().user_by_email(&email).await?.ok_or_else(|| {
            Error::invalid(
                "email",
                format!("no user {email}; add them with `embargo user add` or a projects file"),
            )
        })?;
        let token = Token::generate();
        self.store()
            .insert_credential(&NewCredential {
                digest: token.digest(),
                user: user.id,
                kind: CredentialKind::ApiToken,
                csrf: None,
                expires_at: None,
                label,
            })
            .await?;
        Ok(token)
    }

    /// Adds a member (no password yet) and returns their setup link.
    pub async fn add_user(
        &self,
        email: &str,
        name: Option<&str>,
        org_team: bool,
    ) -> Result<String> {
        let email = Email::parse(email)?;
        if self.store().user_by_email(&email).await?.is_some() {
            return Err(Error::Conflict(format!(
                "{email} is already a user; use `embargo user setup-link --email {email}`"
            )));
        }
        let name = match name {
            Some(n) => embargo_domain::text::required_line("name", n)?,
            None => email.to_string(),
        };
        let id = self
            .store()
            .create_user(&NewUser {
                email,
                name,
                org_team,
                password_hash: None,
            })
            .await?;
        self.setup_link_for(id).await
    }

    /// A new one-time setup link for the member with this address.
    pub async fn setup_link_by_email(&self, email: &str) -> Result<String> {
        let email = Email::parse(email)?;
        let user = self
            .store()
            .user_by_email(&email)
            .await?
            .ok_or_else(|| Error::invalid("email", format!("no user {email}")))?;
        self.setup_link_for(user.id).await
    }

    /// A new one-time setup link for a member, valid for [`SETUP_LINK_HOURS`].
    pub async fn setup_link_for(&self, user: UserId) -> Result<String> {
        let token = Token::generate();
        self.store()
            .insert_credential(&NewCredential {
                digest: token.digest(),
                user,
                kind: CredentialKind::SetupLink,
                csrf: None,
                expires_at: Some(Timestamp::now() + SignedDuration::from_hours(SETUP_LINK_HOURS)),
                label: None,
            })
            .await?;
        Ok(format!(
            "{}/setup/{}",
            self.settings().base_url,
            token.expose()
        ))
    }

    /// Adds the ids of `ranges` (`CVE-2026-10000..CVE-2026-10099` or single ids) to the
    /// pool; returns how many were new, how many were named, and the pool afterwards.
    pub async fn add_to_pool(&self, ranges: &[String]) -> Result<(u64, u64, PoolStats)> {
        let mut all = Vec::new();
        for range in ranges {
            all.extend(CveId::parse_range(range)?);
        }
        let added = self.store().add_to_pool(&all).await?;
        Ok((added, all.len() as u64, self.store().pool_stats().await?))
    }

    /// The pool's counts and the id the next assignment takes.
    pub async fn pool_status(&self) -> Result<(PoolStats, Option<CveId>)> {
        Ok((
            self.store().pool_stats().await?,
            self.store().next_free_cve().await?,
        ))
    }
}
