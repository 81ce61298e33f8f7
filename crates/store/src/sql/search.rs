//! The search index's storage (docs/search.md): writing a report's term marks in the
//! transaction that changes it, indexing reports stored before the index existed, and
//! the part of a report list's query that keeps only the reports a search finds.
//!
//! `search_terms` holds one row per (mark, report), keyed by `(term, received_at,
//! report_id)`; `search_reports` holds each indexed report's marks, those of its own
//! fields apart from those of its thread and attachment names. A change rewrites only
//! the difference: the old and new mark sets are both known, so that nothing needs an
//! index by report and nothing is ever read back in clear.

use std::collections::BTreeSet;

use embargo_domain::lifecycle::Change;
use embargo_domain::report::{MessageKind, Report};
use embargo_domain::search::{self, MAX_TERMS_PER_REPORT, Query};
use sqlx::Row;

use super::codec::message_aad;
use super::listing::Binds;
use super::{SqlStore, Tx};
use crate::Result;
use crate::mailbox::attachment_name_aad;

/// The most reports of one term a search reads (the newest ones): a term in more
/// reports than this is searched among its newest [`SEARCH_CANDIDATES`] only, so that
/// no search reads an unbounded share of the index.
pub(crate) const SEARCH_CANDIDATES: i64 = 2_000;
/// Marks written or deleted per statement: well under either backend's limit on bound
/// values (the report's two columns are bound once per statement).
const ROWS_PER_STATEMENT: usize = 500;

/// The marks a report is indexed by, as `search_reports` keeps them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Indexed {
    fields: BTreeSet<i64>,
    thread: BTreeSet<i64>,
}

impl Indexed {
    fn all(&self) -> BTreeSet<i64> {
        self.fields.union(&self.thread).copied().collect()
    }
}

/// How a list's query finds its reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SearchPlan {
    /// No search: every report the other conditions keep.
    Everything,
    /// Some term is in no report: the list is empty without reading it.
    Nothing,
    /// Reports holding `rarest` (its newest [`SEARCH_CANDIDATES`]) and all of `others`;
    /// `lateral` on PostgreSQL (see [`SearchPlan::tables_where`]).
    Terms {
        rarest: i64,
        others: Vec<i64>,
        lateral: bool,
    },
}

impl SearchPlan {
    /// Whether the list is empty whatever else it asks.
    pub(super) fn finds_nothing(&self) -> bool {
        *self == SearchPlan::Nothing
    }

    /// `FROM … WHERE …` of a list's query over `from` (tables starting with `reports r`).
    /// A search reads its candidates first and joins each to its report by primary key.
    /// The planners must not choose otherwise: SQLite keeps a CROSS JOIN's order (else
    /// it may walk a project's whole index testing each report against the
    /// candidates), PostgreSQL runs a `LATERAL … OFFSET 0` subquery once per candidate
    /// (else it may hash or merge the candidates with every report). The other terms
    /// are scalar subqueries, a point lookup per candidate: PostgreSQL would turn an
    /// `EXISTS` into a join with every report of a common term.
    pub(super) fn tables_where(&self, binds: &mut Binds, from: &str, conditions: &str) -> String {
        let SearchPlan::Terms {
            rarest,
            others,
            lateral,
        } = self
        else {
            return format!("{from} WHERE {conditions}");
        };
        let rarest = binds.int(*rarest);
        let cap = binds.int(SEARCH_CANDIDATES);
        let holds_others: String = others
            .iter()
            .map(|m| {
                format!(
                    " AND (SELECT 1 FROM search_terms o WHERE o.term = {} \
                     AND o.received_at = c.received_at AND o.report_id = c.report_id) IS NOT NULL",
                    binds.int(*m)
                )
            })
            .collect();
        let tables = match from.strip_prefix("reports r") {
            Some(rest) if *lateral => format!(
                "LATERAL (SELECT * FROM reports WHERE id = hits.report_id OFFSET 0) AS r{rest}"
            ),
            _ => from.to_string(),
        };
        format!(
            "(SELECT c.report_id FROM (SELECT report_id, received_at FROM search_terms \
             WHERE term = {rarest} ORDER BY received_at DESC LIMIT {cap}) AS c \
             WHERE 1 = 1{holds_others}) AS hits CROSS JOIN {tables} \
             WHERE r.id = hits.report_id AND {conditions}"
        )
    }
}

