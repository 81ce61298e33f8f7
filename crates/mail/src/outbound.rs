//! The outbox worker: claims due rows, delivers them over SMTP to the relay with
//! lettre, marks them sent, or schedules a retry with exponential backoff.
//!
//! At least once, never duplicated in the ordinary course: a row is claimed with a
//! lease (a conditional UPDATE) so no other worker or node sends it meanwhile; it is
//! marked sent as soon as the relay accepted it, well inside the lease; its
//! Message-ID was fixed when it was queued, so even a retry after a crash between
//! "relay said 250" and "marked sent" is recognisably the same mail downstream.
//!
//! One refused recipient does not stop the others ([`deliver`]); what the relay said
//! is logged and stored with the addresses redacted.

use std::future::Future;
use std::time::Duration;

use embargo_app::App;
use embargo_app::outbox::QueuedMail;
use jiff::{SignedDuration, Timestamp};
/// A mailbox (display name and address), as lettre formats it in a header.
pub use lettre::message::Mailbox as Address;
use lettre::message::header::Header;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the worker reaches the relay and paces its retries.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// The relay, `host` and `port`: plain SMTP to the site's MTA (no TLS: it is meant
    /// to be local).
    pub relay_host: String,
    pub relay_port: u16,
    /// The From of every mail that does not name its own (a project's announcement
    /// does), e.g. `Example Security <security@example.org>`; always the envelope
    /// sender, so that bounces come back to Embargo's held mail.
    pub from: Address,
    /// The first retry waits this long; each next one twice as long, up to `max_backoff`.
    pub retry_base: Duration,
    pub max_backoff: Duration,
    /// Attempts before a mail is given up as failed.
    pub max_attempts: i64,
    /// How often the outbox is looked at when there is nothing to do.
    pub poll: Duration,
    /// One SMTP conversation's time limit.
    pub smtp_timeout: Duration,
    /// Mails claimed at once.
    pub batch: u32,
}

impl OutboundConfig {
    /// Defaults for `relay` and `from`: retries from 30 s doubling to 1 h, 30 attempts
    /// (about a day), a poll every second.
    pub fn new(relay_host: String, relay_port: u16, from: Address) -> Self {
        Self {
            relay_host,
            relay_port,
            from,
            retry_base: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 30,
            poll: Duration::from_secs(1),
            smtp_timeout: Duration::from_secs(30),
            batch: 10,
        }
    }

    /// The lease covers a whole batch even if every send runs into its timeout.
    fn lease(&self) -> SignedDuration {
        let batch = self.smtp_timeout * self.batch.max(1) * 2;
        SignedDuration::try_from(batch.max(Duration::from_secs(300)))
            .unwrap_or(SignedDuration::from_hours(1))
    }

    /// The wait before attempt `attempts + 1`.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
        self.retry_base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max_backoff)
    }
}

/// RFC 3834: what Embargo writes by itself is marked, so auto-responders stay quiet
/// and our own intake never answers it. A person's words (the announcement, a relayed
/// reply) are not: see [`embargo_domain::report::MailOrigin`].
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// Why one delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Retrying will not help (a malformed address, a 5xx from the relay).
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Transient(String),
}

/// Delivers queued mail until `shutdown` completes.
pub async fn run(app: App, config: OutboundConfig, shutdown: impl Future<Output = ()>) {
    let owner = format!("worker-{}", hex::encode(rand::random::<[u8; 8]>()));
    let transport = transport(&config);
    tokio::pin!(shutdown);
    loop {
        let busy = match deliver_due(&app, &transport, &config, &owner).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "the outbox is unavailable; retrying");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// The relay transport for `config`.
pub fn transport(config: &OutboundConfig) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.relay_host.clone())
        .port(config.relay_port)
        .timeout(Some(config.smtp_timeout))
        .build()
}

