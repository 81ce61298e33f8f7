//! The store's errors.

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The change lost a race or collides with existing data; the message says which.
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
