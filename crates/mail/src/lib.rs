//! Embargo's e-mail: messages in through the SMTP receiver or `embargo ingest-mail`
//! (one shared path: [`ingest::Ingestor`]), and the outbox delivered by a worker.
//!
//! Parsing is mail-parser's, tolerant of real-world MIME; the SMTP server protocol is
//! a small sans-I/O state machine ([`smtp`]) under a tokio loop ([`server`]); outgoing
//! mail goes through lettre to a relay ([`outbound`]).

pub mod ingest;
pub mod outbound;
pub mod parse;
pub mod quote;
pub mod route;
pub mod server;
pub mod smtp;
pub mod templates;

pub use ingest::{Ingestor, MailConfig, Outcome};

use embargo_domain::DomainError;
use embargo_store::StoreError;

/// Why a message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Refused for good: sending it again will not help (sysexits 65, SMTP 554).
    #[error("refused: {0}")]
    Refused(String),
    /// Above the size limit (sysexits 65, SMTP 552).
    #[error("the message is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The message does not make a valid report or reply (sysexits 65, SMTP 554).
    #[error("refused: {0}")]
    Domain(#[from] DomainError),
    /// Try again later: the database is unavailable (sysexits 75, SMTP 451).
    #[error("try again later: {0}")]
    Store(#[from] StoreError),
    /// Try again later, for another reason.
    #[error("try again later: {0}")]
    Unavailable(String),
}

impl MailError {
    /// The sysexits code `embargo ingest-mail` exits with: 65 (EX_DATAERR) for a
    /// message that will never be taken, 75 (EX_TEMPFAIL) for one to retry.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(_) | Self::TooLarge { .. } | Self::Domain(_) => 65,
            Self::Store(_) | Self::Unavailable(_) => 75,
        }
    }
}
