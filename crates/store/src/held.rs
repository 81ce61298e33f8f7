//! Held mail: bounces and auto-replies that belong to no report, and mail the sender
//! rules hold ([`crate::SenderRules`]). Never answered and never dropped: the
//! organisation team lists them (filtered by state, reason, sender and date), releases
//! one into a report (the release commits with the report, in
//! [`crate::Mailbox::take_mail`]) or discards them, one or many, each discard leaving
//! an entry in the audit log.
//!
//! The sender, the subject and the Message-ID (whose domain names the sender's
//! server) are sealed: the sender filter opens them, newest first, within
//! [`MAX_HELD_SCANNED`] rows, so that a flood costs a bounded amount of work. The row
//! is found, and a mail held twice is told apart, by a keyed digest of its Message-ID
//! (docs/confidentiality.md). A row whose summary does not open (sealed with another
//! data key) is listed as unreadable instead of taking the list down.

mod old_ids;

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
/// Most held mails a sender filter opens (newest first); older ones are not searched.
pub const MAX_HELD_SCANNED: usize = 5000;
/// Most held mails one bulk discard changes.
pub const MAX_BULK_DISCARD: usize = 2000;
/// Ids per statement of a bulk discard (bound parameters stay well under every limit).
const CHUNK: usize = 200;

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

/// Why a mail is held, as a kind: the part of its reason before the colon
/// (`bounce: null envelope sender` is a `bounce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum HeldCategory {
    Bounce,
    AutoReply,
    BlockedSender,
    ThrottledSender,
    UnknownSender,
}

impl HeldCategory {
    pub const ALL: [Self; 5] = [
        Self::Bounce,
        Self::AutoReply,
        Self::BlockedSender,
        Self::ThrottledSender,
        Self::UnknownSender,
    ];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
    /// The kind of a held mail's reason (`bounce: …` is a bounce); `None` for a
    /// reason of no known kind.
    pub fn of(reason: &str) -> Option<Self> {
        Self::parse(reason.split(':').next().unwrap_or("").trim())
    }
    /// For people: `auto-reply`, `blocked sender`, ….
    pub fn label(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::AutoReply => "auto-reply",
            Self::BlockedSender => "blocked sender",
            Self::ThrottledSender => "throttled sender",
            Self::UnknownSender => "unknown sender",
        }
    }
    /// A reason of this kind, with the sign seen (never content).
    pub fn reason(self, sign: &str) -> String {
        format!("{}: {sign}", self.as_str())
    }
}

/// Which held mails to list or discard. Everything but the sender is in clear and
/// filtered by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFilter {
    pub state: HeldState,
    pub category: Option<HeldCategory>,
    /// Lower-case text the sender's address must contain.
    pub sender: Option<String>,
    /// Received at or after.
    pub received_from: Option<Timestamp>,
    /// Received before.
    pub received_before: Option<Timestamp>,
}

impl HeldFilter {
    /// Every mail in `state`.
    pub fn state(state: HeldState) -> Self {
        Self {
            state,
            category: None,
            sender: None,
            received_from: None,
            received_before: None,
        }
    }
}

/// One page of the held list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldListing {
    /// Newest first, at most the limit asked for.
    pub mails: Vec<HeldMailInfo>,
    /// How many match: all of them, or with a sender filter those among the newest
    /// [`MAX_HELD_SCANNED`] (see `complete`).
    pub matching: u64,
    /// False when a sender filter stopped at [`MAX_HELD_SCANNED`] rows: older mails
    /// were not searched (narrow the dates).
    pub complete: bool,
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
    /// The Message-ID, when the row's `message_id` column holds its keyed digest;
    /// absent in rows held before it was sealed (their column holds it in clear).
    #[serde(default)]
    message_id: Option<String>,
}

