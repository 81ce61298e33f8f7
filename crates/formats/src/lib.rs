//! Embargo's records in the formats other tools read: CVE JSON 5 today; OSV, CSAF and
//! VEX follow (issue #4).

pub mod cve5;