impl SqlStore {
    /// How to find the reports `query` asks for: the rarest of its terms drives
    /// (counted no further than [`SEARCH_CANDIDATES`] each, one index range read per
    /// term), the others are point lookups.
    pub(super) async fn search_plan(&self, query: Option<&Query>) -> Result<SearchPlan> {
        let Some(query) = query else {
            return Ok(SearchPlan::Everything);
        };
        let marks = query.marks(self.sealer.search_key());
        let counts: Vec<String> = (0..marks.len())
            .map(|i| {
                format!(
                    "(SELECT COUNT(*) FROM (SELECT 1 AS one FROM search_terms WHERE term = ${} \
                     LIMIT {}) AS t{i}) AS c{i}",
                    i + 1,
                    SEARCH_CANDIDATES + 1
                )
            })
            .collect();
        let sql = format!("SELECT {}", counts.join(", "));
        let mut q = sqlx::query(&sql);
        for m in &marks {
            q = q.bind(*m);
        }
        let row = q.fetch_one(&self.pool).await?;
        let mut best: Option<(i64, usize)> = None;
        for i in 0..marks.len() {
            let n: i64 = row.try_get(i)?;
            if n == 0 {
                return Ok(SearchPlan::Nothing);
            }
            if best.is_none_or(|(b, _)| n < b) {
                best = Some((n, i));
            }
        }
        let Some((_, rarest)) = best else {
            return Ok(SearchPlan::Everything);
        };
        let others = marks
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != rarest)
            .map(|(_, m)| *m)
            .collect();
        Ok(SearchPlan::Terms {
            rarest: marks[rarest],
            others,
            lateral: self.backend == super::Backend::Postgres,
        })
    }

    /// Indexes a change in its transaction, after its messages are stored: the
    /// report's fields when they changed, and the change's new messages (not Embargo's
    /// own: see [`Self::thread_marks`]). A report not
    /// indexed yet (new, or stored before the index) is indexed whole.
    pub(crate) async fn index_change(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report = &change.report;
        let key = self.sealer.search_key();
        let fields = self.field_marks(report);
        let old = load_indexed(tx, report.id.as_str()).await?;
        let new = match &old {
            Some(old) => {
                let bodies = change
                    .messages
                    .iter()
                    .filter(|m| m.kind != MessageKind::System)
                    .map(|m| m.body.as_str());
                Indexed {
                    fields,
                    thread: grown(&old.thread, search::marks(key, bodies)),
                }
            }
            None => Indexed {
                fields,
                thread: self.thread_marks(tx, report.id.as_str()).await?,
            },
        };
        self.store_indexed(tx, report, old, new).await
    }

    /// Indexes the names of attachments just stored for `report` (mail intake).
    pub(crate) async fn index_attachment_names(
        &self,
        tx: &mut Tx,
        report: &str,
        names: &[&str],
    ) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let Some(old) = load_indexed(tx, report).await? else {
            // Not indexed yet: the backfill reads its attachments with the rest.
            return Ok(());
        };
        let received_at = received_at(tx, report).await?;
        let new = Indexed {
            fields: old.fields.clone(),
            thread: grown(
                &old.thread,
                search::marks(self.sealer.search_key(), names.iter().copied()),
            ),
        };
        write_difference(tx, report, received_at, Some(&old), &new).await
    }

    /// Indexes the next few reports stored before the index existed, in one
    /// transaction, and notes how far it got. Returns how many reports it looked at;
    /// 0 once every report is indexed (it then costs one small read).
    pub(crate) async fn backfill_search_batch(&self, batch: u32) -> Result<u64> {
        let state = sqlx::query("SELECT after_id, done FROM search_backfill WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(state) = state else { return Ok(0) };
        if state.try_get::<i64, _>("done")? != 0 {
            return Ok(0);
        }
        let after: String = state.try_get("after_id")?;
        let mut tx = self.begin_write().await?;
        let ids: Vec<String> =
            sqlx::query("SELECT r.id FROM reports r WHERE r.id > $1 ORDER BY r.id LIMIT $2")
                .bind(&after)
                .bind(i64::from(batch.max(1)))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<std::result::Result<_, _>>()?;
        for id in &ids {
            if load_indexed(&mut tx, id).await?.is_some() {
                continue;
            }
            let Some(report) = self.fetch_report("id", id).await? else {
                continue;
            };
            let new = Indexed {
                fields: self.field_marks(&report),
                thread: self.thread_marks(&mut tx, id).await?,
            };
            self.store_indexed(&mut tx, &report, None, new).await?;
        }
        let last = ids.last().cloned().unwrap_or(after);
        let done = i64::from(ids.len() < batch.max(1) as usize);
        sqlx::query("UPDATE search_backfill SET after_id = $1, done = $2 WHERE id = 1")
            .bind(&last)
            .bind(done)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// The marks of a report's own fields (which texts: `search::report_texts`).
    fn field_marks(&self, report: &Report) -> BTreeSet<i64> {
        let texts = search::report_texts(report);
        search::marks(self.sealer.search_key(), texts.iter().map(String::as_str))
            .into_iter()
            .collect()
    }

    /// The marks of a report's stored thread and attachment names, opened in the
    /// transaction (a report being indexed whole).
    async fn thread_marks(&self, tx: &mut Tx, report: &str) -> Result<BTreeSet<i64>> {
        let mut texts = Vec::new();
        let aad = message_aad(report);
        // Embargo's own messages (receipts, notices) are the same words on every
        // report: indexing them would find everything and cost a third of the index.
        for row in sqlx::query(
            "SELECT body_sealed FROM messages WHERE report_id = $1 AND kind <> 'system' ORDER BY id",
        )
            .bind(report)
            .fetch_all(&mut **tx)
            .await?
        {
            texts.push(
                self.sealer
                    .open_string(&aad, &row.try_get::<Vec<u8>, _>("body_sealed")?)?,
            );
        }
        for row in sqlx::query(
            "SELECT name_sealed, sha256 FROM mail_attachments WHERE report_id = $1 ORDER BY id",
        )
        .bind(report)
        .fetch_all(&mut **tx)
        .await?
        {
            let sha: String = row.try_get("sha256")?;
            texts.push(self.sealer.open_string(
                &attachment_name_aad(report, &sha),
                &row.try_get::<Vec<u8>, _>("name_sealed")?,
            )?);
        }
        Ok(
            search::marks(self.sealer.search_key(), texts.iter().map(String::as_str))
                .into_iter()
                .collect(),
        )
    }

    async fn store_indexed(
        &self,
        tx: &mut Tx,
        report: &Report,
        old: Option<Indexed>,
        mut new: Indexed,
    ) -> Result<()> {
        // The fields first: a report's own text is what it is found by above all.
        let room = MAX_TERMS_PER_REPORT.saturating_sub(new.fields.len());
        if new.thread.len() > room {
            new.thread = new.thread.iter().copied().take(room).collect();
        }
        let received_at = report.received_at.as_microsecond();
        write_difference(tx, report.id.as_str(), received_at, old.as_ref(), &new).await
    }
}

/// `old` with `added`, no larger than a report may be indexed by.
fn grown(old: &BTreeSet<i64>, added: Vec<i64>) -> BTreeSet<i64> {
    let mut out = old.clone();
    for m in added {
        if out.len() >= MAX_TERMS_PER_REPORT {
            break;
        }
        out.insert(m);
    }
    out
}

async fn load_indexed(tx: &mut Tx, report: &str) -> Result<Option<Indexed>> {
    let row =
        sqlx::query("SELECT field_marks, thread_marks FROM search_reports WHERE report_id = $1")
            .bind(report)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|row| {
        Ok(Indexed {
            fields: decode(&row.try_get::<Vec<u8>, _>("field_marks")?),
            thread: decode(&row.try_get::<Vec<u8>, _>("thread_marks")?),
        })
    })
    .transpose()
}

