//! Advisories: what is public. A row is written only by an announcement, in the
//! transaction of the change that announces (see `reports`), and is never changed
//! afterwards; reading them is all the public pages do.

use async_trait::async_trait;
use embargo_domain::ids::{CveId, ProjectId};
use embargo_domain::lifecycle::Advisory;
use embargo_domain::record::Announcement;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::codec::{Key, cve_id, project_ref, report_id, timestamp, unique_conflict};
use super::{SqlStore, Tx};
use crate::model::PublishedAdvisory;
use crate::{Advisories, Result, StoreError};

/// Publishes `a` with its record.
pub(super) async fn insert_advisory(tx: &mut Tx, a: &Advisory) -> Result<()> {
    let record = serde_json::to_string(&a.record)
        .map_err(|e| StoreError::Corrupt(format!("record does not serialize: {e}")))?;
    sqlx::query(
        "INSERT INTO advisories (cve_id, report_id, project_id, title, announcement_subject, \
         announcement_body, published_at, cna_record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.cve.to_string())
    .bind(a.report.as_str())
    .bind(a.project.0)
    .bind(&a.title)
    .bind(&a.announcement.subject)
    .bind(&a.announcement.body)
    .bind(a.published_at.as_microsecond())
    .bind(record)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        // Both the CVE id and the report are unique: one advisory each.
        unique_conflict(e, || format!("an advisory of {} or of its report", a.cve))
    })?;
    Ok(())
}

fn decode_advisory(row: &AnyRow) -> Result<PublishedAdvisory> {
    // NULL only in a row no migration could fill (0008 moved every thin record over).
    let record: String = row
        .try_get::<Option<String>, _>("cna_record")?
        .ok_or_else(|| StoreError::Corrupt("advisory without a record".into()))?;
    let record = serde_json::from_str(&record)
        .map_err(|e| StoreError::Corrupt(format!("stored record does not parse: {e}")))?;
    let project = project_ref(row)?
        .ok_or_else(|| StoreError::Corrupt("advisory without a project".into()))?;
    Ok(PublishedAdvisory {
        advisory: Advisory {
            cve: cve_id(&row.try_get::<String, _>("cve_id")?)?,
            report: report_id(&row.try_get::<String, _>("report_id")?)?,
            project: project.id,
            title: row.try_get("title")?,
            announcement: Announcement {
                subject: row.try_get("announcement_subject")?,
                body: row.try_get("announcement_body")?,
            },
            record,
            published_at: timestamp(row.try_get("published_at")?)?,
        },
        project,
    })
}

impl SqlStore {
    /// Advisories matching `filter` (a `WHERE` clause with `$1` bound to `key`, or
    /// empty), newest first.
    async fn fetch_advisories(
        &self,
        filter: &str,
        key: Option<Key<'_>>,
    ) -> Result<Vec<PublishedAdvisory>> {
        let sql = format!(
            "SELECT a.cve_id, a.report_id, a.project_id, a.title, a.announcement_subject, \
             a.announcement_body, a.cna_record, a.published_at, p.slug, p.name, p.trusted \
             FROM advisories a JOIN projects p ON p.id = a.project_id {filter} \
             ORDER BY a.published_at DESC, a.cve_id DESC"
        );
        let mut query = sqlx::query(&sql);
        if let Some(key) = key {
            query = key.bind_to(query);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(decode_advisory).collect()
    }
}

#[async_trait]
impl Advisories for SqlStore {
    async fn advisories(&self, project: Option<ProjectId>) -> Result<Vec<PublishedAdvisory>> {
        match project {
            None => self.fetch_advisories("", None).await,
            Some(p) => {
                self.fetch_advisories("WHERE a.project_id = $1", Some(Key::Int(p.0)))
                    .await
            }
        }
    }

    async fn advisory(&self, cve: &CveId) -> Result<Option<PublishedAdvisory>> {
        let cve = cve.to_string();
        Ok(self
            .fetch_advisories("WHERE a.cve_id = $1", Some(Key::Text(&cve)))
            .await?
            .pop())
    }
}
