//! Dependency statements (VEX): what a project has said about a vulnerability in a
//! component it ships or depends on — not affected (and why), affected (and what to
//! do), fixed (in which version), or under investigation (docs/vex.md).
//!
//! A project keeps these answers once and publishes them in the formats scanners and
//! customers read (OpenVEX, CycloneDX VEX, CSAF VEX, OWASP Dependency-Check
//! suppressions: `embargo_formats::vex`); a scanner report is triaged against them
//! (`embargo_formats::scan` reads the reports, [`matching`] pairs findings with
//! statements). Everything here is pure.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};

use crate::DomainError;

pub mod expiry;
pub mod matching;

/// What a statement says of the vulnerability in the component.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub const ALL: [VexStatus; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.trim().parse().map_err(|_| {
            DomainError::invalid(
                "status",
                format!(
                    "{s:?} is not a VEX status (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }
}

/// Why a component is not affected: the VEX justifications (OpenVEX's names; CSAF and
/// CycloneDX have their own spellings of the same five, mapped by the formats).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Justification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl Justification {
    pub const ALL: [Justification; Self::VARIANTS.len()] = crate::variants(Self::VARIANTS);

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.trim().parse().map_err(|_| {
            DomainError::invalid(
                "justification",
                format!(
                    "{s:?} is not a VEX justification (one of: {})",
                    Self::ALL.map(Self::as_str).join(", ")
                ),
            )
        })
    }
}

/// The component a statement is about: a package URL where known (without a version:
/// a statement is about the component as the project ships it), else a name as
/// scanners print it (Maven `group:artifact`, a jar file name, a library name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    /// e.g. `pkg:maven/com.fasterxml.jackson.core/jackson-databind`.
    pub purl: Option<String>,
    /// e.g. `com.fasterxml.jackson.core:jackson-databind` or `netty-handler`.
    pub name: String,
}

/// The name of the component of a statement about the project as a whole: "this
/// vulnerability, in whatever component we ship" (a Dependency-Check suppression by
/// vulnerability alone, an OpenVEX statement without subcomponents, a CycloneDX
/// vulnerability that affects the BOM's own subject, a CSAF status of the product
/// itself). Matching lets it answer any component, after more specific statements.
pub const ANY_COMPONENT: &str = "*";

impl Component {
    /// The component of a statement about the project as a whole ([`ANY_COMPONENT`]).
    pub fn any() -> Self {
        Self {
            purl: None,
            name: ANY_COMPONENT.into(),
        }
    }

    /// Whether this is [`Component::any`].
    pub fn is_any(&self) -> bool {
        self.purl.is_none() && self.name.trim() == ANY_COMPONENT
    }
}

/// One statement of a project about (vulnerability, component).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    /// A CVE, GHSA or other advisory id (`CVE-2022-42003`, `GHSA-jjjh-jjxp-wpff`).
    pub vulnerability: String,
    /// The same vulnerability's other ids (a statement on a CVE answers its GHSA and
    /// OSV aliases too).
    #[serde(default)]
    pub aliases: Vec<String>,
    pub component: Component,
    /// Which of the project's own versions it speaks for (`3.7.x`, `>= 3.6.0`); `None`
    /// for all.
    #[serde(default)]
    pub product_versions: Option<String>,
    pub status: VexStatus,
    /// Required for `not_affected`.
    #[serde(default)]
    pub justification: Option<Justification>,
    /// Free text: why, in the project's words (`not_affected`), or the impact.
    #[serde(default)]
    pub impact: Option<String>,
    /// Required for `affected`: what users should do.
    #[serde(default)]
    pub action: Option<String>,
    /// For `fixed`: the project version the fix is in.
    #[serde(default)]
    pub fixed_in: Option<String>,
    /// Published at the project's public VEX URLs (only statements marked public).
    #[serde(default)]
    pub public: bool,
    /// The statement expires then (Dependency-Check's `until`); the team is reminded.
    #[serde(default)]
    pub until: Option<Date>,
}

/// A stored statement: who wrote it and when, and its place in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredStatement {
    pub id: i64,
    pub statement: Statement,
    pub author: String,
    pub updated_at: Timestamp,
    /// 1 for a new statement, bumped by every edit (earlier versions are kept).
    pub version: i64,
}