/// What the `message_id` column of a new held mail holds: a keyed digest, unique per
/// Message-ID, that tells nothing of the sender's domain.
fn message_key(sealer: &crate::Sealer, message_id: &str) -> String {
    sealer.digest("held-message-id", message_id.as_bytes())
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
    /// Held mails matching `filter`, newest first, at most `limit` (capped at
    /// [`MAX_HELD_LISTED`]), and how many match.
    async fn held_listing(&self, filter: &HeldFilter, limit: u32) -> Result<HeldListing>;
    /// The ids of the mails matching `filter`, newest first, at most `limit` (capped
    /// at [`MAX_BULK_DISCARD`]).
    async fn held_ids(&self, filter: &HeldFilter, limit: usize) -> Result<Vec<i64>>;
    /// Discards those of `ids` still held, in one transaction, each with the audit
    /// entry [`HeldMail::discard_held`] writes; returns how many (the others were
    /// released or discarded meanwhile). `NotFound`, and nothing changes, if one of
    /// them does not exist; `Conflict` for more than [`MAX_BULK_DISCARD`].
    async fn discard_held_many(
        &self,
        ids: &[i64],
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<u64>;
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
        // The column: the Message-ID's digest, or the Message-ID of an older row.
        let key: String = row.try_get("message_id")?;
        let summary = match self.sealer.open_string(
            &summary_aad(&key),
            &row.try_get::<Vec<u8>, _>("summary_sealed")?,
        ) {
            Ok(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?,
            Err(StoreError::Corrupt(_)) => Summary {
                from: None,
                subject: crate::seal::UNREADABLE_TITLE.into(),
                message_id: None,
            },
            Err(e) => return Err(e),
        };
        let message_id = summary.message_id.unwrap_or(key);
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

/// A value bound to a filter's placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` of `filter` without its sender (sealed), and its values from `$1`.
fn held_where(filter: &HeldFilter) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(filter.state.as_str().into())];
    let mut sql = String::from("state = $1");
    if let Some(category) = filter.category {
        // The kind is ours (an enum), so its length is no input; `substr` rather than
        // `LIKE`, whose `_` would match any character.
        let prefix = format!("{}:", category.as_str());
        sql.push_str(&format!(
            " AND (reason = ${} OR substr(reason, 1, {}) = ${})",
            binds.len() + 1,
            prefix.chars().count(),
            binds.len() + 2
        ));
        binds.push(Bind::Text(category.as_str().into()));
        binds.push(Bind::Text(prefix));
    }
    if let Some(from) = filter.received_from {
        binds.push(Bind::Int(from.as_microsecond()));
        sql.push_str(&format!(" AND received_at >= ${}", binds.len()));
    }
    if let Some(before) = filter.received_before {
        binds.push(Bind::Int(before.as_microsecond()));
        sql.push_str(&format!(" AND received_at < ${}", binds.len()));
    }
    (sql, binds)
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqlStore {
    /// The mails matching `filter`, newest first, at most `want`; how many match; and
    /// whether every candidate was searched.
    async fn held_matching(
        &self,
        filter: &HeldFilter,
        want: usize,
    ) -> Result<(Vec<HeldMailInfo>, u64, bool)> {
        let (clause, binds) = held_where(filter);
        let needle = filter.sender.as_deref().filter(|s| !s.is_empty());
        let rows_wanted = if needle.is_some() {
            MAX_HELD_SCANNED + 1
        } else {
            want
        };
        let sql = format!(
            "SELECT {HELD_COLUMNS} FROM mail_held WHERE {clause} \
             ORDER BY received_at DESC, id DESC LIMIT {rows_wanted}"
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = match b {
                Bind::Text(t) => query.bind(t.clone()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let Some(needle) = needle else {
            let mails = rows
                .iter()
                .map(|r| self.decode_held(r))
                .collect::<Result<Vec<_>>>()?;
            let count_sql = format!("SELECT COUNT(*) AS n FROM mail_held WHERE {clause}");
            let mut count = sqlx::query(&count_sql);
            for b in binds {
                count = match b {
                    Bind::Text(t) => count.bind(t),
                    Bind::Int(i) => count.bind(i),
                };
            }
            let n: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;
            return Ok((mails, u64::try_from(n).unwrap_or(0), true));
        };
        let complete = rows.len() <= MAX_HELD_SCANNED;
        let mut mails = Vec::new();
        let mut matching = 0u64;
        for row in rows.iter().take(MAX_HELD_SCANNED) {
            let mail = self.decode_held(row)?;
            if mail
                .from
                .as_deref()
                .is_some_and(|f| f.to_lowercase().contains(needle))
            {
                matching += 1;
                if mails.len() < want {
                    mails.push(mail);
                }
            }
        }
        Ok((mails, matching, complete))
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
            message_id: Some(mail.message_id.to_string()),
        })
        .map_err(|e| StoreError::Corrupt(format!("held mail summary: {e}")))?;
        let key = message_key(&self.sealer, mail.message_id);
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO mail_held (message_id, reason, summary_sealed, raw_sealed, size, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&key)
        .bind(mail.reason)
        .bind(self.sealer.seal_str(&summary_aad(&key), &summary)?)
        .bind(self.sealer.seal(raw_aad(&key).as_bytes(), mail.raw)?)
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
        let key: String = row.try_get("message_id")?;
        let raw = self.sealer.open(
            raw_aad(&key).as_bytes(),
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

    async fn held_listing(&self, filter: &HeldFilter, limit: u32) -> Result<HeldListing> {
        let want = usize::try_from(limit.min(MAX_HELD_LISTED)).unwrap_or(0);
        let (mails, matching, complete) = self.held_matching(filter, want).await?;
        Ok(HeldListing {
            mails,
            matching,
            complete,
        })
    }

    async fn held_ids(&self, filter: &HeldFilter, limit: usize) -> Result<Vec<i64>> {
        let (mails, _, _) = self
            .held_matching(filter, limit.min(MAX_BULK_DISCARD))
            .await?;
        Ok(mails.into_iter().map(|m| m.id).collect())
    }

    async fn discard_held_many(
        &self,
        ids: &[i64],
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<u64> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > MAX_BULK_DISCARD {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_BULK_DISCARD} held mails are discarded at once"
            )));
        }
        let mut tx = self.begin_write().await?;
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM mail_held WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let n: i64 = query.fetch_one(&mut *tx).await?.try_get("n")?;
            if usize::try_from(n).ok() != Some(chunk.len()) {
                return Err(StoreError::NotFound(
                    "one of the selected held mails does not exist".into(),
                ));
            }
        }
        let mut discarded = 0u64;
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "UPDATE mail_held SET state = 'discarded', resolved_at = $1, resolved_by = $2 \
                 WHERE state = 'held' AND id IN ({}) RETURNING id",
                placeholders(3, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(now.as_microsecond()).bind(by.0);
            for id in chunk {
                query = query.bind(*id);
            }
            let mut done = query
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>("id"))
                .collect::<Result<Vec<_>, _>>()?;
            if done.is_empty() {
                continue;
            }
            done.sort_unstable();
            discarded += done.len() as u64;
            // The entry a single discard writes, once per mail.
            let values = (0..done.len())
                .map(|i| format!("(NULL, {})", placeholders(4 * i + 1, 4)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("INSERT INTO audit (report_id, at, actor, action, detail) VALUES {values}");
            let mut insert = sqlx::query(&sql);
            for id in done {
                insert = insert
                    .bind(now.as_microsecond())
                    .bind(actor)
                    .bind("held_mail_discarded")
                    .bind(format!("held mail #{id}"));
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(discarded)
    }
}
