//! The vulnerability record a team writes once: the source of the CVE record, the
//! announcement and the public advisory.

use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;
use crate::ids::CveId;
use crate::text::{optional_line, required_line, required_text};

/// Largest record description (CVE JSON 5 allows 4096 characters per description).
pub const MAX_RECORD_DESCRIPTION: usize = 4096;

/// The ASF's textual severity scale (the announcements' "Severity:" line and the corpus'
/// "Textual description of severity"; docs/process.md#step-8-write-the-record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[derive(EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Low,
    Moderate,
    Important,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.trim().to_ascii_lowercase().parse().map_err(|_| {
            DomainError::invalid(
                "severity",
                format!(
                    "{s:?} is not one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }
}

/// One range of affected versions: `introduced` up to (not including) `fixed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// First affected version; "0" or empty for "all versions before".
    pub introduced: String,
    /// First fixed version (exclusive upper bound), if a fix is released.
    pub fixed: Option<String>,
}

impl AffectedRange {
    /// Reads one line as people write ranges (and as [`Self::describe`] prints them):
    /// `1.0.0 before 1.2.3`, `before 6.1.1`, `2.0 and later`, or a single version.
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
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
        let one_word = |s: &str| {
            let s = s.trim();
            (!s.is_empty() && !s.contains(char::is_whitespace)).then(|| s.to_string())
        };
        if line == "before" || line.ends_with(" before") {
            return Err(bad());
        }
        if let Some(fixed) = line.strip_prefix("before ") {
            return Ok(Self {
                introduced: "0".into(),
                fixed: Some(one_word(fixed).ok_or_else(bad)?),
            });
        }
        if let Some((from, fixed)) = line.split_once(" before ") {
            return Ok(Self {
                introduced: one_word(from).ok_or_else(bad)?,
                fixed: Some(one_word(fixed).ok_or_else(bad)?),
            });
        }
        if let Some(from) = line.strip_suffix(" and later") {
            return Ok(Self {
                introduced: one_word(from).ok_or_else(bad)?,
                fixed: None,
            });
        }
        Ok(Self {
            introduced: one_word(&line).ok_or_else(bad)?,
            fixed: None,
        })
    }

    /// The announcement's wording: "1.0.0 before 1.2.3", "before 1.2.3", "1.0.0".
    pub fn describe(&self) -> String {
        let from = self.introduced.trim();
        match (&self.fixed, from) {
            (Some(f), "" | "0") => format!("before {f}"),
            (Some(f), from) => format!("{from} before {f}"),
            (None, "" | "0") => "all versions".into(),
            (None, from) => format!("{from} and later"),
        }
    }
}

/// A credit line, with its CVE JSON 5 credit type (finder, reporter, remediation developer...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: CreditKind,
}

/// The API spells them in snake_case; `cve_name` is the CVE JSON 5 spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[derive(EnumString, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "lowercase")]
pub enum CreditKind {
    Finder,
    Reporter,
    Analyst,
    Coordinator,
    #[serde(alias = "remediation developer")]
    #[strum(serialize = "remediation developer")]
    RemediationDeveloper,
    #[serde(alias = "remediation reviewer")]
    #[strum(serialize = "remediation reviewer")]
    RemediationReviewer,
    #[serde(alias = "remediation verifier")]
    #[strum(serialize = "remediation verifier")]
    RemediationVerifier,
    Tool,
    Sponsor,
    Other,
}

impl Credit {
    /// Reads `Name (finder)`; a line without a type in brackets credits a finder.
    pub fn parse_line(line: &str) -> Result<Self, DomainError> {
        let line = required_line("credits", line)?;
        if let Some(open) = line.rfind(" (")
            && line.ends_with(')')
        {
            let kind = CreditKind::parse(&line[open + 2..line.len() - 1])?;
            return Ok(Self {
                name: required_line("credits", &line[..open])?,
                kind,
            });
        }
        Ok(Self {
            name: line,
            kind: CreditKind::Finder,
        })
    }
}

impl CreditKind {
    pub const ALL: [CreditKind; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);
    /// The CVE JSON 5 spelling.
    pub fn cve_name(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_lowercase().replace('_', " ");
        s.parse()
            .map_err(|_| DomainError::invalid("credits", format!("{s:?} is not a credit type")))
    }
}