async fn received_at(tx: &mut Tx, report: &str) -> Result<i64> {
    Ok(sqlx::query("SELECT received_at FROM reports WHERE id = $1")
        .bind(report)
        .fetch_one(&mut **tx)
        .await?
        .try_get("received_at")?)
}

/// Writes the rows `new` has and `old` had not, deletes those `old` had and `new` has
/// not, and keeps `new` as the report's marks. Nothing is written when nothing changed
/// (a change that adds no message and leaves the fields as they were).
async fn write_difference(
    tx: &mut Tx,
    report: &str,
    received_at: i64,
    old: Option<&Indexed>,
    new: &Indexed,
) -> Result<()> {
    if old == Some(new) {
        return Ok(());
    }
    let before = old.map(Indexed::all).unwrap_or_default();
    let after = new.all();
    let gone: Vec<i64> = before.difference(&after).copied().collect();
    let added: Vec<i64> = after.difference(&before).copied().collect();
    for chunk in gone.chunks(ROWS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "DELETE FROM search_terms WHERE received_at = $1 AND report_id = $2 AND term IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(received_at).bind(report);
        for m in chunk {
            q = q.bind(*m);
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in added.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO search_terms (term, received_at, report_id) VALUES {} \
             ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(received_at).bind(report);
        for m in chunk {
            q = q.bind(*m);
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query(
        "INSERT INTO search_reports (report_id, field_marks, thread_marks) VALUES ($1, $2, $3) \
         ON CONFLICT (report_id) DO UPDATE SET field_marks = excluded.field_marks, \
         thread_marks = excluded.thread_marks",
    )
    .bind(report)
    .bind(encode(&new.fields))
    .bind(encode(&new.thread))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks as stored: 8 bytes each, big-endian, ascending.
fn encode(marks: &BTreeSet<i64>) -> Vec<u8> {
    marks.iter().flat_map(|m| m.to_be_bytes()).collect()
}

/// [`encode`]d marks read back (a trailing partial mark is ignored: it is only ever
/// written whole).
fn decode(bytes: &[u8]) -> BTreeSet<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_be_bytes(c.try_into().expect("chunks of 8")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_and_plans_write_their_sql() {
        let marks: BTreeSet<i64> = [-5, 0, 7, i64::MAX].into();
        assert_eq!(decode(&encode(&marks)), marks);
        let mut binds = Binds::default();
        let everything = SearchPlan::Everything.tables_where(&mut binds, "reports r", "1 = 1");
        assert_eq!(everything, "reports r WHERE 1 = 1");
        let plan = SearchPlan::Terms {
            rarest: 1,
            others: vec![2, 3],
            lateral: false,
        };
        let sql = plan.tables_where(&mut binds, "reports r", "r.closed = 0");
        assert!(
            sql.contains("WHERE term = $1 ORDER BY received_at DESC LIMIT $2"),
            "{sql}"
        );
        assert!(
            sql.contains("o.term = $3") && sql.contains("o.term = $4"),
            "{sql}"
        );
        assert!(
            sql.ends_with("WHERE r.id = hits.report_id AND r.closed = 0"),
            "{sql}"
        );
        assert!(sql.contains("CROSS JOIN reports r WHERE"), "{sql}");
        assert!(!plan.finds_nothing() && SearchPlan::Nothing.finds_nothing());
        let postgres = SearchPlan::Terms {
            rarest: 1,
            others: vec![],
            lateral: true,
        };
        let sql = postgres.tables_where(&mut Binds::default(), "reports r LEFT JOIN x", "1 = 1");
        assert!(
            sql.contains("CROSS JOIN LATERAL (SELECT * FROM reports WHERE id = hits.report_id OFFSET 0) AS r LEFT JOIN x"),
            "{sql}"
        );
        let full: BTreeSet<i64> = (0..MAX_TERMS_PER_REPORT as i64).collect();
        assert_eq!(grown(&full, vec![-1]).len(), MAX_TERMS_PER_REPORT);
    }
}
