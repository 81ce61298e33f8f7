//! What every aggregate's queries share: turning columns into domain values and back
//! (times, ids, addresses), the associated data that binds each sealed value to its
//! row and column, Message-IDs of queued mail, lookup keys, and the mapping of a
//! unique-key violation to a typed [`StoreError`].
//!
//! A stored value that does not decode is [`StoreError::Corrupt`]: the store wrote it,
//! so a bad one means a damaged row or a wrong data key, never bad input.

use embargo_domain::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId};
use embargo_domain::report::ProjectRef;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use crate::{Result, StoreError};

// Associated data: which row and column a sealed value belongs to, so that a sealed
// value copied into another row or column does not open.
pub(crate) fn report_aad(id: &str) -> String {
    format!("report:{id}")
}
pub(crate) fn title_aad(id: &str) -> String {
    format!("report-title:{id}")
}
pub(crate) fn message_aad(report_id: &str) -> String {
    format!("message:{report_id}")
}
pub(crate) fn message_author_aad(report_id: &str) -> String {
    format!("message-author:{report_id}")
}
/// A report's audit line, named by what stays in clear beside it.
pub(crate) fn audit_aad(report_id: &str, action: &str, at: i64) -> String {
    format!("audit-detail:{report_id}:{action}:{at}")
}
pub(crate) fn outbox_subject_aad(message_id: &str) -> String {
    format!("outbox-subject:{message_id}")
}
pub(crate) fn outbox_to_aad(message_id: &str) -> String {
    format!("outbox-to:{message_id}")
}
pub(crate) fn outbox_cc_aad(message_id: &str) -> String {
    format!("outbox-cc:{message_id}")
}
pub(crate) fn outbox_body_aad(message_id: &str) -> String {
    format!("outbox-body:{message_id}")
}

/// A mail's Message-ID, fixed when it is queued so that a retried delivery is the same
/// mail to the recipient's server (and to threading).
pub(crate) fn new_message_id(domain: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    format!("<{}@{domain}>", hex::encode(bytes))
}

/// Addresses are stored (sealed) as one JSON array per column.
pub(crate) fn addresses_json(addresses: &[Email]) -> Result<String> {
    serde_json::to_string(addresses)
        .map_err(|e| StoreError::Corrupt(format!("addresses do not serialize: {e}")))
}

pub(crate) fn addresses(json: &str) -> Result<Vec<Email>> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("stored addresses do not parse: {e}")))
}

pub(crate) fn timestamp(micros: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| StoreError::Corrupt(format!("stored time {micros}: {e}")))
}

pub(crate) fn email(s: String) -> Result<Email> {
    Email::parse(&s).map_err(|e| StoreError::Corrupt(format!("stored address: {e}")))
}

pub(crate) fn optional_email(s: Option<String>) -> Result<Option<Email>> {
    s.map(email).transpose()
}

pub(crate) fn cve_id(s: &str) -> Result<CveId> {
    CveId::parse(s).map_err(|e| StoreError::Corrupt(format!("stored CVE id: {e}")))
}

pub(crate) fn report_id(s: &str) -> Result<ReportId> {
    ReportId::parse(s).map_err(|e| StoreError::Corrupt(format!("stored report id: {e}")))
}

pub(crate) fn slug(s: &str) -> Result<ProjectSlug> {
    ProjectSlug::parse(s).map_err(|e| StoreError::Corrupt(format!("stored project slug: {e}")))
}

/// The project of a row joined as `project_id, slug, name, trusted`.
pub(crate) fn project_ref(row: &AnyRow) -> Result<Option<ProjectRef>> {
    let Some(id) = row.try_get::<Option<i64>, _>("project_id")? else {
        return Ok(None);
    };
    Ok(Some(ProjectRef {
        id: ProjectId(id),
        slug: slug(&row.try_get::<String, _>("slug")?)?,
        name: row.try_get("name")?,
        trusted: row.try_get::<i64, _>("trusted")? != 0,
    }))
}

/// A unique-key violation means the caller collided with existing data: say so with
/// the error `collision` makes; anything else stays a database error.
pub(crate) fn on_unique_violation(
    e: sqlx::Error,
    collision: impl FnOnce() -> StoreError,
) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => collision(),
        _ => StoreError::Database(e),
    }
}

/// A unique-key violation as [`StoreError::Duplicate`]; `what` names what already
/// exists ("a user with the address ...").
pub(crate) fn unique_conflict(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    on_unique_violation(e, || StoreError::Duplicate(what()))
}

/// The one parameter of a lookup query: the same query shape serves lookups by id and
/// by a text key.
pub(crate) enum Key<'a> {
    Int(i64),
    Text(&'a str),
}

impl<'a> Key<'a> {
    pub(crate) fn bind_to<'q>(self, query: AnyQuery<'q>) -> AnyQuery<'q>
    where
        'a: 'q,
    {
        match self {
            Key::Int(v) => query.bind(v),
            Key::Text(v) => query.bind(v),
        }
    }
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;
