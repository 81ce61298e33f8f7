//! Embargo's e-mail: messages in through the SMTP receiver or `embargo ingest-mail`
//! (one shared path: [`ingest::Ingestor`]), and the outbox delivered by a worker.
//!
//! Parsing is mail-parser's, tolerant of real-world MIME; the SMTP server protocol is
//! a small sans-I/O state machine ([`smtp`]) under a tokio loop ([`server`]); outgoing
//! mail goes through lettre to a relay ([`outbound`]). Every door is bounded: message
//! size and structure ([`parse::ParseLimits`]), sessions ([`server::SmtpLimits`]) and an
//! intake budget per client and sender ([`budget`]); docs/operations.md, "Mail".

pub mod budget;
pub mod ingest;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod server;
pub mod smtp;
pub mod templates;

pub use embargo_app::mail_intake::MailLimits;
pub use ingest::{Ingestor, Outcome, Reader};

/// Why a message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Refused for good: sending it again will not help (sysexits 65, SMTP 554).
    #[error("refused: {0}")]
    Refused(String),
    /// Above the size limit (sysexits 65, SMTP 552).
    #[error("the message is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// Beyond a bound of its structure (MIME parts, attachments): refused for good
    /// before anything is stored (sysexits 65, SMTP 552).
    #[error("{0}")]
    TooComplex(String),
    /// What the application said: a message that does not make a valid report or
    /// reply is refused for good (sysexits 65, SMTP 554); a busy or unreachable
    /// database is for later (sysexits 75, SMTP 451).
    #[error("{0}")]
    App(#[from] embargo_app::Error),
    /// Try again later, for another reason.
    #[error("try again later: {0}")]
    Unavailable(String),
}

impl MailError {
    fn is_temporary_app(&self, e: &embargo_app::Error) -> bool {
        use embargo_app::Error;
        matches!(
            e,
            Error::Unavailable(_) | Error::Internal(_) | Error::Upstream(_) | Error::Conflict(_)
        )
    }

    /// Whether sending the message again later may succeed.
    pub fn is_temporary(&self) -> bool {
        self.exit_code() == 75
    }

    /// The sysexits code `embargo ingest-mail` exits with: 65 (EX_DATAERR) for a
    /// message that will never be taken, 75 (EX_TEMPFAIL) for one to retry.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) | Self::TooLarge { .. } | Self::TooComplex(_) => 65,
            Self::App(e) if !self.is_temporary_app(e) => 65,
            Self::App(_) | Self::Unavailable(_) => 75,
        }
    }
}
