//! CVE Services: the CVE Program's API through which a CNA reserves CVE IDs and publishes
//! and rejects CVE records. [`Client`] talks to a deployment of it with the organisation's
//! credentials; with the `fake` feature, `fake::FakeCveServices` is an in-memory
//! implementation of the same endpoints for tests (ours, and conformance runs of `cvelib`).

mod client;
mod error;
mod secret;
mod types;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::{Client, PRODUCTION_URL, TEST_URL, cna_container_of};
pub use error::{Error, Result, ServiceErrorBody};
pub use secret::{ApiKey, Credentials};
pub use types::{
    BatchType, CveIdInfo, IdFilter, IdState, IdTimes, OrgInfo, Quota, RejectedReason, Rejection,
    RequestedBy, Reservation,
};
