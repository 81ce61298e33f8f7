//! `SqlStore`: the store traits over sqlx's `Any` driver, for SQLite and PostgreSQL alike.
//!
//! This module owns the pool: choosing the backend from the URL, preparing each
//! connection, running the migrations, and opening write transactions ([`Tx`],
//! [`SqlStore::begin_write`]). Each aggregate's queries live in a file of its own;
//! what they share (row decoding, sealed columns' associated data) is in [`codec`].
//!
//! The SQL is written once, portably: `$N` placeholders (sqlx-sqlite maps `$N` to
//! argument N), BIGINT/INTEGER, TEXT and BLOB/BYTEA columns only, times as
//! microseconds since the epoch, flags as 0/1. Each backend has its own migration set
//! with the same tables, so the schema can use what each does best (identity columns,
//! plpgsql triggers) while the queries stay shared.

mod advisories;
mod audit;
pub(crate) mod codec;
mod cve_pool;
pub(crate) mod group_commit;
mod listing;
mod nudges;
mod opening;
mod organisations;
mod projects;
mod reports;
mod search;
mod timeline;
mod triage;
mod upgrade;
mod users;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

use crate::mailbox::MailRenderer;
use crate::seal::Sealer;
use crate::{Result, StoreError};

pub use opening::redact_url;

/// How long a SQLite connection waits for another writer's lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// The write-ahead log's size once a checkpoint has reset it (64 MiB).
const SQLITE_WAL_LIMIT_BYTES: u64 = 64 << 20;
/// SQLite has one writer at a time anyway; a few connections let reads run beside it.
const SQLITE_POOL_SIZE: u32 = 4;
/// Log pages after which a commit checkpoints (SQLite's default is 1,000); below the
/// log's size limit, so a checkpoint's reset log is not cut back every time.
const SQLITE_CHECKPOINT_PAGES: u32 = 10_000;
/// The page cache of SQLite's write connection (16 MiB; readers keep SQLite's default
/// 2 MiB): the pages intake touches (index leaves, the tables' last pages) stay in it.
const SQLITE_WRITER_CACHE_KIB: u32 = 16 * 1024;
const POSTGRES_POOL_SIZE: u32 = 10;

/// A transaction of the store's pool; the `_in` methods run inside the caller's, so
/// that one commit covers everything a change writes.
pub(crate) type Tx = Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The store over SQLite (`sqlite://PATH?mode=rwc`) or PostgreSQL (`postgres://...`).
/// Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. SQLite: a pool of its own with one connection, so
    /// writers queue in order on it rather than on SQLite's busy handler (which
    /// sleeps), and its page cache stays valid between writes (a connection's cache is
    /// dropped whenever another connection has written). PostgreSQL: `pool`.
    writer: AnyPool,
    pub(crate) sealer: Sealer,
    backend: Backend,
    /// Words lifecycle mails from the site's templates as they are queued.
    renderer: Option<Arc<dyn MailRenderer>>,
    /// The right-hand side of the Message-IDs of queued mail (the sender's domain).
    mail_domain: Arc<str>,
    /// Whether a list row that does not open was logged already: once is enough to
    /// tell the operator, a warning per row per page view would flood the log.
    unreadable_logged: Arc<AtomicBool>,
    /// SQLite's intake queue: concurrent intakes share a commit (`group_commit`).
    /// `None` on PostgreSQL, which runs them as transactions of their own.
    pub(crate) group: Option<Arc<group_commit::GroupCommit>>,
}

/// What a store is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A server (`serve`, tests): many intakes at once. On SQLite, writes get a
    /// connection of their own and intakes share commits (`group_commit`).
    Server,
    /// One command (`ingest-mail`, an admin command): a write or two. One pool, opening
    /// no more connections than it uses: a process per message pays for each one.
    Command,
}

impl SqlStore {
    /// [`SqlStore::connect_for`] a server.
    pub async fn connect(url: &str, sealer: Sealer) -> Result<SqlStore> {
        Self::connect_for(url, sealer, Usage::Server).await
    }

