//! Members and their credentials: who a presented token (API token, session, setup
//! link) belongs to, signing in and out, setting a password with a one-time link.
//! Every credential is stored as a digest; the token itself is shown once.

use embargo_domain::access::Member;
use embargo_domain::ids::{Email, UserId};
use embargo_domain::token::{Token, TokenDigest};
use embargo_store::{CredentialKind, NewCredential, User};
use jiff::{SignedDuration, Timestamp};

use crate::App;
use crate::error::{Error, Result};
use crate::password;

/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A member signed in by a credential.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub member: Member,
    /// The session's CSRF token (sessions only).
    pub csrf: Option<String>,
}

/// A new session: the token for the cookie, shown once.
#[derive(Debug)]
pub struct NewSession {
    pub token: Token,
    pub max_age_secs: i64,
}

/// The person a setup link is for.
#[derive(Debug, Clone)]
pub struct LinkUser {
    pub name: String,
    pub email: Email,
}

fn member(u: User) -> Member {
    Member {
        id: u.id,
        email: u.email,
        name: u.name,
        org_team: u.org_team,
        projects: u.projects,
    }
}

impl App {
    /// The member a live credential of `kind` belongs to; `None` for an unknown,
    /// expired or revoked one, or a removed member.
    pub async fn signed_in(
        &self,
        digest: &TokenDigest,
        kind: CredentialKind,
    ) -> Result<Option<SignedIn>> {
        let Some(cred) = self
            .store()
            .credential(digest, kind, Timestamp::now())
            .await?
        else {
            return Ok(None);
        };
        Ok(self.store().user_by_id(cred.user).await?.map(|u| SignedIn {
            member: member(u),
            csrf: cred.csrf,
        }))
    }

    /// The member with this address, by the address as typed or lower-cased.
    pub async fn member_by_email(&self, address: &str) -> Result<Option<Member>> {
        let Ok(email) = Email::parse(address) else {
            return Ok(None);
        };
        let mut user = self.store().user_by_email(&email).await?;
        if user.is_none()
            && address != address.to_ascii_lowercase()
            && let Ok(lower) = Email::parse(&address.to_ascii_lowercase())
        {
            user = self.store().user_by_email(&lower).await?;
        }
        Ok(user.map(member))
    }

    /// Signs a member in with e-mail and password; `None` when either is wrong (the
    /// two are never told apart, and an unknown address costs as much time).
    pub async fn sign_in(&self, email: &str, pw: &str) -> Result<Option<NewSession>> {
        let user = match Email::parse(email) {
            Ok(email) => self.store().user_by_email(&email).await?,
            Err(_) => None,
        };
        let phc = user.as_ref().and_then(|u| u.password_hash.clone());
        let pw = pw.to_string();
        // Argon2 takes real CPU time and memory: off the async workers, and only so
        // many at once (busy beyond that: docs/operations.md#http).
        let ok = self
            .inner
            .hashing
            .run(move || match phc {
                Some(phc) => password::verify(&pw, &phc),
                None => {
                    password::verify_dummy(&pw);
                    false
                }
            })
            .await?;
        let Some(user) = user.filter(|_| ok) else {
            return Ok(None);
        };
        let token = Token::generate();
        self.store()
            .insert_credential(&NewCredential {
                digest: token.digest(),
                user: user.id,
                kind: CredentialKind::Session,
                csrf: Some(Token::generate().expose().to_string()),
                expires_at: Some(Timestamp::now() + SignedDuration::from_hours(SESSION_HOURS)),
                label: None,
            })
            .await?;
        Ok(Some(NewSession {
            token,
            max_age_secs: SESSION_HOURS * 3600,
        }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session: &TokenDigest) -> Result<()> {
        Ok(self.store().delete_credential(session).await?)
    }

    /// Whom a setup link is for; `NotFound` for an unknown, used or expired link.
    pub async fn setup_link(&self, presented: &str) -> Result<LinkUser> {
        let (_, user) = self.link_user(presented).await?;
        Ok(LinkUser {
            name: user.name,
            email: user.email,
        })
    }

    /// Sets the password with a one-time setup link, which dies with its first use.
    pub async fn set_password_with_link(
        &self,
        presented: &str,
        pw: &str,
        confirm: &str,
    ) -> Result<()> {
        let (token, user) = self.link_user(presented).await?;
        if pw != confirm {
            return Err(Error::invalid(
                "password_confirm",
                "the two passwords differ",
            ));
        }
        let pw = pw.to_string();
        let phc = self
            .inner
            .hashing
            .run(move || password::hash(&pw))
            .await?
            .map_err(password_error)?;
        self.store().set_password(user.id, &phc).await?;
        self.store().delete_credential(&token.digest()).await?;
        Ok(())
    }

    async fn link_user(&self, presented: &str) -> Result<(Token, User)> {
        let token = Token::from_presented(presented).ok_or(Error::NotFound)?;
        let cred = self
            .store()
            .credential(&token.digest(), CredentialKind::SetupLink, Timestamp::now())
            .await?
            .ok_or(Error::NotFound)?;
        let user = self
            .store()
            .user_by_id(cred.user)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((token, user))
    }

    /// The member with this id.
    pub async fn member(&self, id: UserId) -> Result<Option<Member>> {
        Ok(self.store().user_by_id(id).await?.map(member))
    }
}

/// Hashes a new password off the async workers; a too short or too long one is an
/// `Invalid` naming the field.
pub async fn hash_password(pw: &str) -> Result<String> {
    let pw = pw.to_string();
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(Error::internal)?
        .map_err(password_error)
}

/// A refused password names the field; a failed computation is internal.
fn password_error(e: password::PasswordError) -> Error {
    match e {
        password::PasswordError::Hash(m) => Error::Internal(m),
        other => Error::invalid(
            "password",
            other.to_string().trim_start_matches("password: "),
        ),
    }
}
