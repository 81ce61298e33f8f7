//! Fresh databases for tests and benchmarks, on every backend this machine offers.
//!
//! SQLite always (a file in a temporary directory). PostgreSQL when
//! `EMBARGO_TEST_POSTGRES` holds a server URL: each call creates its own database
//! there, so tests run in parallel without seeing each other's rows. Without it the
//! PostgreSQL half is skipped with a `SKIPPED:` line, except under `CI=true`, where a
//! skipped backend is a failure: CI must run everything.

use sqlx::AnyConnection;
use sqlx::Connection;

use crate::{Sealer, SqlStore};

/// The variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres:postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_ENV: &str = "EMBARGO_TEST_POSTGRES";

/// A backend to test against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    /// `"sqlite"` or `"postgres"`, as [`SqlStore::backend`] says.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Keeps a test database alive; dropping it removes the SQLite directory and, best
/// effort, drops the PostgreSQL database.
#[derive(Debug)]
pub struct TestDb {
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// The SQLite database file, if this is a SQLite database.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("embargo.db"))
    }

    /// The database's URL, for a second store on it (another node).
    pub fn url(&self) -> String {
        match (&self.postgres, self.sqlite_path()) {
            (Some((server, name)), _) => with_database(server, name),
            (None, Some(path)) => format!("sqlite://{}?mode=rwc", path.display()),
            (None, None) => String::new(),
        }
    }

    /// The database's size on disk in bytes (SQLite: the file and its write-ahead log;
    /// PostgreSQL: `pg_database_size`), for benchmarks' figures.
    pub async fn size_bytes(&self) -> Option<u64> {
        if let Some(path) = self.sqlite_path() {
            let wal = path.with_extension("db-wal");
            let len = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
            return Some(len(&path) + len(&wal));
        }
        let (server, name) = self.postgres.as_ref()?;
        let mut conn = AnyConnection::connect(server).await.ok()?;
        let size: i64 = sqlx::query_scalar(&format!("SELECT pg_database_size('{name}')"))
            .fetch_one(&mut conn)
            .await
            .ok()?;
        let _ = conn.close().await;
        u64::try_from(size).ok()
    }

    /// PostgreSQL only: the `n` largest tables with their indexes, bytes each (what
    /// takes the room, for benchmarks' figures).
    pub async fn largest_tables(&self, n: i64) -> Vec<(String, i64)> {
        let Some((server, name)) = self.postgres.as_ref() else {
            return vec![];
        };
        let Ok(mut conn) = AnyConnection::connect(&with_database(server, name)).await else {
            return vec![];
        };
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT relname::text, pg_total_relation_size(relid)::bigint FROM pg_statio_user_tables \
             ORDER BY 2 DESC LIMIT $1",
        )
        .bind(n)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
        let _ = conn.close().await;
        rows
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.postgres.take() {
            // Drop may run inside a runtime, where blocking on another is not allowed:
            // use a thread of its own. Failures only leave a database behind.
            let dropper = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(mut conn) = AnyConnection::connect(&server).await {
                        let _ =
                            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        let _ = conn.close().await;
                    }
                });
            });
            let _ = dropper.join();
        }
    }
}

/// The backends to test on here: SQLite, and PostgreSQL when configured. Prints the
/// skip line (or panics under `CI=true`) when PostgreSQL is not configured.
pub fn backends() -> Vec<TestBackend> {
    let mut backends = vec![TestBackend::Sqlite];
    if postgres_server().is_some() {
        backends.push(TestBackend::Postgres);
    }
    backends
}

fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            // Once per test binary: every test asks for its databases.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                embargo_testkit::skip_or_fail(
                    "PostgreSQL tests",
                    &format!("set {POSTGRES_ENV}=postgres://..."),
                );
            });
            None
        }
    }
}

