//! First start: the organisation and its first administrator.

use anyhow::{Context, Result};
use embargo_domain::ids::Email;
use embargo_domain::ids::UserId;
use embargo_domain::token::Token;
use embargo_store::{CredentialKind, NewCredential, NewUser, Organisation, Store};

use crate::config::Settings;

/// How long a one-time setup link stays valid.
const SETUP_LINK_HOURS: i64 = 72;

/// Creates the organisation and the first admin when the database is new; a no-op after.
pub async fn ensure_initialised(store: &dyn Store, settings: &Settings) -> Result<()> {
    if store.organisation().await?.is_none() {
        store
            .init_organisation(&Organisation {
                name: settings.org_name.clone(),
                security_email: settings.org_security_email.clone(),
            })
            .await?;
        println!("Initialised the organisation {:?}.", settings.org_name);
    }
    if store.count_users().await? > 0 {
        return Ok(());
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