    /// Connects, prepares every connection (SQLite: WAL, `synchronous=FULL`, foreign
    /// keys, busy timeout), brings the schema up to date and checks the data key: a
    /// database made with another key is refused with [`StoreError::Config`] saying
    /// what to do (docs/confidentiality.md). Errors never carry the URL's password.
    pub async fn connect_for(url: &str, sealer: Sealer, usage: Usage) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(
                "the database URL must start with sqlite:// or postgres://".into(),
            ));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => SQLITE_POOL_SIZE,
                Backend::Postgres => POSTGRES_POOL_SIZE,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _meta| Box::pin(prepare_connection(conn)))
            .connect(url)
            .await
            .map_err(|e| opening::connect_error(url, e))?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        let now = jiff::Timestamp::now().as_microsecond();
        if let Err(e) = opening::check_data_key(&pool, &sealer, now).await {
            pool.close().await;
            return Err(e);
        }
        let server_sqlite = backend == Backend::Sqlite && usage == Usage::Server;
        let writer = if server_sqlite {
            AnyPoolOptions::new()
                .max_connections(1)
                // Waiting longer than SQLite's busy timeout for the write connection
                // is "busy", as a lock held that long would be.
                .acquire_timeout(Duration::from_millis(u64::from(SQLITE_BUSY_TIMEOUT_MS)))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        prepare_connection(conn).await?;
                        sqlx::query(&format!("PRAGMA cache_size = -{SQLITE_WRITER_CACHE_KIB}"))
                            .execute(&mut *conn)
                            .await?;
                        // Pages that every intake changes (the tables' last pages, the
                        // indexes' newest leaves) are copied into the database once
                        // per checkpoint, however often they were written since: a
                        // checkpoint every 10,000 pages (40 MB of log) rather than
                        // SQLite's 1,000 copies them a tenth as often.
                        sqlx::query(&format!(
                            "PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}"
                        ))
                        .execute(&mut *conn)
                        .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await
                .map_err(|e| opening::connect_error(url, e))?
        } else {
            pool.clone()
        };
        let store = SqlStore {
            pool,
            writer,
            sealer,
            backend,
            renderer: None,
            mail_domain: "embargo".into(),
            unreadable_logged: Arc::new(AtomicBool::new(false)),
            group: server_sqlite.then(Default::default),
        };
        // Audit lines and author labels written before they were sealed (migration
        // 0019); nothing to do after the first start.
        let (lines, labels) = (
            store.seal_old_audit().await?,
            store.seal_old_labels().await?,
        );
        if lines + labels > 0 {
            tracing::info!(
                lines,
                labels,
                "sealed audit details and author labels stored in clear"
            );
        }
        // Reports' CVE ids stored in clear (before migration 0020).
        let cve_ids = store.seal_old_cve_ids().await?;
        if cve_ids > 0 {
            tracing::info!(cve_ids, "sealed report CVE ids stored in clear");
        }
        // Message-IDs of mail taken in, stored in clear (before migration 0021).
        let message_ids = store.seal_old_message_ids().await?;
        if message_ids > 0 {
            tracing::info!(message_ids, "sealed the Message-IDs of mail taken in");
        }
        // Held mail keyed by its clear Message-ID (before migration 0019).
        let held_ids = store.seal_old_held_ids().await?;
        if held_ids > 0 {
            tracing::info!(held_ids, "sealed the Message-IDs of held mail");
        }
        // What was in clear must not stay in SQLite's write-ahead log either.
        if lines + labels + cve_ids + message_ids + held_ids > 0 {
            store.checkpoint_wal().await?;
        }
        Ok(store)
    }

    /// Lifecycle mails are worded by `renderer` as they are queued, in the transaction
    /// of the change that caused them.
    pub fn with_mail_renderer(mut self, renderer: Arc<dyn MailRenderer>) -> Self {
        self.renderer = Some(renderer);
        self
    }

    /// Queued mail gets Message-IDs `<random@domain>`: receiving servers and spam
    /// filters expect the sender's own domain there.
    pub fn with_mail_domain(mut self, domain: &str) -> Self {
        let domain = domain.trim();
        if !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            self.mail_domain = domain.into();
        }
        self
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// The underlying pool, for tests and maintenance commands.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// SQLite: copies the write-ahead log into the database and truncates it, waiting
    /// (up to the busy timeout) for the readers and writers in its way. SQLite's own
    /// checkpoints after each commit give way to any open transaction, so a sustained
    /// burst of writes can grow the log without bound (25 GB at 100,000 reports in the
    /// bulk loader before this); `serve` calls this every 30 s. Nothing on PostgreSQL.
    /// It runs on the write connection: in line with the writes, not against them.
    pub(crate) async fn checkpoint_wal(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// A transaction that will write, on the write connection. On SQLite it takes the
    /// write lock up front (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// and then writes fails with SQLITE_BUSY at once when another writer got in
    /// between, whereas waiting for the lock up front lets the busy timeout do its work
    /// (for writes that do not go through the write connection).
    pub(crate) async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// Runs on every new connection of the pool. PostgreSQL needs nothing; SQLite's
/// settings are per connection.
async fn prepare_connection(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    if conn.backend_name() != "SQLite" {
        return Ok(());
    }
    // busy_timeout first: switching to WAL needs a lock another connection may hold
    // for a moment. The log mode is kept in the file: asking is cheap, switching
    // (even to the mode it is in) takes that lock, which a one-message `ingest-mail`
    // would pay on every connection.
    sqlx::query(&format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}"))
        .execute(&mut *conn)
        .await?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *conn)
            .await?;
    }
    for pragma in [
        // A committed report survives a power cut, not just a crash.
        "PRAGMA synchronous = FULL".to_string(),
        "PRAGMA foreign_keys = ON".to_string(),
        // After a checkpoint resets the write-ahead log, it is cut back to this size
        // rather than keeping the largest size a burst gave it.
        format!("PRAGMA journal_size_limit = {SQLITE_WAL_LIMIT_BYTES}"),
        // Content deleted or replaced (a row sealed in place, a held mail discarded)
        // is overwritten with zeros, not left in free space for a copy of the file.
        "PRAGMA secure_delete = ON".to_string(),
        // Statement and savepoint journals in memory: a savepoint of a group commit
        // (or a statement of several rows) would otherwise spill every page it
        // changes to a temporary file on disk, as much again as the log itself.
        "PRAGMA temp_store = MEMORY".to_string(),
    ] {
        sqlx::query(&pragma).execute(&mut *conn).await?;
    }
    Ok(())
}
