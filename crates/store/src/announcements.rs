//! Who an outgoing mail speaks for and whom it comes from, and the copies of a report's
//! announcement: the outbox columns of migration 0022, written as a mail is queued
//! ([`SqlStore::sending_columns`]), read as it is claimed ([`SqlStore::open_sending`])
//! and as the report page lists where the announcement went
//! ([`Announcements::announcement_copies`]).
//!
//! The sender and each copy's destination and address are sealed like the outbox's
//! recipients (a reporter's address is embargoed, docs/confidentiality.md#outbox);
//! only the origin (`automatic` or `human_approved`, no address) stays readable.

use async_trait::async_trait;
use embargo_domain::announce::{Destination, Sender};
use embargo_domain::ids::{Email, ReportId};
use embargo_domain::report::{MailOrigin, OutgoingMail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::mailbox::Delivery;
use crate::model::OutboxEntry;
use crate::sql::codec::timestamp;
use crate::{Result, SqlStore, StoreError};

/// One copy of a report's announcement: the destination it served, the address it
/// went to, and where its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnouncementCopy {
    /// The outbox row of the copy.
    pub outbox_id: i64,
    pub destination: Destination,
    pub address: Email,
    /// Whom the copy came from (the project's address, or the configured sender).
    pub from: Option<Sender>,
    pub delivery: Delivery,
    pub queued_at: Timestamp,
    /// When the relay took it; `None` while it is queued (or failed).
    pub sent_at: Option<Timestamp>,
    /// Why the last attempt failed (addresses redacted), while it is retried or failed.
    pub last_error: Option<String>,
}

/// The announcement's copies, as the report page and the API show them.
#[async_trait]
pub trait Announcements: Send + Sync {
    /// The copies of `report`'s announcement, in the order they were queued (the
    /// order of the policy's destinations); empty before the announcement.
    async fn announcement_copies(&self, report: &ReportId) -> Result<Vec<AnnouncementCopy>>;
}

/// What `destination_sealed` holds.
#[derive(Serialize, Deserialize)]
struct SealedCopy {
    destination: Destination,
    address: Email,
}

fn from_aad(message_id: &str) -> String {
    format!("outbox-from:{message_id}")
}

fn destination_aad(message_id: &str) -> String {
    format!("outbox-destination:{message_id}")
}

/// The sealed columns one queued mail adds to its outbox row.
pub(crate) struct SendingColumns {
    pub origin: &'static str,
    pub from_sealed: Option<Vec<u8>>,
    pub destination_sealed: Option<Vec<u8>>,
}

impl SqlStore {
    /// `mail`'s origin, sender and destination, sealed for the row of `message_id`.
    pub(crate) fn sending_columns(
        &self,
        message_id: &str,
        mail: &OutgoingMail,
    ) -> Result<SendingColumns> {
        let from_sealed = mail
            .from
            .as_ref()
            .map(|f| self.sealer.seal_str(&from_aad(message_id), &f.to_string()))
            .transpose()?;
        let destination_sealed = match (&mail.destination, mail.to.first()) {
            (Some(destination), Some(address)) => {
                let json = serde_json::to_string(&SealedCopy {
                    destination: destination.clone(),
                    address: address.clone(),
                })
                .map_err(|e| {
                    StoreError::Corrupt(format!("a destination does not serialize: {e}"))
                })?;
                Some(self.sealer.seal_str(&destination_aad(message_id), &json)?)
            }
            _ => None,
        };
        Ok(SendingColumns {
            origin: mail.origin.as_str(),
            from_sealed,
            destination_sealed,
        })
    }

    /// The origin and sender of a claimed outbox row (`origin`, `from_sealed`).
    pub(crate) fn open_sending(
        &self,
        row: &AnyRow,
        message_id: &str,
    ) -> Result<(MailOrigin, Option<Sender>)> {
        let origin: String = row.try_get("origin")?;
        let origin = MailOrigin::parse(&origin)
            .ok_or_else(|| StoreError::Corrupt(format!("stored mail origin {origin:?}")))?;
        let from = row
            .try_get::<Option<Vec<u8>>, _>("from_sealed")?
            .map(|sealed| {
                let text = self.sealer.open_string(&from_aad(message_id), &sealed)?;
                Sender::parse(&text)
                    .map_err(|e| StoreError::Corrupt(format!("a stored sender: {e}")))
            })
            .transpose()?;
        Ok((origin, from))
    }
}

#[async_trait]
impl Announcements for SqlStore {
    async fn announcement_copies(&self, report: &ReportId) -> Result<Vec<AnnouncementCopy>> {
        let rows = sqlx::query(
            "SELECT id, message_id, destination_sealed, origin, from_sealed, state, attempts, last_error, \
             created_at, sent_at FROM outbox WHERE report_id = $1 AND destination_sealed IS NOT NULL ORDER BY id",
        )
        .bind(report.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let message_id: String = row.try_get("message_id")?;
                let sealed: Vec<u8> = row.try_get("destination_sealed")?;
                let json = self
                    .sealer
                    .open_string(&destination_aad(&message_id), &sealed)?;
                let copy: SealedCopy = serde_json::from_str(&json).map_err(|e| {
                    StoreError::Corrupt(format!("a stored announcement destination: {e}"))
                })?;
                let (_, from) = self.open_sending(row, &message_id)?;
                // The delivery state as the outbox table on the page reads it.
                let entry = OutboxEntry {
                    id: row.try_get("id")?,
                    to: vec![],
                    cc: vec![],
                    subject: String::new(),
                    state: row.try_get("state")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    created_at: timestamp(row.try_get("created_at")?)?,
                };
                Ok(AnnouncementCopy {
                    outbox_id: entry.id,
                    destination: copy.destination,
                    address: copy.address,
                    from,
                    delivery: entry.delivery(),
                    queued_at: entry.created_at,
                    sent_at: row
                        .try_get::<Option<i64>, _>("sent_at")?
                        .map(timestamp)
                        .transpose()?,
                    last_error: entry.last_error,
                })
            })
            .collect()
    }
}
