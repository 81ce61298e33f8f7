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
    /// One failure shared by several callers: a group commit's transaction failed, and
    /// every intake it held gets the same error.
    #[error(transparent)]
    Shared(std::sync::Arc<StoreError>),
}

impl StoreError {
    /// Whether trying again shortly may succeed: the database is busy (SQLite's write
    /// lock held past the busy timeout, PostgreSQL's lock, serialization or deadlock
    /// refusals, too many connections), the pool had no free connection in time, or
    /// the connection to it failed. The doors answer "busy, try again" (HTTP 503 with
    /// `Retry-After`, SMTP 451) rather than an internal error.
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Database(e) => sqlx_is_busy(e),
            Self::Shared(e) => e.is_busy(),
            _ => false,
        }
    }
}

fn sqlx_is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| busy_code(&c)),
        _ => false,
    }
}

/// SQLite result codes are numbers (extended codes keep the primary one in their low
/// byte: SQLITE_BUSY 5, SQLITE_LOCKED 6) of at most four digits; PostgreSQL's
/// SQLSTATEs are five characters.
fn busy_code(code: &str) -> bool {
    if code.len() == 5 {
        // Class 08 connection exception, 40 transaction rollback (serialization failure,
        // deadlock), 53 insufficient resources (too many connections), 55P03 lock not
        // available, 57P0x the server shutting down or starting.
        return code.starts_with("08")
            || code.starts_with("40")
            || code.starts_with("53")
            || code == "55P03"
            || code.starts_with("57P0");
    }
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_and_locked_are_told_from_other_failures() {
        for code in [
            "5", "6", "261", "517", "262", "40001", "40P01", "53300", "55P03", "57P03", "08006",
        ] {
            assert!(busy_code(code), "{code}");
        }
        // Constraint violations and syntax errors are bugs or conflicts, not busyness.
        for code in ["19", "1555", "2067", "1", "23505", "42601", "22P02"] {
            assert!(!busy_code(code), "{code}");
        }
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_busy());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_busy());
        assert!(!StoreError::Stale.is_busy());
    }
}
