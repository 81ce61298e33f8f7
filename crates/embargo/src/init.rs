//! Installations: what makes one (the data key, the database, the organisation and its
//! first administrator), who may create it, and the refusal every other command gives
//! when there is none.
//!
//! Only `embargo serve` (its first start) and `embargo init` create an installation. An
//! administrative command pointed at the wrong directory or database must not quietly
//! make a second organisation with its own key and administrator: it fails, creating
//! nothing, and says where it looked.

use std::path::Path;

use anyhow::{Context, Result};
use embargo_domain::ids::Email;
use embargo_domain::ids::UserId;
use embargo_domain::token::Token;
use embargo_store::{CredentialKind, NewCredential, NewUser, Organisation, Store};

use crate::config::Settings;

/// How long a one-time setup link stays valid.
const SETUP_LINK_HOURS: i64 = 72;

/// The data key's file name in the data directory.
pub const KEY_FILE: &str = "data.key";

/// The embedded database's file name in the data directory.
pub const SQLITE_FILE: &str = "embargo.db";

/// Where the installation was looked for, as the refusal names it.
fn not_installed(place: &str, missing: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "no Embargo installation at {place} ({missing}) — run `embargo init` or \
         `embargo serve` first, or point --data-dir / EMBARGO_DATA_DIR / --database-url \
         at the existing installation"
    )
}

/// Refuses, before anything is created, when the files an installation keeps in
/// `data_dir` are missing: the data key (unless `EMBARGO_DATA_KEY` gives it) and, for
/// the embedded database, `embargo.db`. `external_db`: a `--database-url` is in use.
pub fn require_files(data_dir: &Path, external_db: bool, key_from_env: bool) -> Result<()> {
    let place = data_dir.display().to_string();
    if !key_from_env && !data_dir.join(KEY_FILE).is_file() {
        return Err(not_installed(&place, "no data key `data.key`"));
    }
    if !external_db && !data_dir.join(SQLITE_FILE).is_file() {
        return Err(not_installed(&place, "no database `embargo.db`"));
    }
    Ok(())
}

/// Refuses when the database holds no installation (an empty database, e.g. a new
/// PostgreSQL database or an empty `embargo.db`).
pub async fn ensure_initialised(store: &dyn Store, settings: &Settings) -> Result<()> {
    if store.organisation().await?.is_none() {
        return Err(not_installed(
            &settings.database_label(),
            "the database holds no organisation",
        ));
    }
    Ok(())
}

/// What [`first_start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstStart {
    /// The organisation or its first administrator was created now.
    Created,
    /// Both existed already; nothing changed.
    Existing,
}

/// Creates the organisation and the first admin when the database is new; a no-op
/// after. Only `serve` and `init` call it.
pub async fn first_start(store: &dyn Store, settings: &Settings) -> Result<FirstStart> {
    let mut outcome = FirstStart::Existing;
    if store.organisation().await?.is_none() {
        store
            .init_organisation(&Organisation {
                name: settings.org_name.clone(),
                security_email: settings.org_security_email.clone(),
            })
            .await?;
        println!("Initialised the organisation {:?}.", settings.org_name);
        outcome = FirstStart::Created;
    }
    if store.count_users().await? > 0 {
        return Ok(outcome);
    }
    let email = std::env::var("EMBARGO_ADMIN_EMAIL").unwrap_or_else(|_| "admin@example.org".into());
    let email = Email::parse(&email).context("EMBARGO_ADMIN_EMAIL")?;
    let password_hash = match std::env::var("EMBARGO_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        Some(pw) => Some(embargo_app::password::hash(&pw).context("EMBARGO_ADMIN_PASSWORD")?),
        None => None,
    };
    let has_password = password_hash.is_some();
    let id = store
        .create_user(&NewUser {
            email: email.clone(),
            name: "Administrator".into(),
            org_team: true,
            password_hash,
        })
        .await?;
    if has_password {
        println!(
            "Created the first administrator {email}; log in at {}/login",
            settings.base_url
        );
    } else {
        let link = setup_link(store, id, settings).await?;
        println!(
            "Created the first administrator {email}. Set their password (link valid {SETUP_LINK_HOURS} h):\n{link}"
        );
    }
    Ok(FirstStart::Created)
}

/// `embargo init`: creates the installation `serve` would create on its first start
/// (data directory, key, database, organisation, first administrator) and stops; on an
/// existing installation it changes nothing and says so.
pub async fn run(settings: &Settings) -> Result<()> {
    let store = settings.create_store().await?;
    match first_start(&store, settings).await? {
        FirstStart::Created => println!(
            "Embargo is installed ({}); start it with `embargo serve`.",
            settings.database_label()
        ),
        FirstStart::Existing => println!(
            "An Embargo installation already exists ({}); nothing changed.",
            settings.database_label()
        ),
    }
    Ok(())
}

/// A fresh one-time link for a user to set their password.
pub async fn setup_link(store: &dyn Store, user: UserId, settings: &Settings) -> Result<String> {
    let token = Token::generate();
    store
        .insert_credential(&NewCredential {
            digest: token.digest(),
            user,
            kind: CredentialKind::SetupLink,
            csrf: None,
            expires_at: Some(
                jiff::Timestamp::now() + jiff::SignedDuration::from_hours(SETUP_LINK_HOURS),
            ),
            label: None,
        })
        .await?;
    Ok(format!("{}/setup/{}", settings.base_url, token.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_directory_is_no_installation_and_stays_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("nothing-here");
        let err = require_files(&missing, false, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no Embargo installation at"), "{err}");
        assert!(err.contains("embargo init"), "{err}");
        assert!(!missing.exists(), "the check must create nothing");
        let err = require_files(dir.path(), true, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no data key"), "{err}");
    }

    #[test]
    fn the_key_from_the_environment_and_an_external_database_need_no_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        require_files(dir.path(), true, true).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join(KEY_FILE), b"x").unwrap_or_else(|e| panic!("{e}"));
        let err = require_files(dir.path(), false, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no database `embargo.db`"), "{err}");
        std::fs::write(dir.path().join(SQLITE_FILE), b"").unwrap_or_else(|e| panic!("{e}"));
        require_files(dir.path(), false, false).unwrap_or_else(|e| panic!("{e}"));
    }
}
