//! Identifiers and addresses, each parsed once at the edge and valid everywhere after.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Crockford's base32 alphabet: no I, L, O or U, so ids read aloud without mistakes.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const REPORT_ID_CHARS: usize = 12;

/// A report's public-facing id, e.g. `EMB-7F3KQ2M9ZC4D`.
///
/// Random (60 bits), not sequential, so an id reveals neither how many reports exist
/// nor when one arrived.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReportId(String);

impl ReportId {
    /// A fresh random id.
    pub fn generate() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let body: String = (0..REPORT_ID_CHARS)
            .map(|_| CROCKFORD[rng.gen_range(0..32)] as char)
            .collect();
        Self(format!("EMB-{body}"))
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let upper = s.trim().to_ascii_uppercase();
        let body = upper
            .strip_prefix("EMB-")
            .ok_or_else(|| DomainError::invalid("report id", "must look like EMB-XXXXXXXXXXXX"))?;
        if body.len() != REPORT_ID_CHARS || !body.bytes().all(|b| CROCKFORD.contains(&b)) {
            return Err(DomainError::invalid(
                "report id",
                "must look like EMB-XXXXXXXXXXXX",
            ));
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReportId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ReportId> for String {
    fn from(id: ReportId) -> Self {
        id.0
    }
}
impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A project's short name in URLs and files: `kafka`, `dapr`, `commons-text`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if !ok {
            return Err(DomainError::invalid(
                "project",
                format!(
                    "{s:?} is not a project slug (1-64 characters: lowercase letters, digits and inner hyphens)"
                ),
            ));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for ProjectSlug {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<ProjectSlug> for String {
    fn from(s: ProjectSlug) -> Self {
        s.0
    }
}
impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address as people type it: one `@`, a dotted domain, no spaces, no
/// header-breaking characters. Deliverability is the mail system's question, not ours.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let bad = |why: &str| DomainError::invalid("email", format!("{s:?} {why}"));
        if s.len() > 254 {
            return Err(bad("is longer than 254 characters"));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| bad("is not an e-mail address (no @)"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(bad("has an empty or over-long local part"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control())
            || s.contains(['<', '>', ',', ';', '"', '(', ')', '[', ']', '\\'])
            || local.contains('@')
        {
            return Err(bad("contains characters not allowed in an address"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(bad("does not have a valid domain"));
        }
        // Domains are case-insensitive; local parts, strictly, are not, so only the
        // domain is folded.
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CVE identifier, `CVE-YYYY-NNNN` with four or more digits (CVE JSON 5 `cveId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CveId {
    year: u16,
    number: u64,
}

impl CveId {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let bad = || {
            DomainError::invalid(
                "cve",
                format!("{s:?} is not a CVE id (CVE-YYYY-NNNN, four or more digits)"),
            )
        };
        let rest = s.strip_prefix("CVE-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || !year.bytes().all(|b| b.is_ascii_digit())
            || !(4..=19).contains(&number.len())
            || !number.bytes().all(|b| b.is_ascii_digit())
            // The schema forbids leading zeros beyond the four-digit minimum.
            || (number.len() > 4 && number.starts_with('0'))
        {
            return Err(bad());
        }
        let year: u16 = year.parse().map_err(|_| bad())?;
        if year < 1999 {
            return Err(bad());
        }
        Ok(Self {
            year,
            number: number.parse().map_err(|_| bad())?,
        })
    }

    pub fn new(year: u16, number: u64) -> Self {
        Self { year, number }
    }
    pub fn year(&self) -> u16 {
        self.year
    }
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Expands `CVE-2026-10000..CVE-2026-10099` (inclusive) or a single id.
    pub fn parse_range(s: &str) -> Result<Vec<Self>, DomainError> {
        const MAX_RANGE: u64 = 100_000;
        match s.split_once("..") {
            None => Ok(vec![Self::parse(s)?]),
            Some((a, b)) => {
                let (a, b) = (Self::parse(a)?, Self::parse(b)?);
                if a.year != b.year {
                    return Err(DomainError::invalid(
                        "cve range",
                        "both ends of a range must be in the same year",
                    ));
                }
                if b.number < a.number {
                    return Err(DomainError::invalid(
                        "cve range",
                        "the range ends before it starts",
                    ));
                }
                if b.number - a.number >= MAX_RANGE {
                    return Err(DomainError::invalid(
                        "cve range",
                        format!("a range may hold at most {MAX_RANGE} ids"),
                    ));
                }
                Ok((a.number..=b.number)
                    .map(|n| Self::new(a.year, n))
                    .collect())
            }
        }
    }
}
impl TryFrom<String> for CveId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<CveId> for String {
    fn from(c: CveId) -> Self {
        c.to_string()
    }
}
impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CVE-{}-{:04}", self.year, self.number)
    }
}

/// Database ids of users and projects: internal, never shown in public URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProjectId(pub i64);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn report_ids_round_trip_and_reject_junk() {
        let id = ReportId::generate();
        assert_eq!(ReportId::parse(id.as_str()).unwrap(), id);
        assert_eq!(ReportId::parse(&id.as_str().to_lowercase()).unwrap(), id);
        for bad in [
            "",
            "EMB-",
            "EMB-123",
            "XYZ-7F3KQ2M9ZC4D",
            "EMB-7F3KQ2M9ZC4U",
            "EMB-7F3KQ2M9ZC4DD",
        ] {
            assert!(ReportId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" A.B@Example.ORG ").unwrap().as_str(),
            "A.B@example.org"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.org",
            "a b@c.org",
            "a@b.org\r\nBcc: x@y.org",
            "<a@b.org>",
            "a@-b.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cve_ids_and_ranges() {
        let c = CveId::parse("CVE-2026-10000").unwrap();
        assert_eq!(c.to_string(), "CVE-2026-10000");
        assert_eq!(
            CveId::parse("CVE-2021-0001").unwrap().to_string(),
            "CVE-2021-0001"
        );
        for bad in [
            "CVE-2026-123",
            "cve-2026-1234",
            "CVE-26-1234",
            "CVE-2026-01234",
            "CVE-1998-1234",
        ] {
            assert!(CveId::parse(bad).is_err(), "{bad}");
        }
        let r = CveId::parse_range("CVE-2026-10000..CVE-2026-10099").unwrap();
        assert_eq!(r.len(), 100);
        assert_eq!(r[99].to_string(), "CVE-2026-10099");
        assert!(CveId::parse_range("CVE-2026-10099..CVE-2026-10000").is_err());
        assert!(CveId::parse_range("CVE-2025-1000..CVE-2026-1000").is_err());
    }

    #[test]
    fn slugs() {
        assert!(ProjectSlug::parse("commons-text").is_ok());
        for bad in ["", "Kafka", "-x", "x-", "a b", "a/b", &"a".repeat(65)] {
            assert!(ProjectSlug::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn cve_display_parses_back(year in 1999u16..=9999, number in 0u64..100_000_000) {
            let id = CveId::new(year, number);
            prop_assert_eq!(CveId::parse(&id.to_string()).unwrap(), id);
        }

        #[test]
        fn email_parse_never_panics(s in ".{0,300}") {
            let _ = Email::parse(&s);
        }
    }
}
