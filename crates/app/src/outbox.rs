//! The outbox as the delivery worker sees it: claim what is due (with the reporter's
//! thread to answer in), mark it sent or failed. Every mail was queued in the same
//! transaction as the change that caused it; a claim is a lease, so two workers (or
//! two nodes) never send the same mail at once.
//!
//! A failure is recorded without any address in it ([`redact_addresses`]): a relay's
//! refusal names the recipient, often a reporter, and `outbox.last_error` is stored
//! in clear and shown to the team.

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

    /// Records a failed attempt; `retry_at: None` gives up. Addresses in `error` are
    /// redacted before it is stored.
    pub async fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        let error = redact_addresses(error);
        Ok(self
            .store()
            .mark_failed(id, owner, &error, retry_at)
            .await?)
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

/// `text` with every e-mail address in it replaced by `<redacted>`: what a relay says
/// about a recipient may be logged and stored, who the recipient is may not.
pub fn redact_addresses(text: &str) -> String {
    let is_delimiter = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | '"' | '\'' | ',' | ';' | ':' | '(' | ')' | '[' | ']'
            )
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(is_delimiter).unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        let looks_like_address = token
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if looks_like_address {
            // Inside angle brackets already: keep one pair.
            if out.ends_with('<') && tail.starts_with('>') {
                out.push_str("redacted");
            } else {
                out.push_str("<redacted>");
            }
        } else {
            out.push_str(token);
        }
        let delimiter_len = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..delimiter_len]);
        rest = &tail[delimiter_len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_addresses;

    #[test]
    fn addresses_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redact_addresses(
                "permanent error (550): 5.1.1 <ann@researcher.example>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <redacted>: Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("bob@x.test: invalid, \"Eve\" eve@y.test; r\u{e9}essayer"),
            "<redacted>: invalid, \"Eve\" <redacted>; r\u{e9}essayer"
        );
        assert_eq!(
            redact_addresses("timed out after 30 s @ relay"),
            "timed out after 30 s @ relay"
        );
    }
}
