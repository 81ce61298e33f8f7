//! The versions a record speaks about: ranges with their status and the status changes
//! inside them (CVE `versions`, `defaultStatus`), and the one-line form people write
//! them in (`1.0.0 before 1.2.3, fixed in 1.1.9`).

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;
use crate::text::optional_line;

/// The status of a range, of a change inside one, or of the versions outside every
/// range (CVE `status`, `changes[].status`, `defaultStatus`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VersionStatus {
    #[default]
    Affected,
    Unaffected,
    Unknown,
}

impl VersionStatus {
    pub const ALL: [VersionStatus; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    /// As CVE JSON 5 writes it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(field: &'static str, s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_lowercase();
        s.parse().map_err(|_| {
            DomainError::invalid(
                field,
                format!("{s:?} is not a status (affected, unaffected or unknown)"),
            )
        })
    }

    fn is_affected(&self) -> bool {
        *self == Self::Affected
    }
}

/// Inside a range, from version `at` on the status is `status` (CVE `changes`): the
/// usual case is a fix on an older branch, "1.0.0 before 2.0.0, fixed in 1.4.7".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionChange {
    pub at: String,
    pub status: VersionStatus,
}

/// One range of versions (affected unless `status` says otherwise): from `introduced`
/// up to `fixed` (exclusive, CVE `lessThan`) or up to `last_affected` (inclusive, CVE
/// `lessThanOrEqual`), with the status `changes` inside it.
///
/// Stored ranges from before inclusive bounds, statuses and changes existed
/// (`{"introduced": "1.0", "fixed": "1.1"}`) read as affected ranges, and affected
/// ranges are stored in that shape still.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionRange {
    /// First affected version; "0" or empty for "all versions before".
    pub introduced: String,
    /// First fixed version, if a fix is released.
    pub fixed: Option<String>,
    /// Last affected version, when that is what the team knows (no fixed version yet, or
    /// the project numbers fixes in a way that makes "before X" misleading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// The range's status; a range that says "these versions are not affected" is
    /// `unaffected`. Skipped when affected so that records stored before it read the same.
    #[serde(skip_serializing_if = "VersionStatus::is_affected")]
    pub status: VersionStatus,
    /// Status changes inside the range, in version order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<VersionChange>,
}

impl VersionRange {
    /// Reads one line as people write ranges (and as [`Self::describe`] prints them):
    /// `1.0.0 before 1.2.3`, `before 6.1.1`, `1.0 through 1.4`, `through 1.4`,
    /// `2.0 and later`, or a single version (meaning "and later"); then, after commas,
    /// status changes inside the range: `fixed in 1.4.7` (the same as `unaffected from
    /// 1.4.7`), `affected from 1.5.0`, `unknown from 1.6`. A line starting with
    /// `unaffected:` or `unknown:` says that about the whole range:
    /// `unaffected: 2.0.0 before 2.1.0`.
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let whole = line.trim();
        let (status, rest) = match whole.split_once(':') {
            Some((head, rest)) if matches!(head.trim(), "unaffected" | "unknown" | "affected") => {
                (VersionStatus::parse("affected", head)?, rest)
            }
            _ => (VersionStatus::Affected, whole),
        };
        let mut parts = rest.split(',');
        let mut range = Self::parse_bounds(parts.next().unwrap_or_default())?;
        range.status = status;
        for part in parts {
            range.changes.push(parse_change(whole, part)?);
        }
        Ok(range)
    }

    /// The bounds alone: everything [`Self::parse_line`] reads before the first comma.
    fn parse_bounds(line: &str) -> Result<Self, DomainError> {
        let trimmed = line.trim();
        let through = |from: &str, last: &str| -> Result<Self, DomainError> {
            let bad = || {
                DomainError::invalid(
                    "affected",
                    format!("{trimmed:?} is not a range like \"1.0 through 1.4\""),
                )
            };
            optional_line("affected", trimmed)?;
            Ok(Self {
                introduced: if from.trim().is_empty() {
                    "0".into()
                } else {
                    one_word(from).ok_or_else(bad)?
                },
                fixed: None,
                last_affected: Some(one_word(last).ok_or_else(bad)?),
                ..Self::default()
            })
        };
        if let Some(last) = trimmed.strip_prefix("through ") {
            return through("", last);
        }
        if let Some((from, last)) = trimmed.split_once(" through ") {
            return through(from, last);
        }
        Self::parse_before_or_later(line)
    }

    /// The exclusive forms: `1.0.0 before 1.2.3`, `before 6.1.1`, `2.0 and later`, or a
    /// single version.
    fn parse_before_or_later(line: &str) -> Result<Self, DomainError> {
        let line = optional_line("affected", line)?
            .ok_or_else(|| DomainError::invalid("affected", "empty range"))?;
        let bad = || {
            DomainError::invalid(
                "affected",
                format!(
                    "{line:?} is not a range like \"1.0.0 before 1.2.3\", \"before 1.2.3\" or \"2.0 and later\""
                ),
            )
        };
        let range = |introduced: String, fixed: Option<String>| Self {
            introduced,
            fixed,
            ..Self::default()
        };
        if line == "before" || line.ends_with(" before") {
            return Err(bad());
        }
        if let Some(fixed) = line.strip_prefix("before ") {
            return Ok(range("0".into(), Some(one_word(fixed).ok_or_else(bad)?)));
        }
        if let Some((from, fixed)) = line.split_once(" before ") {
            let from = one_word(from).ok_or_else(bad)?;
            return Ok(range(from, Some(one_word(fixed).ok_or_else(bad)?)));
        }
        if let Some(from) = line.strip_suffix(" and later") {
            return Ok(range(one_word(from).ok_or_else(bad)?, None));
        }
        Ok(range(one_word(&line).ok_or_else(bad)?, None))
    }

    /// The line [`Self::parse_line`] reads back: "unaffected: " when the range is not
    /// affected, the bounds, then the changes ("1.0.0 before 2.0.0, fixed in 1.4.7").
    pub fn describe(&self) -> String {
        let mut out = match self.status {
            VersionStatus::Affected => String::new(),
            other => format!("{}: ", other.as_str()),
        };
        out.push_str(&self.describe_bounds());
        for c in &self.changes {
            out.push_str(&match c.status {
                VersionStatus::Unaffected => format!(", fixed in {}", c.at),
                other => format!(", {} from {}", other.as_str(), c.at),
            });
        }
        out
    }

    /// The announcement's wording of the bounds: "1.0.0 before 1.2.3", "before 1.2.3",
    /// "1.0 through 1.4", "through 1.4", "2.0 and later".
    pub fn describe_bounds(&self) -> String {
        let from = self.introduced.trim();
        match (&self.fixed, &self.last_affected, from) {
            (None, Some(last), "" | "0") => format!("through {last}"),
            (None, Some(last), from) => format!("{from} through {last}"),
            (Some(f), _, "" | "0") => format!("before {f}"),
            (Some(f), _, from) => format!("{from} before {f}"),
            (None, None, "" | "0") => "all versions".into(),
            (None, None, from) => format!("{from} and later"),
        }
    }
}