/// One pass: claims what is due and tries each once. Returns how many were attempted.
pub async fn deliver_due(
    app: &App,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &OutboundConfig,
    owner: &str,
) -> Result<usize, embargo_app::Error> {
    let claimed = app
        .claim_outgoing(owner, config.lease(), config.batch)
        .await?;
    for embargo_app::outbox::Delivery { mail, in_reply_to } in &claimed {
        match deliver(transport, config, mail, in_reply_to.as_deref()).await {
            Ok(delivered) => {
                if !delivered.refused.is_empty() {
                    // The others got it; the refused ones are told in the log only,
                    // without their addresses (the row is marked sent below).
                    tracing::warn!(
                        id = mail.id,
                        refused = delivered.refused.len(),
                        why = %delivered.refused.join("; "),
                        "the relay refused some recipients of a mail; the others got it"
                    );
                }
                // Marking sent is retried a little: the relay has the mail, and the
                // lease keeps every other worker away meanwhile.
                let mut marked = app.mark_sent(mail.id, owner).await;
                for _ in 0..5 {
                    if marked.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    marked = app.mark_sent(mail.id, owner).await;
                }
                match marked {
                    Ok(true) => tracing::info!(id = mail.id, "mail delivered to the relay"),
                    Ok(false) => {
                        tracing::warn!(id = mail.id, "mail delivered after its lease ran out")
                    }
                    Err(e) => {
                        tracing::error!(id = mail.id, error = %e, "mail delivered but not marked sent")
                    }
                }
            }
            Err(e) => {
                let give_up = matches!(e, SendError::Permanent(_))
                    || mail.attempts + 1 >= config.max_attempts;
                let retry_at = (!give_up).then(|| {
                    Timestamp::now()
                        + SignedDuration::try_from(config.backoff(mail.attempts))
                            .unwrap_or(SignedDuration::from_hours(1))
                });
                tracing::warn!(id = mail.id, attempts = mail.attempts + 1, give_up, error = %e, "mail not delivered");
                app.mark_failed(mail.id, owner, &e.to_string(), retry_at)
                    .await?;
            }
        }
    }
    Ok(claimed.len())
}

/// Builds the mail for a queued row and hands it to the relay.
pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &OutboundConfig,
    mail: &QueuedMail,
) -> Result<(), SendError> {
    send_reply(transport, config, mail, None).await
}

/// [`send`], in reply to the message `in_reply_to` (without brackets) when given.
pub async fn send_reply(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &OutboundConfig,
    mail: &QueuedMail,
    in_reply_to: Option<&str>,
) -> Result<(), SendError> {
    deliver(transport, config, mail, in_reply_to)
        .await
        .map(|_| ())
}

/// How a mail went: every recipient got it, or some were refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivered {
    /// Recipients the relay refused for good (the others got the mail), with why, the
    /// relay's words with every address redacted.
    pub refused: Vec<String>,
}

/// Hands the mail to the relay. If the relay refuses it for good and it has several
/// recipients, each recipient is tried in a transaction of its own, so that one
/// refused address (a reporter's mailbox gone) does not stop the copies the process
/// requires for the others (the team's, the organisation's). That is safe: a refused
/// transaction delivered nothing (the relay answered 5xx before or at the end of
/// DATA). If a recipient then fails only for now, the whole mail is retried later,
/// and a recipient who already got it may get it twice, with the same Message-ID.
pub async fn deliver(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &OutboundConfig,
    mail: &QueuedMail,
    in_reply_to: Option<&str>,
) -> Result<Delivered, SendError> {
    let message = build_reply(config, mail, in_reply_to)?;
    let envelope = message.envelope().clone();
    let raw = message.formatted();
    let first = match transport.send_raw(&envelope, &raw).await {
        Ok(_) => return Ok(Delivered::default()),
        Err(e) => classify(&e),
    };
    if !matches!(first, SendError::Permanent(_)) || envelope.to().len() < 2 {
        return Err(first);
    }
    let mut refused = Vec::new();
    let mut transient = None;
    for to in envelope.to() {
        let one = lettre::address::Envelope::new(envelope.from().cloned(), vec![to.clone()])
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match transport
            .send_raw(&one, &raw)
            .await
            .map_err(|e| classify(&e))
        {
            Ok(_) => {}
            Err(SendError::Permanent(why)) => refused.push(why),
            Err(e @ SendError::Transient(_)) => transient = Some(e),
        }
    }
    if let Some(e) = transient {
        return Err(e);
    }
    if refused.len() == envelope.to().len() {
        return Err(first);
    }
    Ok(Delivered { refused })
}

/// The lettre error as ours, with every address in its text redacted.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let why = embargo_app::outbox::redact_addresses(&e.to_string());
    if e.is_permanent() {
        SendError::Permanent(why)
    } else {
        SendError::Transient(why)
    }
}

/// The RFC 5322 message for a queued row, with its fixed Message-ID.
pub fn build(config: &OutboundConfig, mail: &QueuedMail) -> Result<Message, SendError> {
    build_reply(config, mail, None)
}

