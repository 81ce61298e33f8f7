//! Embargo's records in the formats other tools read: CVE JSON 5 (written, read and
//! checked), OSV and CSAF 2.0 (written). Pure functions: no I/O.

pub mod csaf;
pub mod cve5;
mod error;
pub mod osv;
pub mod scan;
pub mod version;
pub mod vex;

pub use error::FormatError;
