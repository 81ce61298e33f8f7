//! The store's errors.
//!
//! A collision with stored data is typed by what the caller can do about it: retry
//! ([`StoreError::Stale`]), pick another CVE id ([`StoreError::CveTaken`]), or choose
//! another key ([`StoreError::Duplicate`]); callers decide by the variant, never by the
//! message. Each message is written for the person who made the change: the web shows
//! it as it is.

use embargo_domain::ids::CveId;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The report changed since the change was decided on it (its version moved on).
    /// Nothing was written; deciding again on what is stored now may succeed, so a
    /// caller may retry.
    #[error("the report changed since it was read; reload and try again")]
    Stale,
    /// The CVE id is not a free id of the organisation's pool: not in it, or assigned
    /// to a report already.
    #[error("{0} is not a free id of the pool; reload and try again")]
    CveTaken(CveId),
    /// A unique key is taken; the message names what already exists (e.g. "a user
    /// with the address a@example.org").
    #[error("{0} already exists")]
    Duplicate(String),
    /// Any other collision with stored state (a held mail released already, a merge
    /// of a report with itself); the message says which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// What the operation names does not exist; the message says what.
    #[error("not found: {0}")]
    NotFound(String),
    /// Stored data could not be read back (a wrong data key, a corrupted row).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration: {0}")]
    Config(String),
}