/// What the team fills in once the report is accepted. Every field may be left out
/// of a JSON body; `validate` says what is still missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordDraft {
    /// e.g. "Apache Kafka: SASL/OAUTHBEARER does not validate the issuer".
    pub title: String,
    pub description: String,
    /// Product name as the vendor calls it, e.g. "Apache Kafka".
    pub product: String,
    pub affected: Vec<AffectedRange>,
    pub severity: Option<Severity>,
    /// e.g. "CWE-79" with its name, "Improper Neutralization of Input ...".
    pub cwe: Option<String>,
    pub cwe_name: Option<String>,
    pub mitigation: Option<String>,
    pub credits: Vec<Credit>,
    pub references: Vec<String>,
}

impl RecordDraft {
    /// Checks each field; a draft that passes can be announced and exported.
    pub fn validate(&self) -> Result<(), DomainError> {
        required_line("title", &self.title)?;
        required_text("description", &self.description, MAX_RECORD_DESCRIPTION)?;
        required_line("product", &self.product)?;
        if self.affected.is_empty() {
            return Err(DomainError::invalid(
                "affected",
                "name at least one affected version range",
            ));
        }
        if self.affected.len() > 50 {
            return Err(DomainError::invalid("affected", "at most 50 ranges"));
        }
        for r in &self.affected {
            optional_line("affected", &r.introduced)?;
            if let Some(f) = &r.fixed {
                required_line("affected", f)?;
                if f.trim() == r.introduced.trim() {
                    return Err(DomainError::invalid(
                        "affected",
                        format!("the range {} before {f} is empty", r.introduced),
                    ));
                }
            }
        }
        if let Some(cwe) = &self.cwe {
            let ok = cwe.strip_prefix("CWE-").is_some_and(|n| {
                !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit())
            });
            if !ok {
                return Err(DomainError::invalid(
                    "cwe",
                    format!("{cwe:?} is not a CWE id like CWE-79"),
                ));
            }
        }
        if let Some(m) = &self.mitigation {
            required_text("mitigation", m, MAX_RECORD_DESCRIPTION)?;
        }
        if self.credits.len() > 50 {
            return Err(DomainError::invalid("credits", "at most 50 credits"));
        }
        for c in &self.credits {
            required_line("credits", &c.name)?;
        }
        if self.references.len() > 50 {
            return Err(DomainError::invalid("references", "at most 50 references"));
        }
        for r in &self.references {
            let ok = (r.starts_with("https://") || r.starts_with("http://"))
                && r.len() <= 2048
                && !r.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(DomainError::invalid(
                    "references",
                    format!("{r:?} is not an http(s) URL"),
                ));
            }
        }
        Ok(())
    }
}

/// The ASF-style announcement (docs/process.md#step-11-announce; compare
/// `corpus/announcements/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub subject: String,
    pub body: String,
}

