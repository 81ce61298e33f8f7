//! The web crate's integration tests: the HTTP API and pages of a served router, on
//! SQLite and (with `EMBARGO_TEST_POSTGRES`) PostgreSQL.

mod authz;
mod bad_input;
mod bounded_pages;
mod clocks;
mod combine;
mod csrf;
mod cve_at_rest;
mod cve_publish;
mod deadlines;
mod delegation;
mod doors;
mod embargo;
mod held;
mod held_bulk;
mod json_shapes;
mod login;
mod mail;
mod openapi;
mod owners;
mod pages;
mod paging;
mod publication;
mod rate_limit;
mod record_page;
mod records;
mod schemas;
mod search;
mod senders;
mod statement_reminders;
mod statements;
mod statements_exchange;
mod statistics;
mod story;
mod support;
mod triage;
