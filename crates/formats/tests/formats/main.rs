//! The formats crate's integration tests, one binary (one link instead of five): records
//! in the world's formats checked against the shared corpus and the official schemas and
//! validators. What needs the corpus, Python or node follows `embargo_testkit`'s rule:
//! SKIPPED when missing, a failure under `CI=true`.

mod announcements;
mod cna_round_trip;
mod corpus;
mod cve5_schema;
mod official_schema;
mod scan;
mod vex;