/// The announcement's subject, `CVE-YYYY-NNNN: Apache Foo: title`. Record titles
/// usually start with the product already ("Apache Foo: …", "Apache Foo Beeline RCE"),
/// and then the ASF does not say it twice (compare `corpus/announcements/`).
pub fn announcement_subject(cve: &CveId, product: &str, title: &str) -> String {
    let (p, t) = (product.trim().to_lowercase(), title.trim().to_lowercase());
    let names_product = !p.is_empty()
        && t.strip_prefix(&p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', ',']));
    if names_product {
        format!("{cve}: {}", title.trim())
    } else {
        format!("{cve}: {}: {}", product.trim(), title.trim())
    }
}

/// Writes the announcement in the format of the ASF's Vulnogram "email" output.
pub fn announcement(cve: &CveId, record: &RecordDraft) -> Announcement {
    let title = record.title.trim();
    let product = record.product.trim();
    let subject = announcement_subject(cve, product, title);
    let mut body = String::new();
    if let Some(s) = record.severity {
        body.push_str(&format!("Severity: {}\n\n", s.as_str()));
    }
    body.push_str("Affected versions:\n\n");
    for r in &record.affected {
        body.push_str(&format!("- {product} {}\n", r.describe()));
    }
    body.push_str("\nDescription:\n\n");
    body.push_str(record.description.trim());
    body.push('\n');
    if let Some(m) = &record.mitigation {
        body.push('\n');
        body.push_str(m.trim());
        body.push('\n');
    }
    if !record.credits.is_empty() {
        body.push_str("\nCredit:\n\n");
        for c in &record.credits {
            body.push_str(&format!("{} ({})\n", c.name.trim(), c.kind.cve_name()));
        }
    }
    body.push_str("\nReferences:\n\n");
    for r in &record.references {
        body.push_str(r);
        body.push('\n');
    }
    body.push_str(&format!("https://www.cve.org/CVERecord?id={cve}\n"));
    Announcement { subject, body }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> RecordDraft {
        RecordDraft {
            title: "Apache Airflow Hive Provider Beeline RCE with Principal".into(),
            description: "Improper Input Validation vulnerability in Apache Airflow Hive Provider.".into(),
            product: "Apache Airflow Hive Provider".into(),
            affected: vec![AffectedRange { introduced: "0".into(), fixed: Some("6.1.1".into()) }],
            severity: Some(Severity::Moderate),
            cwe: Some("CWE-20".into()),
            cwe_name: Some("Improper Input Validation".into()),
            mitigation: Some("It is recommended updating provider version to 6.1.1 in order to avoid this vulnerability.".into()),
            credits: vec![Credit { name: "id_No2015429 of 3H Secruity Team".into(), kind: CreditKind::Reporter }],
            references: vec!["https://github.com/apache/airflow/pull/31983".into()],
        }
    }

    #[test]
    fn announcement_follows_the_asf_layout() {
        let a = announcement(&CveId::parse("CVE-2023-35797").unwrap(), &sample());
        assert_eq!(
            a.subject,
            // Exactly the subject of the real announcement in the corpus.
            "CVE-2023-35797: Apache Airflow Hive Provider Beeline RCE with Principal"
        );
        assert!(a.body.starts_with("Severity: moderate\n\nAffected versions:\n\n- Apache Airflow Hive Provider before 6.1.1\n"));
        assert!(
            a.body
                .contains("\nCredit:\n\nid_No2015429 of 3H Secruity Team (reporter)\n")
        );
        assert!(a.body.ends_with("https://github.com/apache/airflow/pull/31983\nhttps://www.cve.org/CVERecord?id=CVE-2023-35797\n"));
    }

    #[test]
    fn title_with_product_prefix_is_not_doubled() {
        let mut r = sample();
        r.title = "Apache Airflow Hive Provider: RCE".into();
        let a = announcement(&CveId::parse("CVE-2023-35797").unwrap(), &r);
        assert_eq!(
            a.subject,
            "CVE-2023-35797: Apache Airflow Hive Provider: RCE"
        );
        let cve = CveId::parse("CVE-2023-35797").unwrap();
        assert_eq!(
            announcement_subject(&cve, "Apache Foo", "XSS in login"),
            "CVE-2023-35797: Apache Foo: XSS in login"
        );
        assert_eq!(
            announcement_subject(&cve, "Apache Foo", "Apache Foobar: XSS"),
            "CVE-2023-35797: Apache Foo: Apache Foobar: XSS",
            "a longer name is another product"
        );
        assert_eq!(
            announcement_subject(&cve, "apache foo", "Apache Foo XSS"),
            "CVE-2023-35797: Apache Foo XSS"
        );
    }

    #[test]
    fn validation_names_the_field() {
        sample().validate().unwrap();
        let mut r = sample();
        r.affected.clear();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .starts_with("affected:")
        );
        let mut r = sample();
        r.cwe = Some("79".into());
        assert!(r.validate().unwrap_err().to_string().starts_with("cwe:"));
        let mut r = sample();
        r.references.push("javascript:alert(1)".into());
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .starts_with("references:")
        );
        let mut r = sample();
        r.affected[0] = AffectedRange {
            introduced: "1.0".into(),
            fixed: Some("1.0".into()),
        };
        assert!(r.validate().is_err());
    }

    #[test]
    fn lines_parse_back_to_what_describe_prints() {
        for line in ["1.0.0 before 1.2.3", "before 6.1.1", "2.0 and later"] {
            assert_eq!(AffectedRange::parse_line(line).unwrap().describe(), line);
        }
        assert_eq!(
            AffectedRange::parse_line("3.1").unwrap().describe(),
            "3.1 and later"
        );
        assert!(AffectedRange::parse_line("from 1 to 2").is_err());
        assert!(AffectedRange::parse_line("before ").is_err());
        let c = Credit::parse_line("Ann Researcher (remediation developer)").unwrap();
        assert_eq!(
            (c.name.as_str(), c.kind),
            ("Ann Researcher", CreditKind::RemediationDeveloper)
        );
        assert_eq!(Credit::parse_line("Bob").unwrap().kind, CreditKind::Finder);
        assert!(Credit::parse_line("Bob (wizard)").is_err());
    }

    #[test]
    fn ranges_read_like_the_asf_writes_them() {
        let r = |i: &str, f: Option<&str>| {
            AffectedRange {
                introduced: i.into(),
                fixed: f.map(Into::into),
            }
            .describe()
        };
        assert_eq!(r("1.0.0", Some("1.2.3")), "1.0.0 before 1.2.3");
        assert_eq!(r("0", Some("6.1.1")), "before 6.1.1");
        assert_eq!(r("2.0", None), "2.0 and later");
    }
}
