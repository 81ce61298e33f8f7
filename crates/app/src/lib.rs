//! Embargo's application layer: the use cases every door calls. The web front end,
//! the mail intake and the command line each turn their input into one call on
//! [`App`] and render what it returns; none of them reaches the store, builds a
//! policy, the addresses a decision writes to, a member or a publisher itself.
//!
//! One module per area: [`intake`] (new reports from the form and the API),
//! [`reports`] (visibility and the domain's decisions), [`announcement`] (where the
//! announcement goes and went), [`records`] (the CVE record
//! and its moves), [`publication`] (every public format), [`listing`] (what a member's
//! lists show), [`held`] (held mail), [`senders`] (sender rules), [`statements`]
//! (dependency statements, VEX), [`accounts`] (members, sign-in, credentials),
//! [`public`] (what anyone may read), [`mail_intake`] (what a message becomes),
//! [`triage`] (suggestions at intake and the team's decisions on them), [`owner`]
//! (who has taken a report), [`dashboard`] (the dashboard's page in one call),
//! [`settings`] and the ports ([`CveProgram`], [`mail_intake::MailReader`]).

pub mod accounts;
pub mod admin;
pub mod announcement;
pub mod clocks;
mod cve_program;
pub mod dashboard;
pub mod error;
pub mod hashing;
pub mod held;
pub mod intake;
pub mod listing;
pub mod mail_intake;
mod mail_route;
pub mod operations;
pub mod outbox;
pub mod owner;
pub mod password;
pub mod public;
pub mod publication;
pub mod records;
pub mod reports;
pub mod search;
pub mod senders;
pub mod settings;
pub mod statements;
pub mod statistics;
mod transition_request;
pub mod triage;

use std::sync::Arc;

use embargo_store::Store;

pub use cve_program::CveProgram;
pub use dashboard::Dashboard;
pub use error::{Error, Result};
pub use listing::{ListCounts, ListPage, ListQuery};
pub use owner::OwnerRequest;
pub use settings::Settings;
pub use transition_request::TransitionRequest;
pub use triage::{BulkConfirm, TriageRequest};

/// What the doors show of stored things: re-exported so that they need not depend on
/// the store.
pub mod model {
    pub use embargo_store::{
        AttachmentInfo, CredentialKind, Delivery, HeldCategory, HeldFilter, HeldListing,
        HeldMailInfo, HeldState, IncomingSummary, ListCursor, MAX_BULK_DISCARD, MAX_HELD_SCANNED,
        MailHeaders, Organisation, OutboxEntry, Project, PublishedAdvisory, RecordVersion,
        ReportSummary, SenderRuleInfo, TriageMark, UpsertOutcome,
    };
    pub use embargo_store::{
        ImportOutcome, MAX_STATEMENTS_PER_PROJECT, StatementChange, StatementRecord,
        StatementVersion,
    };
}

/// The application: the store, the installation's settings and the ports. Cheap to
/// clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    settings: Settings,
    ports: Ports,
    /// The bound on concurrent password hashing (sign-in, setting a password).
    hashing: hashing::HashingGate,
}

/// What the application reaches outside itself, plugged in by the binary.
#[derive(Clone, Default)]
pub struct Ports {
    /// Where PUBLISHED and REJECTED records go first; `None` records them here only
    /// (and the report's note says so).
    pub cve_program: Option<Arc<dyn CveProgram>>,
    /// Reads a held mail again when it is released; `None` refuses releases.
    pub mail_reader: Option<Arc<dyn mail_intake::MailReader>>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, settings: Settings, ports: Ports) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                settings,
                ports,
                hashing: hashing::HashingGate::new(hashing::HashingLimit::default()),
            }),
        }
    }

    /// The same application with another bound on password hashing (configuration;
    /// tests use 1). Call it before the application is shared.
    #[must_use]
    pub fn with_hashing_limit(self, limit: hashing::HashingLimit) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                settings: self.inner.settings.clone(),
                ports: self.inner.ports.clone(),
                hashing: hashing::HashingGate::new(limit),
            }),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }
}
