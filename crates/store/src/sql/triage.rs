//! Triage's storage: a new report's duplicate fingerprint and its index marks, and the
//! lookup of the reports a new one may repeat. Fingerprints and marks are keyed hashes
//! (`embargo_domain::triage::duplicate`); the class and status of a suggestion are
//! columns of the report row, written with it (`reports.rs`).

use embargo_domain::ids::{ProjectId, ReportId};
use embargo_domain::triage::duplicate::{Candidate, Fingerprint};
use sqlx::Row;

use super::codec::report_id;
use super::{SqlStore, Tx};
use crate::Result;

/// Most candidates one lookup returns: those sharing the most marks, oldest first.
pub const MAX_DUPLICATE_CANDIDATES: u32 = 50;

impl SqlStore {
    /// Stores a new report's fingerprint and its marks, in the report's transaction.
    pub(crate) async fn insert_fingerprint(
        &self,
        tx: &mut Tx,
        report: &ReportId,
        fingerprint: &Fingerprint,
    ) -> Result<()> {
        sqlx::query("UPDATE reports SET fingerprint = $1 WHERE id = $2")
            .bind(fingerprint.to_bytes())
            .bind(report.as_str())
            .execute(&mut **tx)
            .await?;
        for mark in fingerprint.marks() {
            sqlx::query("INSERT INTO report_marks (mark, report_id) VALUES ($1, $2)")
                .bind(mark)
                .bind(report.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Reports sharing a mark with `marks`: in `project` (any project when `None`),
    /// still open or published (announced), oldest first so that a duplicate links to
    /// the first report made.
    pub(crate) async fn candidates(
        &self,
        project: Option<ProjectId>,
        marks: &[i64],
    ) -> Result<Vec<Candidate>> {
        if marks.is_empty() {
            return Ok(vec![]);
        }
        let placeholders: Vec<String> = (0..marks.len()).map(|i| format!("${}", i + 1)).collect();
        let project_clause = if project.is_some() {
            format!(" AND r.project_id = ${}", marks.len() + 1)
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT r.id, r.fingerprint FROM reports r WHERE r.id IN \
             (SELECT m.report_id FROM report_marks m WHERE m.mark IN ({})) \
             AND r.fingerprint IS NOT NULL AND (r.closed = 0 OR r.state = 'announced'){project_clause} \
             ORDER BY r.received_at, r.id LIMIT {MAX_DUPLICATE_CANDIDATES}",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for m in marks {
            query = query.bind(*m);
        }
        if let Some(p) = project {
            query = query.bind(p.0);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            let bytes: Vec<u8> = row.try_get("fingerprint")?;
            // A fingerprint of a format this build does not read only costs a missed
            // duplicate, never the new report.
            if let Some(fingerprint) = Fingerprint::from_bytes(&bytes) {
                out.push(Candidate {
                    id: report_id(&id)?,
                    fingerprint,
                });
            }
        }
        Ok(out)
    }
}