impl Statement {
    /// Checks what every door must refuse: the required fields of each status, sizes,
    /// and a package URL that parses. Returns the statement normalised (ids upper-cased
    /// where they are CVE/GHSA ids, text trimmed).
    pub fn validate(mut self) -> Result<Self, DomainError> {
        self.vulnerability = crate::advisory::canonical(&crate::text::required_line(
            "vulnerability",
            &self.vulnerability,
        )?);
        self.aliases = self
            .aliases
            .iter()
            .map(|a| crate::advisory::canonical(a.trim()))
            .filter(|a| !a.is_empty())
            .collect();
        for field in [
            &mut self.impact,
            &mut self.action,
            &mut self.fixed_in,
            &mut self.product_versions,
        ] {
            *field = field
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
        }
        for (name, value, max) in [
            ("impact", &self.impact, 10_000),
            ("action", &self.action, 10_000),
            ("fixed_in", &self.fixed_in, 200),
            ("product_versions", &self.product_versions, 200),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > max) {
                return Err(DomainError::invalid(name, format!("at most {max} bytes")));
            }
        }
        if self.vulnerability.len() > 100 {
            return Err(DomainError::invalid(
                "vulnerability",
                "at most 100 characters",
            ));
        }
        if self.aliases.len() > 50 {
            return Err(DomainError::invalid("aliases", "at most 50 aliases"));
        }
        self.component.name = crate::text::required_line("component", &self.component.name)?;
        if let Some(p) = &self.component.purl {
            packageurl::PackageUrl::from_str_checked(p)?;
        }
        match self.status {
            VexStatus::NotAffected if self.justification.is_none() && self.impact.is_none() => {
                return Err(DomainError::invalid(
                    "justification",
                    "a not_affected statement needs a justification or an impact statement",
                ));
            }
            VexStatus::Affected if self.action.is_none() => {
                return Err(DomainError::invalid(
                    "action",
                    "an affected statement needs an action for users",
                ));
            }
            _ => {}
        }
        Ok(self)
    }
}

/// `from_str` with our error: a purl that does not parse is named.
trait CheckedPurl {
    fn from_str_checked(s: &str) -> Result<(), DomainError>;
}

impl CheckedPurl for packageurl::PackageUrl<'_> {
    fn from_str_checked(s: &str) -> Result<(), DomainError> {
        s.parse::<packageurl::PackageUrl>()
            .map(|_| ())
            .map_err(|e| DomainError::invalid("purl", format!("{s:?} is not a package URL: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement {
            vulnerability: " cve-2022-42003 ".into(),
            aliases: vec!["ghsa-JJJH-jjxp-wpff".into(), " ".into()],
            component: Component {
                purl: Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind".into()),
                name: "com.fasterxml.jackson.core:jackson-databind".into(),
            },
            product_versions: Some("  ".into()),
            status: VexStatus::NotAffected,
            justification: Some(Justification::VulnerableCodeNotInExecutePath),
            impact: Some("  Deep wrapper arrays are never deserialized.  ".into()),
            action: None,
            fixed_in: None,
            public: true,
            until: None,
        }
    }

    #[test]
    fn validation_normalises_ids_and_text_and_names_what_is_missing() {
        let s = statement().validate().unwrap();
        assert_eq!(s.vulnerability, "CVE-2022-42003");
        assert_eq!(s.aliases, vec!["GHSA-jjjh-jjxp-wpff".to_string()]);
        assert_eq!(s.product_versions, None);
        assert_eq!(
            s.impact.as_deref(),
            Some("Deep wrapper arrays are never deserialized.")
        );

        let blank = Statement {
            justification: None,
            impact: Some("   ".into()),
            ..statement()
        };
        let err = blank.validate().unwrap_err().to_string();
        assert!(
            err.contains("needs a justification or an impact statement"),
            "{err}"
        );
        let affected = Statement {
            status: VexStatus::Affected,
            ..statement()
        };
        assert!(
            affected
                .validate()
                .unwrap_err()
                .to_string()
                .contains("needs an action")
        );
        let bad_purl = Statement {
            component: Component {
                purl: Some("maven:jackson".into()),
                name: "jackson".into(),
            },
            ..statement()
        };
        assert!(
            bad_purl
                .validate()
                .unwrap_err()
                .to_string()
                .contains("is not a package URL")
        );
        assert!(Component::any().is_any());
        assert_eq!(VexStatus::parse("fixed").unwrap(), VexStatus::Fixed);
        assert!(
            Justification::parse("because")
                .unwrap_err()
                .to_string()
                .contains("component_not_present")
        );
    }
}
