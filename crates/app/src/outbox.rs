//! The outbox as the delivery worker sees it: claim what is due (with the reporter's
//! thread to answer in), mark it sent or failed. Every mail was queued in the same
//! transaction as the change that caused it; a claim is a lease, so two workers (or
//! two nodes) never send the same mail at once.

use jiff::{SignedDuration, Timestamp};

use crate::App;
use crate::error::Result;

pub use embargo_store::{MailRenderer, OutboxStats, QueuedMail};

/// A claimed mail and, when it goes to the reporter of its report, the reporter's
/// latest Message-ID, so that it lands in their thread.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub mail: QueuedMail,
    pub in_reply_to: Option<String>,
}

impl App {
    /// Claims up to `limit` due mails for `owner` for `lease`.
    pub async fn claim_outgoing(
        &self,
        owner: &str,
        lease: SignedDuration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let now = Timestamp::now();
        let claimed = self
            .store()
            .claim_outgoing(owner, now, now + lease, limit)
            .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for mail in claimed {
            let in_reply_to = match self.reporter_thread(&mail).await {
                Ok(id) => id,
                Err(e) => {
                    // Threading is a courtesy: the mail goes out without it.
                    tracing::warn!(id = mail.id, error = %e, "reporter thread not found");
                    None
                }
            };
            out.push(Delivery { mail, in_reply_to });
        }
        Ok(out)
    }

    /// Marks a claimed mail sent; false if `owner` no longer holds the claim.
    pub async fn mark_sent(&self, id: i64, owner: &str) -> Result<bool> {
        Ok(self.store().mark_sent(id, owner, Timestamp::now()).await?)
    }

    /// Records a failed attempt; `retry_at: None` gives up.
    pub async fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        Ok(self.store().mark_failed(id, owner, error, retry_at).await?)
    }

    /// Counts of the outbox by delivery state.
    pub async fn outbox_stats(&self) -> Result<OutboxStats> {
        Ok(self.store().outbox_stats().await?)
    }

    async fn reporter_thread(&self, mail: &QueuedMail) -> Result<Option<String>> {
        let Some(id) = &mail.report else {
            return Ok(None);
        };
        let Some(report) = self.store().report(id).await? else {
            return Ok(None);
        };
        let to_reporter = report.reporter.email.as_ref().is_some_and(|r| {
            mail.to
                .iter()
                .any(|t| t.as_str().eq_ignore_ascii_case(r.as_str()))
        });
        if !to_reporter {
            return Ok(None);
        }
        Ok(self.store().reporter_last_message(id).await?)
    }
}
