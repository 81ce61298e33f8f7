//! Held mail: bounces and auto-replies that belong to no report. Never answered and
//! never dropped: the organisation team lists them, releases one into a report (the
//! release commits with the report, in [`crate::Mailbox::take_mail`]) or discards it,
//! and both leave an entry in the audit log.

use async_trait::async_trait;
use embargo_domain::ids::{ReportId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use strum::{EnumString, IntoStaticStr};

use crate::sql::Tx;
use crate::sql::codec::{timestamp, unique_conflict};
use crate::{Result, SqlStore, StoreError};

/// Most held mails one listing returns: a flood must not make the page unbounded.
pub const MAX_HELD_LISTED: u32 = 500;

/// A message to hold.
#[derive(Debug, Clone, Copy)]
pub struct NewHeldMail<'a> {
    /// Without angle brackets (or a digest of the bytes).
    pub message_id: &'a str,
    pub raw: &'a [u8],
    /// Why it is held: a category and the sign seen (`bounce: null sender`), never content.
    pub reason: &'a str,
    /// The sender's address as the From header gives it, if any.
    pub from: Option<&'a str>,
    pub subject: &'a str,
    pub received_at: Timestamp,
}

/// Where a held mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum HeldState {
    Held,
    Released,
    Discarded,
}

impl HeldState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A held mail as the organisation team's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldMailInfo {
    pub id: i64,
    pub message_id: String,
    pub reason: String,
    pub from: Option<String>,
    pub subject: String,
    pub size: i64,
    pub received_at: Timestamp,
    pub state: HeldState,
    pub resolved_at: Option<Timestamp>,
    /// The report a released mail became.
    pub report: Option<ReportId>,
}

/// Releasing a held mail: set on [`crate::IncomingMail::released_from`], the held row is
/// marked released in the same transaction as the report it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub held: i64,
    pub by: UserId,
}

#[derive(Serialize, Deserialize)]
struct Summary {
    from: Option<String>,
    subject: String,
}

fn summary_aad(message_id: &str) -> String {
    format!("mail-held-summary:{message_id}")
}
fn raw_aad(message_id: &str) -> String {
    format!("mail-held-raw:{message_id}")
}

/// The organisation team's held-mail list.
#[async_trait]
pub trait HeldMail: Send + Sync {
    /// Holds a message; `None` when one with this Message-ID is held already.
    async fn hold_mail(&self, mail: &NewHeldMail<'_>) -> Result<Option<i64>>;
    /// Held mails in `state`, newest first, at most `limit` (capped at [`MAX_HELD_LISTED`]).
    async fn held_mails(&self, state: HeldState, limit: u32) -> Result<Vec<HeldMailInfo>>;
    /// How many mails are held and not yet released or discarded.
    async fn held_count(&self) -> Result<i64>;
    /// One held mail with its original bytes.
    async fn held_mail(&self, id: i64) -> Result<Option<(HeldMailInfo, Vec<u8>)>>;
    /// Discards a held mail (audited as `actor`); `NotFound` if there is none, `Conflict` if it
    /// was released or discarded already.
    async fn discard_held(&self, id: i64, by: UserId, actor: &str, now: Timestamp) -> Result<()>;
}

impl SqlStore {
    /// Marks a held mail released into `report`, inside the report's transaction.
    pub(crate) async fn release_held_in(
        &self,
        tx: &mut Tx,
        release: Release,
        report: &str,
        now: Timestamp,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE mail_held SET state = 'released', resolved_at = $1, resolved_by = $2, report_id = $3 \
             WHERE id = $4 AND state = 'held'",
        )
        .bind(now.as_microsecond())
        .bind(release.by.0)
        .bind(report)
        .bind(release.held)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "this held mail was released or discarded already".into(),
            ))
        }
    }

    fn decode_held(&self, row: &sqlx::any::AnyRow) -> Result<HeldMailInfo> {
        let message_id: String = row.try_get("message_id")?;
        let summary: Summary = serde_json::from_str(&self.sealer.open_string(
            &summary_aad(&message_id),
            &row.try_get::<Vec<u8>, _>("summary_sealed")?,
        )?)
        .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?;
        let state: String = row.try_get("state")?;
        Ok(HeldMailInfo {
            id: row.try_get("id")?,
            reason: row.try_get("reason")?,
            from: summary.from,
            subject: summary.subject,
            size: row.try_get("size")?,
            received_at: timestamp(row.try_get("received_at")?)?,
            state: HeldState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("held mail state {state:?}")))?,
            resolved_at: row
                .try_get::<Option<i64>, _>("resolved_at")?
                .map(timestamp)
                .transpose()?,
            report: row
                .try_get::<Option<String>, _>("report_id")?
                .as_deref()
                .map(crate::sql::codec::report_id)
                .transpose()?,
            message_id,
        })
    }
}

