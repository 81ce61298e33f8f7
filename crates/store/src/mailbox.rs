//! E-mail in the store: messages taken in (deduplicated by Message-ID in the same
//! transaction as what they caused), their attachments, threading look-ups, and the
//! outbox worker's claims and delivery state.

use async_trait::async_trait;
use embargo_domain::ids::ReportId;
use embargo_domain::lifecycle::Change;
use embargo_domain::report::Report;
use embargo_domain::token::TokenDigest;
use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::model::OutboxEntry;
use crate::sql::Tx;
use crate::sql::codec::{
    addresses, outbox_body_aad, outbox_cc_aad, outbox_subject_aad, outbox_to_aad, timestamp,
    unique_conflict,
};
use crate::sql::group_commit::{Done, OwnedMail, Work};
use crate::{Result, SqlStore, StoreError};

mod old_ids;
mod pages;

/// Most Message-IDs of a References header looked at when threading: a long thread's
/// newest ones are enough, and the bound keeps the query small.
pub const MAX_THREAD_IDS: usize = 50;

/// An attachment to keep with the report a message belongs to.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// `None` when the attachment is above the size limit: only its digest is kept.
    pub content: Option<Vec<u8>>,
}

/// A message as taken in.
#[derive(Debug, Clone, Copy)]
pub struct IncomingMail<'a> {
    /// The Message-ID without its angle brackets (or a digest of the bytes).
    pub message_id: &'a str,
    pub raw: &'a [u8],
    /// What was made of it: `new_report`, `reporter_reply`, `team_reply`, `held`, `ignored`.
    pub disposition: &'a str,
    pub received_at: Timestamp,
    pub attachments: &'a [NewAttachment],
    /// From, Date and Subject, kept (sealed) for the report page.
    pub headers: Option<&'a MailHeaders>,
    /// The held mail this message is released from (with a new report only): marked
    /// released in the same transaction, refused if it was resolved meanwhile.
    pub released_from: Option<crate::Release>,
}

/// What an incoming message changes besides its own row.
#[derive(Debug, Clone, Copy)]
pub enum MailEffect<'a> {
    /// A new report (from `lifecycle::receive`) and its status-link digest.
    NewReport {
        change: &'a Change,
        status_token: &'a TokenDigest,
    },
    /// A change to an existing report (`lifecycle::decide` or `mail::hold`).
    Apply(&'a Change),
    /// Kept, but nothing else happens (auto-replies with no thread, our own mail).
    Nothing,
}

/// The result of [`Mailbox::take_mail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Stored; the report it created or changed, if any.
    Stored(Option<Box<Report>>),
    /// A message with this Message-ID was taken before: nothing changed.
    Duplicate,
}

/// An attachment as the team's report page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// False when it was above the size limit and only its digest was kept.
    pub stored: bool,
    pub created_at: Timestamp,
}

/// One page of a report's attachments or mails: at most the limit asked for, after
/// the id asked for, and how many the report has in all (the report page's count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A message taken in for a report, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomingSummary {
    pub id: i64,
    pub disposition: String,
    pub size: i64,
    pub received_at: Timestamp,
    /// From, Date and Subject as read at intake; `None` for messages taken before
    /// they were kept.
    pub headers: Option<MailHeaders>,
}

/// From, Date and Subject of a message taken in, decoded, one line each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MailHeaders {
    pub from: String,
    pub date: String,
    pub subject: String,
}

/// A queued mail, claimed by one worker for the length of its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub report: Option<ReportId>,
    /// With its angle brackets, fixed when the mail was queued.
    pub message_id: String,
    pub to: Vec<embargo_domain::ids::Email>,
    pub cc: Vec<embargo_domain::ids::Email>,
    pub subject: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub created_at: Timestamp,
    /// Automatic (marked `Auto-Submitted`) or a person's words (docs/mail.md).
    pub origin: embargo_domain::report::MailOrigin,
    /// The From of a mail sent in a project's name; `None`: the installation's.
    pub from: Option<embargo_domain::announce::Sender>,
}

