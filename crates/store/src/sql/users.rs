//! Team members and their credentials: sessions, API tokens and setup links, each
//! stored only as a digest of the secret the holder has.

use async_trait::async_trait;
use embargo_domain::ids::{Email, ProjectId, UserId};
use embargo_domain::token::TokenDigest;
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::SqlStore;
use super::codec::{email, timestamp, unique_conflict};
use crate::model::{Credential, CredentialKind, NewCredential, NewUser, User};
use crate::{Result, StoreError, Users};

impl SqlStore {
    /// The user of a `users` row, with the projects whose team they are on.
    async fn fetch_user(&self, row: Option<AnyRow>) -> Result<Option<User>> {
        let Some(row) = row else { return Ok(None) };
        let id = UserId(row.try_get("id")?);
        let projects = sqlx::query(
            "SELECT project_id FROM project_members WHERE user_id = $1 ORDER BY project_id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(ProjectId(r.try_get("project_id")?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(User {
            id,
            email: email(row.try_get("email")?)?,
            name: row.try_get("name")?,
            org_team: row.try_get::<i64, _>("org_team")? != 0,
            password_hash: row.try_get("password_hash")?,
            projects,
        }))
    }
}

#[async_trait]
impl Users for SqlStore {
    async fn create_user(&self, user: &NewUser) -> Result<UserId> {
        let row = sqlx::query(
            "INSERT INTO users (email, name, org_team, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user.email.as_str())
        .bind(&user.name)
        .bind(i64::from(user.org_team))
        .bind(user.password_hash.as_deref())
        .bind(Timestamp::now().as_microsecond())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| unique_conflict(e, || format!("a user with the address {}", user.email)))?;
        Ok(UserId(row.try_get("id")?))
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, email, name, org_team, password_hash FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        self.fetch_user(row).await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let row =
            sqlx::query("SELECT id, email, name, org_team, password_hash FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        self.fetch_user(row).await
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> Result<()> {
        let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound(format!("user {}", id.0)));
        }
        Ok(())
    }

    async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn insert_credential(&self, c: &NewCredential) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (digest, user_id, kind, csrf, expires_at, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.digest.as_str())
        .bind(c.user.0)
        .bind(c.kind.as_str())
        .bind(c.csrf.as_deref())
        .bind(c.expires_at.map(|t| t.as_microsecond()))
        .bind(c.label.as_deref())
        .bind(Timestamp::now().as_microsecond())
        .execute(&self.pool)
        .await
        .map_err(|e| unique_conflict(e, || "this credential".into()))?;
        Ok(())
    }

    async fn credential(
        &self,
        digest: &TokenDigest,
        kind: CredentialKind,
        now: Timestamp,
    ) -> Result<Option<Credential>> {
        let row = sqlx::query(
            "SELECT user_id, csrf, expires_at FROM credentials \
             WHERE digest = $1 AND kind = $2 AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(digest.as_str())
        .bind(kind.as_str())
        .bind(now.as_microsecond())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Credential {
                user: UserId(r.try_get("user_id")?),
                csrf: r.try_get("csrf")?,
                expires_at: r
                    .try_get::<Option<i64>, _>("expires_at")?
                    .map(timestamp)
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn delete_credential(&self, digest: &TokenDigest) -> Result<()> {
        sqlx::query("DELETE FROM credentials WHERE digest = $1")
            .bind(digest.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
