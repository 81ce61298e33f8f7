//! The report lists (dashboard and API): filtered, in one of three orders (next
//! deadline, received, updated; [`ListOrder`]), and paged by **keyset**: a page starts
//! just after the last row of the one before ([`ListCursor`]), so page 10,000 costs
//! what the first does (an `OFFSET` reads and drops every row before it). Each order
//! has its index, per project and over all projects (migrations 0001 and 0017).
//!
//! A list over several projects (a member of two projects) reads each project's
//! slice from its own index, already in order, and merges them: an index that starts
//! with `project_id` serves one project at a time, so a single `project_id IN (…)`
//! query would sort every row of those projects.
//!
//! Counts (the dashboard's "overdue", "to acknowledge", "mine") are capped
//! ([`COUNT_CAP`]): a number past it tells a team nothing more, and an uncapped count
//! reads every matching index entry.

use super::SqlStore;
use crate::Result;
use crate::model::{COUNT_CAP, ListCursor, ListOrder, OwnerFilter, ReportFilter, ReportSummary};

const COLUMNS: &str = "r.id, r.project_id, p.slug, p.name, p.trusted, r.state, r.title_sealed, \
     r.received_at, r.next_due, r.due_key, r.cve_id, r.cve_sealed, r.triage_class, r.triage_status, \
     r.owner_id, u.email AS owner_email, u.name AS owner_name, r.updated_at";
/// The tables a list row is read from.
const FROM: &str =
    "reports r LEFT JOIN projects p ON p.id = r.project_id LEFT JOIN users u ON u.id = r.owner_id";

/// A value to bind, in placeholder order.
pub(super) enum Value {
    Int(i64),
    Text(String),
}

/// Numbered placeholders and their values, built together so they cannot disagree.
#[derive(Default)]
pub(super) struct Binds(Vec<Value>);

impl Binds {
    pub(super) fn int(&mut self, v: i64) -> String {
        self.0.push(Value::Int(v));
        format!("${}", self.0.len())
    }
    pub(super) fn text(&mut self, v: &str) -> String {
        self.0.push(Value::Text(v.to_string()));
        format!("${}", self.0.len())
    }
}

/// `ORDER BY` of an order, on the slice's columns (`r.`) or the merged rows'.
fn order_by(order: ListOrder, prefix: &str) -> String {
    match order {
        ListOrder::Deadline => format!("{prefix}due_key, {prefix}received_at DESC, {prefix}id"),
        ListOrder::Received => format!("{prefix}received_at DESC, {prefix}id"),
        ListOrder::Updated => format!("{prefix}updated_at DESC, {prefix}id"),
    }
}

impl SqlStore {
    /// `limit: 0` means no limit.
    pub(crate) async fn list(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        if filter.projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        // A search reads its candidates from the term index first (sql/search.rs).
        let search = self.search_plan(filter.search.as_ref()).await?;
        if search.finds_nothing() {
            return Ok(Vec::new());
        }
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::from(filter.limit)
        };
        // Each slice must hold what the merged page may take from it.
        let slice = limit.saturating_add(i64::from(filter.offset));
        let (inner, outer) = (order_by(filter.order, "r."), order_by(filter.order, ""));
        let mut binds = Binds::default();
        // One slice per project (or one over all) and per part of the cursor: each is
        // a range of one index, already in order; several are merged.
        let scopes: Vec<Option<String>> = match filter.projects.as_deref() {
            None => vec![None],
            // One member's reports are few: read from the owner's index in order and
            // kept if in the projects, rather than each project's whole slice filtered
            // by owner (a member owning nothing in two projects of 130,000 reports
            // took 110 ms that way).
            Some(ids) if matches!(filter.owner, Some(OwnerFilter::User(_))) => {
                let ids: Vec<String> = ids.iter().map(|p| binds.int(p.0)).collect();
                vec![Some(format!("r.project_id IN ({})", ids.join(", ")))]
            }
            Some(ids) => ids
                .iter()
                .map(|p| Some(format!("r.project_id = {}", binds.int(p.0))))
                .collect(),
        };
        let parts: Vec<Option<String>> = match &filter.after {
            None => vec![None],
            Some(cursor) => after(cursor, &mut binds).into_iter().map(Some).collect(),
        };
        let mut slices = Vec::new();
        for scope in &scopes {
            for part in &parts {
                let extra: Vec<&str> = [scope.as_deref(), part.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                let conditions = conditions(filter, &mut binds, &extra);
                slices.push(format!(
                    "SELECT {COLUMNS} FROM {} ORDER BY {inner}",
                    search.tables_where(&mut binds, FROM, &conditions)
                ));
            }
        }
        let sql = if let [only] = slices.as_slice() {
            format!(
                "{only} LIMIT {} OFFSET {}",
                binds.int(limit),
                binds.int(i64::from(filter.offset))
            )
        } else {
            let slices: Vec<String> = slices
                .iter()
                .enumerate()
                .map(|(i, s)| format!("SELECT * FROM ({s} LIMIT {}) AS s{i}", binds.int(slice)))
                .collect();
            format!(
                "SELECT * FROM ({}) AS merged ORDER BY {outer} LIMIT {} OFFSET {}",
                slices.join(" UNION ALL "),
                binds.int(limit),
                binds.int(i64::from(filter.offset))
            )
        };
        let rows = bound(&sql, binds).fetch_all(&self.pool).await?;
        rows.iter().map(|row| self.decode_summary(row)).collect()
    }