const HELD_COLUMNS: &str = "id, message_id, reason, summary_sealed, size, received_at, state, \
     resolved_at, report_id";

#[async_trait]
impl HeldMail for SqlStore {
    async fn hold_mail(&self, mail: &NewHeldMail<'_>) -> Result<Option<i64>> {
        let summary = serde_json::to_string(&Summary {
            from: mail.from.map(str::to_string),
            subject: mail.subject.to_string(),
        })
        .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?;
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO mail_held (message_id, reason, summary_sealed, raw_sealed, size, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(mail.message_id)
        .bind(mail.reason)
        .bind(
            self.sealer
                .seal_str(&summary_aad(mail.message_id), &summary)?,
        )
        .bind(self.sealer.seal(raw_aad(mail.message_id).as_bytes(), mail.raw)?)
        .bind(i64::try_from(mail.raw.len()).unwrap_or(i64::MAX))
        .bind(mail.received_at.as_microsecond())
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Ok(row) => row.try_get::<i64, _>("id")?,
            Err(e) => {
                return match unique_conflict(e, String::new) {
                    StoreError::Duplicate(_) => Ok(None),
                    other => Err(other),
                };
            }
        };
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn held_mails(&self, state: HeldState, limit: u32) -> Result<Vec<HeldMailInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {HELD_COLUMNS} FROM mail_held WHERE state = $1 ORDER BY received_at DESC, id DESC LIMIT $2"
        ))
        .bind(state.as_str())
        .bind(i64::from(limit.min(MAX_HELD_LISTED)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.decode_held(r)).collect()
    }

    async fn held_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM mail_held WHERE state = 'held'")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn held_mail(&self, id: i64) -> Result<Option<(HeldMailInfo, Vec<u8>)>> {
        let row = sqlx::query(&format!(
            "SELECT {HELD_COLUMNS}, raw_sealed FROM mail_held WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let info = self.decode_held(&row)?;
        let raw = self.sealer.open(
            raw_aad(&info.message_id).as_bytes(),
            &row.try_get::<Vec<u8>, _>("raw_sealed")?,
        )?;
        Ok(Some((info, raw)))
    }

    async fn discard_held(&self, id: i64, by: UserId, actor: &str, now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE mail_held SET state = 'discarded', resolved_at = $1, resolved_by = $2 \
             WHERE id = $3 AND state = 'held'",
        )
        .bind(now.as_microsecond())
        .bind(by.0)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            let exists = sqlx::query("SELECT 1 AS one FROM mail_held WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict("this held mail was released or discarded already".into())
            } else {
                StoreError::NotFound("no such held mail".into())
            });
        }
        // An organisation-level entry: no report, and no content (only the row's id).
        sqlx::query(
            "INSERT INTO audit (report_id, at, actor, action, detail) VALUES (NULL, $1, $2, $3, $4)",
        )
        .bind(now.as_microsecond())
        .bind(actor)
        .bind("held_mail_discarded")
        .bind(format!("held mail #{id}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
