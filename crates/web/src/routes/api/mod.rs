//! `/api/v1`: the same domain calls as the pages, as JSON. Team endpoints take
//! `Authorization: Bearer` API tokens; reporters use their status token.

pub mod advisories;
pub mod clocks;
pub mod held;
pub mod openapi;
pub mod owner;
pub mod reports;
pub mod senders;
pub mod statements;
pub mod statistics;
pub mod status;
pub mod triage;
