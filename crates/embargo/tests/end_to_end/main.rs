//! The `embargo` binary end to end, one test binary (one link instead of five): the
//! command line as deployment scripts use it (`cli`, `cve_cli`, `senders_cli`,
//! `vex_cli`), mail through the real SMTP receiver and a real relay (`mail`), and the
//! whole story in headless Chromium (`browser`, `browser_cna`, with the drivers in
//! `support`). Each runs on SQLite and, with `EMBARGO_TEST_POSTGRES`, on PostgreSQL;
//! what needs Chromium, Python or the corpus follows `embargo_testkit`'s rule (SKIPPED
//! when missing, a failure under `CI=true`).

mod browser;
mod browser_cna;
mod cli;
mod cve_cli;
mod durability;
mod http_limits;
mod layout;
mod mail;
mod mail_metrics;
mod nodes;
mod operator;
mod senders_cli;
mod support;
mod two_nodes;
mod vex_cli;
