//! What opening a database checks and hides: the data key's check value (one key per
//! database, however many nodes share it), and the password of a database URL, which
//! never reaches an error or a log (docs/confidentiality.md).

use sqlx::{AnyPool, Row};

use super::codec::title_aad;
use crate::seal::Sealer;
use crate::{Result, StoreError};

/// What a node started with another data key is told. The operator's way out is the
/// same key everywhere, never a new key: a new key would make every report unreadable.
pub(crate) const OTHER_KEY: &str = "this database was created with another data key; \
     use the same EMBARGO_DATA_KEY (or the same data.key file) on every node that opens it";

/// How many of the oldest reports an existing database without a check value is tried
/// on: the first node's key opens them, whatever a later node with another key wrote.
const PROBE_REPORTS: i64 = 5;

/// Compares the database's check value with `sealer`'s, writing it first if there is
/// none (a new database, or one made before the check existed). Two nodes starting at
/// once both try to write: the first wins, the other compares with it.
pub(crate) async fn check_data_key(pool: &AnyPool, sealer: &Sealer, now: i64) -> Result<()> {
    let ours = sealer.key_check();
    let stored = stored_check(pool).await?;
    let stored = match stored {
        Some(value) => value,
        None => {
            // An existing database's reports say which key it was made with: never
            // record a key that does not open them.
            if !opens_oldest_reports(pool, sealer).await? {
                return Err(StoreError::Config(OTHER_KEY.into()));
            }
            sqlx::query(
                "INSERT INTO key_check (id, check_value, created_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&ours)
            .bind(now)
            .execute(pool)
            .await?;
            stored_check(pool)
                .await?
                .ok_or_else(|| StoreError::Corrupt("the data key check was not written".into()))?
        }
    };
    if stored == ours {
        Ok(())
    } else {
        Err(StoreError::Config(OTHER_KEY.into()))
    }
}

async fn stored_check(pool: &AnyPool) -> Result<Option<String>> {
    let row = sqlx::query("SELECT check_value FROM key_check WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.try_get("check_value")).transpose()?)
}

/// Whether `sealer` opens one of the oldest reports' titles; true when there are none.
async fn opens_oldest_reports(pool: &AnyPool, sealer: &Sealer) -> Result<bool> {
    let rows =
        sqlx::query("SELECT id, title_sealed FROM reports ORDER BY received_at, id LIMIT $1")
            .bind(PROBE_REPORTS)
            .fetch_all(pool)
            .await?;
    if rows.is_empty() {
        return Ok(true);
    }
    for row in &rows {
        let id: String = row.try_get("id")?;
        let title: Vec<u8> = row.try_get("title_sealed")?;
        if sealer.open(title_aad(&id).as_bytes(), &title).is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `url` with its password replaced by `***`, in both forms PostgreSQL takes it:
/// `postgres://user:secret@host/db` and `postgres://host/db?user=u&password=secret`
/// (any query parameter whose name ends in `password`, such as `sslpassword`).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().ends_with("password") => {
                    format!("{name}=***")
                }
                _ => param.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// `scheme://user:secret@host…` → `scheme://user:***@host…`.
fn redact_userinfo(base: &str) -> String {
    let Some(scheme) = base.find("://") else {
        return base.to_string();
    };
    let authority = scheme + 3;
    match base[authority..].rfind('@') {
        Some(at) => {
            let at = authority + at;
            match base[authority..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..authority], &base[at..]),
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    }
}

/// The passwords `url` holds, as they could appear in a driver's message.
fn passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if let Some(scheme) = base.find("://") {
        let authority = &base[scheme + 3..];
        if let Some(at) = authority.rfind('@')
            && let Some((_, pass)) = authority[..at].split_once(':')
        {
            found.push(pass.to_string());
        }
    }
    for param in query.split('&') {
        if let Some((name, value)) = param.split_once('=')
            && name.to_ascii_lowercase().ends_with("password")
        {
            found.push(value.to_string());
        }
    }
    found.retain(|p| !p.is_empty());
    found
}

/// A connection error as the operator may see it: a driver message that repeats the
/// URL's password gets `***` instead.
pub(crate) fn connect_error(url: &str, e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    let debug = format!("{e:?}");
    let secrets = passwords(url);
    if secrets
        .iter()
        .any(|p| text.contains(p.as_str()) || debug.contains(p.as_str()))
    {
        let clean = secrets
            .iter()
            .fold(text, |t, p| t.replace(p.as_str(), "***"));
        StoreError::Config(format!("cannot open the database: {clean}"))
    } else {
        StoreError::Database(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_in_both_forms() {
        assert_eq!(
            redact_url("postgres://emb:s3cr3t@db:5432/embargo"),
            "postgres://emb:***@db:5432/embargo"
        );
        assert_eq!(
            redact_url("postgres://db/embargo?user=emb&password=s3cr3t&sslmode=require"),
            "postgres://db/embargo?user=emb&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgresql://a:b@db/x?sslpassword=kp"),
            "postgresql://a:***@db/x?sslpassword=***"
        );
        assert_eq!(redact_url("postgres://db/embargo"), "postgres://db/embargo");
        assert_eq!(
            redact_url("sqlite:///var/lib/embargo/embargo.db?mode=rwc"),
            "sqlite:///var/lib/embargo/embargo.db?mode=rwc"
        );
        // A password holding '@' or ':' is still hidden whole.
        assert_eq!(
            redact_url("postgres://emb:p@ss:w@db/embargo"),
            "postgres://emb:***@db/embargo"
        );
    }

    #[test]
    fn the_passwords_of_a_url_are_found() {
        assert_eq!(
            passwords("postgres://u:one@h/db?password=two&user=u"),
            vec!["one".to_string(), "two".to_string()]
        );
        assert!(passwords("postgres://u@h/db").is_empty());
    }

    #[test]
    fn driver_messages_lose_the_password() {
        let url = "postgres://h/db?password=hunter2";
        let e = connect_error(
            url,
            sqlx::Error::Configuration("bad option in postgres://h/db?password=hunter2".into()),
        );
        let text = e.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("password=***"), "{text}");
    }
}