/// A URL for a new, empty database of `backend`, and the guard that keeps it.
/// `None` when `backend` is PostgreSQL and no server is configured (see [`backends`]).
pub async fn fresh_database_url(backend: TestBackend) -> Option<(String, TestDb)> {
    sqlx::any::install_default_drivers();
    match backend {
        TestBackend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory for the test database");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("embargo.db").display()
            );
            Some((
                url,
                TestDb {
                    dir: Some(dir),
                    postgres: None,
                },
            ))
        }
        TestBackend::Postgres => {
            let server = postgres_server()?;
            let name = format!("embargo_test_{}", hex::encode(rand::random::<[u8; 8]>()));
            let mut conn = AnyConnection::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_ENV}: {e}"));
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
            let _ = conn.close().await;
            let url = with_database(&server, &name);
            Some((
                url,
                TestDb {
                    dir: None,
                    postgres: Some((server, name)),
                },
            ))
        }
    }
}

/// A migrated store on a fresh database of every backend available here, each with
/// its backend's name and the guard to keep alive while the store is used.
pub async fn fresh_store() -> Vec<(&'static str, SqlStore, TestDb)> {
    let mut stores = Vec::new();
    for backend in backends() {
        if let Some((url, db)) = fresh_database_url(backend).await {
            let store = SqlStore::connect(&url, Sealer::random())
                .await
                .unwrap_or_else(|e| panic!("cannot open the {} test store: {e}", backend.name()));
            stores.push((backend.name(), store, db));
        }
    }
    stores
}

/// `url` with its database name replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // The path starts at the first '/' after the authority (after any user:password@).
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_start = base[authority_start..]
        .rfind('@')
        .map_or(authority_start, |i| authority_start + i + 1);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// What the database under a store commits at most, measured with the store's own
/// connection settings (SQLite: WAL, `synchronous=FULL`): the ceiling that intake is
/// compared with in the benchmarks.
#[derive(Debug, Clone, Copy)]
pub struct Ceiling {
    /// Durable transactions of one 1 KB row each, one after the other, per second.
    pub single_row_commits: f64,
    /// Rows per second when 100 such rows share a commit.
    pub batched_rows: f64,
}

/// Measures [`Ceiling`] on `store` for about `seconds` each, in a table of its own
/// that it drops afterwards.
pub async fn durable_insert_ceiling(store: &SqlStore, seconds: f64) -> Ceiling {
    use std::time::{Duration, Instant};
    let run = |rows_per_commit: usize| async move {
        sqlx::query("CREATE TABLE bench_ceiling (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)")
            .execute(&store.pool)
            .await
            .expect("the ceiling's table");
        let payload = "x".repeat(1024);
        let (started, mut rows) = (Instant::now(), 0i64);
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            let mut tx = store.begin_write().await.expect("a write transaction");
            for _ in 0..rows_per_commit {
                sqlx::query("INSERT INTO bench_ceiling (id, payload) VALUES ($1, $2)")
                    .bind(rows)
                    .bind(&payload)
                    .execute(&mut *tx)
                    .await
                    .expect("a ceiling row");
                rows += 1;
            }
            tx.commit().await.expect("the ceiling's commit");
        }
        let per_second = rows as f64 / started.elapsed().as_secs_f64();
        sqlx::query("DROP TABLE bench_ceiling")
            .execute(&store.pool)
            .await
            .expect("the ceiling's table dropped");
        per_second
    };
    Ceiling {
        single_row_commits: run(1).await,
        batched_rows: run(100).await,
    }
}

/// A second store on `db` with `store`'s data key and a pool of its own: what another
/// node of the same installation opens (tests of several nodes on one database).
pub async fn second_node(store: &SqlStore, db: &TestDb) -> SqlStore {
    SqlStore::connect(&db.url(), store.sealer.clone())
        .await
        .unwrap_or_else(|e| panic!("cannot open a second node on the test database: {e}"))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5432", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u:a/b@h/db", "x"),
            "postgres://u:a/b@h/x"
        );
    }
}
