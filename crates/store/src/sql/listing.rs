//! The report lists (dashboard and API): filtered, ordered by next deadline (soonest
//! first, none last), then newest, then id, and paged by **keyset**: a page starts
//! just after the last row of the one before ([`ListCursor`]), so page 10,000 costs
//! what the first does (an `OFFSET` reads and drops every row before it).
//!
//! A list over several projects (a member of two projects) reads each project's
//! slice from its own index, already in order, and merges them: the index on
//! `(project_id, closed, due_key, received_at)` serves one project at a time, so a
//! single `project_id IN (…)` query would sort every row of those projects.

use super::SqlStore;
use crate::Result;
use crate::model::{ListCursor, ReportFilter, ReportSummary};

const COLUMNS: &str = "r.id, r.project_id, p.slug, p.name, p.trusted, r.state, r.title_sealed, \
     r.received_at, r.next_due, r.due_key, r.cve_id, r.triage_class, r.triage_status";

/// A value to bind, in placeholder order.
enum Value {
    Int(i64),
    Text(String),
}

/// Numbered placeholders and their values, built together so they cannot disagree.
#[derive(Default)]
struct Binds(Vec<Value>);

impl Binds {
    fn int(&mut self, v: i64) -> String {
        self.0.push(Value::Int(v));
        format!("${}", self.0.len())
    }
    fn text(&mut self, v: &str) -> String {
        self.0.push(Value::Text(v.to_string()));
        format!("${}", self.0.len())
    }
}

impl SqlStore {
    /// `limit: 0` means no limit.
    pub(crate) async fn list(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        if filter.projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::from(filter.limit)
        };
        // Each slice must hold what the merged page may take from it.
        let slice = limit.saturating_add(i64::from(filter.offset));
        let mut binds = Binds::default();
        let sql = match filter.projects.as_deref() {
            Some([_, _, ..]) => {
                let slices: Vec<String> = filter
                    .projects
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, project)| {
                        let project = format!("r.project_id = {}", binds.int(project.0));
                        let conditions = conditions(filter, &mut binds, Some(&project));
                        format!(
                            "SELECT * FROM (SELECT {COLUMNS} FROM reports r LEFT JOIN projects p \
                             ON p.id = r.project_id WHERE {conditions} \
                             ORDER BY r.due_key, r.received_at DESC, r.id LIMIT {}) AS s{i}",
                            binds.int(slice)
                        )
                    })
                    .collect();
                format!(
                    "SELECT * FROM ({}) AS merged ORDER BY due_key, received_at DESC, id LIMIT {} OFFSET {}",
                    slices.join(" UNION ALL "),
                    binds.int(limit),
                    binds.int(i64::from(filter.offset))
                )
            }
            one => {
                let project = one
                    .and_then(|p| p.first())
                    .map(|p| format!("r.project_id = {}", binds.int(p.0)));
                let conditions = conditions(filter, &mut binds, project.as_deref());
                format!(
                    "SELECT {COLUMNS} FROM reports r LEFT JOIN projects p ON p.id = r.project_id \
                     WHERE {conditions} ORDER BY r.due_key, r.received_at DESC, r.id LIMIT {} OFFSET {}",
                    binds.int(limit),
                    binds.int(i64::from(filter.offset))
                )
            }
        };
        let mut query = sqlx::query(&sql);
        for v in binds.0 {
            query = match v {
                Value::Int(i) => query.bind(i),
                Value::Text(t) => query.bind(t),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(|row| self.decode_summary(row)).collect()
    }
}

/// The WHERE conditions of one slice: the filter's, the project's and the cursor's.
fn conditions(filter: &ReportFilter, binds: &mut Binds, project: Option<&str>) -> String {
    let mut c = vec!["1 = 1".to_string()];
    if let Some(p) = project {
        c.push(p.to_string());
    }
    if !filter.include_closed {
        c.push("r.closed = 0".into());
    }
    if let Some(state) = filter.state {
        c.push(format!("r.state = {}", binds.text(state.as_str())));
    }
    if let Some(class) = filter.triage {
        c.push(format!("r.triage_class = {}", binds.text(class.as_str())));
    }
    if let Some(t) = filter.due_before {
        // `due_key` is the next deadline, or the largest value for none.
        c.push(format!("r.due_key < {}", binds.int(t.as_microsecond())));
    }
    if let Some(ListCursor {
        due_key,
        received_at,
        id,
    }) = &filter.after
    {
        // After the cursor's row in (due_key, received_at DESC, id) order.
        let (d1, d2, r1, r2, i) = (
            binds.int(*due_key),
            binds.int(*due_key),
            binds.int(*received_at),
            binds.int(*received_at),
            binds.text(id.as_str()),
        );
        c.push(format!(
            "(r.due_key > {d1} OR (r.due_key = {d2} AND (r.received_at < {r1} \
             OR (r.received_at = {r2} AND r.id > {i}))))"
        ));
    }
    c.join(" AND ")
}