/// [`build`] with In-Reply-To and References naming `in_reply_to` (without brackets).
pub fn build_reply(
    config: &OutboundConfig,
    mail: &QueuedMail,
    in_reply_to: Option<&str>,
) -> Result<Message, SendError> {
    let address = |e: &embargo_domain::ids::Email| {
        e.as_str()
            .parse::<lettre::Address>()
            .map(|a| Address::new(None, a))
            // Not the address itself: the error is stored and logged.
            .map_err(|err| SendError::Permanent(format!("a recipient address: {err}")))
    };
    let from = match &mail.from {
        Some(sender) => sender_address(sender)?,
        None => config.from.clone(),
    };
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .header(ContentType::TEXT_PLAIN);
    if mail.origin.is_automatic() {
        builder = builder.header(AutoSubmitted);
    }
    // Only an id that cannot break the header line: it came from someone else's mail.
    if let Some(id) = in_reply_to.filter(|id| {
        !id.is_empty()
            && id.len() <= 500
            && id
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
    }) {
        builder = builder
            .in_reply_to(format!("<{id}>"))
            .references(format!("<{id}>"));
    }
    for to in &mail.to {
        builder = builder.to(address(to)?);
    }
    for cc in &mail.cc {
        builder = builder.cc(address(cc)?);
    }
    if mail.from.is_some() {
        // Sent in a project's name, returned to ours: a bounce still reaches Embargo.
        let recipients = mail
            .to
            .iter()
            .chain(&mail.cc)
            .map(|e| address(e).map(|a| a.email))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = lettre::address::Envelope::new(Some(config.from.email.clone()), recipients)
            .map_err(|e| SendError::Permanent(format!("the envelope: {e}")))?;
        builder = builder.envelope(envelope);
    }
    builder
        .body(mail.body.clone())
        .map_err(|e| SendError::Permanent(e.to_string()))
}

/// A sender as a mailbox: lettre quotes the display name as RFC 5322 needs (a name
/// such as `Example, Inc.` or `Foo (Security)` is a quoted string, not a list of two
/// addresses or a comment), and encodes it when it is not ASCII.
pub fn sender_address(sender: &embargo_domain::announce::Sender) -> Result<Address, SendError> {
    let email = sender
        .address
        .as_str()
        .parse::<lettre::Address>()
        .map_err(|e| SendError::Permanent(format!("the sender's address: {e}")))?;
    let name = Some(sender.name.clone()).filter(|n| !n.trim().is_empty());
    Ok(Address::new(name, email))
}

#[cfg(test)]
mod tests {
    use super::*;
    use embargo_domain::ids::Email;
    use embargo_domain::report::MailOrigin;

    fn config() -> OutboundConfig {
        OutboundConfig::new(
            "127.0.0.1".into(),
            25,
            "Security <security@example.org>".parse().unwrap(),
        )
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = config();
        assert_eq!(c.backoff(0), Duration::from_secs(30));
        assert_eq!(c.backoff(1), Duration::from_secs(60));
        assert_eq!(c.backoff(3), Duration::from_secs(240));
        assert_eq!(c.backoff(100), Duration::from_secs(3600));
    }

    #[test]
    fn messages_keep_their_message_id_and_are_marked_automatic() {
        let mail = QueuedMail {
            id: 1,
            report: None,
            message_id: "<abc@embargo>".into(),
            to: vec![Email::parse("ann@example.net").unwrap()],
            cc: vec![Email::parse("security@example.org").unwrap()],
            subject: "[EMB-0123456789AB] R\u{e9}ception".into(),
            body: "Merci\n".into(),
            attempts: 0,
            created_at: Timestamp::now(),
            origin: MailOrigin::Automatic,
            from: None,
        };
        let text = String::from_utf8(build(&config(), &mail).unwrap().formatted()).unwrap();
        assert!(text.contains("Message-ID: <abc@embargo>"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
        assert!(text.contains("Cc: security@example.org"), "{text}");
        assert!(
            text.contains("Subject: [EMB-0123456789AB] =?utf-8?"),
            "non-ASCII subjects are encoded: {text}"
        );
    }

    #[test]
    fn replies_name_the_reporter_message_and_refuse_hostile_ids() {
        let mail = QueuedMail {
            id: 1,
            report: None,
            message_id: "<abc@mail.example.org>".into(),
            to: vec![Email::parse("ann@example.net").unwrap()],
            cc: vec![],
            subject: "[EMB-0123456789AB] Acknowledged".into(),
            body: "Thanks\n".into(),
            attempts: 0,
            created_at: Timestamp::now(),
            origin: MailOrigin::Automatic,
            from: None,
        };
        let text =
            |id| String::from_utf8(build_reply(&config(), &mail, id).unwrap().formatted()).unwrap();
        let threaded = text(Some("r1@researcher.example"));
        assert!(
            threaded.contains("In-Reply-To: <r1@researcher.example>"),
            "{threaded}"
        );
        assert!(
            threaded.contains("References: <r1@researcher.example>"),
            "{threaded}"
        );
        let hostile = text(Some("x>\r\nBcc: eve@evil.example"));
        assert!(!hostile.contains("In-Reply-To"), "{hostile}");
        assert!(!hostile.contains("Bcc"), "{hostile}");
    }
}