/// Where a queued mail stands, as a report page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Queued,
    /// Still being retried; the entry's `last_error` says why the last attempt failed.
    Failing,
    Sent,
    /// Given up after the last retry.
    Failed,
}

impl OutboxEntry {
    /// Queued, failing (queued with a failed attempt behind it), sent or failed.
    pub fn delivery(&self) -> Delivery {
        match self.state.as_str() {
            "sent" => Delivery::Sent,
            "failed" => Delivery::Failed,
            _ if self.attempts > 0 && self.last_error.is_some() => Delivery::Failing,
            _ => Delivery::Queued,
        }
    }
}

/// Counts of the outbox by delivery state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    pub queued: i64,
    pub failing: i64,
    pub sent: i64,
    pub failed: i64,
}

/// Words a lifecycle mail the site's way (templates) as it is queued. Called inside
/// the transaction of the change, so it must not fail: a renderer falls back to the
/// domain's built-in wording, and checks its templates when it is built.
pub trait MailRenderer: Send + Sync + std::fmt::Debug {
    /// The subject and body to queue for `mail`, a mail caused by a change to `report`.
    fn render(
        &self,
        report: &Report,
        mail: &embargo_domain::report::OutgoingMail,
    ) -> (String, String);
}

/// E-mail storage: intake and the outbox worker.
#[async_trait]
pub trait Mailbox: Send + Sync {
    /// Stores an incoming message and its effect in one transaction. A Message-ID
    /// taken before makes the whole transaction roll back and answers `Duplicate`.
    async fn take_mail(&self, mail: &IncomingMail<'_>, effect: MailEffect<'_>) -> Result<Taken>;
    /// Whether a message with this Message-ID (without brackets) was taken before.
    async fn mail_seen(&self, message_id: &str) -> Result<bool>;
    /// Whether Embargo itself sent a mail with this Message-ID (without brackets):
    /// our own mail coming back through a list must not be taken as a report.
    async fn sent_by_us(&self, message_id: &str) -> Result<bool>;
    /// The report one of these Message-IDs (without brackets; at most
    /// [`MAX_THREAD_IDS`] are looked at) belongs to: a message taken in or one we sent.
    async fn thread_of(&self, message_ids: &[String]) -> Result<Option<ReportId>>;
    /// What a message replying to `message_id` (without brackets) on `report`'s thread
    /// answers: a mail we sent the reporter, one we sent the team only, or neither.
    async fn answers(
        &self,
        report: &ReportId,
        message_id: Option<&str>,
    ) -> Result<embargo_domain::mail::Answers>;
    /// A report's attachments, oldest first.
    async fn attachments(&self, report: &ReportId) -> Result<Vec<AttachmentInfo>>;
    /// One attachment of a report with its content (`None` content when not stored).
    async fn attachment(
        &self,
        report: &ReportId,
        id: i64,
    ) -> Result<Option<(AttachmentInfo, Option<Vec<u8>>)>>;
    /// The messages taken in for a report, oldest first.
    async fn incoming_for_report(&self, report: &ReportId) -> Result<Vec<IncomingSummary>>;
    /// At most `limit` of a report's attachments with an id above `after`, oldest
    /// first, and their total: a report with thousands of them renders a bounded page.
    async fn attachments_page(
        &self,
        report: &ReportId,
        after: i64,
        limit: u32,
    ) -> Result<PageOf<AttachmentInfo>>;
    /// The same for the messages taken in for a report.
    async fn incoming_page(
        &self,
        report: &ReportId,
        after: i64,
        limit: u32,
    ) -> Result<PageOf<IncomingSummary>>;
    /// The original bytes of a message taken in for a report.
    async fn original_message(&self, report: &ReportId, id: i64) -> Result<Option<Vec<u8>>>;
    /// The Message-ID (without brackets) of the reporter's latest mail on a report (the
    /// report itself or a reply), for In-Reply-To of what we send them.
    async fn reporter_last_message(&self, report: &ReportId) -> Result<Option<String>>;
    /// Claims up to `limit` due mails for `owner` until `lease_until`: a row claimed
    /// by a live lease is never handed to another worker.
    async fn claim_outgoing(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<QueuedMail>>;
    /// Marks a claimed mail sent; false if `owner` no longer holds the claim.
    async fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> Result<bool>;
    /// Records a failed attempt; `retry_at: None` gives up (state `failed`).
    async fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool>;
    async fn outbox_stats(&self) -> Result<OutboxStats>;
}

fn headers_aad(message_id: &str) -> String {
    format!("mail-headers:{message_id}")
}
/// The sealed Message-ID of a row found by `key`.
fn message_id_aad(key: &str) -> String {
    format!("mail-message-id:{key}")
}
/// Embargo's own id for a message that had none (a digest of its bytes).
fn is_generated(message_id: &str) -> bool {
    message_id.ends_with("@embargo.invalid")
}
fn raw_aad(message_id: &str) -> String {
    format!("mail-raw:{message_id}")
}
pub(crate) fn attachment_name_aad(report: &str, sha256: &str) -> String {
    format!("attachment-name:{report}:{sha256}")
}
fn attachment_aad(report: &str, sha256: &str) -> String {
    format!("attachment:{report}:{sha256}")
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl SqlStore {
    /// What a received message's row is found by: a keyed digest of its Message-ID
    /// (without brackets), never the id.
    fn message_key(&self, message_id: &str) -> String {
        self.sealer
            .digest("mail-in message-id", message_id.as_bytes())
    }

    /// `take_mail` inside the caller's transaction. On [`Taken::Duplicate`] the caller
    /// must roll back what this wrote (the report or reply the message caused).
    pub(crate) async fn take_mail_in(
        &self,
        tx: &mut Tx,
        mail: &IncomingMail<'_>,
        effect: MailEffect<'_>,
    ) -> Result<Taken> {
        let report = match effect {
            MailEffect::NewReport {
                change,
                status_token,
            } => Some(self.create_report_in(tx, change, status_token).await?),
            MailEffect::Apply(change) => Some(self.apply_in(tx, change).await?),
            MailEffect::Nothing => None,
        };
        let report_id = report.as_ref().map(|r| r.id.as_str().to_string());
        if let (Some(release), Some(report)) = (mail.released_from, &report_id) {
            self.release_held_in(tx, release, report, mail.received_at)
                .await?;
        }
        let Some(mail_id) = self.insert_mail_row(tx, mail, report_id.as_deref()).await? else {
            return Ok(Taken::Duplicate);
        };
        if let Some(report_id) = &report_id {
            self.insert_attachments(tx, mail_id, report_id, mail)
                .await?;
        }
        Ok(Taken::Stored(report.map(Box::new)))
    }

    async fn insert_mail_row(
        &self,
        tx: &mut Tx,
        mail: &IncomingMail<'_>,
        report: Option<&str>,
    ) -> Result<Option<i64>> {
        // The row is found by a keyed digest of the id and sealed under it; the id
        // itself is sealed too (docs/confidentiality.md).
        let key = self.message_key(mail.message_id);
        let inserted = sqlx::query(
            "INSERT INTO mail_in (message_id, report_id, disposition, raw_sealed, raw_sha256, size, received_at, \
             summary_sealed, message_id_sealed, generated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&key)
        .bind(report)
        .bind(mail.disposition)
        .bind(self.sealer.seal(raw_aad(&key).as_bytes(), mail.raw)?)
        .bind(sha256_hex(mail.raw))
        .bind(i64::try_from(mail.raw.len()).unwrap_or(i64::MAX))
        .bind(mail.received_at.as_microsecond())
        .bind(
            mail.headers
                .map(|h| {
                    let json = serde_json::to_string(h)
                        .map_err(|e| StoreError::Corrupt(format!("mail headers: {e}")))?;
                    self.sealer.seal_str(&headers_aad(&key), &json)
                })
                .transpose()?,
        )
        .bind(
            self.sealer
                .seal_str(&message_id_aad(&key), mail.message_id)?,
        )
        .bind(i64::from(is_generated(mail.message_id)))
        .fetch_one(&mut **tx)
        .await;
        match inserted {
            Ok(row) => Ok(Some(row.try_get("id")?)),
            Err(e) => match unique_conflict(e, String::new) {
                StoreError::Duplicate(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn insert_attachments(
        &self,
        tx: &mut Tx,
        mail_id: i64,
        report: &str,
        mail: &IncomingMail<'_>,
    ) -> Result<()> {
        for a in mail.attachments {
            let content = a
                .content
                .as_ref()
                .map(|c| {
                    self.sealer
                        .seal(attachment_aad(report, &a.sha256).as_bytes(), c)
                })
                .transpose()?;
            sqlx::query(
                "INSERT INTO mail_attachments (mail_id, report_id, name_sealed, content_type, size, sha256, \
                 content_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(mail_id)
            .bind(report)
            .bind(self.sealer.seal_str(&attachment_name_aad(report, &a.sha256), &a.name)?)
            .bind(&a.content_type)
            .bind(i64::try_from(a.size).unwrap_or(i64::MAX))
            .bind(&a.sha256)
            .bind(content)
            .bind(mail.received_at.as_microsecond())
            .execute(&mut **tx)
            .await?;
        }
        let names: Vec<&str> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
        self.index_attachment_names(tx, report, &names).await?;
        Ok(())
    }

    fn decode_attachment(&self, report: &str, row: &sqlx::any::AnyRow) -> Result<AttachmentInfo> {
        let sha256: String = row.try_get("sha256")?;
        let name: Vec<u8> = row.try_get("name_sealed")?;
        Ok(AttachmentInfo {
            id: row.try_get("id")?,
            name: self
                .sealer
                .open_string(&attachment_name_aad(report, &sha256), &name)?,
            content_type: row.try_get("content_type")?,
            size: row.try_get("size")?,
            stored: row.try_get::<i64, _>("stored")? != 0,
            sha256,
            created_at: timestamp(row.try_get("created_at")?)?,
        })
    }
}

const ATTACHMENT_SELECT: &str = "SELECT id, name_sealed, content_type, size, sha256, created_at, \
     CASE WHEN content_sealed IS NULL THEN 0 ELSE 1 END AS stored";

#[async_trait]
impl Mailbox for SqlStore {
    async fn take_mail(&self, mail: &IncomingMail<'_>, effect: MailEffect<'_>) -> Result<Taken> {
        if let Some(group) = &self.group {
            let work = Work::Mail(Box::new(OwnedMail::new(mail, effect)));
            return match self.group_write(group, work).await? {
                Done::Mail(taken) => Ok(taken),
                Done::Report(_) => unreachable!("a mail job answers with what was taken"),
            };
        }
        let mut tx = self.begin_write().await?;
        let taken = self.take_mail_in(&mut tx, mail, effect).await?;
        match taken {
            // Dropping the transaction would roll it back too; say it.
            Taken::Duplicate => tx.rollback().await?,
            Taken::Stored(_) => tx.commit().await?,
        }
        Ok(taken)
    }

    async fn mail_seen(&self, message_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM mail_in WHERE message_id = $1")
                .bind(self.message_key(message_id))
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    async fn sent_by_us(&self, message_id: &str) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM outbox WHERE message_id = $1")
                .bind(format!("<{message_id}>"))
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    async fn thread_of(&self, message_ids: &[String]) -> Result<Option<ReportId>> {
        // The newest references are last in the header, and the likeliest to be ours.
        let ids: Vec<&String> = message_ids.iter().rev().take(MAX_THREAD_IDS).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let marks = marks.join(", ");
        // Received mail is stored by the digest of its id without brackets, our own by
        // the id with them (as sent).
        let sql_in = format!(
            "SELECT report_id FROM mail_in WHERE report_id IS NOT NULL AND message_id IN ({marks}) LIMIT 1"
        );
        let mut q = sqlx::query(&sql_in);
        for id in &ids {
            q = q.bind(self.message_key(id));
        }
        if let Some(row) = q.fetch_optional(&self.pool).await? {
            return Ok(Some(crate::sql::codec::report_id(
                &row.try_get::<String, _>("report_id")?,
            )?));
        }
        let sql_out = format!(
            "SELECT report_id FROM outbox WHERE report_id IS NOT NULL AND message_id IN ({marks}) LIMIT 1"
        );
        let mut q = sqlx::query(&sql_out);
        for id in &ids {
            q = q.bind(format!("<{id}>"));
        }
        if let Some(row) = q.fetch_optional(&self.pool).await? {
            return Ok(Some(crate::sql::codec::report_id(
                &row.try_get::<String, _>("report_id")?,
            )?));
        }
        Ok(None)
    }

    async fn answers(
        &self,
        report: &ReportId,
        message_id: Option<&str>,
    ) -> Result<embargo_domain::mail::Answers> {
        use embargo_domain::mail::Answers;
        let Some(message_id) = message_id else {
            return Ok(Answers::Unknown);
        };
        let row =
            sqlx::query("SELECT audience FROM outbox WHERE report_id = $1 AND message_id = $2")
                .bind(report.as_str())
                .bind(format!("<{message_id}>"))
                .fetch_optional(&self.pool)
                .await?;
        Ok(
            match row
                .map(|r| r.try_get::<String, _>("audience"))
                .transpose()?
            {
                Some(a) if a == "reporter" => Answers::MailToReporter,
                Some(_) => Answers::TeamOnlyMail,
                None => Answers::Unknown,
            },
        )
    }

    async fn attachments(&self, report: &ReportId) -> Result<Vec<AttachmentInfo>> {
        self.attachment_rows(report, 0, i64::MAX).await
    }

    async fn attachments_page(
        &self,
        report: &ReportId,
        after: i64,
        limit: u32,
    ) -> Result<PageOf<AttachmentInfo>> {
        Ok(PageOf {
            items: self.attachment_rows(report, after, limit.into()).await?,
            total: self.count_of("mail_attachments", report).await?,
        })
    }

    async fn incoming_page(
        &self,
        report: &ReportId,
        after: i64,
        limit: u32,
    ) -> Result<PageOf<IncomingSummary>> {
        Ok(PageOf {
            items: self.incoming_rows(report, after, limit.into()).await?,
            total: self.count_of("mail_in", report).await?,
        })
    }

    async fn attachment(
        &self,
        report: &ReportId,
        id: i64,
    ) -> Result<Option<(AttachmentInfo, Option<Vec<u8>>)>> {
        let row = sqlx::query(&format!(
            "{ATTACHMENT_SELECT}, content_sealed FROM mail_attachments WHERE report_id = $1 AND id = $2"
        ))
        .bind(report.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let info = self.decode_attachment(report.as_str(), &row)?;
        let content = row
            .try_get::<Option<Vec<u8>>, _>("content_sealed")?
            .map(|c| {
                self.sealer
                    .open(attachment_aad(report.as_str(), &info.sha256).as_bytes(), &c)
            })
            .transpose()?;
        Ok(Some((info, content)))
    }

    async fn incoming_for_report(&self, report: &ReportId) -> Result<Vec<IncomingSummary>> {
        self.incoming_rows(report, 0, i64::MAX).await
    }

    async fn original_message(&self, report: &ReportId, id: i64) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query(
            "SELECT message_id, raw_sealed FROM mail_in WHERE report_id = $1 AND id = $2",
        )
        .bind(report.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let message_id: String = r.try_get("message_id")?;
            let raw: Vec<u8> = r.try_get("raw_sealed")?;
            self.sealer.open(raw_aad(&message_id).as_bytes(), &raw)
        })
        .transpose()
    }

    async fn reporter_last_message(&self, report: &ReportId) -> Result<Option<String>> {
        // A message without a Message-ID was stored under a digest of its bytes
        // (`generated`): nothing a reader's client could thread on.
        let row = sqlx::query(
            "SELECT message_id, message_id_sealed FROM mail_in WHERE report_id = $1 \
             AND disposition IN ('new_report', 'reporter_reply') \
             AND generated = 0 AND message_id_sealed IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(report.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let key: String = r.try_get("message_id")?;
            self.sealer.open_string(
                &message_id_aad(&key),
                &r.try_get::<Vec<u8>, _>("message_id_sealed")?,
            )
        })
        .transpose()
    }

    async fn claim_outgoing(
        &self,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<QueuedMail>> {
        let now_us = now.as_microsecond();
        let rows = sqlx::query(
            "SELECT id, report_id, message_id, to_sealed, cc_sealed, subject_sealed, body_sealed, attempts, created_at, \
             origin, from_sealed FROM outbox WHERE state = 'queued' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_attempt_at, id LIMIT $3",
        )
        .bind(now_us)
        .bind(now_us)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            // The claim itself: only one worker's conditional UPDATE can match the row
            // while no live lease is on it.
            let won = sqlx::query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id = $3 AND state = 'queued' \
                 AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(owner)
            .bind(lease_until.as_microsecond())
            .bind(id)
            .bind(now_us)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if won == 0 {
                continue;
            }
            let message_id: String = row.try_get("message_id")?;
            let open = |aad: String, column: &str| -> Result<String> {
                self.sealer
                    .open_string(&aad, &row.try_get::<Vec<u8>, _>(column)?)
            };
            let (origin, from) = self.open_sending(row, &message_id)?;
            claimed.push(QueuedMail {
                id,
                report: row
                    .try_get::<Option<String>, _>("report_id")?
                    .as_deref()
                    .map(crate::sql::codec::report_id)
                    .transpose()?,
                to: addresses(&open(outbox_to_aad(&message_id), "to_sealed")?)?,
                cc: addresses(&open(outbox_cc_aad(&message_id), "cc_sealed")?)?,
                subject: open(outbox_subject_aad(&message_id), "subject_sealed")?,
                body: open(outbox_body_aad(&message_id), "body_sealed")?,
                attempts: row.try_get("attempts")?,
                created_at: timestamp(row.try_get("created_at")?)?,
                message_id,
                origin,
                from,
            });
        }
        Ok(claimed)
    }

    async fn mark_sent(&self, id: i64, owner: &str, now: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL, \
             lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND state = 'queued'",
        )
        .bind(now.as_microsecond())
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        // An error is kept short: it is shown on the report page.
        let error: String = error.chars().take(500).collect();
        let n = sqlx::query(
            "UPDATE outbox SET state = $1, attempts = attempts + 1, last_error = $2, \
             next_attempt_at = COALESCE($3, next_attempt_at), lease_owner = NULL, lease_until = NULL \
             WHERE id = $4 AND lease_owner = $5 AND state = 'queued'",
        )
        .bind(if retry_at.is_some() { "queued" } else { "failed" })
        .bind(error)
        .bind(retry_at.map(|t| t.as_microsecond()))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn outbox_stats(&self) -> Result<OutboxStats> {
        let rows = sqlx::query(
            "SELECT state, CASE WHEN attempts > 0 AND last_error IS NOT NULL THEN 1 ELSE 0 END AS retrying, \
             COUNT(*) AS n FROM outbox GROUP BY state, CASE WHEN attempts > 0 AND last_error IS NOT NULL THEN 1 ELSE 0 END",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut stats = OutboxStats::default();
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            let retrying = row.try_get::<i64, _>("retrying")? != 0;
            match (row.try_get::<String, _>("state")?.as_str(), retrying) {
                ("sent", _) => stats.sent += n,
                ("failed", _) => stats.failed += n,
                ("queued", true) => stats.failing += n,
                ("queued", false) => stats.queued += n,
                (other, _) => {
                    return Err(StoreError::Corrupt(format!(
                        "stored outbox state {other:?}"
                    )));
                }
            }
        }
        Ok(stats)
    }
}
