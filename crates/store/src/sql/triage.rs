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

/// Reports one lookup takes per mark: the earliest that share it.
const PER_MARK: u32 = 4;
/// Most candidates one lookup returns, oldest first.
pub const MAX_DUPLICATE_CANDIDATES: u32 = 50;

impl SqlStore {
    /// Stores a new report's fingerprint and indexes its marks, in the report's
    /// transaction.
    pub(crate) async fn insert_marks(
        &self,
        tx: &mut Tx,
        report: &ReportId,
        received_at: i64,
        fingerprint: &Fingerprint,
    ) -> Result<()> {
        sqlx::query("INSERT INTO report_fingerprints (report_id, fingerprint) VALUES ($1, $2)")
            .bind(report.as_str())
            .bind(fingerprint.to_bytes())
            .execute(&mut **tx)
            .await?;
        let marks = fingerprint.marks();
        if marks.is_empty() {
            return Ok(());
        }
        // One statement for all of a report's marks (at most a few dozen).
        let rows: Vec<String> = (0..marks.len())
            .map(|i| format!("($1, $2, ${})", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO report_marks (received_at, report_id, mark) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(received_at).bind(report.as_str());
        for mark in marks {
            query = query.bind(mark);
        }
        query.execute(&mut **tx).await?;
        Ok(())
    }

    /// Reports sharing a mark with `marks`: among the earliest few of each mark, those
    /// in `project` (any project when `None`), still open or published (announced),
    /// oldest first so that a duplicate links to the first report made.
    pub(crate) async fn candidates(
        &self,
        project: Option<ProjectId>,
        marks: &[i64],
    ) -> Result<Vec<Candidate>> {
        if marks.is_empty() {
            return Ok(vec![]);
        }
        // The earliest few reports of each mark, each an index range read: the cost
        // does not grow with how many reports share a mark.
        let per_mark: Vec<String> = (0..marks.len())
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT report_id, received_at FROM report_marks \
                     WHERE mark = ${} ORDER BY received_at LIMIT {PER_MARK}) AS m{i}",
                    i + 1
                )
            })
            .collect();
        let project_clause = if project.is_some() {
            format!(" AND r.project_id = ${}", marks.len() + 1)
        } else {
            String::new()
        };
        let sql = format!(
            // From the candidates to their rows by primary key, in this order (SQLite's
            // CROSS JOIN keeps it; without it the planner may scan the project's
            // reports instead), reading only the report's first columns, not its
            // sealed content.
            "SELECT r.id, f.fingerprint FROM ({}) AS c CROSS JOIN reports r \
             CROSS JOIN report_fingerprints f \
             WHERE r.id = c.report_id AND f.report_id = r.id \
             AND (r.closed = 0 OR r.state = 'announced'){project_clause} \
             ORDER BY c.received_at, r.id LIMIT {MAX_DUPLICATE_CANDIDATES}",
            per_mark.join(" UNION ")
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
