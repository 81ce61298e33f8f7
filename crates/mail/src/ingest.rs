//! The one intake path behind both doors (the SMTP receiver and `embargo ingest-mail`):
//! bound the size, read the MIME within its bounds (parts, attachments), and hand the message to the application, which
//! decides what it becomes and commits it in one transaction.

use embargo_app::App;
use embargo_app::mail_intake::{InboundMail, MailLimits, MailReader};

use crate::MailError;
use crate::parse::ParseLimits;
use crate::smtp::Envelope;

pub use embargo_app::mail_intake::{
    DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_MESSAGE_BYTES, Outcome, subject_token,
};

/// Takes messages in. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    app: App,
    limits: MailLimits,
    structure: ParseLimits,
    /// Called with each outcome once it is committed (the receiver's `/metrics` count).
    on_taken: Option<fn(&Outcome)>,
}

impl Ingestor {
    /// An ingestor within `limits` and the default [`ParseLimits`].
    pub fn new(app: App, limits: MailLimits) -> Self {
        Self {
            app,
            limits,
            structure: ParseLimits::default(),
            on_taken: None,
        }
    }

    /// The same, calling `hook` with the outcome of every message taken, after its
    /// commit: a door counts what it took without the mail crate knowing the counter.
    #[must_use]
    pub fn on_taken(mut self, hook: fn(&Outcome)) -> Self {
        self.on_taken = Some(hook);
        self
    }

    /// The same, with these bounds on a message's parts and attachments.
    #[must_use]
    pub fn with_parse_limits(mut self, structure: ParseLimits) -> Self {
        self.structure = structure;
        self
    }

    /// The application it hands messages to.
    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn limits(&self) -> &MailLimits {
        &self.limits
    }

    /// Takes one message. `Ok` only once everything it caused is committed.
    /// `envelope` is the SMTP envelope when there is one (the receiver); a pipe from
    /// an MTA has none, and the recipient headers are used.
    pub async fn ingest(
        &self,
        raw: &[u8],
        envelope: Option<&Envelope>,
    ) -> Result<Outcome, MailError> {
        if raw.len() > self.limits.max_message_bytes {
            return Err(MailError::TooLarge {
                size: raw.len(),
                limit: self.limits.max_message_bytes,
            });
        }
        // Bounded before the application sees it: nothing is stored for a message
        // beyond the bounds.
        let mail = crate::parse::parse_bounded(raw, &self.structure)?;
        let outcome = self
            .app
            .take_mail(raw, &mail, envelope, &self.limits)
            .await?;
        if let Some(hook) = self.on_taken {
            hook(&outcome);
        }
        Ok(outcome)
    }

    /// Releases a held mail into a new report (the organisation team only).
    pub async fn release(
        &self,
        held: i64,
        by: &embargo_domain::access::Member,
    ) -> Result<embargo_domain::ids::ReportId, MailError> {
        Ok(self.app.release_held(by, held).await?)
    }
}

/// The mail door's parser as the application's port: a held mail is read again when
/// the organisation team releases it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader;

impl MailReader for Reader {
    fn read(&self, raw: &[u8]) -> embargo_app::Result<InboundMail> {
        crate::parse::parse(raw).map_err(|e| embargo_app::Error::invalid("message", e.to_string()))
    }

    fn summary(&self, raw: &[u8]) -> embargo_app::model::MailHeaders {
        crate::parse::mail_summary(raw)
    }
}
