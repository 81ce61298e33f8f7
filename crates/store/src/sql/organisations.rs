//! The installation's one organisation (row id 1), created on first start.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::Row;

use super::SqlStore;
use super::codec::{email, unique_conflict};
use crate::model::Organisation;
use crate::{Organisations, Result};

#[async_trait]
impl Organisations for SqlStore {
    async fn organisation(&self) -> Result<Option<Organisation>> {
        let row = sqlx::query("SELECT name, security_email FROM organisation WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Organisation {
                name: r.try_get("name")?,
                security_email: email(r.try_get("security_email")?)?,
            })
        })
        .transpose()
    }

    async fn init_organisation(&self, org: &Organisation) -> Result<()> {
        sqlx::query("INSERT INTO organisation (id, name, security_email, created_at) VALUES (1, $1, $2, $3)")
            .bind(&org.name)
            .bind(org.security_email.as_str())
            .bind(Timestamp::now().as_microsecond())
            .execute(&self.pool)
            .await
            .map_err(|e| unique_conflict(e, || "the organisation".into()))?;
        Ok(())
    }
}