    /// How many reports match `filter` (its order, cursor and page ignored), counting
    /// no further than [`COUNT_CAP`].
    pub(crate) async fn count(&self, filter: &ReportFilter) -> Result<i64> {
        if filter.projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(0);
        }
        let filter = ReportFilter {
            after: None,
            ..filter.clone()
        };
        let mut binds = Binds::default();
        let project: Vec<String> = filter
            .projects
            .iter()
            .map(|ids| {
                let ids: Vec<String> = ids.iter().map(|p| binds.int(p.0)).collect();
                format!("r.project_id IN ({})", ids.join(", "))
            })
            .collect();
        let conditions = conditions(&filter, &mut binds, project.as_slice());
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM reports r WHERE {conditions} LIMIT {}) AS capped",
            binds.int(COUNT_CAP)
        );
        let row = bound(&sql, binds).fetch_one(&self.pool).await?;
        Ok(sqlx::Row::try_get(&row, "n")?)
    }
}

/// `sql` with `binds` bound in order.
fn bound(
    sql: &str,
    binds: Binds,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    let mut query = sqlx::query(sql);
    for v in binds.0 {
        query = match v {
            Value::Int(i) => query.bind(i),
            Value::Text(t) => query.bind(t),
        };
    }
    query
}

/// The WHERE conditions of one slice: the filter's and `extra` (its project, its part
/// of the cursor).
fn conditions<S: AsRef<str>>(filter: &ReportFilter, binds: &mut Binds, extra: &[S]) -> String {
    let mut c = vec!["1 = 1".to_string()];
    c.extend(extra.iter().map(|e| e.as_ref().to_string()));
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
    match filter.owner {
        Some(OwnerFilter::User(u)) => c.push(format!("r.owner_id = {}", binds.int(u.0))),
        Some(OwnerFilter::Nobody) => c.push("r.owner_id IS NULL".into()),
        None => {}
    }
    if let Some(t) = filter.received_from {
        c.push(format!(
            "r.received_at >= {}",
            binds.int(t.as_microsecond())
        ));
    }
    if let Some(t) = filter.received_before {
        c.push(format!("r.received_at < {}", binds.int(t.as_microsecond())));
    }
    match filter.cve_assigned {
        Some(true) => c.push("r.cve_id IS NOT NULL".into()),
        Some(false) => c.push("r.cve_id IS NULL".into()),
        None => {}
    }
    c.join(" AND ")
}

/// The rows after `cursor` in its order, as conditions each of which is one range of
/// the order's index (their slices are merged): a single `a > x OR (a = x AND …)`
/// would be a filter over every row before the cursor, as deep pages showed on
/// PostgreSQL.
fn after(cursor: &ListCursor, binds: &mut Binds) -> Vec<String> {
    let id = cursor.id.as_str();
    match cursor.order {
        // (due_key, received_at DESC, id): the rest of the cursor's deadline, then
        // every later deadline.
        ListOrder::Deadline => {
            let (d1, r1, r2, i) = (
                binds.int(cursor.key),
                binds.int(cursor.received_at),
                binds.int(cursor.received_at),
                binds.text(id),
            );
            let d2 = binds.int(cursor.key);
            vec![
                format!(
                    "r.due_key = {d1} AND r.received_at <= {r1} \
                     AND (r.received_at < {r2} OR r.id > {i})"
                ),
                format!("r.due_key > {d2}"),
            ]
        }
        // (column DESC, id): one range.
        ListOrder::Received | ListOrder::Updated => {
            let column = if cursor.order == ListOrder::Received {
                "r.received_at"
            } else {
                "r.updated_at"
            };
            let (k1, k2, i) = (binds.int(cursor.key), binds.int(cursor.key), binds.text(id));
            vec![format!(
                "{column} <= {k1} AND ({column} < {k2} OR r.id > {i})"
            )]
        }
    }
}