/// One word of a range line (a version), trimmed; `None` when empty or several words.
fn one_word(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && !s.contains(char::is_whitespace)).then(|| s.to_string())
}

/// A change after a comma of the range line `whole`: `fixed in 1.4.7`, or
/// `<status> from <version>`.
fn parse_change(whole: &str, part: &str) -> Result<VersionChange, DomainError> {
    let part = part.trim();
    let bad = || {
        DomainError::invalid(
            "affected",
            format!(
                "in {whole:?}: {part:?} is not a change like \"fixed in 1.4.7\" or \"affected from 1.5.0\""
            ),
        )
    };
    let (status, at) = if let Some(at) = part.strip_prefix("fixed in ") {
        (VersionStatus::Unaffected, at)
    } else {
        let (status, at) = part.split_once(" from ").ok_or_else(bad)?;
        (
            VersionStatus::parse("affected", status).map_err(|_| bad())?,
            at,
        )
    };
    let at = at.trim();
    if at.is_empty() || at.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(VersionChange {
        at: at.to_string(),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_back_to_what_describe_prints() {
        for line in [
            "1.0.0 before 1.2.3",
            "before 6.1.1",
            "2.0 and later",
            "1.0 through 1.4",
            "through 1.4",
        ] {
            assert_eq!(VersionRange::parse_line(line).unwrap().describe(), line);
        }
        assert_eq!(
            VersionRange::parse_line("3.1").unwrap().describe(),
            "3.1 and later"
        );
        assert!(VersionRange::parse_line("from 1 to 2").is_err());
        assert!(VersionRange::parse_line("before ").is_err());
        let r = VersionRange::parse_line("3.0.0 through 3.7.0").unwrap();
        assert_eq!(
            (r.introduced.as_str(), r.fixed, r.last_affected.as_deref()),
            ("3.0.0", None, Some("3.7.0"))
        );
        assert!(VersionRange::parse_line("1.0 through").is_err());
        assert!(VersionRange::parse_line("a b through 2").is_err());
    }

    #[test]
    fn ranges_read_like_the_asf_writes_them() {
        let r = |i: &str, f: Option<&str>| {
            VersionRange {
                introduced: i.into(),
                fixed: f.map(Into::into),
                ..VersionRange::default()
            }
            .describe()
        };
        assert_eq!(r("1.0.0", Some("1.2.3")), "1.0.0 before 1.2.3");
        assert_eq!(r("0", Some("6.1.1")), "before 6.1.1");
        assert_eq!(r("2.0", None), "2.0 and later");
        assert_eq!(r("0", None), "all versions");
    }

    #[test]
    fn range_lines_carry_status_and_changes() {
        for line in [
            "1.0.0 before 2.0.0, fixed in 1.4.7",
            "1.0.0 before 2.0.0, fixed in 1.4.7, affected from 1.5.0, unknown from 1.6",
            "unaffected: 2.0.0 before 2.1.0",
            "unknown: through 0.9",
            "unaffected: 3.0 and later",
        ] {
            assert_eq!(VersionRange::parse_line(line).unwrap().describe(), line);
        }
        let r = VersionRange::parse_line("1.0.0 before 2.0.0, unaffected from 1.4.7").unwrap();
        assert_eq!(
            r.changes,
            [VersionChange {
                at: "1.4.7".into(),
                status: VersionStatus::Unaffected
            }]
        );
        assert_eq!(r.describe(), "1.0.0 before 2.0.0, fixed in 1.4.7");
        for bad in [
            "1.0 before 2.0, fixed 1.4",
            "1.0 before 2.0, broken from 1.4",
            "1.0 before 2.0, fixed in 1 4",
            "1.0 before 2.0, fixed in ",
        ] {
            let e = VersionRange::parse_line(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{:?}", bad.trim())), "{bad}: {e}");
        }
        // Stored records from before read the same, and affected ranges store as before.
        let r: VersionRange = serde_json::from_str(r#"{"introduced":"1","fixed":"2"}"#).unwrap();
        assert_eq!(r.status, VersionStatus::Affected);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"introduced":"1","fixed":"2"}"#
        );
    }
}
