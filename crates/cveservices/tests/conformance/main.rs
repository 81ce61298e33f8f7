//! CVE Services conformance: our client against the local server, the local server's answers
//! against the official response schemas, and the real client `cvelib` against the local
//! server. Parts that need Python (`jsonschema`, `cvelib`) print SKIPPED when it is missing,
//! and fail instead under `CI=true`.
#![allow(clippy::unwrap_used)]

mod client;
mod cvelib;
mod schemas;
mod support;
