//! The formats crate's one error type: what went wrong reading or writing a format,
//! worded for the person who has to fix the file.

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not JSON at all (or truncated).
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not a CVE record (a CNA container alone, a CVE 4 record, an OSV file...).
    #[error("not a CVE JSON 5 record: {0}")]
    NotACveRecord(String),
    /// A CVE record of a format version this code does not read.
    #[error(
        "unsupported CVE record dataVersion {found:?}: Embargo reads CVE JSON 5.0, 5.1 and 5.2 records"
    )]
    UnsupportedVersion { found: String },
    /// A field has the wrong shape; `path` is where, as `containers.cna.affected[0].versions`.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// The record is REJECTED and the target format has no document for a rejected ID.
    #[error("{cve} is REJECTED: {format} has no advisory for a rejected CVE ID")]
    Rejected { cve: String, format: &'static str },
}
